"""Prometheus collectors of the contract metrics (kpis.md), shared by the service and the workers."""
