"""The composition root: the one place that turns settings into connected objects."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from eventsourcing.persistence import InfrastructureFactory

from tuoyu import clock as wall_clock
from tuoyu.domain.application import Registry
from tuoyu.service.config import Settings, eventsourcing_env
from tuoyu.streams.relay import Relay
from tuoyu.views.projector import EmbeddedProjector


def open_registry(settings: Settings, clock: Callable[[], datetime] = wall_clock.now) -> Registry:
    """The write side on the configured store (tables are created on first use)."""
    return Registry(env=eventsourcing_env(settings), clock=clock)


def open_reader(settings: Settings) -> Registry:
    """The registry for reading only: no table is created, and the database itself refuses any
    write (SQLite opened with mode=ro; PostgreSQL sessions with default_transaction_read_only).
    What `tuoyu verify` and the processes verifying ranges of the chain in parallel open."""
    from urllib.parse import quote

    env = {**eventsourcing_env(settings), "CREATE_TABLE": "n"}
    if "SQLITE_DBNAME" in env:
        env["SQLITE_DBNAME"] = f"file:/{quote(env['SQLITE_DBNAME'].lstrip('/'))}?mode=ro"
    else:
        env["APPLICATION_RECORDER_TOPIC"] = "tuoyu.persistence.postgres:ReadingPostgresRecorder"
    return Registry(env=env)


def open_view_recorder(settings: Settings):
    """The recorder that keeps projection state and tracking position, beside the events."""
    env = {**eventsourcing_env(settings), "CREATE_TABLE": "y"}
    factory = InfrastructureFactory.construct(env)
    return factory.tracking_recorder()


@contextmanager
def open_projector(settings: Settings, on_change=None, batch: int = 1000) -> Iterator[EmbeddedProjector]:
    """The embedded projector on the configured store, reading through a registry of its own;
    both are closed when the block ends."""
    with open_registry(settings) as registry:
        projector = EmbeddedProjector(registry.recorder, open_view_recorder(settings), batch=batch, on_change=on_change)
        try:
            yield projector
        finally:
            projector.close()


class OwningRelay(Relay):
    """A relay that owns the registry it reads through: Relay.close() closes an `owner`, which
    Relay reads (tuoyu/streams/relay.py) but does not declare."""

    owner: Registry


def open_relay(settings: Settings, topic: str | None = None, partitions: int | None = None, batch: int | None = None):
    """The relay from the configured store to the Kafka brokers of TUOYU_KAFKA (creating the topic if missing)."""
    from functools import partial

    from tuoyu.service.config import kafka_bootstrap
    from tuoyu.streams import relay as relaying

    bootstrap = kafka_bootstrap(settings)
    topic = topic or relaying.TOPIC
    registry = open_registry(settings)
    relay = OwningRelay(
        registry.recorder,
        open_view_recorder(settings),
        partial(relaying.new_producer, bootstrap),
        topic=topic,
        batch=batch or relaying.DEFAULT_BATCH,
        prepare=partial(relaying.ensure_topic, bootstrap, topic, partitions or relaying.PARTITIONS),
    )
    relay.owner = registry  # the registry owns the connection pool the relay reads through
    return relay


def open_tokens(registry):
    """The tokens of the registry's store: granted and revoked by events, read from their view."""
    from tuoyu.persistence.tokens import Tokens

    return Tokens(registry)


def open_platform(settings: Settings, clock: Callable[[], datetime] = wall_clock.now, project: bool = True):
    """The running platform: write side, live view (unless `project` is False) and tokens."""
    from tuoyu.service.platform import Platform

    registry = open_registry(settings, clock)
    projector = EmbeddedProjector(registry.recorder, open_view_recorder(settings)) if project else None
    return Platform(registry, projector, open_tokens(registry), settings.alert_webhook_secret)
