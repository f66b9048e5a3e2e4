"""A platform command run as its own process in a test, as deployed: its log for failure
messages, SIGKILL for crash tests, and a polite stop (SIGTERM, then SIGKILL after 20 s)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import httpx


class LoggedProcess:
    def __init__(
        self, command: Sequence[str], log: Path, env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> None:
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                list(command),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env or {**os.environ},
                cwd=cwd,
            )

    def wait_until_answering(self, url: str, timeout: float = 30.0) -> None:
        """Block until GET `url` answers (any status), or fail with the process's log."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.process.args[0]} exited with {self.process.returncode}:\n{self.tail()}")
            try:
                httpx.get(url, timeout=2)
                return
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"{url} did not answer within {timeout:g} s:\n{self.tail()}") from None
                time.sleep(0.1)

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
