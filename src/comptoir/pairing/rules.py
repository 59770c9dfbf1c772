"""Who pairs with an engineer on a customer engineering day, pure: no ORM, no clock.

For each candidate date, in the order the engineer gave them, every advocate and lead of a
support team is screened; the first rule failed is why they were left out:

``leave``
    on leave that day (their own local date).
``off``
    does not work that weekday (``WorkingHours`` in their own time zone).
``busy``
    already pairing that day.
``overlap``
    their hours and the engineer's share less than ``minimum_overlap`` minutes that day.
``coverage``
    taking them away for their whole working day would leave one of their support teams
    with fewer advocates on shift than the team's minimum, for some hour of that day. An
    advocate counts for an hour when on shift for part of it, and is not on leave or
    pairing. Hours the advocate does not work are not their absence's concern.

Among those kept, the best has the product area's skill, then the longest overlap, then
the fewest customer days so far (turns are shared), then the lowest id (deterministic).
The first date where someone is kept wins; when none, every date's reasons are returned.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comptoir.sla.calendar import BusinessCalendar

DEFAULT_MINIMUM = 1  # advocates on shift per hour, for a team without its own setting
MINIMUM_OVERLAP = 180  # minutes the engineer and the advocate must both be working
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

Interval = tuple[datetime, datetime]


class Why(StrEnum):
    ENGINEER_OFF = "engineer_off"
    ENGINEER_LEAVE = "engineer_leave"
    ENGINEER_BUSY = "engineer_busy"
    NOBODY = "nobody"
    LEAVE = "leave"
    OFF = "off"
    BUSY = "busy"
    OVERLAP = "overlap"
    COVERAGE = "coverage"


@dataclass(frozen=True)
class Person:
    """An engineer or an advocate as the rules see them."""

    id: int
    name: str
    calendar: BusinessCalendar
    leaves: tuple[tuple[date, date], ...] = ()
    team_ids: tuple[int, ...] = ()
    skill_ids: frozenset[int] = frozenset()
    pairing_days: frozenset[date] = frozenset()  # days already spent pairing
    pairings_so_far: int = 0

    def on_leave(self, day: date) -> bool:
        return any(start <= day <= end for start, end in self.leaves)

    def on_leave_at(self, moment: datetime) -> bool:
        return self.on_leave(moment.astimezone(self.calendar.zone).date())

    def shifts(self, day: date) -> list[Interval]:
        """Their working time on their own local ``day``, as UTC intervals."""
        zone = self.calendar.zone
        start = datetime.combine(day, time(0), tzinfo=zone)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
        return list(self.calendar.open_intervals(start, end))

    def works_during(self, start: datetime, end: datetime) -> bool:
        return next(iter(self.calendar.open_intervals(start, end)), None) is not None


@dataclass(frozen=True)
class TeamRule:
    """A support team whose hours must stay covered."""

    id: int
    name: str
    member_ids: tuple[int, ...]
    minimum: int = DEFAULT_MINIMUM


@dataclass(frozen=True)
class Refusal:
    """Why one advocate (or the engineer, ``who`` empty) cannot pair on one date."""

    why: Why
    who: str = ""
    data: Mapping[str, object] = field(default_factory=dict)

    def text(self) -> str:
        return describe(self)


@dataclass(frozen=True)
class DateVerdict:
    day: date
    refusals: tuple[Refusal, ...]


@dataclass(frozen=True)
class Match:
    day: date
    advocate: Person
    starts_at: datetime
    ends_at: datetime
    overlap_minutes: int
    has_skill: bool


@dataclass(frozen=True)
class Outcome:
    match: Match | None
    verdicts: tuple[DateVerdict, ...]  # the dates tried before the match, or all of them


def overlap(first: Sequence[Interval], second: Sequence[Interval]) -> list[Interval]:
    """The intersection of two sorted lists of intervals."""
    out: list[Interval] = []
    i = j = 0
    while i < len(first) and j < len(second):
        start = max(first[i][0], second[j][0])
        end = min(first[i][1], second[j][1])
        if start < end:
            out.append((start, end))
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return out


def minutes(intervals: Iterable[Interval]) -> int:
    return sum(int((end - start).total_seconds() // 60) for start, end in intervals)


def hours_touched(intervals: Iterable[Interval]) -> list[datetime]:
    """The UTC clock hours (their starts) that the intervals reach into, sorted."""
    hours: set[datetime] = set()
    for start, end in intervals:
        hour = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        while hour < end:
            hours.add(hour)
            hour += HOUR
    return sorted(hours)


def coverage_gaps(advocate: Person, day: date, team: TeamRule, people: Mapping[int, Person],
                  away: Iterable[int] = ()) -> list[tuple[datetime, datetime, int]]:
    """The hours of ``day`` when ``team`` would have fewer than its minimum on shift with
    ``advocate`` away (and the people in ``away``, pairing that day): ``(start, end, count)``
    UTC ranges, consecutive hours with the same count merged."""
    away_ids = {advocate.id, *away}
    gaps: list[tuple[datetime, datetime, int]] = []
    for hour in hours_touched(advocate.shifts(day)):
        count = 0
        for member_id in team.member_ids:
            member = people.get(member_id)
            if member is None or member.id in away_ids:
                continue
            if member.works_during(hour, hour + HOUR) and not member.on_leave_at(hour):
                count += 1
        if count >= team.minimum:
            continue
        if gaps and gaps[-1][1] == hour and gaps[-1][2] == count:
            gaps[-1] = (gaps[-1][0], hour + HOUR, count)
        else:
            gaps.append((hour, hour + HOUR, count))
    return gaps


def screen(engineer: Person, advocate: Person, day: date, teams: Sequence[TeamRule],
           people: Mapping[int, Person], busy_ids: frozenset[int],
           minimum_overlap: int = MINIMUM_OVERLAP) -> Refusal | list[Interval]:
    """The first rule ``advocate`` fails on ``day``, or the time they share with the
    engineer."""
    if advocate.on_leave(day):
        return Refusal(Why.LEAVE, advocate.name)
    shifts = advocate.shifts(day)
    if not shifts:
        return Refusal(Why.OFF, advocate.name)
    if advocate.id in busy_ids or day in advocate.pairing_days:
        return Refusal(Why.BUSY, advocate.name)
    shared = overlap(engineer.shifts(day), shifts)
    if minutes(shared) < minimum_overlap:
        return Refusal(Why.OVERLAP, advocate.name,
                       {"minutes": minutes(shared), "minimum": minimum_overlap})
    for team in teams:
        if team.id not in advocate.team_ids:
            continue
        gaps = coverage_gaps(advocate, day, team, people, busy_ids)
        if gaps:
            start, end, count = gaps[0]
            return Refusal(Why.COVERAGE, advocate.name, {
                "team": team.name, "count": count, "minimum": team.minimum,
                "start": start, "end": end,
            })
    return shared


def choose(engineer: Person, days: Sequence[date], advocates: Sequence[Person],
           teams: Sequence[TeamRule], busy: Mapping[date, frozenset[int]] | None = None,
           skill_id: int | None = None, minimum_overlap: int = MINIMUM_OVERLAP) -> Outcome:
    """The advocate for the first of ``days`` that works (``busy``: who already pairs on
    each day), or why each day failed. ``advocates`` should include every member of
    ``teams`` (the coverage count reads them)."""
    people = {person.id: person for person in advocates}
    verdicts: list[DateVerdict] = []
    for day in days:
        if engineer.on_leave(day):
            verdicts.append(DateVerdict(day, (Refusal(Why.ENGINEER_LEAVE),)))
            continue
        if day in engineer.pairing_days:
            verdicts.append(DateVerdict(day, (Refusal(Why.ENGINEER_BUSY),)))
            continue
        if not engineer.shifts(day):
            verdicts.append(DateVerdict(day, (Refusal(Why.ENGINEER_OFF),)))
            continue
        busy_ids = (busy or {}).get(day, frozenset())
        refusals: list[Refusal] = []
        kept: list[tuple[tuple, Person, list[Interval]]] = []
        for advocate in advocates:
            if advocate.id == engineer.id:
                continue
            result = screen(engineer, advocate, day, teams, people, busy_ids, minimum_overlap)
            if isinstance(result, Refusal):
                refusals.append(result)
                continue
            has_skill = skill_id is not None and skill_id in advocate.skill_ids
            key = (not has_skill, -minutes(result), advocate.pairings_so_far, advocate.id)
            kept.append((key, advocate, result))
        if kept:
            _key, advocate, shared = min(kept, key=lambda item: item[0])
            return Outcome(Match(day, advocate, shared[0][0], shared[-1][1], minutes(shared),
                                 skill_id is not None and skill_id in advocate.skill_ids),
                           tuple(verdicts))
        verdicts.append(DateVerdict(day, tuple(refusals) or (Refusal(Why.NOBODY),)))
    return Outcome(None, tuple(verdicts))


def describe(refusal: Refusal) -> str:
    """The refusal in words, in the active language."""
    data = refusal.data
    who = refusal.who
    if refusal.why == Why.ENGINEER_OFF:
        return _("You do not work that day.")
    if refusal.why == Why.ENGINEER_LEAVE:
        return _("You are on leave that day.")
    if refusal.why == Why.ENGINEER_BUSY:
        return _("You already have a customer day then.")
    if refusal.why == Why.NOBODY:
        return _("No support team has an advocate or lead.")
    if refusal.why == Why.LEAVE:
        return _("%(name)s: on leave") % {"name": who}
    if refusal.why == Why.OFF:
        return _("%(name)s: not working that day") % {"name": who}
    if refusal.why == Why.BUSY:
        return _("%(name)s: already pairing that day") % {"name": who}
    if refusal.why == Why.OVERLAP:
        return _("%(name)s: %(hours)s h in common with your hours, %(minimum)s h needed") % {
            "name": who, "hours": _hours(int(data["minutes"])),  # type: ignore[call-overload]
            "minimum": _hours(int(data["minimum"]))}  # type: ignore[call-overload]
    start: datetime = data["start"]  # type: ignore[assignment]
    end: datetime = data["end"]  # type: ignore[assignment]
    count = int(data["count"])  # type: ignore[call-overload]
    return ngettext(
        "%(name)s: %(team)s team would have %(count)s advocate %(start)s–%(end)s UTC, "
        "minimum %(minimum)s",
        "%(name)s: %(team)s team would have %(count)s advocates %(start)s–%(end)s UTC, "
        "minimum %(minimum)s", count,
    ) % {"name": who, "team": data["team"], "count": count, "minimum": data["minimum"],
         **_utc_span(start, end)}


def _utc_span(start: datetime, end: datetime) -> dict[str, str]:
    """A gap's UTC bounds as clock times; with the weekday when it runs past midnight
    (a day's gap from 23:00 to 23:00 the next day), ending at "24:00" when it ends there."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end.date() == start.date() or (end.time() == time(0) and end - start <= DAY):
        return {"start": f"{start:%H:%M}", "end": "24:00" if end.date() != start.date()
                else f"{end:%H:%M}"}
    return {"start": date_format(start, "D H:i"), "end": date_format(end, "D H:i")}


def _hours(value: int) -> str:
    return f"{value / 60:.1f}".removesuffix(".0")
