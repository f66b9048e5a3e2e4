"""Publishing signed checkpoints outside the store, and reading the newest one back.

A publication is a directory (a mount on another machine, say) or an HTTP(S) URL. Each
checkpoint is written twice: as `checkpoint` (the newest: what `tuoyu verify` checks the store
against) and as `checkpoints/<tree size>` (the history, from which consistency proofs are asked).
A URL receives both with HTTP PUT (a WebDAV share or an object store's upload URL) and is read
back with GET.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

NEWEST = "checkpoint"
HISTORY = "checkpoints"


class PublicationError(OSError):
    """A publication that cannot be written or read."""


class Publication(Protocol):
    @property
    def where(self) -> str: ...

    def put(self, size: int, note: str) -> None: ...

    def newest(self) -> str | None: ...

    def at(self, size: int) -> str | None: ...


@dataclass(frozen=True)
class Directory:
    path: Path

    @property
    def where(self) -> str:
        return str(self.path)

    def put(self, size: int, note: str) -> None:
        # History first: the newest never names a checkpoint the history lacks.
        _write_atomically(self.path / HISTORY / str(size), note)
        _write_atomically(self.path / NEWEST, note)

    def newest(self) -> str | None:
        return _read(self.path / NEWEST)

    def at(self, size: int) -> str | None:
        return _read(self.path / HISTORY / str(size))


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


@dataclass(frozen=True)
class Url:
    base: str
    timeout: float = 10.0

    @property
    def where(self) -> str:
        return self.base

    def put(self, size: int, note: str) -> None:
        for name in (f"{HISTORY}/{size}", NEWEST):
            request = urllib.request.Request(
                f"{self.base.rstrip('/')}/{name}",
                data=note.encode(),
                method="PUT",
                headers={"Content-Type": "text/plain; charset=utf-8"},
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    response.read()
            except (urllib.error.URLError, OSError) as error:
                raise PublicationError(f"publishing to {request.full_url} failed: {error}") from None

    def newest(self) -> str | None:
        return self._get(NEWEST)

    def at(self, size: int) -> str | None:
        return self._get(f"{HISTORY}/{size}")

    def _get(self, name: str) -> str | None:
        url = f"{self.base.rstrip('/')}/{name}"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                return response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise PublicationError(f"reading {url} failed: HTTP {error.code}") from None
        except (urllib.error.URLError, OSError) as error:
            raise PublicationError(f"reading {url} failed: {error}") from None
