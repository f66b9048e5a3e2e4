"""The one place the platform reads "now" from.

Every reading of the wall clock goes through `now()`. A test, a demo or a whole test run can
move the clock to a chosen moment:

- in one process: `with clock.set_to(moment):` (frozen, or `running=True` to let it tick on);
- for a process and its children: the environment variable TUOYU_NOW, an RFC 3339 date-time
  (`2027-03-01T10:00:00+08:00`) or a date (10:00 that day in Asia/Shanghai). The clock then
  starts there and runs on at the real rate, so timeouts and ordering still behave.

Nothing else in the package calls datetime.now(), date.today() or time.time() for a business
time (tests/unit/test_clock.py checks).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, timezone

ENV_VAR = "TUOYU_NOW"
# Mainland China has kept UTC+8 without daylight saving since 1991; a fixed offset avoids
# depending on the machine's tz database for Asia/Shanghai.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


class _Clock:
    """Real time, or a chosen start that stays put (frozen) or runs on at the real rate."""

    def __init__(self, start: datetime | None = None, running: bool = True) -> None:
        self.start = start
        self.running = running
        self.started = time.monotonic()

    def now(self) -> datetime:
        if self.start is None:
            return datetime.now(UTC)
        if not self.running:
            return self.start
        return self.start + timedelta(seconds=time.monotonic() - self.started)


def parse_moment(text: str) -> datetime:
    """A date-time with an offset, or a date (10:00 that day in Asia/Shanghai)."""
    text = text.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time().replace(hour=10), SHANGHAI)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{ENV_VAR}={text!r}: expected a date (2027-03-01) or a date-time with an offset "
            "(2027-03-01T10:00:00+08:00)"
        ) from None
    if moment.tzinfo is None:
        raise ValueError(f"{ENV_VAR}={text!r}: give the offset, e.g. 2027-03-01T10:00:00+08:00")
    return moment


def _from_environment() -> _Clock:
    text = os.environ.get(ENV_VAR)
    return _Clock(parse_moment(text)) if text else _Clock()


_current = _from_environment()


def now() -> datetime:
    """The current moment (timezone-aware, UTC unless the clock was set with another offset)."""
    return _current.now()


def today() -> date:
    """Today's date in Asia/Shanghai, where the plan's dates are."""
    return now().astimezone(SHANGHAI).date()


def is_set() -> bool:
    return _current.start is not None


def environment() -> dict[str, str]:
    """What a child process needs to read the same clock (empty when it is the real one)."""
    return {ENV_VAR: now().isoformat()} if is_set() else {}


@contextmanager
def set_to(moment: datetime, running: bool = False) -> Iterator[None]:
    """Within the block, `now()` is `moment` (frozen, or ticking on from it when `running`)."""
    global _current
    if moment.tzinfo is None:
        raise ValueError("set the clock to a timezone-aware moment")
    previous, _current = _current, _Clock(moment, running)
    try:
        yield
    finally:
        _current = previous
