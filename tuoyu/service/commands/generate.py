"""`tuoyu generate`: every generated file (rules, Alertmanager configurations, dashboards) from the
one typed configuration, alerts/tunables.yaml. `alerts render` and `dashboards export` are kept
as aliases that say so; `dashboards push` uploads the dashboards to a Grafana."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

TUNABLES = Path("alerts/tunables.yaml")
RUNBOOK = Path("docs/runbook.md")


def register(commands: Any) -> None:
    p = commands.add_parser(
        "generate", help="write the alert rules, Alertmanager configurations and dashboards from alerts/tunables.yaml"
    )
    p.add_argument(
        "--root",
        type=Path,
        default=Path("."),
        help="the repository (default: here); outside one, the packaged tunables are used and the files "
        "are written under ROOT",
    )
    p.set_defaults(run=_generate)

    p = commands.add_parser("alerts", help="alerting files (an alias of `tuoyu generate`)")
    alerts = p.add_subparsers(required=True, metavar="ACTION")
    alerts.add_parser("render", help="same as `tuoyu generate`").set_defaults(run=_alias, root=Path("."))

    p = commands.add_parser("dashboards", help="Grafana dashboards")
    boards = p.add_subparsers(required=True, metavar="ACTION")
    boards.add_parser("export", help="same as `tuoyu generate`").set_defaults(run=_alias, root=Path("."))
    t = boards.add_parser("push", help="upload the dashboards into a folder of a running Grafana")
    t.add_argument("--url", required=True, help="Grafana's address, e.g. http://localhost:3000")
    t.add_argument(
        "--token",
        default=os.environ.get("GRAFANA_TOKEN"),
        help="a service account token with the Editor role (default: $GRAFANA_TOKEN)",
    )
    t.set_defaults(run=_dashboards_push)


def _generate(args: argparse.Namespace) -> int:
    from tuoyu.alerts.config import ConfigProblem, packaged_text, parse_config
    from tuoyu.dashboards.generated import generated_files

    root: Path = args.root
    checkout = (root / TUNABLES).is_file()
    source = root / TUNABLES if checkout else Path("tuoyu/alerts/tunables.yaml (packaged)")
    tunables = (root / TUNABLES).read_text(encoding="utf-8") if checkout else packaged_text()
    runbook = (root / RUNBOOK).read_text(encoding="utf-8") if checkout else packaged_text("runbook.md")
    try:
        config = parse_config(tunables, str(source))
        files = generated_files(config, tunables, runbook)
    except ConfigProblem as problem:
        print(f"tuoyu generate: {problem}; nothing was written", file=sys.stderr)
        return 2
    if not checkout:
        print(f"no {TUNABLES} under {root}: generating from the packaged tunables", file=sys.stderr)
        files = {path: text for path, text in files.items() if not path.startswith("tuoyu/")}
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    print(f"{len(files)} generated file(s) up to date under {root}")
    return 0


def _alias(args: argparse.Namespace) -> int:
    print(
        "this command is now `tuoyu generate` (it writes rules, Alertmanager configurations and dashboards "
        "together); running it",
        file=sys.stderr,
    )
    return _generate(args)


def _dashboards_push(args: argparse.Namespace) -> int:
    from tuoyu.dashboards.push import PushFailed, push

    if not args.token:
        print("tuoyu: no Grafana token: pass --token or set GRAFANA_TOKEN", file=sys.stderr)
        return 2
    try:
        push(args.url, args.token)
    except PushFailed as failure:
        print(f"tuoyu: {failure}", file=sys.stderr)
        return 1
    return 0
