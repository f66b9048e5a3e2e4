"""`tuoyu alerts render` and `tuoyu dashboards export|push`: the generated alerting files and dashboards."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import os
from pathlib import Path


def register(commands: Any) -> None:
    p = commands.add_parser("alerts", help="alerting files")
    alerts = p.add_subparsers(required=True, metavar="ACTION")
    t = alerts.add_parser("render", help="render rules and Alertmanager config from the tunables")
    t.add_argument("--tunables", type=Path, default=Path("alerts/tunables.yaml"))
    t.add_argument("--out", type=Path, default=Path("alerts"))
    t.set_defaults(run=_alerts_render)

    p = commands.add_parser("dashboards", help="Grafana dashboards (generated from tuoyu/dashboards)")
    boards = p.add_subparsers(required=True, metavar="ACTION")
    t = boards.add_parser("export", help="write the dashboards' JSON files into DIR")
    t.add_argument("dir", type=Path, metavar="DIR")
    t.add_argument("--gazetteer", type=Path, metavar="GDIR",
                   help="also write the township gazetteer the map reads (deploy/grafana/gazetteer)")
    t.set_defaults(run=_dashboards_export)
    t = boards.add_parser("push", help="upload the dashboards into a folder of a running Grafana")
    t.add_argument("--url", required=True, help="Grafana's address, e.g. http://localhost:3000")
    t.add_argument("--token", default=os.environ.get("GRAFANA_TOKEN"),
                   help="a service account token with the Editor role (default: $GRAFANA_TOKEN)")
    t.set_defaults(run=_dashboards_push)



def _alerts_render(args: argparse.Namespace) -> int:
    from tuoyu.alerts.files import compose_alertmanager, load_tunables, write_files

    tunables = load_tunables(args.tunables)
    for path in write_files(tunables, args.out):
        print(f"wrote {path}")
    deploy = args.out.parent / "deploy" / "alertmanager.yml"
    if deploy.parent.is_dir():
        deploy.write_text(compose_alertmanager(tunables), encoding="utf-8")
        print(f"wrote {deploy}")
    return 0


def _dashboards_export(args: argparse.Namespace) -> int:
    from tuoyu.dashboards import export

    for path in export(args.dir, args.gazetteer):
        print(f"wrote {path}")
    return 0


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
