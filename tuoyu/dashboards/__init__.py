"""Grafana dashboards as code (grafana-foundation-sdk), and the subsystems that give the rules,
alerts and panels of the platform's monitoring.

`dashboards(config)` gives each dashboard's JSON by file name; `tuoyu generate` writes them to
dashboards/generated/ (committed, provisioned by docker-compose.yml) and the township gazetteer to
deploy/grafana/; `tuoyu dashboards push` uploads them to a running Grafana.
"""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.cog.encoder import JSONEncoder

from tuoyu.alerts.config import Config, packaged_config
from tuoyu.dashboards.boards import BOARDS, build

FOLDER_UID = "tuoyu"
FOLDER_TITLE = "托育服务监测预警"


def dashboards(config: Config | None = None) -> dict[str, dict[str, Any]]:
    """File name -> dashboard JSON (as Grafana's API and file provisioning take it)."""
    config = config or packaged_config()
    return {
        f"{board.uid}.json": json.loads(json.dumps(build(board, config).build(), cls=JSONEncoder)) for board in BOARDS
    }


def dashboard_text(document: dict[str, Any]) -> str:
    """The committed form: stable key order as built, Chinese readable, one trailing newline."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
