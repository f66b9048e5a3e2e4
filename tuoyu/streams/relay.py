"""The relay: publishes every recorded event to Kafka, in the store's global order.

It follows the store's notification log and sends the stored events to the topic
`childcare.events`, keyed by township (messages.key_of, as partition_of: "district" for events
without one), so one township's events stay in order within one partition. A round reads up to
`batch` stored states and sends them as one message per township (messages.py): the states are
passed through as the store holds them (personal values as digests: Kafka never holds one),
and headers give the positions of the first and last.

Its position is an eventsourcing tracking record beside the views. It is advanced only to a
round whose messages, and those of every round before it, the brokers acknowledged (acks=all,
idempotent producer): after a crash the relay starts again from its last tracked position, so
a few facts may be published twice, none never. Consumers deduplicate by position (views track
the last applied notification id), which is what makes a duplicate harmless. The relay does
not wait for one round's acknowledgements before reading and sending the next: the producer
sends while the store is read, and the position follows the acknowledgements.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from eventsourcing.persistence import Tracking

from tuoyu.streams.messages import MAX_BYTES, Stored, messages_of

log = logging.getLogger(__name__)

TOPIC = "childcare.events"
TRACKING_NAME = "relay"
PARTITIONS = 4
DEFAULT_BATCH = 1000
# While a backlog is sent, the acknowledged position is written at most this often (and at the
# end): each write is a committed transaction, and a position written less often only means a
# few more facts sent twice after a crash.
TRACK_EVERY_SECONDS = 0.5


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
        # A message may be up to messages.MAX_BYTES; records of a partition go out together up
        # to this size (kafka-python's default, 16 KiB, would send most messages alone).
        batch_size=MAX_BYTES + 64 * 1024,
        max_request_size=4 * (MAX_BYTES + 64 * 1024),
        compression_type=None,
    )


KEEP_EVERYTHING = {"retention.ms": "-1", "retention.bytes": "-1"}


def ensure_topic(bootstrap: list[str], topic: str = TOPIC, partitions: int = PARTITIONS, replication: int = 1) -> bool:
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

    def __init__(
        self,
        events: Any,
        tracking: Any,
        producer_factory: Callable[[], Any],
        topic: str = TOPIC,
        name: str = TRACKING_NAME,
        batch: int = DEFAULT_BATCH,
        prepare: Callable[[], Any] | None = None,
    ) -> None:
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
        self._tracked_at = float("-inf")

    @property
    def position(self) -> int:
        """The last position known to be acknowledged by the brokers."""
        return self.tracking.max_tracking_id(self.name) or 0

    def publish_pending(self, limit: int | None = None) -> int:
        """Publish every recorded event after the tracked position (at most about `limit`: whole
        rounds); returns how many.

        Raises on a delivery failure, leaving the position at the last round acknowledged.
        """
        if self.prepare is not None:
            self.prepare()
            self.prepare = None
        if self.producer is None:
            self.producer = self.producer_factory()
        published = 0
        sent: deque[tuple[int, int, list[Any]]] = deque()  # (last position, facts, futures) per round
        try:
            for stored in self._rounds(self.position):
                futures = [
                    self.producer.send(self.topic, key=key, value=value, headers=headers)
                    for key, value, headers in messages_of(stored)
                ]
                sent.append((stored[-1][0], len(stored), futures))
                published += len(stored)
                if time.monotonic() - self._tracked_at >= TRACK_EVERY_SECONDS:
                    self._track_acknowledged(sent)
                if limit is not None and published >= limit:
                    break
            self.producer.flush()
            self._track_acknowledged(sent)
        except Exception:
            self._discard_producer()
            raise
        return published

    def _rounds(self, after: int) -> Iterator[list[Stored]]:
        """The stored states after `after`, a round (`batch` of them) at a time."""
        size = max(self.batch, 1)
        while True:
            page = self.events.select_states(after, size)
            if page:
                yield page
            if len(page) < size:
                return
            after = page[-1][0]

    def _track_acknowledged(self, sent: deque[tuple[int, int, list[Any]]]) -> None:
        """Advance the tracked position over the rounds acknowledged so far, oldest first."""
        position = None
        while sent and all(future.is_done for future in sent[0][2]):
            last, count, futures = sent.popleft()
            for future in futures:
                if not future.succeeded():
                    if position is not None:
                        self._track(position)
                    raise DeliveryFailed(
                        f"publishing to {self.topic} failed before position {last}: {future.exception!r}"
                    )
            position = last
            self.published_total += count
        if position is not None:
            self._track(position)

    def _track(self, position: int) -> None:
        self.tracking.insert_tracking(Tracking(self.name, position))
        self._tracked_at = time.monotonic()
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

    def run(
        self, stop: threading.Event, poll_seconds: float = 0.5, on_publish: Callable[[int, int], None] | None = None
    ) -> None:
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
