"""Writing the rendered alerting files (and reading the tunables)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tuoyu.alerts.routing import WECHAT_AND_EMAIL_EXAMPLES, render_alertmanager
from tuoyu.alerts.rules import render_rules

HEADER = "# Generated from alerts/tunables.yaml by `tuoyu alerts render`; edit the tunables, not this file.\n"


# The tunables people edit. Read from the source tree for now (issue 14 makes them package data).
TUNABLES = Path(__file__).resolve().parents[2] / "alerts" / "tunables.yaml"


def load_tunables(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _dump(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=120)


def rendered_files(tunables: dict[str, Any], webhook_url: str | None = None,
                   secret_file: str | None = None) -> dict[str, str]:
    """Relative path -> content of every generated file."""
    files = {f"rules/{name}.rules.yml": HEADER + _dump(doc) for name, doc in render_rules(tunables).items()}
    files["alertmanager.yml"] = (HEADER + _dump(render_alertmanager(tunables, webhook_url, secret_file))
                                 + WECHAT_AND_EMAIL_EXAMPLES)
    return files


def write_files(tunables: dict[str, Any], out: Path, **overrides: Any) -> list[Path]:
    written = []
    for relative, content in rendered_files(tunables, **overrides).items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written


# The distributed deployment (docker-compose.yml): Alertmanager posts to the `api` service and
# reads the secret the API wrote into their shared volume.
COMPOSE_WEBHOOK = "http://api:8000/api/alerts/webhook"
COMPOSE_SECRET_FILE = "/etc/tuoyu/alert-webhook-secret"


def compose_alertmanager(tunables: dict[str, Any]) -> str:
    return (HEADER + _dump(render_alertmanager(tunables, COMPOSE_WEBHOOK, COMPOSE_SECRET_FILE))
            + WECHAT_AND_EMAIL_EXAMPLES)
