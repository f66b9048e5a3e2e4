"""On-call and self-monitoring: watching the watchers (kube-prometheus's Watchdog and its
general rules are the model). Watchdog always fires and goes to the dead man's switch; scrape
targets down (the service, workers, relay, Prometheus, Alertmanager), townships whose series are
missing, Alertmanager failing to deliver, Prometheus or Alertmanager restarted. Panels: the
wall's firing alerts, and the self-monitoring row of the pipeline dashboard."""

from __future__ import annotations

from typing import Any

from tuoyu.alerts.config import Config
from tuoyu.alerts.rules import Alert, Record
from tuoyu.dashboards.panels import ANY_IS_BAD, alerts_table, big_stat, grid
from tuoyu.dashboards.promql import FIRING
from tuoyu.domain.catalogue import TOWNSHIP_IDS

NAME = "oncall"
TOWNSHIPS = len(TOWNSHIP_IDS)
PRESENT = "max by (township) (childcare_slots)"
# Alertmanager or Prometheus started this recently: tell the on-call officer that notifications
# may have paused.
RESTART_NOTICE_SECONDS = 900


def records(config: Config) -> list[Record]:
    return [Record("district:childcare_townships_reporting:count", f"count({PRESENT}) or vector(0)")]


def alerts(config: Config) -> list[Alert]:
    r = config.rules
    missing = (
        '{{ range query "group by (township, name_zh) (childcare_township_info) unless on (township) '
        + PRESENT
        + '" | sortByLabel "township" }}{{ .Labels.name_zh }} {{ end }}'
    )
    return [
        Alert(
            "Watchdog",
            "info",
            "vector(1)",
            "值班通道正常（Watchdog）",
            "此告警始终触发，经 Alertmanager 定时发往失联检测服务（dead man's switch）；"
            "该服务收不到它即说明 Prometheus、Alertmanager 或两者之间的通道已中断。",
        ),
        Alert(
            "ScrapeTargetDown",
            "critical",
            "up == 0",
            "采集中断：{{ $labels.job }}（{{ $labels.instance }}）无法访问",
            "Prometheus 已 " + r.target_down_for + " 无法采集 {{ $labels.job }}（{{ $labels.instance }}）；"
            "它提供的指标与告警在此期间不会更新。",
            r.target_down_for,
        ),
        Alert(
            "TownshipMetricsMissing",
            "critical",
            f"count({PRESENT}) < {TOWNSHIPS}",
            "镇街指标缺失：仅 {{ $value }} 个镇街有数据（应为 " + str(TOWNSHIPS) + " 个）",
            "仅 {{ $value }} 个镇街有 childcare_slots 数据，缺少："
            + missing
            + "。负责这些镇街的工作进程可能已停止，它们的告警不会触发。",
            r.pending_for,
        ),
        Alert(
            "AlertmanagerNotificationsFailing",
            "critical",
            "sum by (integration) "
            f"(increase(alertmanager_notifications_failed_total[{r.notification_failure_window}])) > 0",
            "告警通知发送失败：{{ $labels.integration }}",
            "Alertmanager 近 " + r.notification_failure_window + " 内经 {{ $labels.integration }} 发送通知失败 "
            '{{ $value | printf "%.0f" }} 次；值班人员可能收不到告警，请检查邮件服务器、企业微信或接收地址。',
        ),
        Alert(
            "MonitoringRestarted",
            "warning",
            f'time() - max by (job, instance) (process_start_time_seconds{{job=~"prometheus|alertmanager"}}) '
            f"< {RESTART_NOTICE_SECONDS}",
            "监控组件重启：{{ $labels.job }}（{{ $labels.instance }}）",
            '{{ $labels.job }} 于 {{ $value | printf "%.0f" }} 秒前启动；重启期间的通知可能延迟，'
            "仍在触发的告警不会因此恢复或重新计时。",
        ),
    ]


def panels(config: Config) -> dict[str, list[Any]]:
    return {
        "tuoyu-overview": [alerts_table("正在触发的告警", FIRING, grid(16, 20, 8, 7))],
        "tuoyu-pipeline": [
            big_stat(
                f"有数据的镇街（应为 {TOWNSHIPS}）",
                "district:childcare_townships_reporting:count",
                grid(0, 38, 8, 6),
                [(None, "red"), (TOWNSHIPS, "green")],
                description="有 childcare_slots 数据的镇街个数；少于 13 触发 TownshipMetricsMissing。",
            ),
            big_stat(
                "通知发送失败（近 1 小时）",
                "sum(increase(alertmanager_notifications_failed_total[1h])) or vector(0)",
                grid(8, 38, 8, 6),
                ANY_IS_BAD,
                description="Alertmanager 发送邮件、企业微信、值班记录失败的次数。",
            ),
            big_stat(
                "自监控告警",
                'count(ALERTS{alertstate="firing",alertname=~"ScrapeTargetDown|'
                'TownshipMetricsMissing|AlertmanagerNotificationsFailing|MonitoringRestarted"}) or vector(0)',
                grid(16, 38, 8, 6),
                ANY_IS_BAD,
                description="采集、镇街数据、通知与监控重启的告警个数。",
            ),
        ],
    }
