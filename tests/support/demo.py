"""The demo district as tests use it: built up to a fixed day, so its figures never depend on
the day the tests run (tests/integration/test_demo_days.py sweeps other days)."""

from __future__ import annotations

from datetime import date, datetime, time

from tuoyu.clock import SHANGHAI

DEMO_TODAY = date(2026, 11, 30)
# When a service showing the demo "runs": mid-morning of that day, Beijing time.
DEMO_NOW = datetime.combine(DEMO_TODAY, time(10, 0), SHANGHAI)
