"""Scheduled publication of signed checkpoints by `tuoyu serve` (daily by default).

One thread, owned by a context manager: it publishes once at start (when the newest published
checkpoint is missing or behind the store), then every TUOYU_CHECKPOINT_EVERY seconds. A
publication that fails (the store fails verification, the URL does not answer) is logged and
tried again at the next tick; it never stops the service.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tuoyu.audit.log import NotPublished, publish
from tuoyu.audit.merkle import ProofError
from tuoyu.audit.publish import PublicationError

log = logging.getLogger("tuoyu.audit.publishing")


def publish_once(recorder: Any, audit: Any) -> bool:
    """Publish the store's checkpoint; False (logged) if it could not be."""
    try:
        published = publish(recorder, audit.signer(), audit.publication(), audit.witness())
    except (NotPublished, ProofError, PublicationError, ValueError) as error:
        log.error("checkpoint not published to %s: %s", audit.publication().where, error)
        return False
    log.info("checkpoint of %d events published to %s", published.checkpoint.events, audit.publication().where)
    return True


@contextmanager
def scheduled_publication(
    recorder: Any, audit: Any, every_seconds: float | None = None, tick: Callable[[Any, Any], bool] = publish_once
) -> Iterator[threading.Event]:
    """Publish every `every_seconds` (default the configured interval; 0: never) while the block
    runs. Yields an event set after each attempt (what tests wait on)."""
    every = audit.every_seconds if every_seconds is None else every_seconds
    attempted, stop = threading.Event(), threading.Event()

    def run() -> None:
        while not stop.is_set():
            tick(recorder, audit)
            attempted.set()
            stop.wait(every)

    thread = threading.Thread(target=run, name="checkpoint-publication", daemon=True) if every > 0 else None
    if thread is not None:
        thread.start()
    try:
        yield attempted
    finally:
        stop.set()
        if thread is not None:
            thread.join(30)
