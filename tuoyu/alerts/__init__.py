"""Alerting: Prometheus rules and Alertmanager config rendered from alerts/tunables.yaml,
and the health commission's on-call receiver."""
