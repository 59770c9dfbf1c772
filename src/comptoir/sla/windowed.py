"""A calendar's open intervals over a window of time, precomputed: the same answers as the
calendar it wraps, in a couple of bisections. Pure: no Django.

``CoverageCalendar`` (the union of several teams' calendars) walks and merges every team's
intervals for each ``add`` or ``minutes_between``; refreshing a hundred thousand clocks asks
it a million times. :class:`WindowedCalendar` walks them once for a window of years, keeps
the merged intervals with running totals, and answers inside the window by bisection —
with the conventions of ``calendar.py`` (minutes truncated, ``add`` ends an open minute,
``add(s, 0) == s``). Anything reaching outside the window is delegated to the wrapped
calendar, so the answers are always exactly the wrapped calendar's.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from .calendar import CoverageCalendar

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MINUTE = timedelta(minutes=1)


def _minute(moment: datetime) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise TypeError(f"expected an aware datetime, got {moment!r}")
    return (moment - _EPOCH) // _MINUTE


def _instant(minute: int) -> datetime:
    return _EPOCH + timedelta(minutes=minute)


class WindowedCalendar:
    """``calendar``'s open time in ``[start, end)``, precomputed (see the module)."""

    def __init__(self, calendar: CoverageCalendar, start: datetime, end: datetime) -> None:
        self.calendar = calendar
        self._first, self._stop = _minute(start), _minute(end)
        self._lows: list[int] = []
        self._highs: list[int] = []
        self._before: list[int] = []  # open minutes in the window before interval i
        self._through: list[int] = []  # ... up to the end of interval i
        total = 0
        for low, high in calendar.open_intervals(start, end):
            low_m, high_m = _minute(low), _minute(high)
            self._lows.append(low_m)
            self._highs.append(high_m)
            self._before.append(total)
            total += high_m - low_m
            self._through.append(total)
        self._total = total

    @property
    def minutes_per_week(self) -> int:
        return self.calendar.minutes_per_week

    def _count(self, minute: int) -> int:
        """Open minutes of the window before ``minute`` (inside the window)."""
        i = bisect_right(self._lows, minute) - 1
        if i < 0:
            return 0
        return self._before[i] + min(minute, self._highs[i]) - self._lows[i]

    def _inside(self, *minutes: int) -> bool:
        return all(self._first <= m <= self._stop for m in minutes)

    def is_open(self, at: datetime) -> bool:
        minute = _minute(at)
        if not self._first <= minute < self._stop:
            return self.calendar.is_open(at)
        i = bisect_right(self._lows, minute) - 1
        return i >= 0 and minute < self._highs[i]

    def minutes_between(self, start: datetime, end: datetime) -> int:
        first, stop = _minute(start), _minute(end)
        if not self._inside(first, stop):
            return self.calendar.minutes_between(start, end)
        return self._count(stop) - self._count(first)

    def add(self, start: datetime, minutes: int) -> datetime:
        if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
            return self.calendar.add(start, minutes)  # the wrapped calendar's errors
        first = _minute(start)
        if minutes == 0:
            return start.astimezone(UTC)
        if not self._inside(first):
            return self.calendar.add(start, minutes)
        target = self._count(first) + minutes
        if target > self._total:  # beyond the window
            return self.calendar.add(start, minutes)
        j = bisect_left(self._through, target)
        return _instant(self._lows[j] + target - self._before[j])

    def open_intervals(self, start: datetime, end: datetime) -> Iterator[tuple[datetime,
                                                                               datetime]]:
        return self.calendar.open_intervals(start, end)

    def gaps(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        return self.calendar.gaps(start, end)

    def next_opening(self, at: datetime) -> datetime:
        return self.calendar.next_opening(at)
