"""One injectable source of "now"; SpiffWorkflow's timer maths is routed through it."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import threading
import zoneinfo
from collections.abc import Iterator
from typing import Protocol

UTC = dt.UTC
# The network's own time: what "today", a due date and an e-mail's hour mean (Belgian networks).
# Times are kept in UTC; this is where they are read and shown.
BRUSSELS = zoneinfo.ZoneInfo("Europe/Brussels")


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware, in UTC."""


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC)


class OffsetClock:
    """Real time shifted by an offset: demos that show reminders without waiting days."""

    def __init__(self, offset: dt.timedelta = dt.timedelta(0)):
        self.offset = offset

    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC) + self.offset


class ManualClock:
    """A clock that only moves when told to (tests)."""

    def __init__(self, start: dt.datetime | None = None):
        self._now = start or dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        return self._now

    def set(self, when: dt.datetime) -> None:
        with self._lock:
            self._now = when.astimezone(UTC)

    def advance(self, **delta: float) -> dt.datetime:
        with self._lock:
            self._now = self._now + dt.timedelta(**delta)
            return self._now


_current: contextvars.ContextVar[Clock | None] = contextvars.ContextVar("casework_clock", default=None)


class _SpiffDatetime(dt.datetime):
    """Stands in for `datetime` inside SpiffWorkflow's timer module."""

    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        clock = _current.get()
        now = clock.now() if clock is not None else dt.datetime.now(UTC)
        return now.astimezone(tz) if tz is not None else now.astimezone(UTC).replace(tzinfo=None)


_patched = False


def _patch_spiff_timers() -> None:
    # SpiffWorkflow computes every due time with `datetime.now(timezone.utc)` inside this one
    # module, so replacing its `datetime` name routes timer maths through the active clock.
    global _patched
    if not _patched:
        from SpiffWorkflow.bpmn.specs.event_definitions import timer

        timer.datetime = _SpiffDatetime
        _patched = True


@contextlib.contextmanager
def using(clock: Clock) -> Iterator[Clock]:
    """Make `clock` the source of "now" for SpiffWorkflow within this block (per thread/context)."""
    _patch_spiff_timers()
    token = _current.set(clock)
    try:
        yield clock
    finally:
        _current.reset(token)
