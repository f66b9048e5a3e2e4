"""Alerting as code: the typed tunables (alerts/tunables.yaml), recording rules and alerts as data,
annotation templates, Alertmanager's receivers, routes and working hours, and what people read.
The subsystems that use this vocabulary are in tuoyu/dashboards/subsystems/ (docs/alerting.md)."""
