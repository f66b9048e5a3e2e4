"""Every PromQL expression of the dashboards, as Prometheus would receive it from Grafana.

Used by the tests: each expression must parse, use only the metrics the platform exports and
the project's recording rules, and return data from the real Prometheus scraping the service.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# What Grafana puts in place of its built-in variables: a range of one hour on a dashboard
# refreshed every 30 s (the interval is rounded to the scrape interval, the rate interval is
# at least four scrapes).
BUILT_INS = {"$__rate_interval": "1m", "$__interval": "30s", "$__range": "1h"}


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str  # uid
    panel: str  # title
    ref: str  # refId
    expr: str  # as written, with $variables
    instant: bool

    @property
    def name(self) -> str:
        return f"{self.dashboard}/{self.panel}/{self.ref}"

    def resolved(self, variables: dict[str, str]) -> str:
        """The expression with Grafana's built-ins and the dashboard's variables substituted."""
        expr = self.expr
        for name, value in BUILT_INS.items():
            expr = expr.replace(name, value)
        return re.sub(r"\$(\w+)", lambda m: variables.get(m.group(1), m.group(0)), expr)


def panel_queries(dashboard: dict[str, Any]) -> Iterator[PanelQuery]:
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            yield PanelQuery(
                dashboard["uid"], panel["title"], target["refId"], target["expr"], bool(target.get("instant"))
            )


def variable_queries(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(variable name, its Prometheus query) of each query variable."""
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable["type"] == "query":
            query = variable["query"]
            yield variable["name"], query["query"] if isinstance(query, dict) else query


LABEL_VALUES = re.compile(r"^label_values\((?P<selector>.+),\s*(?P<label>\w+)\)$")


def label_values_selector(query: str) -> tuple[str, str]:
    """label_values(selector, label) -> (selector, label); Grafana answers it from the series API."""
    match = LABEL_VALUES.match(query.strip())
    if not match:
        raise ValueError(f"not a label_values() query: {query}")
    return match["selector"], match["label"]
