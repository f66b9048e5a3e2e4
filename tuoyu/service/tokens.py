"""Issuing, revoking and checking bearer tokens."""

from __future__ import annotations

import hashlib
import secrets

from tuoyu import clock
from tuoyu.domain.catalogue import TOWNSHIP_IDS
from tuoyu.domain.permissions import FIXED_ROLES, valid_role
from tuoyu.persistence.tokens import IntegrityError, TokenRecord


class TokenError(ValueError):
    pass


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(store, role: str, name: str | None = None) -> tuple[str, str]:
    """A new token for `role`; returns (name, token). Only the digest is stored."""
    if not valid_role(role):
        raise TokenError(f"unknown role {role!r}; roles: {', '.join(FIXED_ROLES)}, "
                         f"township:<id> with id one of {', '.join(TOWNSHIP_IDS)}")
    name = name or f"{role.replace(':', '-')}-{secrets.token_hex(3)}"
    token = f"tuoyu_{secrets.token_urlsafe(32)}"
    try:
        store.add(name, role, digest(token), clock.now().isoformat(timespec="seconds"))
    except IntegrityError:
        raise TokenError(f"a token named {name!r} exists already; choose another name or revoke it") from None
    return name, token


def revoke_token(store, name: str) -> None:
    if not store.revoke(name, clock.now().isoformat(timespec="seconds")):
        raise TokenError(f"no active token named {name!r}")


def authenticate(store, token: str) -> TokenRecord | None:
    record = store.find(digest(token))
    return record if record is not None and record.revoked_at is None else None
