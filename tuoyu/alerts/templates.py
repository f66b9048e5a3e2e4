"""Annotation text: Chinese names looked up from info metrics, figures printed as officials read them.

Names come from the info metrics the service exports (`childcare_township_info{township, name_zh}`,
`childcare_kpi_info{kpi, name_zh}`, `childcare_unit_info{unit, name_zh}`), looked up with a query
in the annotation: one lookup, not a branch per township. An id whose info series is missing is
printed as the id itself.
"""

from __future__ import annotations

from tuoyu.domain.catalogue import DISTRICT, DISTRICT_NAME_ZH, RATIO_KPIS

# Shares as percentages, counts as whole numbers, slots per 1,000 residents with two decimals
# (`humanize` would print a 0.6 share as "600m" and 1055 slots as "1.055k").
PERCENT = "humanizePercentage"
COUNT = 'printf "%.0f"'
DECIMAL = 'printf "%.2f"'
DECIMAL_KPIS = frozenset({"slots_per_1000"})
# For alerts over any kpi: declared once at the start of an annotation, read by number().
IS_RATIO = (
    '{{ $ratio := match "^(' + "|".join(sorted(RATIO_KPIS)) + ')$" $labels.kpi }}'
    '{{ $decimal := match "^(' + "|".join(sorted(DECIMAL_KPIS)) + ')$" $labels.kpi }}'
)


def _lookup(info: str, key: str, label: str) -> str:
    return (
        '{{ with printf "' + info + "{" + key + '=%q}" $labels.' + label + " | query }}"
        '{{ . | first | label "name_zh" }}{{ else }}{{ $labels.' + label + " }}{{ end }}"
    )


def township_name(label: str = "township") -> str:
    """The Chinese name of the township in the alert's `label` (大峪街道 for dayu)."""
    return _lookup("childcare_township_info", "township", label)


def scope_name() -> str:
    """The district's name, or the township's, for the alert's `scope`."""
    return (
        '{{ if eq $labels.scope "'
        + DISTRICT
        + '" }}'
        + DISTRICT_NAME_ZH
        + "{{ else }}"
        + township_name("scope")
        + "{{ end }}"
    )


def kpi_name() -> str:
    return _lookup("childcare_kpi_info", "kpi", "kpi")


def unit_name() -> str:
    """The Chinese name of the responsible unit in the alert's `unit` (区教委 for education_commission)."""
    return _lookup("childcare_unit_info", "unit", "unit")


def number(pipeline: str, kpi: str | None = None) -> str:
    """Template text printing `pipeline` for `kpi`, or for the alert's kpi label (after IS_RATIO)."""
    if kpi is not None:
        how = PERCENT if kpi in RATIO_KPIS else DECIMAL if kpi in DECIMAL_KPIS else COUNT
        return "{{ " + pipeline + " | " + how + " }}"
    return (
        "{{ if $ratio }}{{ "
        + pipeline
        + " | "
        + PERCENT
        + " }}{{ else }}{{ if $decimal }}{{ "
        + pipeline
        + " | "
        + DECIMAL
        + " }}{{ else }}{{ "
        + pipeline
        + " | "
        + COUNT
        + " }}{{ end }}{{ end }}"
    )


# Appended to the description of an alert about a target: the unit this copy of it is for.
RESPONSIBLE_UNIT = "{{ if $labels.unit }}责任单位：{{ $labels.unit }}。{{ end }}"


def figure(metric: str, kpi: str | None = None) -> str:
    """A query template quoting another target series of the alert's scope and kpi."""
    return (
        '{{ with printf "max('
        + metric
        + '{scope=%q,kpi=%q})" $labels.scope $labels.kpi | query }}'
        + number(". | first | value", kpi)
        + "{{ end }}"
    )


def readable(text: str) -> str:
    """Officials read names, not ids: {{ $labels.township }} becomes 永定镇."""
    return (
        text.replace("{{ $labels.township }}", township_name())
        .replace("{{ $labels.scope }}", scope_name())
        .replace("{{ $labels.kpi }}", kpi_name())
        .replace("{{ $labels.unit }}", unit_name())
    )
