"""The `tuoyu` command: import, replay, demo data, the embedded projector, the relay to Kafka, the
Grafana dashboards and the audit."""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import orjson

from tuoyu.service.config import ConfigError, settings_from_env
from tuoyu.service.timeargs import parse_moment


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (ConfigError, ValueError) as error:
        print(f"tuoyu: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `tuoyu audit trail … | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _date_argument(text: str) -> date:
    try:
        return date.fromisoformat(text) if len(text) == 10 else date.fromisoformat(f"{text[:4]}-{text[4:6]}-{text[6:]}")
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; expected YYYY-MM-DD, e.g. 2026-11-30") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tuoyu", description="托育服务监测预警平台 (Mentougou childcare monitoring)")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    p = commands.add_parser("import", help="record a JSON Lines file of events, all or nothing")
    p.add_argument("file", type=Path)
    p.add_argument("--skip-invalid", metavar="REJECTS", type=Path,
                   help="record the valid events and write each rejected line with its reasons to REJECTS")
    p.add_argument("--recorded-by", default=None, help="who is recording (default: import:FILE)")
    p.set_defaults(run=_import)

    p = commands.add_parser("replay", help="rebuild the KPIs from event zero and print them")
    p.add_argument("--json", action="store_true", help="print the snapshot of kpis.md as JSON")
    p.add_argument("--as-of", help="business time: events that occurred up to then (date or date-time)")
    p.add_argument("--known-at", help="knowledge time: events recorded up to then (date or date-time)")
    p.add_argument("--bundle", type=Path, help="replay a bundle of `tuoyu audit export` (no store needed)")
    p.set_defaults(run=_replay)

    p = commands.add_parser("demo", help="record the seeded demo history of Mentougou")
    p.add_argument("--seed", type=int, default=2023)
    p.add_argument("--if-empty", action="store_true", help="do nothing when the store already holds events")
    p.add_argument("--today", type=_date_argument, default=None,
                   help="the day the history runs up to (YYYY-MM-DD; default: today in Beijing)")
    p.set_defaults(run=_demo)

    p = commands.add_parser("project", help="run the embedded projector, printing the KPIs as they change")
    p.add_argument("--once", action="store_true", help="catch up, print, and exit")
    p.add_argument("--poll", type=float, default=1.0, help="seconds between looks at the store")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.add_argument("--batch", type=int, default=1000, help="events applied between two commits of the view")
    p.set_defaults(run=_project)

    p = commands.add_parser("relay", help="publish every recorded event to Kafka (TUOYU_KAFKA), following the store")
    p.add_argument("--once", action="store_true", help="publish what is recorded, and exit")
    p.add_argument("--poll", type=float, default=0.5, help="seconds between looks at the store when idle")
    p.add_argument("--batch", type=int, default=1000, help="events read and sent per round (one message per township); the position follows acknowledged rounds")
    p.add_argument("--topic", default=None, help="the topic (default childcare.events)")
    p.add_argument("--partitions", type=int, default=4, help="partitions of the topic when the relay creates it")
    p.add_argument("--metrics-port", type=int, default=None,
                   help="serve the relay's position and counters for Prometheus on this port")
    p.add_argument("--metrics-host", default="0.0.0.0")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(run=_relay)

    p = commands.add_parser("serve", help="run the HTTP API with the embedded projector")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--no-projector", action="store_true",
                   help="distributed deployment: Faust workers keep the live views; reads replay the store")
    p.add_argument("--alerting", action="store_true",
                   help="also run Prometheus and Alertmanager (Debian packages) beside it, when installed")
    p.add_argument("--prometheus-port", type=int, default=9090)
    p.add_argument("--alertmanager-port", type=int, default=9093)
    p.set_defaults(run=_serve)

    p = commands.add_parser("worker", help="a Faust worker keeping the KPI view from Kafka (TUOYU_KAFKA)")
    p.add_argument("--metrics-port", type=int, default=9108, help="where the worker serves its metrics")
    p.add_argument("--metrics-host", default="0.0.0.0")
    p.add_argument("--batch", type=int, default=100,
                   help="messages (each up to 500 facts of one township) folded between two changelog writes")
    p.add_argument("--loglevel", default="warning")
    p.set_defaults(run=_worker)

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

    p = commands.add_parser("token", help="bearer tokens for the HTTP API")
    tokens = p.add_subparsers(required=True, metavar="ACTION")
    t = tokens.add_parser("create", help="print a new token (only its hash is stored)")
    t.add_argument("--role", required=True, help="admin, registry, inspector, auditor or township:<id>")
    t.add_argument("--name", help="a name to revoke it by (default: role and a random suffix)")
    t.set_defaults(run=_token_create)
    t = tokens.add_parser("revoke", help="revoke a token by name")
    t.add_argument("name")
    t.set_defaults(run=_token_revoke)
    t = tokens.add_parser("list", help="list tokens (names and roles, never the tokens)")
    t.set_defaults(run=_token_list)

    from tuoyu.service.audit_cli import add_commands as add_audit_commands

    add_audit_commands(commands)
    return parser


def _import(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from tuoyu.domain.importing import import_all_or_nothing, import_skipping_invalid
    from tuoyu.service.wiring import open_registry

    if not args.file.is_file():
        print(f"tuoyu import: {args.file}: no such file", file=sys.stderr)
        return 2
    app = open_registry(settings_from_env())
    recorded_by = args.recorded_by or f"import:{args.file.name}"
    bar = tqdm(total=None, unit=" lines", file=sys.stderr, disable=None, mininterval=0.5, desc="导入")
    rejects = args.skip_invalid.open("wb") if args.skip_invalid else None

    def on_problem(problem, line) -> None:
        message = problem.describe()
        (bar.write if not bar.disable else lambda m: print(m, file=sys.stderr))(message)
        if rejects is not None:
            rejects.write(orjson.dumps({"line": line.number, "event_id": problem.event_id, "field": problem.field,
                                        "message": problem.message, "text": line.raw.decode("utf-8", "replace").rstrip("\n")}) + b"\n")

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
    print(f"recorded {report.recorded} event(s) from {report.lines} line(s) of {args.file}"
          f"{f', {report.duplicates} already recorded' if report.duplicates else ''}"
          f"{f', {report.rejected} line(s) rejected (see {args.skip_invalid})' if report.rejected else ''}"
          f"; store position {report.position if report.position is not None else app.position()}")
    return 0


def _replay(args: argparse.Namespace) -> int:
    from tuoyu import clock
    from tuoyu.service.tables import snapshot_tables
    from tuoyu.service.wiring import open_registry
    from tuoyu.views.reading import read_facts
    from tuoyu.views.replay import replay_snapshot

    as_of = parse_moment(args.as_of, "--as-of") if args.as_of else None
    known_at = parse_moment(args.known_at, "--known-at") if args.known_at else None
    if args.bundle:
        from tuoyu.audit.bundle import replay_bundle

        snapshot = replay_bundle(args.bundle, as_of, known_at)
    else:
        app = open_registry(settings_from_env())
        snapshot = replay_snapshot(read_facts(app.recorder), clock.now(), as_of, known_at)
    if args.json:
        sys.stdout.buffer.write(orjson.dumps(snapshot, option=orjson.OPT_INDENT_2) + b"\n")
    else:
        print(snapshot_tables(snapshot))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from tuoyu.demo.loading import record_demo
    from tuoyu.service.wiring import open_registry

    app = open_registry(settings_from_env())
    if args.if_empty and app.position() > 0:
        print(f"the store already holds {app.position()} event(s); demo data not loaded")
        return 0
    recorded = record_demo(app, args.seed, args.today)
    print(f"recorded {recorded} demo event(s) of Mentougou (seed {args.seed}); store position {app.position()}")
    return 0


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

    projector = open_projector(settings_from_env(), on_change=show, batch=args.batch)
    if args.once:
        projector.catch_up()
        if not args.quiet:
            show(projector.view)
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


def _relay(args: argparse.Namespace) -> int:
    import logging

    from kafka.errors import KafkaError

    from tuoyu.service.wiring import open_relay
    from tuoyu.streams.relay import DeliveryFailed

    if args.batch < 1 or args.partitions < 1:
        raise ValueError("--batch and --partitions must be at least 1")
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = settings_from_env()
    relay = open_relay(settings, topic=args.topic, partitions=args.partitions, batch=args.batch)
    if args.metrics_port is not None:
        from prometheus_client import start_http_server

        from tuoyu.metrics.collectors import metrics_registry
        from tuoyu.streams.relay_metrics import RelayCollector

        start_http_server(args.metrics_port, args.metrics_host, metrics_registry(RelayCollector(relay)))
    try:
        if args.once:
            try:
                published = relay.publish_pending()
            except (KafkaError, DeliveryFailed) as error:
                print(f"tuoyu relay: {error!r}; relay position {relay.position} (the next run resumes there)",
                      file=sys.stderr)
                return 1
            if not args.quiet:
                print(f"published {published} event(s) to {relay.topic} at {settings.kafka}; "
                      f"relay position {relay.position}", flush=True)
            return 0
        if not args.quiet:
            print(f"中继运行中: {relay.topic} at {settings.kafka} (position {relay.position}); Ctrl-C 退出", flush=True)

        def show(published: int, position: int) -> None:
            if not args.quiet:
                print(f"published {published} event(s); relay position {position}", flush=True)

        stop = threading.Event()
        try:
            relay.run(stop, args.poll, on_publish=show)
        except KeyboardInterrupt:
            stop.set()
        return 0
    finally:
        relay.close()


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from tuoyu.service.http.app import create_app
    from tuoyu.service.wiring import open_platform

    from tuoyu.service.alerting import ensure_webhook_secret, start_alerting

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
    stack = None
    if args.alerting:
        try:
            stack = start_alerting(settings.data_dir, f"{args.host}:{args.port}", args.prometheus_port,
                                   args.alertmanager_port)
            print(f"  Prometheus     {stack.prometheus_url}  (rules, alerts)\n"
                  f"  Alertmanager   {stack.alertmanager_url}  (posts to {base}/api/alerts/webhook)", flush=True)
        except (OSError, RuntimeError) as error:
            print(f"alerting not started: {error}; the service runs without it", flush=True)
    print(f"托育服务监测预警平台 serving on {base}\n"
          f"  wall page      {base}/  (no login; public map {base}/map)\n"
          f"  KPI snapshot   {base}/api/kpi  (bearer token: .venv/bin/tuoyu token create --role auditor)\n"
          f"  public registry {base}/api/registry\n  metrics        {base}/metrics\n"
          f"  health         {base}/healthz\n  API document   {base}/openapi.json", flush=True)
    if stack is not None:
        import signal

        # uvicorn re-raises SIGTERM once it has shut down; as SystemExit it lets the `finally`
        # below stop Prometheus and Alertmanager instead of leaving them running.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        # The wall page shows the alerts of the Prometheus started here, else of TUOYU_PROMETHEUS_URL.
        prometheus_url = stack.prometheus_url if stack is not None else settings.prometheus_url
        uvicorn.run(create_app(platform, prometheus_url, settings.map_tile_url), host=args.host, port=args.port,
                    log_level="warning")
    finally:
        if stack is not None:
            stack.stop()
    return 0


def _worker(args: argparse.Namespace) -> int:
    from tuoyu.streams.worker import run_worker

    settings = settings_from_env()
    return run_worker(settings.kafka, args.metrics_port, metrics_host=args.metrics_host,
                      loglevel=args.loglevel, batch_size=args.batch)


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


def _tokens():
    from tuoyu.service.wiring import open_registry, open_tokens

    registry = open_registry(settings_from_env())
    return registry, open_tokens(registry)


def _token_create(args: argparse.Namespace) -> int:
    from tuoyu.service.tokens import TokenError, create_token

    registry, store = _tokens()
    try:
        name, token = create_token(store, args.role, args.name)
    except TokenError as error:
        print(f"tuoyu token create: {error}", file=sys.stderr)
        return 2
    print(f"token {name} for role {args.role} (shown once; only its hash is stored):")
    print(token)
    return 0


def _token_revoke(args: argparse.Namespace) -> int:
    from tuoyu.service.tokens import TokenError, revoke_token

    registry, store = _tokens()
    try:
        revoke_token(store, args.name)
    except TokenError as error:
        print(f"tuoyu token revoke: {error}", file=sys.stderr)
        return 1
    print(f"token {args.name} revoked")
    return 0


def _token_list(args: argparse.Namespace) -> int:
    from tuoyu.service.tables import render

    registry, store = _tokens()
    rows = [["名称", "角色", "创建时间", "状态"]]
    rows += [[t.name, t.role, t.created_at, f"已吊销 {t.revoked_at}" if t.revoked_at else "有效"] for t in store.all()]
    print(render(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
