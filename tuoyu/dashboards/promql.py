"""The PromQL the dashboards share, and the targets and tunables their thresholds come from.

Only contract metrics (kpis.md), the series the code exports beside them, and the recording
rules of alerts/generated/rules/. Per-township series go through `max by (township)` as in the rules:
in the distributed deployment a township can briefly be exported by two workers during a
partition hand-over.
"""

from __future__ import annotations

from functools import cache

from tuoyu.contracts import plan_targets
from tuoyu.domain.catalogue import DISTRICT, KIND_NAMES_ZH, TOWNSHIPS

TOWNSHIP_NAMES = {t.id: t.name_zh for t in TOWNSHIPS}
KIND_NAMES = dict(KIND_NAMES_ZH)


@cache
def plan_target(kpi: str) -> float | None:
    """The district value of the plan's target for `kpi` (plan-targets.jsonl), the last one
    for a kpi set twice; None when the plan sets none. The live target may differ once a
    TargetSet event changes it: panels that compare with it also show childcare_target_value."""
    values = [t["value"] for t in plan_targets() if t["scope"] == DISTRICT and t["kpi"] == kpi]
    return values[-1] if values else None


def per_township(metric: str, selector: str = "") -> str:
    return f"max by (township) ({metric}{selector})"


# The township page's variable.
ONE_TOWNSHIP = '{township="$township"}'


def of_township(metric: str) -> str:
    return f"max by (township) ({metric}{ONE_TOWNSHIP})"


def district_target(metric: str, kpi: str) -> str:
    """A target series of the district, e.g. district_target("childcare_target_actual", "new_slots")."""
    return f'max({metric}{{scope="{DISTRICT}",kpi="{kpi}"}})'


# The district's township_min_slots target is reported once per township (scope = township).
TOWNSHIP_FLOOR = (
    'max by (township) (label_replace(childcare_target_value{kpi="township_min_slots",'
    f'scope!="{DISTRICT}"}}, "township", "$1", "scope", "(.*)"))'
)
SLOTS = per_township("childcare_slots")
FLOOR_GAP = f"{TOWNSHIP_FLOOR} - on (township) {SLOTS}"
TOWNSHIPS_BELOW_FLOOR = f"count({SLOTS} < on (township) {TOWNSHIP_FLOOR}) or vector(0)"

# A township's status on the wall: 2 an emergency closure with children awaiting a place,
# 1 below its slot floor or an overdue rectification, 0 otherwise. Each condition gets its
# own `cause` label so that `or` keeps all of them; `max` then takes the worst.
STATUS_NAMES = {"0": "正常", "1": "需关注", "2": "应急"}
STATUS_COLOURS = {"0": "green", "1": "orange", "2": "red"}
TOWNSHIP_STATUS = (
    "max by (township) ("
    f'label_replace(2 * ({per_township("childcare_emergency_closures_open")} > bool 0), "cause", "closure", "", "")'
    f' or label_replace({per_township("childcare_rectifications_overdue")} > bool 0, "cause", "overdue", "", "")'
    f' or label_replace({SLOTS} < bool on (township) {TOWNSHIP_FLOOR}, "cause", "floor", "", "")'
    f' or label_replace(0 * {SLOTS}, "cause", "none", "", ""))'
)

FIRING = 'ALERTS{alertstate="firing"}'
