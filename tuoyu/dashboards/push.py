"""Uploading the dashboards to a running Grafana through its HTTP API (grafana-client).

Each dashboard is saved with overwrite into one folder (created when missing), so pushing
again replaces the previous version. The township gazetteer is a static file of Grafana's web
server and cannot be uploaded: the map needs it mounted (docker-compose.yml does).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests
from grafana_client import GrafanaApi, TokenAuth
from grafana_client.client import (
    GrafanaClientError,
    GrafanaException,
    GrafanaUnauthorizedError,
)

from tuoyu.dashboards import FOLDER_TITLE, FOLDER_UID, dashboards

TIMEOUT_SECONDS = 10.0


class PushFailed(Exception):
    """Grafana could not be reached or refused a request; the message says what to check."""


def push(
    url: str, token: str, say: Callable[[str], None] = print, documents: dict[str, dict[str, Any]] | None = None
) -> list[str]:
    """Upload every dashboard into the folder FOLDER_UID; returns the uids saved."""
    grafana = GrafanaApi.from_url(url=url, credential=TokenAuth(token), timeout=TIMEOUT_SECONDS)
    saved = []
    try:
        _ensure_folder(grafana)
        for document in (documents or dashboards()).values():
            grafana.dashboard.update_dashboard(
                {
                    "dashboard": {**document, "id": None},
                    "folderUid": FOLDER_UID,
                    "overwrite": True,
                    "message": "tuoyu dashboards push",
                }
            )
            say(f"saved {document['uid']} ({document['title']})")
            saved.append(document["uid"])
    except GrafanaUnauthorizedError as error:
        raise PushFailed(
            f"Grafana at {url} rejected the token (HTTP {error.status_code}): "
            "create a service account token with the Editor role and pass it with --token"
        ) from None
    except GrafanaException as error:
        raise PushFailed(f"Grafana at {url} refused the request (HTTP {error.status_code}): {error.message}") from None
    except requests.exceptions.RequestException as error:
        raise PushFailed(
            f"cannot reach Grafana at {url} ({type(error).__name__}): check --url and that Grafana is running"
        ) from None
    return saved


def _ensure_folder(grafana: GrafanaApi) -> None:
    try:
        grafana.folder.get_folder(FOLDER_UID)
    except GrafanaClientError as error:
        if error.status_code != 404:
            raise
        grafana.folder.create_folder(FOLDER_TITLE, uid=FOLDER_UID)
