"""`tuoyu token create|revoke|list`: bearer tokens for the HTTP API."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tuoyu.service.commands.shared import registry


def register(commands: Any) -> None:
    p = commands.add_parser("token", help="bearer tokens for the HTTP API")
    tokens = p.add_subparsers(required=True, metavar="ACTION")
    t = tokens.add_parser("create", help="print a new token (only its hash is stored)")
    t.add_argument("--role", required=True, help="admin, registry, inspector, auditor or township:<id>")
    t.add_argument("--name", help="a name to revoke it by (default: role and a random suffix)")
    t.set_defaults(run=_token_create)
    t = tokens.add_parser("revoke", help="revoke a token by name")
    t.add_argument("name")
    t.set_defaults(run=_token_revoke)
    t = tokens.add_parser("list", help="list tokens (names and roles, never the tokens)")
    t.set_defaults(run=_token_list)


def _tokens(args: argparse.Namespace) -> Any:
    from tuoyu.service.wiring import open_tokens

    return open_tokens(registry(args))


def _token_create(args: argparse.Namespace) -> int:
    from tuoyu.service.tokens import TokenError, create_token

    store = _tokens(args)
    try:
        name, token = create_token(store, args.role, args.name)
    except TokenError as error:
        print(f"tuoyu token create: {error}", file=sys.stderr)
        return 2
    print(f"token {name} for role {args.role} (shown once; only its hash is stored):")
    print(token)
    return 0


def _token_revoke(args: argparse.Namespace) -> int:
    from tuoyu.service.tokens import TokenError, revoke_token

    store = _tokens(args)
    try:
        revoke_token(store, args.name)
    except TokenError as error:
        print(f"tuoyu token revoke: {error}", file=sys.stderr)
        return 1
    print(f"token {args.name} revoked")
    return 0


def _token_list(args: argparse.Namespace) -> int:
    from tuoyu.service.tables import render

    store = _tokens(args)
    rows = [["名称", "角色", "创建时间", "状态"]]
    rows += [[t.name, t.role, t.created_at, f"已吊销 {t.revoked_at}" if t.revoked_at else "有效"] for t in store.all()]
    print(render(rows))
    return 0
