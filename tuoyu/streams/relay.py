"""The relay: publishes every recorded event to Kafka, in the store's global order.

It follows the store's notification log and sends each fact to the topic `childcare.events`,
keyed by township (partition_of: "district" for events without one), so one township's
events stay in order within one partition. Headers carry the event type, the position (the
store's notification id) and the event_id; the value is the fact as JSON, the same dict the
projections fold.

Its position is an eventsourcing tracking record beside the views. It is advanced only after
the producer has flushed, i.e. after the brokers acknowledged (acks=all) everything up to it:
after a crash the relay starts again from its last tracked position, so a few events may be
published twice, none never. Consumers deduplicate by position (views track the last applied
notification id), which is what makes a duplicate harmless.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import orjson
from eventsourcing.persistence import Tracking

from tuoyu.projections.facts import Fact, partition_of
from tuoyu.views.reading import read_facts

log = logging.getLogger(__name__)

TOPIC = "childcare.events"
TRACKING_NAME = "relay"
PARTITIONS = 4
DEFAULT_BATCH = 1000


def message_of(fact: Fact) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """(key, value, headers) of the Kafka message that carries a fact."""
    event = fact["event"]
    headers = [
        ("type", str(event.get("type", "")).encode()),
        ("position", str(fact["position"]).encode()),
        ("event_id", str(event.get("event_id", "")).encode()),
    ]
    return partition_of(fact).encode(), orjson.dumps(fact), headers


def new_producer(bootstrap: list[str]) -> Any:
    """An idempotent kafka-python producer: every record acknowledged by all in-sync replicas,
    retried without reordering or duplicating within one producer session."""
    from kafka import KafkaProducer

    return KafkaProducer(
        bootstrap_servers=bootstrap,
        client_id="tuoyu-relay",
        acks="all",
        enable_idempotence=True,
        retries=2**31 - 1,  # bounded by delivery_timeout_ms instead
        max_in_flight_requests_per_connection=5,  # the most idempotence allows while keeping order
        linger_ms=5,
        compression_type=None,
    )


KEEP_EVERYTHING = {"retention.ms": "-1", "retention.bytes": "-1"}


def ensure_topic(bootstrap: list[str], topic: str = TOPIC, partitions: int = PARTITIONS,
                 replication: int = 1) -> bool:
    """Create the topic unless it exists; returns True when it was created here.

    It keeps every record (retention.ms=-1, not the broker's default of a week): a worker with
    no state, new or rebuilding, reads the topic from its beginning and must find the whole
    history there."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="tuoyu-relay-admin")
    try:
        if topic in admin.list_topics():
            return False
        try:
            admin.create_topics([NewTopic(topic, partitions, replication, topic_configs=KEEP_EVERYTHING)])
        except TopicAlreadyExistsError:  # another relay created it meanwhile
            return False
        return True
    finally:
        admin.close()


class DeliveryFailed(RuntimeError):
    pass


class Relay:
    """Publishes recorded events to Kafka and tracks how far it got.

    `events` is the application recorder (select_states), `tracking` the view recorder (an
    eventsourcing tracking recorder), `producer_factory` makes a kafka-python producer; a
    producer that failed is closed and a new one made for the next round. `prepare` (e.g.
    creating the topic) runs before the first publishing round, and again until it succeeds.
    """

    def __init__(self, events: Any, tracking: Any, producer_factory: Callable[[], Any], topic: str = TOPIC,
                 name: str = TRACKING_NAME, batch: int = DEFAULT_BATCH,
                 prepare: Callable[[], Any] | None = None) -> None:
        self.events = events
        self.tracking = tracking
        self.producer_factory = producer_factory
        self.prepare = prepare
        self.topic = topic
        self.name = name
        self.batch = batch
        self.producer: Any = None
        self._wake = threading.Event()
        # For the metrics (relay_metrics): kept in memory, read by the scrape thread.
        self.acknowledged = self.position
        self.published_total = 0
        self.failed_rounds = 0
        self.last_success_at = 0.0

    @property
    def position(self) -> int:
        """The last position known to be acknowledged by the brokers."""
        return self.tracking.max_tracking_id(self.name) or 0

    def publish_pending(self, limit: int | None = None) -> int:
        """Publish every recorded event after the tracked position (at most `limit`); returns how many.

        Raises on a delivery failure, leaving the position at the last flushed batch.
        """
        if self.prepare is not None:
            self.prepare()
            self.prepare = None
        if self.producer is None:
            self.producer = self.producer_factory()
        published = pending = 0
        futures: list[Any] = []
        position = self.position
        try:
            for fact in read_facts(self.events, after=position, page=max(self.batch, 1)):
                key, value, headers = message_of(fact)
                futures.append(self.producer.send(self.topic, key=key, value=value, headers=headers))
                position = fact["position"]
                published += 1
                pending += 1
                if pending >= self.batch:
                    self._commit(futures, position)
                    futures, pending = [], 0
                if limit is not None and published >= limit:
                    break
            if pending:
                self._commit(futures, position)
        except Exception:
            self._discard_producer()
            raise
        return published

    def _commit(self, futures: list[Any], position: int) -> None:
        self.producer.flush()
        for future in futures:
            if not future.succeeded():  # flush() returns when every record completed, well or not
                raise DeliveryFailed(f"publishing to {self.topic} failed before position {position}: "
                                     f"{future.exception!r}")
        self.tracking.insert_tracking(Tracking(self.name, position))
        self.published_total += len(futures)
        self.acknowledged = position
        self.last_success_at = time.time()

    def _discard_producer(self) -> None:
        producer, self.producer = self.producer, None
        if producer is not None:
            try:
                producer.close(timeout=0)
            except Exception:  # already broken; a new one is made next round
                log.debug("closing a failed producer", exc_info=True)

    def wake(self) -> None:
        self._wake.set()

    def run(self, stop: threading.Event, poll_seconds: float = 0.5,
            on_publish: Callable[[int, int], None] | None = None) -> None:
        """Follow the store until `stop` is set; `on_publish(count, position)` after each round that published."""
        while not stop.is_set():
            try:
                published = self.publish_pending()
                if published and on_publish is not None:
                    on_publish(published, self.position)
                if published:
                    continue  # there may be more already
            except Exception:  # keep following; the next round resumes from the last tracked position
                self.failed_rounds += 1
                log.exception("relay round failed; retrying from the last tracked position")
            self._wake.wait(poll_seconds)
            self._wake.clear()

    def close(self) -> None:
        producer, self.producer = self.producer, None
        if producer is not None:
            producer.close(timeout=10)
        self.tracking.datastore.close()
        owner = getattr(self, "owner", None)
        if owner is not None:
            owner.close()
