"""`tuoyu demo`: the seeded demo history of Mentougou."""

from __future__ import annotations

import argparse
from typing import Any

from tuoyu.service.commands.shared import date_argument, registry


def register(commands: Any) -> None:
    p = commands.add_parser("demo", help="record the seeded demo history of Mentougou")
    p.add_argument("--seed", type=int, default=2023)
    p.add_argument("--if-empty", action="store_true", help="do nothing when the store already holds events")
    p.add_argument(
        "--today",
        type=date_argument,
        default=None,
        help="the day the history runs up to (YYYY-MM-DD; default: today in Beijing)",
    )
    p.set_defaults(run=_demo)


def _demo(args: argparse.Namespace) -> int:
    from tuoyu.demo.loading import record_demo

    app = registry(args)
    if args.if_empty and app.position() > 0:
        print(f"the store already holds {app.position()} event(s); demo data not loaded")
        return 0
    recorded = record_demo(app, args.seed, args.today)
    print(f"recorded {recorded} demo event(s) of Mentougou (seed {args.seed}); store position {app.position()}")
    return 0
