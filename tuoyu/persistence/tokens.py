"""Bearer tokens: granted and revoked by events in the chain (tuoyu/domain/tokens.py); the table
that authenticates requests (`tuoyu_token_view`) is kept from those events by the recorders.
Only a SHA-256 digest of each token is stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import IntegrityError

from tuoyu.domain.tokens import Token


@dataclass(frozen=True)
class TokenRecord:
    name: str
    role: str
    created_at: str
    revoked_at: str | None
    token_id: str = ""


class Tokens:
    """The tokens of the registry's store: grants and revocations go through the registry."""

    def __init__(self, registry: Any) -> None:
        self.registry = registry
        self.recorder = registry.recorder

    def add(self, name: str, role: str, digest: str, by: str = "tuoyu token create") -> None:
        """Record the grant; IntegrityError if the name (or the digest) is taken."""
        token = Token.grant(name, role, digest, by, self.registry.clock())
        self.registry.save(token)

    def revoke(self, name: str, by: str = "tuoyu token revoke") -> bool:
        """Record the revocation of the active token `name`; False if there is none."""
        row = next((r for r in self.recorder.select_token_view() if r[1] == name and r[5] is None), None)
        if row is None:
            return False
        from uuid import UUID

        token = self.registry.load(UUID(row[0]))
        token.revoke(name, by, self.registry.clock())
        self.registry.save(token)
        return True

    def find(self, digest: str) -> TokenRecord | None:
        rows = self.recorder.select_token_view(digest)
        return _record(rows[0]) if rows else None

    def all(self) -> list[TokenRecord]:
        return [_record(row) for row in self.recorder.select_token_view()]


def _record(row: tuple[Any, ...]) -> TokenRecord:
    token_id, name, role, _, created_at, revoked_at = row
    return TokenRecord(name, role, created_at, revoked_at, token_id)


__all__ = ["IntegrityError", "TokenRecord", "Tokens"]
