"""The Alertmanager configuration, rendered from the tunables."""

from __future__ import annotations

from typing import Any

from tuoyu.alerts.catalogue import KPI_ALERTS

MISSED_TARGET_ALERTS = ("TargetMissed", "TownshipBelowSlotFloor", "InclusiveShareBelowTarget",
                        "CaregiverCertificationBelowTarget")

WECHAT_AND_EMAIL_EXAMPLES = """
# Examples of other receivers (uncomment, fill in, and add them to a route):
#
#  - name: wecom-health-commission        # 企业微信 (WeCom)
#    wechat_configs:
#      - corp_id: "ww0123456789abcdef"
#        agent_id: "1000002"
#        api_secret_file: /etc/alertmanager/wecom-secret
#        to_party: "2"                      # 卫健委值班组
#        send_resolved: true
#        message: '{{ range .Alerts }}{{ .Annotations.summary }}\\n{{ .Annotations.description }}\\n{{ end }}'
#
#  - name: email-health-commission
#    email_configs:
#      - to: "duty@mtg-health.example.gov.cn"
#        from: "tuoyu-alerts@mtg-health.example.gov.cn"
#        smarthost: "smtp.example.gov.cn:465"
#        auth_username: "tuoyu-alerts@mtg-health.example.gov.cn"
#        auth_password_file: /etc/alertmanager/smtp-password
#        send_resolved: true
"""


def render_alertmanager(tunables: dict[str, Any], webhook_url: str | None = None,
                        secret_file: str | None = None) -> dict[str, Any]:
    a = tunables["alertmanager"]
    webhook = {
        "url": webhook_url or a["webhook_url"],
        "send_resolved": True,
        "max_alerts": 0,
        "http_config": {"authorization": {"type": "Bearer",
                                          "credentials_file": secret_file or a["webhook_secret_file"]}},
    }
    return {
        "route": {
            "receiver": "oncall",
            "group_by": ["alertname", "township", "scope", "kpi"],
            "group_wait": a["critical_group_wait"],
            "group_interval": a["critical_group_interval"],
            "repeat_interval": a["critical_repeat_interval"],
            "routes": [
                {   # Critical: page at once, repeat until resolved.
                    "matchers": ['severity="critical"'],
                    "receiver": "oncall",
                    "group_wait": a["critical_group_wait"],
                    "group_interval": a["critical_group_interval"],
                    "repeat_interval": a["critical_repeat_interval"],
                },
                {   # Warnings: one digest per alert name, sent during working hours.
                    "matchers": ['severity=~"warning|info"'],
                    "receiver": "oncall-digest",
                    "group_by": ["alertname"],
                    "group_wait": a["warning_group_wait"],
                    "group_interval": a["warning_group_interval"],
                    "repeat_interval": a["warning_repeat_interval"],
                    "active_time_intervals": ["working-hours"],
                },
            ],
        },
        "inhibit_rules": [
            # A missed target is no longer behind pace: its missed alert (TargetMissed, or the
            # own alert of the floor and the two shares) replaces TargetBehindPace, which would
            # otherwise keep firing for keep_firing_for after the due date.
            {"source_matchers": ['alertname=~"' + "|".join(MISSED_TARGET_ALERTS) + '"'],
             "target_matchers": ['alertname="TargetBehindPace"'], "equal": ["scope", "kpi"]},
            {"source_matchers": ['alertname="KpiMetricsAbsent"'],
             "target_matchers": ['alertname=~"' + "|".join(KPI_ALERTS) + '"'], "equal": ["team"]},
        ],
        "time_intervals": [{"name": "working-hours", "time_intervals": [{
            "weekdays": a["working_hours"]["weekdays"], "times": a["working_hours"]["times"],
            "location": a["working_hours"]["location"]}]}],
        "receivers": [
            {"name": "oncall", "webhook_configs": [webhook]},
            {"name": "oncall-digest", "webhook_configs": [webhook]},
        ],
    }
