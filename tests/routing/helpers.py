"""Helpers for routing tests: agents with teams, hours, leave and skills; a fixed clock."""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine

from comptoir.accounts.models import Role, Team, User
from comptoir.routing.models import Leave, Skill, WorkingHours

from ..factories import make_team, make_user

# Tuesday 24 November 2026, 10:00 UTC: 11:00 in Paris, 19:00 in Tokyo, 05:00 in New York.
TUESDAY_10_UTC = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
# Saturday 28 November 2026, 12:00 UTC: nobody works office hours.
SATURDAY_NOON_UTC = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def at(moment: datetime):
    """Freeze the clock at ``moment`` (intake reads ``timezone.now()``)."""
    return time_machine.travel(moment, tick=False)


def support_team(name: str, time_zone: str = "Europe/Paris") -> Team:
    return make_team(name, time_zone=time_zone, is_support=True)


def make_agent(team: Team | None = None, *, languages=("en",), role: str = Role.ADVOCATE,
               time_zone: str = "Europe/Paris", hours: dict | None = None,
               skills: tuple[Skill, ...] = (), leave: tuple[date, date] | None = None,
               **fields) -> User:
    user = make_user(role, spoken_languages=list(languages), time_zone=time_zone, **fields)
    if team is not None:
        user.teams.add(team)
    if hours is not None:
        WorkingHours.objects.create(user=user, weekly_hours=hours)
    for skill in skills:
        skill.members.add(user)
    if leave is not None:
        Leave.objects.create(user=user, starts_on=leave[0], ends_on=leave[1])
    return user


def every_day(start: str = "00:00", end: str = "24:00") -> dict:
    return {str(day): [[start, end]] for day in range(7)}
