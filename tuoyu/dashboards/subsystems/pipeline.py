"""The pipeline: is what the wall shows up to date? The event store's position, each view's
position and lag (the embedded projector, or the Faust workers behind the relay and Kafka), the
KPI series themselves. Panels: the pipeline dashboard.

What is measurable is what the code exports: the API exports childcare_events_recorded and,
with the embedded projector, childcare_projection_position{view}; each Faust worker exports
childcare_projection_position{view="faust"}, tuoyu_worker_facts_applied and its process
metrics; the relay (--metrics-port) exports tuoyu_relay_position and its counters, so the
events Kafka has not been given yet are childcare_events_recorded - tuoyu_relay_position.
"""

from __future__ import annotations

from typing import Any

from tuoyu.alerts.config import Config
from tuoyu.alerts.rules import Alert, Record
from tuoyu.dashboards.panels import (
    ANY_IS_BAD,
    big_stat,
    cells,
    grid,
    instant_table,
    mapped,
    trend,
)

NAME = "pipeline"
LAG = "view:childcare_projection_lag:events"
PLATFORM_JOBS = '{job=~"tuoyu.*"}'
WORKERS = '{job="tuoyu-workers"}'
UP_NAMES = {"0": "停止", "1": "正常"}
UP_COLOURS = {"0": "red", "1": "green"}


def records(config: Config) -> list[Record]:
    return [
        Record(
            "view:childcare_projection_lag:events",
            "max by (view) (max(childcare_events_recorded) - on () group_right "
            "max by (view) (childcare_projection_position))",
        )
    ]


def alerts(config: Config) -> list[Alert]:
    r = config.rules
    # "During the whole window" from the stored series, not a long `for`: a restart of
    # Prometheus keeps its data but not its pending alerts.
    return [
        Alert(
            "ProjectionLagging",
            "warning",
            f"min_over_time({LAG}[{r.projection_lag_for}]) > {r.projection_lag_events}",
            "视图滞后：{{ $labels.view }} 落后 {{ $value }} 个事件",
            "视图 {{ $labels.view }} 落后最新记录超过 "
            + str(r.projection_lag_events)
            + " 个事件已持续 "
            + r.projection_lag_for
            + "（至少仍落后 {{ $value }} 个）；看板和告警数据可能不是最新。",
            r.pending_for,
        ),
        # A view that cannot apply a fact stops before it (never moves past it): every figure after
        # it is missing while the lag may look small. Per view and per process (the workers of
        # the distributed deployment each export their own).
        Alert(
            "ProjectionStuck",
            "critical",
            "max by (job, instance, view) (childcare_projection_stuck_position) "
            "and on (job, instance, view) max by (job, instance, view) (childcare_projection_stuck) == 1",
            "视图停滞：{{ $labels.view }} 无法应用位置 {{ $value }} 的事件",
            "{{ $labels.instance }} 的视图 {{ $labels.view }} 无法应用位置 {{ $value }} 的事件，已停在它之前并在重试；"
            "大屏、/api/kpi、指标和依据它们的告警都停留在该事件之前的数字。请按运行手册处理："
            "查看 /healthz 的 projection_stuck 和服务日志，用 tuoyu verify 确认记录完整。",
            r.pending_for,
            r.keep_firing_for,
        ),
        # A fact of a type this release's fold does not know (recorded by a newer release, say) is
        # skipped and counted, never a crash: the figures leave it out until the fold learns it.
        Alert(
            "ProjectionUnknownEvents",
            "warning",
            "max by (view, type) (childcare_projection_unknown_events_total) > 0",
            "视图 {{ $labels.view }} 跳过了未知类型的事件 {{ $labels.type }}",
            "投影不认识事件类型 {{ $labels.type }}，已跳过 {{ $value }} 条，相关指标未计入这些事件。"
            "请升级平台（折叠逻辑），视图将从零重建。",
            r.pending_for,
        ),
        Alert(
            "KpiMetricsAbsent",
            "critical",
            f"absent_over_time(childcare_slots[{r.metrics_absent_for}])",
            "托育指标缺失：Prometheus 未采集到 childcare_slots",
            "已 " + r.metrics_absent_for + " 未采集到托育指标（应有 13 个镇街的 childcare_slots），"
            "服务或数据管道可能已停止；其他指标告警在此期间被抑制。",
            r.pending_for,
        ),
    ]


def _scrape_targets() -> Any:
    """Which of the platform's targets Prometheus reaches, with how long each scrape takes."""
    scrapes = [("状态", f"up{PLATFORM_JOBS}"), ("采集耗时（秒）", f"scrape_duration_seconds{PLATFORM_JOBS}")]
    return instant_table(
        "采集目标",
        scrapes,
        "instance",
        grid(0, 6, 12, 8),
        key_title="实例",
        sort_by="状态",
        descending=False,
        description="Prometheus 能否采集 API 与各工作进程（up = 0 即停止）。",
    ).override_by_name("状态", [mapped(UP_NAMES, UP_COLOURS), cells("color-background")])


def _headline(lag_limit: int) -> list[Any]:
    """The top row: where the store is, the worst lag, failed scrapes and the pipeline's alerts."""
    return [
        big_stat(
            "事件存储位置",
            "max(childcare_events_recorded)",
            grid(0, 0, 6, 6),
            [(None, "blue")],
            description="最新记录事件的位置（childcare_events_recorded）。",
        ),
        big_stat(
            f"最大视图滞后（事件，告警阈值 {lag_limit}）",
            f"max({LAG})",
            grid(6, 0, 6, 6),
            [(None, "green"), (1, "orange"), (lag_limit, "red")],
            description="各视图落后最新记录事件的事件数；持续超过阈值触发 ProjectionLagging。",
        ),
        big_stat("采集失败的目标", f"count(up{PLATFORM_JOBS} == 0) or vector(0)", grid(12, 0, 6, 6), ANY_IS_BAD),
        big_stat(
            "管道告警",
            'count(ALERTS{alertstate="firing",alertname=~"'
            'ProjectionLagging|ProjectionStuck|ProjectionUnknownEvents|KpiMetricsAbsent"}) or vector(0)',
            grid(18, 0, 6, 6),
            ANY_IS_BAD,
            description="ProjectionLagging、ProjectionStuck、ProjectionUnknownEvents 与 KpiMetricsAbsent "
            "正在触发的个数。",
        ),
    ]


def _streams() -> list[Any]:
    """The relay and the Faust workers of the distributed deployment (empty when embedded)."""
    return [
        trend(
            "中继滞后（事件）",
            [("未发布到 Kafka", "max(childcare_events_recorded) - max(tuoyu_relay_position)")],
            grid(0, 30, 8, 8),
            description="已记录但中继尚未发布并获确认的事件数；持续增长说明中继或 Kafka 故障。",
        ),
        trend(
            "中继失败轮次（每分钟）",
            [("失败", "rate(tuoyu_relay_failed_rounds[$__rate_interval]) * 60")],
            grid(8, 30, 8, 8),
            description="中继发布失败后重试的次数（Kafka 不可达、投递失败）。",
        ),
        trend(
            "工作进程应用事实（每秒）",
            [("{{instance}}", f"rate(tuoyu_worker_facts_applied{WORKERS}[$__rate_interval])")],
            grid(16, 30, 8, 8),
            description="各 Faust 工作进程每秒折叠进表的事实数。",
        ),
    ]


def panels(config: Config) -> dict[str, list[Any]]:
    lag_limit = config.rules.projection_lag_events
    return {
        "tuoyu-pipeline": [
            *_headline(lag_limit),
            _scrape_targets(),
            trend("视图滞后（事件）", [("{{view}}", LAG)], grid(12, 6, 12, 8)),
            trend(
                "存储与视图位置",
                [
                    ("事件存储", "max(childcare_events_recorded)"),
                    ("视图 {{view}}", "max by (view) (childcare_projection_position)"),
                ],
                grid(0, 14, 12, 8),
            ),
            trend(
                "每分钟记录事件",
                [("事件/分钟", "deriv(max(childcare_events_recorded)[5m:]) * 60")],
                grid(12, 14, 12, 8),
            ),
            trend(
                "工作进程位置（按实例）",
                [("{{instance}}", f"max by (instance) (childcare_projection_position{WORKERS})")],
                grid(0, 22, 8, 8),
                description="每个 Faust 工作进程已应用到的位置；分区转移时会短暂下降。",
            ),
            trend(
                "进程内存",
                [("{{job}} {{instance}}", f"process_resident_memory_bytes{PLATFORM_JOBS}")],
                grid(8, 22, 8, 8),
                unit="bytes",
            ),
            trend(
                "进程 CPU",
                [("{{job}} {{instance}}", f"rate(process_cpu_seconds_total{PLATFORM_JOBS}[$__rate_interval])")],
                grid(16, 22, 8, 8),
                unit="percentunit",
            ),
            *_streams(),
        ]
    }
