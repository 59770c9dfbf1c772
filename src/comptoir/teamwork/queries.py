"""The read side: a person's share of the day with their own progress, the leads' coverage
by team (never by person), and a conversation's requests for an advocate."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from comptoir.accounts.models import Team, User
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import Event, Message, MessageKind
from comptoir.reports.shapes import Chart

from .models import Share

COVERAGE_DAYS = 14


def offered_label() -> str:
    """"Offered" as in daily shares (a survey "offered" is another word in some languages)."""
    return pgettext("conversations offered in daily shares", "Offered")


def zone_of(user: User) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(user.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local_today(user: User, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(zone_of(user)).date()


def _answered_by_them() -> Exists:
    """The person offered the share replied to the customer since it was offered."""
    return Exists(Message.objects.filter(
        conversation_id=OuterRef("conversation_id"), kind=MessageKind.REPLY,
        author_id=OuterRef("user_id"), created_at__gte=OuterRef("offered_at")))


def _answered_by_anyone() -> Exists:
    return Exists(Message.objects.filter(
        conversation_id=OuterRef("conversation_id"), kind=MessageKind.REPLY,
        created_at__gte=OuterRef("offered_at")))


@dataclass
class MyShare:
    day: date
    shares: list[Share]  # each with ``answered`` (bool)
    answered: int

    @property
    def total(self) -> int:
        return len(self.shares)


def my_share(user: User, day: date | None = None) -> MyShare:
    """``user``'s standing share of ``day`` (their local today by default), each marked
    answered or not. One query."""
    day = day or local_today(user)
    shares = list(Share.objects.filter(user=user, day=day, dropped_at__isnull=True)
                  .select_related("conversation__person")
                  .annotate(answered=_answered_by_them())
                  .order_by("offered_at", "pk"))
    return MyShare(day, shares, sum(1 for share in shares if share.answered))


PROGRESS_WEEKS = 4


@dataclass
class ProgressDay:
    day: date
    offered: int  # shares still standing, or answered by the person before withdrawn
    answered: int  # answered by the person since it was offered


@dataclass
class MyProgress:
    start: date
    end: date
    days: list[ProgressDay]  # every day of the period, oldest first (zeros included)
    chart: Chart

    @property
    def offered(self) -> int:
        return sum(day.offered for day in self.days)

    @property
    def answered(self) -> int:
        return sum(day.answered for day in self.days)


def my_progress(user: User, end: date | None = None, weeks: int = PROGRESS_WEEKS
                ) -> MyProgress:
    """``user``'s own shares day by day over the last ``weeks`` weeks to ``end`` (their local
    today): offered and answered by them. Their own only; for them alone. One query."""
    end = end or local_today(user)
    start = end - timedelta(days=7 * weeks - 1)
    rows = (Share.objects.filter(user=user, day__range=(start, end)).order_by()
            .annotate(mine=_answered_by_them()).values("day")
            .annotate(offered=Count("pk", filter=Q(dropped_at__isnull=True) | Q(mine=True)),
                      answered=Count("pk", filter=Q(mine=True))))
    found = {row["day"]: (row["offered"], row["answered"]) for row in rows}
    days = [ProgressDay(start + timedelta(days=n), *found.get(start + timedelta(days=n), (0, 0)))
            for n in range((end - start).days + 1)]
    chart = Chart("my-progress", _("Your shares, day by day"), "bar",
                  [day.day.isoformat() for day in days],
                  [{"label": _("Answered by you"), "type": "bar",
                    "data": [day.answered for day in days]},
                   {"label": offered_label(), "type": "line",
                    "data": [day.offered for day in days]}], {})
    return MyProgress(start, end, days, chart)


@dataclass
class TeamCoverage:
    team: str
    offered: int
    taken_up: int
    answered: int

    @property
    def taken_up_percent(self) -> float | None:
        return None if not self.offered else 100.0 * self.taken_up / self.offered


@dataclass
class Coverage:
    start: date
    end: date
    teams: list[TeamCoverage]  # over the whole period, by team
    chart: Chart


def coverage(end: date, days: int = COVERAGE_DAYS) -> Coverage:
    """Per team and day: shares offered, taken up (answered by the person they were offered
    to) and answered (by anyone since the offer). Grouped by team in SQL: no row ever
    names a person."""
    start = end - timedelta(days=days - 1)
    rows = (Share.objects.filter(day__range=(start, end)).order_by()
            .annotate(mine=_answered_by_them(), anyone=_answered_by_anyone())
            .values("day", "team_id")
            .annotate(offered=Count("pk"), taken_up=Count("pk", filter=Q(mine=True)),
                      answered=Count("pk", filter=Q(anyone=True))))
    names = dict(Team.objects.values_list("pk", "name"))
    no_team = _("No team")
    by_team: dict[str, TeamCoverage] = {}
    per_day: dict[tuple[str, date], tuple[int, int]] = {}
    for row in rows:
        name = names.get(row["team_id"], no_team)
        total = by_team.setdefault(name, TeamCoverage(name, 0, 0, 0))
        total.offered += row["offered"]
        total.taken_up += row["taken_up"]
        total.answered += row["answered"]
        offered, taken = per_day.get((name, row["day"]), (0, 0))
        per_day[(name, row["day"])] = (offered + row["offered"], taken + row["taken_up"])
    teams = sorted(by_team.values(), key=lambda t: (t.team == no_team, t.team))
    labels = [(start + timedelta(days=i)) for i in range(days)]
    datasets = [{"label": team.team, "type": "bar",
                 "data": [per_day.get((team.team, day), (0, 0))[1] for day in labels]}
                for team in teams]
    offered_line = {"label": offered_label(), "type": "line", "stack": "offered",
                    "data": [sum(per_day.get((t.team, day), (0, 0))[0] for t in teams)
                             for day in labels]}
    chart = Chart("coverage", _("Shares taken up by team, with shares offered"), "bar",
                  [day.isoformat() for day in labels], [*datasets, offered_line],
                  {"stacked": True})
    return Coverage(start, end, teams, chart)


def help_history(conversation_id: int, limit: int = 10) -> list[Event]:
    return list(Event.objects.filter(conversation_id=conversation_id,
                                     kind=EventKind.ADVOCATE_ASKED)
                .select_related("actor").order_by("-created_at", "-id")[:limit])
