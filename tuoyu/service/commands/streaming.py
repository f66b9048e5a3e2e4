"""`tuoyu relay` and `tuoyu worker`: the distributed path (Kafka relay, Faust workers)."""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any

from tuoyu.service.config import settings_from_env


def register(commands: Any) -> None:
    p = commands.add_parser("relay", help="publish every recorded event to Kafka (TUOYU_KAFKA), following the store")
    p.add_argument("--once", action="store_true", help="publish what is recorded, and exit")
    p.add_argument("--poll", type=float, default=0.5, help="seconds between looks at the store when idle")
    p.add_argument("--batch", type=int, default=1000, help="events read and sent per round (one message per township)")
    p.add_argument("--topic", default=None, help="the topic (default childcare.events)")
    p.add_argument("--partitions", type=int, default=4, help="partitions of the topic when the relay creates it")
    p.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve the relay's position and counters for Prometheus on this port",
    )
    p.add_argument("--metrics-host", default="0.0.0.0")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(run=_relay)

    p = commands.add_parser("worker", help="a Faust worker keeping the KPI view from Kafka (TUOYU_KAFKA)")
    p.add_argument("--metrics-port", type=int, default=9108, help="where the worker serves its metrics")
    p.add_argument("--metrics-host", default="0.0.0.0")
    p.add_argument(
        "--batch",
        type=int,
        default=100,
        help="messages (each up to 500 facts of one township) folded between two changelog writes",
    )
    p.add_argument("--loglevel", default="warning")
    p.set_defaults(run=_worker)


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
                print(
                    f"tuoyu relay: {error!r}; relay position {relay.position} (the next run resumes there)",
                    file=sys.stderr,
                )
                return 1
            if not args.quiet:
                print(
                    f"published {published} event(s) to {relay.topic} at {settings.kafka}; "
                    f"relay position {relay.position}",
                    flush=True,
                )
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


def _worker(args: argparse.Namespace) -> int:
    from tuoyu.streams.worker import run_worker

    settings = settings_from_env()
    return run_worker(
        settings.kafka, args.metrics_port, metrics_host=args.metrics_host, loglevel=args.loglevel, batch_size=args.batch
    )
