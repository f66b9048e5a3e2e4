"""Who is calling: the bearer token of a request, as a FastAPI dependency."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tuoyu.persistence.tokens import TokenRecord
from tuoyu.service.tokens import authenticate

bearer = HTTPBearer(auto_error=False, description="a token from `tuoyu token create --role ROLE`")
Caller = Callable[..., TokenRecord]


def caller_of(tokens: Any) -> Caller:
    """The dependency that turns a request's bearer token into its token record (401 otherwise)."""

    def caller(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> TokenRecord:
        if credentials is None:
            raise HTTPException(
                401, "a bearer token is required (Authorization: Bearer …)", headers={"WWW-Authenticate": "Bearer"}
            )
        record = authenticate(tokens, credentials.credentials)
        if record is None:
            raise HTTPException(401, "the token is unknown or revoked", headers={"WWW-Authenticate": "Bearer"})
        return record

    return caller
