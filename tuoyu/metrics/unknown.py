"""childcare_projection_unknown_events_total{view, type}: events a fold skipped because it does
not know their type (recorded by a newer release, or a type added without its fold). The view
goes on; the figures leave those events out until the fold learns them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector


class UnknownEventsCollector(Collector):
    def __init__(self, counts: Callable[[], dict[str, dict[str, int]]]) -> None:
        self.counts = counts  # view -> event type -> events skipped

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "childcare_projection_unknown_events",
            "Events skipped by a view's fold because their type is unknown to it",
            labels=["view", "type"],
        )
        for view, counts in self.counts().items():
            for kind, count in sorted(counts.items()):
                family.add_metric([view, kind], count)
        yield family
