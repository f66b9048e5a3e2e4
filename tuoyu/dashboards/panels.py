"""Panel building blocks shared by the four dashboards, on grafana-foundation-sdk's builders.

Every panel and every query names the one provisioned Prometheus datasource by its fixed uid
(deploy/grafana/provisioning/datasources/prometheus.yml), so provisioned and pushed copies of
a dashboard find their data without a datasource variable.

Wall readability: stat values are sized automatically to their panel (Grafana's default), so
they grow with the screen (1080p or 4K in kiosk mode) and fill panels at least 6 rows high;
bar names and table rows are set large. Ids (townships, institution kinds) are shown by
their Chinese names through value mappings or display-name overrides.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from grafana_foundation_sdk.builders import (
    bargauge,
    prometheus,
    stat,
    table,
    timeseries,
)
from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models import prometheus as pm

from tuoyu.dashboards.promql import TOWNSHIP_NAMES

DATASOURCE_UID = "tuoyu-prometheus"
DATASOURCE = dm.DataSourceRef(type_val="prometheus", uid=DATASOURCE_UID)
NAME_SIZE = 22  # px, bar gauge names

Threshold = tuple[float | None, str]  # (from value, colour); the first starts at -Infinity (None)


def grid(x: int, y: int, w: int, h: int) -> dm.GridPos:
    return dm.GridPos(x=x, y=y, w=w, h=h)


def query(
    expr: str, ref: str = "A", legend: str | None = None, *, instant: bool = True, as_table: bool = False
) -> prometheus.Dataquery:
    """A Prometheus query: instant (the value now) or range (a line over the dashboard's time)."""
    built = prometheus.Dataquery().expr(expr).ref_id(ref).datasource(DATASOURCE)
    built = built.instant() if instant else built.range()
    if as_table:
        built = built.format(pm.PromQueryFormat.TABLE)
    if legend is not None:
        built = built.legend_format(legend)
    return built


def thresholds(steps: Sequence[Threshold]) -> db.ThresholdsConfig:
    return (
        db.ThresholdsConfig()
        .mode(dm.ThresholdsMode.ABSOLUTE)
        .steps([dm.Threshold(value=value, color=colour) for value, colour in steps])
    )


def at_least(target: float | None) -> list[Threshold]:
    """Red below the target, green from it on; grey when there is no target to compare with."""
    if target is None:
        return [(None, "text")]
    return [(None, "red"), (target, "green")]


ANY_IS_BAD: list[Threshold] = [(None, "green"), (1, "red")]


def value_names(names: dict[str, str], colours: dict[str, str] | None = None) -> dm.ValueMap:
    """Show ids (township, kind, status codes) as their Chinese names."""
    colours = colours or {}
    return dm.ValueMap(
        options={
            key: dm.ValueMappingResult(text=text, color=colours.get(key), index=index)
            for index, (key, text) in enumerate(names.items())
        }
    )


def big_stat(
    title: str,
    expr: str,
    where: dm.GridPos,
    steps: Sequence[Threshold],
    *,
    unit: str = "none",
    decimals: int = 0,
    description: str = "",
    mappings: Iterable[dm.ValueMap] = (),
    no_value: str = "无数据",
) -> stat.Panel:
    """A wall number: the value now, as large as the panel allows, coloured by the thresholds."""
    return (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .grid_pos(where)
        .with_target(query(expr))
        .unit(unit)
        .decimals(decimals)
        .thresholds(thresholds(steps))
        .mappings(list(mappings))
        .no_value(no_value)
        .color_mode(cm.BigValueColorMode.BACKGROUND)
        .graph_mode(cm.BigValueGraphMode.NONE)
        .text_mode(cm.BigValueTextMode.VALUE)
        .justify_mode(cm.BigValueJustifyMode.CENTER)
        .reduce_options(cb.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    )


def trend(
    title: str,
    lines: Sequence[tuple[str, str]],
    where: dm.GridPos,
    *,
    unit: str = "none",
    description: str = "",
    stacked: bool = False,
) -> timeseries.Panel:
    """Lines over the dashboard's time range; `lines` are (legend, expr)."""
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .grid_pos(where)
        .unit(unit)
        .line_width(3)
        .fill_opacity(10)
        .show_points(cm.VisibilityMode.NEVER)
        .legend(
            cb.VizLegendOptions()
            .show_legend(True)
            .display_mode(cm.LegendDisplayMode.LIST)
            .placement(cm.LegendPlacement.BOTTOM)
        )
        .tooltip(cb.VizTooltipOptions().mode(cm.TooltipDisplayMode.MULTI).sort(cm.SortOrder.DESCENDING))
    )
    if stacked:
        panel = panel.stacking(cb.StackingConfig().mode(cm.StackingMode.NORMAL))
    for index, (legend, expr) in enumerate(lines):
        panel = panel.with_target(query(expr, chr(ord("A") + index), legend, instant=False))
    return panel


def bars(
    title: str,
    expr: str,
    legend: str,
    where: dm.GridPos,
    *,
    mappings: Iterable[dm.ValueMap] = (),
    description: str = "",
) -> bargauge.Panel:
    """One bar per series (e.g. per institution kind), the value now."""
    return (
        bargauge.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .grid_pos(where)
        .with_target(query(expr, legend=legend))
        .mappings(list(mappings))
        .orientation(cm.VizOrientation.HORIZONTAL)
        .display_mode(cm.BarGaugeDisplayMode.BASIC)
        .value_mode(cm.BarGaugeValueMode.TEXT)
        .show_unfilled(True)
        .color_scheme(db.FieldColor().mode(dm.FieldColorModeId.FIXED).fixed_color("blue"))
        .reduce_options(cb.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .text(cb.VizTextDisplayOptions().title_size(NAME_SIZE))
    )


def instant_table(
    title: str,
    columns: Sequence[tuple[str, str]],
    key: str,
    where: dm.GridPos,
    *,
    key_title: str,
    sort_by: str | None = None,
    descending: bool = True,
    key_names: dict[str, str] | None = None,
    description: str = "",
    labels: Sequence[tuple[str, str, str]] = (),
) -> table.Panel:
    """One row per value of the label `key`, one column per (title, expr): instant table
    queries merged on the label, the label shown by its Chinese name; `labels` (label, title,
    expr): a column showing a label of a query, not its value. Small rows: the 13 townships fit a
    15-row panel on a 1080p wall without scrolling."""
    panel = (
        table.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .grid_pos(where)
        .cell_height(cm.TableCellHeight.SM)
        .align(cm.FieldTextAlignment.CENTER)
    )
    renames = {key: key_title, **{label: column for label, column, _ in labels}}
    for index, (column, expr) in enumerate(columns):
        ref = chr(ord("A") + index)
        panel = panel.with_target(query(expr, ref, as_table=True))
        renames[f"Value #{ref}"] = column
    for index, (_, _, expr) in enumerate(labels, start=len(columns)):
        panel = panel.with_target(query(expr, chr(ord("A") + index), as_table=True))
    keep = [key, *(f"Value #{chr(ord('A') + i)}" for i in range(len(columns))), *(label for label, _, _ in labels)]
    panel = panel.with_transformation(dm.DataTransformerConfig(id_val="merge", options={})).with_transformation(
        dm.DataTransformerConfig(
            id_val="organize",
            options={
                "includeByName": {name: True for name in keep},
                "indexByName": {name: index for index, name in enumerate(keep)},
                "renameByName": renames,
            },
        )
    )
    if key_names:
        panel = panel.override_by_name(key_title, [mapped(key_names)])
    if sort_by:
        panel = panel.sort_by([cb.TableSortByFieldState().display_name(sort_by).desc(descending)])
    return panel


SEVERITY_NAMES = {"critical": "紧急", "warning": "警告", "info": "提示"}
SEVERITY_COLOURS = {"critical": "red", "warning": "orange", "info": "blue"}


def alerts_table(title: str, expr: str, where: dm.GridPos) -> table.Panel:
    """Prometheus's ALERTS series matching `expr`, one row per alert, labels by their Chinese names."""
    labels = {"alertname": "告警", "severity": "级别", "township": "镇街", "scope": "范围", "kpi": "指标"}
    return (
        table.Panel()
        .title(title)
        .datasource(DATASOURCE)
        .grid_pos(where)
        .description("Prometheus 的 ALERTS 序列：当前处于 firing 状态的告警。")
        .with_target(query(expr, as_table=True))
        .with_transformation(
            dm.DataTransformerConfig(
                id_val="organize",
                options={
                    "includeByName": {name: True for name in labels},
                    "indexByName": {name: index for index, name in enumerate(labels)},
                    "renameByName": labels,
                },
            )
        )
        .override_by_name("镇街", [mapped(TOWNSHIP_NAMES)])
        .override_by_name("级别", [mapped(SEVERITY_NAMES, SEVERITY_COLOURS), cells("color-background")])
        .no_value("无告警")
    )


def mapped(names: dict[str, str], colours: dict[str, str] | None = None) -> dm.DynamicConfigValue:
    """An override property showing a column's values by their Chinese names."""
    return dm.DynamicConfigValue(id_val="mappings", value=[value_names(names, colours)])


def cells(kind: str) -> dm.DynamicConfigValue:
    """An override property colouring table cells (e.g. "color-background")."""
    return dm.DynamicConfigValue(id_val="custom.cellOptions", value={"type": kind})


TAG = "托育"  # every dashboard has it; the dashboards' link menu lists them by it
REFRESH = "30s"


def new_dashboard(uid: str, title: str, description: str, since: str, tags: Sequence[str] = ()) -> db.Dashboard:
    """A read-only dashboard in Beijing time, refreshed every 30 s, linking to the others."""
    return (
        db.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags([TAG, *tags])
        .refresh(REFRESH)
        .time(since, "now")
        .timezone("Asia/Shanghai")
        .readonly()
        .link(
            db.DashboardLink("托育看板")
            .type(dm.DashboardLinkType.DASHBOARDS)
            .tags([TAG])
            .as_dropdown(True)
            .include_vars(False)
            .keep_time(True)
        )
    )


def with_panels(dashboard: db.Dashboard, panels: Sequence) -> db.Dashboard:
    """Add the panels in order with fixed ids 1, 2, ... (stable links such as ?viewPanel=3)."""
    for number, panel in enumerate(panels, start=1):
        dashboard = dashboard.with_panel(panel.id(number))
    return dashboard


def series_named(panel, names: dict[str, str]):
    """Series whose legend is an id (e.g. "{{township}}") displayed by their Chinese names."""
    for key, name in names.items():
        panel = panel.override_by_name(key, [dm.DynamicConfigValue(id_val="displayName", value=name)])
    return panel
