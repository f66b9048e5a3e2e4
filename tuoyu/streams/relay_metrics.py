"""What the relay serves on --metrics-port: how far it got and whether it is getting anywhere.

Read from counters the relay keeps in memory (no store query per scrape). The pipeline
dashboard sets `tuoyu_relay_position` against the API's `childcare_events_recorded`: the
difference is what Kafka has not been given yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector


class RelayCollector(Collector):
    def __init__(self, relay: Any) -> None:
        self.relay = relay

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        relay = self.relay
        yield GaugeMetricFamily(
            "tuoyu_relay_position",
            "store position up to which every event is acknowledged by the brokers",
            value=relay.acknowledged,
        )
        yield CounterMetricFamily(
            "tuoyu_relay_published", "events published and acknowledged", value=relay.published_total
        )
        yield CounterMetricFamily(
            "tuoyu_relay_failed_rounds",
            "publishing rounds that failed (brokers unreachable, delivery failed)",
            value=relay.failed_rounds,
        )
        yield GaugeMetricFamily(
            "tuoyu_relay_last_success_timestamp_seconds",
            "when the relay last had everything it sent acknowledged (0: not yet)",
            value=relay.last_success_at,
        )
