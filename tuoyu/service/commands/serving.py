"""`tuoyu serve`: the HTTP API with the embedded projector (and alerting beside it)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tuoyu.service.config import settings_from_env


def register(commands: Any) -> None:
    p = commands.add_parser("serve", help="run the HTTP API with the embedded projector")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument(
        "--no-projector",
        action="store_true",
        help="distributed deployment: Faust workers keep the live views; reads replay the store",
    )
    p.add_argument(
        "--alerting",
        action="store_true",
        help="also run Prometheus and Alertmanager (Debian packages) beside it, when installed",
    )
    p.add_argument("--prometheus-port", type=int, default=9090)
    p.add_argument("--alertmanager-port", type=int, default=9093)
    p.set_defaults(run=_serve)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from tuoyu.service.alerting import ensure_webhook_secret, running_config
    from tuoyu.service.http.app import create_app
    from tuoyu.service.wiring import open_platform

    settings = settings_from_env()
    if not settings.alert_webhook_secret:
        # The on-call webhook's shared secret, for the Alertmanager beside it (or in compose).
        ensure_webhook_secret(settings.data_dir)
        settings = settings_from_env()
    platform = open_platform(settings, project=not args.no_projector)
    base = f"http://{args.host}:{args.port}"
    token_file = settings.data_dir / "admin.token"
    if token_file.is_file():
        print(f"an admin token for trying the API is in {token_file}", flush=True)
    stack = _start_alerting(args, settings, base) if args.alerting else None
    _print_addresses(base)
    if stack is not None:
        import signal

        # uvicorn re-raises SIGTERM once it has shut down; as SystemExit it lets the `finally`
        # below stop Prometheus and Alertmanager instead of leaving them running.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    from tuoyu.service.auditing import audit_settings
    from tuoyu.service.publishing import scheduled_publication

    try:
        # The wall page shows the alerts of the Prometheus started here, else of TUOYU_PROMETHEUS_URL.
        prometheus_url = stack.prometheus_url if stack is not None else settings.prometheus_url
        alertmanager_url = stack.alertmanager_url if stack is not None else settings.alertmanager_url
        app = create_app(
            platform, prometheus_url, settings.map_tile_url, alertmanager_url, running_config(settings.tunables).oncall
        )
        app.state.body_read_timeout = settings.body_read_timeout
        with scheduled_publication(platform.registry.recorder, audit_settings(settings)):
            uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    finally:
        if stack is not None:
            stack.stop()
    return 0


def _start_alerting(args: argparse.Namespace, settings: Any, base: str) -> Any:
    """Prometheus and Alertmanager beside the service, or None (said) when they cannot start."""
    from tuoyu.service.alerting import running_config, start_alerting

    try:
        stack = start_alerting(
            settings.data_dir,
            f"{args.host}:{args.port}",
            args.prometheus_port,
            args.alertmanager_port,
            running_config(settings.tunables),
            external_url=settings.external_url,
        )
    except (OSError, RuntimeError, ValueError) as error:
        print(f"alerting not started: {error}; the service runs without it", flush=True)
        return None
    print(
        f"  Prometheus     {stack.prometheus_url}  (rules, alerts)\n"
        f"  Alertmanager   {stack.alertmanager_url}  (posts to {base}/api/alerts/webhook)",
        flush=True,
    )
    return stack


def _print_addresses(base: str) -> None:
    print(
        f"托育服务监测预警平台 serving on {base}\n"
        f"  wall page      {base}/  (no login; public map {base}/map)\n"
        f"  KPI snapshot   {base}/api/kpi  (bearer token: .venv/bin/tuoyu token create --role auditor)\n"
        f"  public registry {base}/api/registry\n  metrics        {base}/metrics\n"
        f"  health         {base}/healthz\n  API document   {base}/openapi.json",
        flush=True,
    )
