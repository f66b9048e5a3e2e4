"""Grafana dashboards as code: four dashboards built with grafana-foundation-sdk.

`dashboards()` gives each dashboard's JSON by file name; `tuoyu dashboards export` writes them
to dashboards/ (committed, provisioned by docker-compose.yml) and the township gazetteer to
deploy/grafana/; `tuoyu dashboards push` uploads them to a running Grafana.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.cog.encoder import JSONEncoder

from tuoyu.dashboards import closures, overview, pipeline, township
from tuoyu.dashboards.geomap import GAZETTEER_FILE, gazetteer_json

MODULES = (overview, township, closures, pipeline)
FOLDER_UID = "tuoyu"
FOLDER_TITLE = "托育服务监测预警"


def dashboards() -> dict[str, dict[str, Any]]:
    """File name -> dashboard JSON (as Grafana's API and file provisioning take it)."""
    return {f"{module.UID}.json": json.loads(json.dumps(module.dashboard().build(), cls=JSONEncoder))
            for module in MODULES}


def dashboard_text(document: dict[str, Any]) -> str:
    """The committed form: stable key order as built, Chinese readable, one trailing newline."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def rendered_files() -> dict[str, str]:
    """Relative path (from the repository root, for the default layout) -> content."""
    files = {f"dashboards/{name}": dashboard_text(document) for name, document in dashboards().items()}
    files[f"deploy/grafana/gazetteer/{GAZETTEER_FILE}"] = gazetteer_json()
    return files


def export(directory: Path, gazetteer_directory: Path | None = None) -> list[Path]:
    """Write every dashboard's JSON into `directory` (and the gazetteer, if a directory is given)."""
    written = []
    directory.mkdir(parents=True, exist_ok=True)
    for name, document in dashboards().items():
        path = directory / name
        path.write_text(dashboard_text(document), encoding="utf-8")
        written.append(path)
    if gazetteer_directory is not None:
        gazetteer_directory.mkdir(parents=True, exist_ok=True)
        path = gazetteer_directory / GAZETTEER_FILE
        path.write_text(gazetteer_json(), encoding="utf-8")
        written.append(path)
    return written
