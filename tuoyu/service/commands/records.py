"""`tuoyu import` and `tuoyu replay`: recording a file of events, and the KPIs rebuilt from the record."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import orjson

from tuoyu.service.commands.shared import registry
from tuoyu.service.timeargs import parse_moment


def register(commands: Any) -> None:
    p = commands.add_parser("import", help="record a JSON Lines file of events, all or nothing")
    p.add_argument("file", type=Path)
    p.add_argument(
        "--skip-invalid",
        metavar="REJECTS",
        type=Path,
        help="record the valid events and write each rejected line with its reasons to REJECTS",
    )
    p.add_argument("--recorded-by", default=None, help="who is recording (default: import:FILE)")
    p.set_defaults(run=_import)

    p = commands.add_parser("replay", help="rebuild the KPIs from event zero and print them")
    p.add_argument("--json", action="store_true", help="print the snapshot of kpis.md as JSON")
    p.add_argument("--as-of", help="business time: events that occurred up to then (date or date-time)")
    p.add_argument("--known-at", help="knowledge time: events recorded up to then (date or date-time)")
    p.add_argument(
        "--bundle", type=Path, help="replay a bundle of `tuoyu audit export` (no store needed); it is verified first"
    )
    p.add_argument("--key", help="with --bundle: the log's public key, to check the bundle's signed checkpoint")
    p.set_defaults(run=_replay)


def _import(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from tuoyu.domain.importing import import_all_or_nothing, import_skipping_invalid

    if not args.file.is_file():
        print(f"tuoyu import: {args.file}: no such file", file=sys.stderr)
        return 2
    app = registry(args)
    recorded_by = args.recorded_by or f"import:{args.file.name}"
    bar = tqdm(total=None, unit=" lines", file=sys.stderr, disable=None, mininterval=0.5, desc="导入")
    rejects = args.skip_invalid.open("wb") if args.skip_invalid else None

    def on_problem(problem, line) -> None:
        message = problem.describe()
        (bar.write if not bar.disable else lambda m: print(m, file=sys.stderr))(message)
        if rejects is not None:
            rejects.write(
                orjson.dumps(
                    {
                        "line": line.number,
                        "event_id": problem.event_id,
                        "field": problem.field,
                        "message": problem.message,
                        "text": line.raw.decode("utf-8", "replace").rstrip("\n"),
                    }
                )
                + b"\n"
            )

    run = import_skipping_invalid if rejects is not None else import_all_or_nothing
    try:
        report = run(app, lambda: args.file.open("rb"), recorded_by, on_problem, bar.update)
    finally:
        bar.close()
        if rejects is not None:
            rejects.close()
    if report.conflict:
        print(f"tuoyu import: {report.conflict}", file=sys.stderr)
        return 1
    if report.problems and rejects is None:
        print(f"tuoyu import: {report.problems} problem(s) in {args.file}; nothing was recorded", file=sys.stderr)
        return 1
    print(
        f"recorded {report.recorded} event(s) from {report.lines} line(s) of {args.file}"
        f"{f', {report.duplicates} already recorded' if report.duplicates else ''}"
        f"{f', {report.rejected} line(s) rejected (see {args.skip_invalid})' if report.rejected else ''}"
        f"; store position {report.position if report.position is not None else app.position()}"
    )
    return 0


def _replay(args: argparse.Namespace) -> int:
    from tuoyu import clock
    from tuoyu.service.tables import snapshot_tables
    from tuoyu.views.reading import read_facts
    from tuoyu.views.replay import replay_snapshot

    as_of = parse_moment(args.as_of, "--as-of") if args.as_of else None
    known_at = parse_moment(args.known_at, "--known-at") if args.known_at else None
    if args.bundle:
        from tuoyu.audit.bundle_check import BundleFails, replay_bundle
        from tuoyu.service.commands.audit import say_verdict, verifier_of

        try:
            snapshot = replay_bundle(args.bundle, as_of, known_at, verifier_of(args.key))
        except BundleFails as failed:
            say_verdict(failed.verdict, "tuoyu replay")
            print(
                "tuoyu replay: 数据包未通过校验, 不重放 (the bundle fails verification; nothing replayed)",
                file=sys.stderr,
            )
            return 1
    else:
        app = registry(args)
        snapshot = replay_snapshot(read_facts(app.recorder), clock.now(), as_of, known_at)
    if args.json:
        sys.stdout.buffer.write(orjson.dumps(snapshot, option=orjson.OPT_INDENT_2) + b"\n")
    else:
        print(snapshot_tables(snapshot))
    return 0
