"""What a person receives: the Chinese subject and body of the mail, the WeCom message.

Go templates of Alertmanager, one per notice, shared by every receiver. Each alert is shown with
its summary and description (the figure and the target are in them), when it started in Beijing
time, the runbook link and the on-call page where it is acknowledged.
"""

from __future__ import annotations

_SEVERITY = (
    '{{ if eq .CommonLabels.severity "critical" }}紧急{{ else if eq .CommonLabels.severity "warning" }}'
    "警告{{ else }}提示{{ end }}"
)
EMAIL_SUBJECT = (
    '【托育预警·{{ if eq .Status "resolved" }}已恢复{{ else }}' + _SEVERITY + "{{ end }}】"
    "{{ (index .Alerts 0).Annotations.summary }}{{ if gt (len .Alerts) 1 }} 等 {{ len .Alerts }} 条{{ end }}"
)
# Alertmanager 0.25's templates have no time zones: Beijing time is UTC + 8 h (no summer time).
_STARTED = '{{ (.StartsAt.Add 28800000000000).Format "2006-01-02 15:04" }}（北京时间）'
_ONE_ALERT = (
    '{{ if eq .Status "firing" }}【告警】{{ else }}【已恢复】{{ end }}{{ .Annotations.summary }}\n'
    "{{ .Annotations.description }}\n"
    "开始时间：" + _STARTED + "\n"
    "处置手册：{{ .Annotations.runbook_url }}\n"
    "{{ with .Annotations.closures_url }}待安置情况：{{ . }}\n{{ end }}"
    "值班确认：{{ .Annotations.oncall_url }}\n"
)
EMAIL_TEXT = "{{ range .Alerts }}" + _ONE_ALERT + "\n{{ end }}托育服务监测预警平台（门头沟区卫生健康委）\n"
EMAIL_HTML = (
    '<html><body style="font-family:sans-serif">{{ range .Alerts }}'
    '<h3>{{ if eq .Status "firing" }}【告警】{{ else }}【已恢复】{{ end }}{{ .Annotations.summary }}</h3>'
    "<p>{{ .Annotations.description }}</p>"
    "<p>开始时间：" + _STARTED + "</p>"
    '<p><a href="{{ .Annotations.runbook_url }}">处置手册</a>'
    '{{ with .Annotations.closures_url }} · <a href="{{ . }}">待安置情况</a>{{ end }}'
    ' · <a href="{{ .Annotations.oncall_url }}">值班确认</a></p>'
    "{{ end }}<p>托育服务监测预警平台（门头沟区卫生健康委）</p></body></html>"
)
WECOM_MESSAGE = (
    '【托育预警·{{ if eq .Status "resolved" }}已恢复{{ else }}' + _SEVERITY + "{{ end }}】\n"
    "{{ range .Alerts }}" + _ONE_ALERT + "{{ end }}"
)
