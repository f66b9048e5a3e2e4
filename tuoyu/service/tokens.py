"""Issuing, revoking and checking bearer tokens (grants and revocations are events in the chain)."""

from __future__ import annotations

import getpass
import hashlib
import secrets
from typing import Any

from tuoyu.domain.catalogue import TOWNSHIP_IDS
from tuoyu.domain.permissions import FIXED_ROLES, valid_role
from tuoyu.domain.problems import RuleViolation
from tuoyu.domain.tokens import NAME, NAME_RULE
from tuoyu.persistence.tokens import IntegrityError, TokenRecord


class TokenError(ValueError):
    pass


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def operator() -> str:
    """Who runs a `tuoyu token` command: the grant's `recorded_by`."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name for this uid (a container)
        return "cli"


def create_token(store: Any, role: str, name: str | None = None, by: str | None = None) -> tuple[str, str]:
    """A new token for `role`; returns (name, token). Only the digest is stored."""
    if not valid_role(role):
        raise TokenError(
            f"unknown role {role!r}; roles: {', '.join(FIXED_ROLES)}, "
            f"township:<id> with id one of {', '.join(TOWNSHIP_IDS)}"
        )
    name = name or f"{role.replace(':', '-')}-{secrets.token_hex(3)}"
    if NAME.fullmatch(name) is None:
        raise TokenError(f"token name {name!r} is not allowed: use {NAME_RULE}")
    token = f"tuoyu_{secrets.token_urlsafe(32)}"
    try:
        store.add(name, role, digest(token), by or operator())
    except IntegrityError:
        raise TokenError(f"a token named {name!r} exists already; choose another name or revoke it") from None
    return name, token


def revoke_token(store: Any, name: str, by: str | None = None) -> None:
    try:
        revoked = store.revoke(name, by or operator())
    except RuleViolation as violation:
        raise TokenError(violation.message) from None
    if not revoked:
        raise TokenError(f"no active token named {name!r}")


def authenticate(store: Any, token: str) -> TokenRecord | None:
    record = store.find(digest(token))
    return record if record is not None and record.revoked_at is None else None
