"""`tuoyu project`: the embedded projector alone, printing the KPIs as they change."""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any

from tuoyu.service.config import settings_from_env


def register(commands: Any) -> None:
    p = commands.add_parser("project", help="run the embedded projector, printing the KPIs as they change")
    p.add_argument("--once", action="store_true", help="catch up, print, and exit")
    p.add_argument("--poll", type=float, default=1.0, help="seconds between looks at the store")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.add_argument("--batch", type=int, default=1000, help="events applied between two commits of the view")
    p.set_defaults(run=_project)


def _project(args: argparse.Namespace) -> int:
    from tuoyu import clock
    from tuoyu.projections.snapshot import build_snapshot
    from tuoyu.service.tables import snapshot_tables
    from tuoyu.service.wiring import open_projector

    def show(view) -> None:
        if not args.quiet:
            now = clock.now()
            print(snapshot_tables(build_snapshot(view, now, now)), flush=True)
            print(flush=True)

    projector = args.resources.enter_context(open_projector(settings_from_env(), on_change=show, batch=args.batch))
    if args.once:
        projector.catch_up()
        if not args.quiet:
            show(projector.view)
        if projector.stuck is not None:
            print(
                f"tuoyu project: 投影停在位置 {projector.stuck.position} 之前: {projector.stuck.describe()}",
                file=sys.stderr,
            )
            return 1
        return 0
    if not args.quiet:
        print(f"投影器运行中 (position {projector.position}); Ctrl-C 退出", flush=True)
        show(projector.view)
    stop = threading.Event()
    try:
        projector.run(stop, args.poll)
    except KeyboardInterrupt:
        stop.set()
    return 0
