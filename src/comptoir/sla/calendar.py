"""Business-hours arithmetic: pure Python, no Django, no database.

A :class:`BusinessCalendar` is a time zone, weekly hours in local wall-clock time and a set of
local holiday dates. It answers two questions, exactly to the minute:

* ``add(start, n)`` — the instant at which ``n`` business minutes have elapsed since ``start``
  (an SLA due time);
* ``minutes_between(start, end)`` — how many business minutes lie between two instants (a
  business-hours duration for reports).

Conventions (they follow ``shared/research/sla-business-hours.md``: "count the minutes
[t, t+1) whose local time falls inside an interval, on a working weekday that is not a holiday;
to add N business minutes to T, find the instant at which the N-th open minute ends"):

Minutes
    Time is cut into the minutes [t, t+1) of the UTC clock (for every zone in use today, also
    the minutes of the local clock). A minute is *open* when its local wall-clock time at its
    first second lies inside one of its weekday's intervals and its local date is not a holiday.

Partial minutes (seconds)
    An instant counts as the minute it falls in: seconds are truncated. ``minutes_between(s, e)``
    counts the open minutes that *end* in ``(s, e]``, i.e. the open minutes [t, t+1) with
    ``floor(s) <= t < floor(e)``. So a minute counts once it has fully elapsed, and the minute in
    which a ticket arrives counts whole (as if it had arrived at the start of that minute). This
    keeps the count additive: ``mb(a, b) + mb(b, c) == mb(a, c)`` for any instants.

``add``
    ``add(s, n)`` is the first instant ``e >= s`` with ``minutes_between(s, e) >= n``. For
    ``n >= 1`` that is the end of the n-th open minute counted from ``floor(s)``: a ticket
    created outside hours starts counting at the next opening (the research's convention), and
    a due time is always a whole minute that ends an open minute (17:00, not the next morning's
    09:00). ``add(s, 0)`` is ``s`` itself (as a UTC datetime): nothing has to elapse. So
    ``minutes_between(s, add(s, n)) == n`` for every ``n >= 0``, ``add`` is monotonic in ``n``
    and ``add(add(s, a), b) == add(s, a + b)``. :meth:`BusinessCalendar.next_opening` answers
    "when does the clock start?". ``n < 0`` is a ``ValueError``. A reply at exactly the due
    instant is within target; compare instants with the due time rather than minute counts
    (a reply during closed hours after the due time still counts only ``n`` minutes).

Negative spans
    ``minutes_between(s, e)`` with ``e < s`` is ``-minutes_between(e, s)`` (a signed count, so
    additivity holds for instants in any order).

Daylight-saving time
    Hours are local. A UTC minute is open when the office clock *shows* an open time. So 09:00–
    17:00 is 8 hours on the days clocks change (its UTC position moves). Local times skipped when
    clocks spring forward never occur and are never counted: a 01:00–04:00 window on that night
    (Europe/Paris, 02:00 → 03:00) holds 2 hours. Local times repeated when clocks fall back are
    counted each time they occur: the same window on that night (03:00 → 02:00) holds 4 hours.
    Inputs are converted with their own ``utcoffset()``, so an ambiguous or non-existent local
    input means what Python's ``fold`` attribute says it means (fold=0: the offset in force
    before the change); pass UTC instants to avoid any doubt.

Holidays
    A holiday is a local date; every minute whose local date is that day is closed (a holiday on
    a day without hours, such as a Saturday, changes nothing). Even with windows touching
    midnight on both sides, a holiday closes exactly its own local day (25 hours on the day
    clocks fall back).

Midnight
    ``"24:00"`` ends a window at the end of the day. Windows that touch, in one day or across
    midnight (Mon 18:00–24:00 and Tue 00:00–06:00), form one continuous stretch.

Instants in and out
    Inputs must be aware datetimes (``TypeError`` otherwise), in any zone. Results are aware
    datetimes in UTC, because local datetimes compare badly around the repeated hour: two that
    share one ``tzinfo`` are compared by wall clock, ignoring ``fold``, and one with ``fold=1``
    is never ``==`` to a datetime of another zone (PEP 495). Convert results for display only,
    and compare in UTC. Supported instants run from year 2 to year 9998 (``OverflowError``
    past that).

Speed
    No minute-by-minute loops. The weekly hours become a sorted list of intervals with running
    totals, holidays a sorted list with running totals of the minutes they close, so the count of
    open minutes before any local instant is a few bisections, and so is its inverse. Time zones
    are handled by cutting time into spans of constant UTC offset (found once per zone and year,
    then cached); inside a span local time is UTC plus a constant. ``add`` over ten years of
    minutes walks about two spans a year.

:class:`CoverageCalendar` joins several calendars (teams in different zones) into one
follow-the-sun calendar: a minute is open when any team is open; the rest are gaps.
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from operator import index
from typing import cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["BusinessCalendar", "CoverageCalendar"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DATE = _EPOCH.date()
_ONE_MINUTE = timedelta(minutes=1)
_DAY = 24 * 60
_WEEK = 7 * _DAY
# Minute 0 (1970-01-01 00:00) fell on a Thursday; shifting by three days puts Monday at 0.
_MONDAY_SHIFT = 3 * _DAY
# UTC offsets are looked up in chunks of 2**19 minutes (about 364 days), sampled once a day.
# An offset change undone in less than a day would go unseen; tzdata has none (the shortest
# such pair lasts 95 hours: Africa/Freetown, 1939).
_CHUNK_BITS = 19
_SAMPLE_STEP = _DAY
_COVERAGE_WINDOW = 28 * _DAY
# The supported instants: from year 2 to year 9998, away from datetime's own limits.
_FIRST_MINUTE = (datetime(2, 1, 1, tzinfo=UTC) - _EPOCH) // _ONE_MINUTE
_LAST_MINUTE = (datetime(9999, 1, 1, tzinfo=UTC) - _EPOCH) // _ONE_MINUTE
_CLOCK = re.compile(r"([0-9]{2}):([0-9]{2})")

Interval = tuple[datetime, datetime]


def _require_aware(moment: datetime, name: str) -> None:
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise TypeError(f"{name} must be an aware datetime (with a tzinfo); got naive {moment!r}")


def _to_minute(moment: datetime, name: str) -> int:
    """The UTC minute (since 1970) that ``moment`` falls in; seconds are truncated."""
    _require_aware(moment, name)
    return (moment - _EPOCH) // _ONE_MINUTE


def _to_datetime(minute: int) -> datetime:
    try:
        return _EPOCH + timedelta(minutes=minute)
    except OverflowError:
        raise OverflowError("the result lies beyond the range of datetime (year 9999)") from None


def _check_minutes(minutes: int) -> int:
    if isinstance(minutes, bool):
        raise TypeError("minutes must be an int, not a bool")
    try:
        count = index(minutes)
    except TypeError:
        raise TypeError(f"minutes must be an int, not {type(minutes).__name__}") from None
    if count < 0:
        raise ValueError(f"minutes must be >= 0, got {count}")
    return count


def _utc_offset(zone: ZoneInfo, minute: int) -> int:
    """The zone's UTC offset, in whole minutes (floored), at the start of a UTC minute."""
    # Clamped so that sampling a chunk at the edges of datetime's range cannot overflow.
    minute = min(max(minute, _FIRST_MINUTE), _LAST_MINUTE)
    offset = datetime.fromtimestamp(minute * 60, zone).utcoffset()
    return cast("timedelta", offset) // _ONE_MINUTE  # a ZoneInfo always has an offset


@lru_cache(maxsize=2048)
def _offset_spans(zone: ZoneInfo, chunk: int) -> tuple[list[int], list[int]]:
    """Spans of constant UTC offset inside one chunk: their first minutes and their offsets.

    Sampled once a day; where two samples differ, the change is found by bisection (several
    changes between two samples are found one after the other).
    """
    first = chunk << _CHUNK_BITS
    stop = first + (1 << _CHUNK_BITS)
    starts = [first]
    offsets = [_utc_offset(zone, first)]
    left, left_offset = first, offsets[0]
    while left < stop:
        right = min(left + _SAMPLE_STEP, stop)
        right_offset = _utc_offset(zone, right)
        while right_offset != left_offset:
            low, high = left, right  # offset(low) == left_offset != offset(high)
            while high - low > 1:
                middle = (low + high) // 2
                if _utc_offset(zone, middle) == left_offset:
                    low = middle
                else:
                    high = middle
            left, left_offset = high, _utc_offset(zone, high)
            if high < stop:
                starts.append(high)
                offsets.append(left_offset)
        left = right
    return starts, offsets


def _parse_clock(text: object, weekday: int, *, is_end: bool) -> int:
    """``"HH:MM"`` → minutes since local midnight; ``"24:00"`` only as an end."""
    match = _CLOCK.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"weekday {weekday}: {text!r} is not a time written as 'HH:MM'")
    hours, minutes = int(match[1]), int(match[2])
    if hours == 24 and minutes == 0:
        if not is_end:
            raise ValueError(f"weekday {weekday}: '24:00' can only end an interval")
        return _DAY
    if hours > 23 or minutes > 59:
        raise ValueError(f"weekday {weekday}: {text!r} is not a valid time of day")
    return hours * 60 + minutes


def _parse_weekly_hours(
    weekly_hours: Mapping[int, Iterable[tuple[str, str]]],
) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Validate the weekly hours; return, per weekday, sorted and merged (start, end) minutes."""
    if not isinstance(weekly_hours, Mapping):
        raise TypeError("weekly_hours must be a mapping of weekday (0 = Monday) to intervals")
    days: list[tuple[tuple[int, int], ...]] = [() for _ in range(7)]
    for weekday, intervals in weekly_hours.items():
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise ValueError(f"weekday {weekday!r} is not an int from 0 (Monday) to 6 (Sunday)")
        if isinstance(intervals, str | bytes) or not isinstance(intervals, Iterable):
            raise TypeError(f"weekday {weekday}: expected a list of ('HH:MM', 'HH:MM') pairs")
        parsed = []
        for interval in intervals:
            if isinstance(interval, str | bytes) or len(interval) != 2:
                raise ValueError(f"weekday {weekday}: {interval!r} is not a (start, end) pair")
            start = _parse_clock(interval[0], weekday, is_end=False)
            end = _parse_clock(interval[1], weekday, is_end=True)
            if end <= start:
                raise ValueError(
                    f"weekday {weekday}: interval {interval[0]}–{interval[1]} must end after it "
                    "starts (intervals cannot cross midnight: split them, '24:00' ends a day)"
                )
            parsed.append((start, end))
        parsed.sort()
        merged: list[tuple[int, int]] = []
        for start, end in parsed:
            if merged and start < merged[-1][1]:
                raise ValueError(
                    f"weekday {weekday}: intervals overlap around "
                    f"{start // 60:02d}:{start % 60:02d}"
                )
            if merged and start == merged[-1][1]:  # touching intervals form one stretch
                merged[-1] = (merged[-1][0], end)
            else:
                merged.append((start, end))
        days[weekday] = tuple(merged)
    return tuple(days)


def _parse_holidays(holidays: Iterable[date]) -> frozenset[date]:
    if isinstance(holidays, str | bytes) or not isinstance(holidays, Iterable):
        raise TypeError("holidays must be a set of dates")
    result = set()
    for holiday in holidays:
        if isinstance(holiday, datetime) or not isinstance(holiday, date):
            raise TypeError(f"holidays are local dates (datetime.date), got {holiday!r}")
        result.add(holiday)
    return frozenset(result)


class _Calendar:
    """What both calendars share: helpers built on ``_open_ranges``, a walk over open minutes.

    The generic ``add`` and ``minutes_between`` here walk interval by interval (a few weeks
    at a time); :class:`BusinessCalendar` replaces them with closed-form versions.
    """

    @property
    def minutes_per_week(self) -> int:
        raise NotImplementedError

    def _open_ranges(self, first: int, stop: int) -> Iterator[tuple[int, int]]:
        """Open UTC minutes in ``[first, stop)`` as sorted, disjoint, non-touching ranges."""
        raise NotImplementedError

    def _is_open_minute(self, minute: int) -> bool:
        raise NotImplementedError

    def is_open(self, at: datetime) -> bool:
        """Whether the minute containing ``at`` is business time."""
        return self._is_open_minute(_to_minute(at, "at"))

    def _require_hours(self) -> None:
        if not self.minutes_per_week:
            raise ValueError(
                "this calendar has no business hours at all: no number of business minutes "
                "can ever elapse"
            )

    def add(self, start: datetime, minutes: int) -> datetime:
        """The instant (UTC) at which ``minutes`` business minutes have elapsed since ``start``.

        ``add(start, 0)`` is ``start``. Raises ``ValueError`` for negative minutes or when the
        calendar has no business hours.
        """
        first = _to_minute(start, "start")
        remaining = _check_minutes(minutes)
        if remaining == 0:
            return start.astimezone(UTC)
        self._require_hours()
        window = first
        while True:
            for low, high in self._open_ranges(window, window + _COVERAGE_WINDOW):
                if high - low >= remaining:
                    return _to_datetime(low + remaining)
                remaining -= high - low
            window += _COVERAGE_WINDOW
            if window > _LAST_MINUTE:
                raise OverflowError("the result lies beyond the range of datetime (year 9999)")

    def minutes_between(self, start: datetime, end: datetime) -> int:
        """Open minutes [t, t+1) with ``floor(start) <= t < floor(end)``; negative if reversed."""
        first, stop = _to_minute(start, "start"), _to_minute(end, "end")
        if stop < first:
            return -self.minutes_between(end, start)
        return sum(high - low for low, high in self._open_ranges(first, stop))

    def next_opening(self, at: datetime) -> datetime:
        """``at`` (in UTC) if it is business time, else the start of the next open minute."""
        if self.is_open(at):
            return at.astimezone(UTC)
        return self.add(at, 1) - _ONE_MINUTE

    def open_intervals(self, start: datetime, end: datetime) -> Iterator[Interval]:
        """Business time within ``[start, end)`` (minute-truncated) as UTC intervals.

        Intervals are sorted and maximal: stretches that touch (across midnight, or across a
        daylight-saving change) come out as one.
        """
        first, stop = _to_minute(start, "start"), _to_minute(end, "end")
        for low, high in self._open_ranges(first, stop):
            yield _to_datetime(low), _to_datetime(high)

    def gaps(self, start: datetime, end: datetime) -> Iterator[Interval]:
        """Closed time within ``[start, end)`` (minute-truncated) as UTC intervals."""
        first, stop = _to_minute(start, "start"), _to_minute(end, "end")
        cursor = first
        for low, high in self._open_ranges(first, stop):
            if cursor < low:
                yield _to_datetime(cursor), _to_datetime(low)
            cursor = high
        if cursor < stop:
            yield _to_datetime(cursor), _to_datetime(stop)


class BusinessCalendar(_Calendar):
    """Weekly business hours in one time zone, minus holidays.

    ``time_zone`` is an IANA name (``"Europe/Paris"``). ``weekly_hours`` maps weekdays
    (0 = Monday … 6 = Sunday) to ``("HH:MM", "HH:MM")`` intervals in local time; ``"24:00"``
    may end an interval, intervals of one day may touch but not overlap, and a missing weekday
    is closed. ``holidays`` are local dates on which the calendar is closed all day.

    Raises ``ValueError`` (``TypeError`` for wrong types) on an unknown zone, a malformed time,
    an interval that does not end after it starts, or overlapping intervals. A calendar without
    any hours is allowed (``minutes_between`` is then 0) but ``add`` raises ``ValueError``.
    Instances are immutable and safe to share between threads.
    """

    def __init__(
        self,
        time_zone: str,
        weekly_hours: Mapping[int, Iterable[tuple[str, str]]],
        holidays: Iterable[date] = frozenset(),
    ) -> None:
        if not isinstance(time_zone, str):
            raise TypeError(f"time_zone must be an IANA name (str), not {type(time_zone).__name__}")
        try:
            zone = ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(f"unknown time zone {time_zone!r}") from None
        self.time_zone = time_zone
        self._zone = zone
        self._day_windows = _parse_weekly_hours(weekly_hours)
        self.holidays = _parse_holidays(holidays)
        self.weekly_hours: dict[int, tuple[tuple[str, str], ...]] = {
            weekday: tuple((_format_clock(start), _format_clock(end)) for start, end in windows)
            for weekday, windows in enumerate(self._day_windows)
            if windows
        }

        # The week as intervals of minutes since Monday 00:00, with the open minutes before each.
        starts: list[int] = []
        ends: list[int] = []
        for weekday, windows in enumerate(self._day_windows):
            for start, end in windows:
                if ends and ends[-1] == weekday * _DAY + start:
                    ends[-1] = weekday * _DAY + end
                else:
                    starts.append(weekday * _DAY + start)
                    ends.append(weekday * _DAY + end)
        self._starts = starts
        self._ends = ends
        self._before: list[int] = []
        total = 0
        for start, end in zip(starts, ends, strict=True):
            self._before.append(total)
            total += end - start
        self._per_week = total

        # Holidays that close some open minutes, in local minutes since 1970, with running
        # totals of the minutes they close, and the (holiday-aware) count at each one's start.
        self._holiday_days = frozenset((day - _EPOCH_DATE).days for day in self.holidays)
        self._holiday_starts: list[int] = []
        self._holiday_closed = [0]  # minutes closed by the holidays before index i
        self._holiday_marks: list[int] = []  # the count with holidays at each holiday's start
        for day in sorted(self._holiday_days):
            local = day * _DAY
            closed = self._weekly_count(local + _DAY) - self._weekly_count(local)
            if closed:
                self._holiday_starts.append(local)
                self._holiday_marks.append(self._weekly_count(local) - self._holiday_closed[-1])
                self._holiday_closed.append(self._holiday_closed[-1] + closed)

    @classmethod
    def always_open(
        cls, time_zone: str = "UTC", holidays: Iterable[date] = frozenset()
    ) -> BusinessCalendar:
        """A 24/7 calendar (closed only on ``holidays``, local dates of ``time_zone``)."""
        return cls(time_zone, {weekday: [("00:00", "24:00")] for weekday in range(7)}, holidays)

    def __repr__(self) -> str:
        return (
            f"BusinessCalendar({self.time_zone!r}, {self.weekly_hours!r}, "
            f"{sorted(self.holidays)!r})"
        )

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    @property
    def minutes_per_week(self) -> int:
        """Open minutes in an ordinary week (no holiday, no daylight-saving change)."""
        return self._per_week

    # -- counting in local minutes (minutes since 1970-01-01 00:00 local wall-clock time) ------

    def _weekly_count(self, local: int) -> int:
        """Open minutes before ``local`` counted from an arbitrary origin, ignoring holidays."""
        weeks, offset = divmod(local + _MONDAY_SHIFT, _WEEK)
        count = weeks * self._per_week
        j = bisect_right(self._starts, offset) - 1
        if j >= 0:
            count += self._before[j] + min(offset, self._ends[j]) - self._starts[j]
        return count

    def _count(self, local: int) -> int:
        """Open minutes before ``local`` counted from an arbitrary origin, holidays closed."""
        count = self._weekly_count(local)
        p = bisect_left(self._holiday_starts, local)  # holidays starting before ``local``
        if p:
            holiday = self._holiday_starts[p - 1]
            if local >= holiday + _DAY:
                count -= self._holiday_closed[p]
            else:  # ``local`` is inside that holiday: nothing opened since it started
                count = self._holiday_marks[p - 1]
        return count

    def _local_end_of(self, count: int) -> int:
        """The smallest local minute ``x`` with ``_count(x) >= count``: the end of an open minute.

        Needs business hours. Holidays before the answer are those whose start count is below
        ``count``; with them known, the answer is the inverse of the weekly count.
        """
        target = count + self._holiday_closed[bisect_left(self._holiday_marks, count)]
        weeks, rank = divmod(target - 1, self._per_week)
        j = bisect_right(self._before, rank) - 1
        return weeks * _WEEK + self._starts[j] + (rank - self._before[j]) + 1 - _MONDAY_SHIFT

    # -- UTC minutes ------------------------------------------------------------------------

    def _span(self, minute: int) -> tuple[int, int]:
        """(UTC offset in minutes, first minute after the span) for the span holding ``minute``."""
        chunk = minute >> _CHUNK_BITS
        starts, offsets = _offset_spans(self._zone, chunk)
        i = bisect_right(starts, minute) - 1
        end = starts[i + 1] if i + 1 < len(starts) else (chunk + 1) << _CHUNK_BITS
        return offsets[i], end

    def _is_open_minute(self, minute: int) -> bool:
        local = minute + self._span(minute)[0]
        if local // _DAY in self._holiday_days:
            return False
        offset = (local + _MONDAY_SHIFT) % _WEEK
        j = bisect_right(self._starts, offset) - 1
        return j >= 0 and offset < self._ends[j]

    def _open_ranges(self, first: int, stop: int) -> Iterator[tuple[int, int]]:
        pending: tuple[int, int] | None = None
        minute = first
        while minute < stop:
            offset, span_end = self._span(minute)
            span_stop = min(stop, span_end)
            low_local, high_local = minute + offset, span_stop + offset
            for day in range(low_local // _DAY, (high_local - 1) // _DAY + 1):
                if day in self._holiday_days:
                    continue
                midnight = day * _DAY
                for start, end in self._day_windows[(day + 3) % 7]:
                    low = max(midnight + start, low_local) - offset
                    high = min(midnight + end, high_local) - offset
                    if low >= high:
                        continue
                    if pending is not None and pending[1] == low:
                        pending = (pending[0], high)
                    else:
                        if pending is not None:
                            yield pending
                        pending = (low, high)
            minute = span_stop
        if pending is not None:
            yield pending

    def add(self, start: datetime, minutes: int) -> datetime:
        """The instant (UTC) at which ``minutes`` business minutes have elapsed since ``start``.

        ``add(start, 0)`` is ``start`` (in UTC). For ``minutes >= 1`` it is the end of the
        ``minutes``-th open minute counted from the minute ``start`` falls in, so a start outside
        hours counts from the next opening. Raises ``ValueError`` for negative minutes or a
        calendar without business hours, ``TypeError`` for a naive ``start``.
        """
        minute = _to_minute(start, "start")
        remaining = _check_minutes(minutes)
        if remaining == 0:
            return start.astimezone(UTC)
        self._require_hours()
        while True:
            offset, span_end = self._span(minute)
            reached = self._count(minute + offset)
            available = self._count(span_end + offset) - reached
            if remaining <= available:
                return _to_datetime(self._local_end_of(reached + remaining) - offset)
            remaining -= available
            minute = span_end
            if minute > _LAST_MINUTE:
                raise OverflowError("the result lies beyond the range of datetime (year 9999)")

    def minutes_between(self, start: datetime, end: datetime) -> int:
        """Business minutes from ``start`` to ``end``: the open minutes [t, t+1) with
        ``floor(start) <= t < floor(end)``; ``-minutes_between(end, start)`` if ``end < start``.
        """
        minute, stop = _to_minute(start, "start"), _to_minute(end, "end")
        sign = 1
        if stop < minute:
            minute, stop, sign = stop, minute, -1
        total = 0
        while minute < stop:
            offset, span_end = self._span(minute)
            span_stop = min(stop, span_end)
            total += self._count(span_stop + offset) - self._count(minute + offset)
            minute = span_stop
        return sign * total


class CoverageCalendar(_Calendar):
    """Follow-the-sun: the union of several calendars' business time.

    A minute is open when at least one calendar is open; minutes when none is are gaps
    (:meth:`gaps`). ``add`` and ``minutes_between`` follow the conventions of the module; they
    walk the teams' intervals a few weeks at a time (fine for SLA due times, slower than
    :class:`BusinessCalendar` for spans of years).
    """

    def __init__(self, calendars: Iterable[BusinessCalendar]) -> None:
        self.calendars = tuple(calendars)
        if not self.calendars:
            raise ValueError("a coverage calendar needs at least one calendar")
        for calendar in self.calendars:
            if not isinstance(calendar, BusinessCalendar):
                raise TypeError(f"expected BusinessCalendar instances, got {calendar!r}")

    def __repr__(self) -> str:
        return f"CoverageCalendar({list(self.calendars)!r})"

    @property
    def minutes_per_week(self) -> int:
        """An upper bound of the open minutes in a week (0 only when no team has hours)."""
        return min(_WEEK, sum(calendar.minutes_per_week for calendar in self.calendars))

    def _is_open_minute(self, minute: int) -> bool:
        return any(calendar._is_open_minute(minute) for calendar in self.calendars)

    def _open_ranges(self, first: int, stop: int) -> Iterator[tuple[int, int]]:
        merged = heapq.merge(*(calendar._open_ranges(first, stop) for calendar in self.calendars))
        pending: tuple[int, int] | None = None
        for low, high in merged:
            if pending is not None and low <= pending[1]:
                pending = (pending[0], max(pending[1], high))
            else:
                if pending is not None:
                    yield pending
                pending = (low, high)
        if pending is not None:
            yield pending


def _format_clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
