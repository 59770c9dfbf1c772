"""Whole-team support: who answers customers, per team, against the daily share.

Read from ``ParticipationDay`` (public replies per person and UTC day, from the events). A
person is "in support" when one of their teams is a support team; everyone else owes the
daily share (``REPORTS_DAILY_SHARE_GOAL``, Buffer's 5 conversations a working day).
Everyone sees their own figures; leads see the organisation's and each team's; per-person
comparisons need ``REPORTS_PER_AGENT`` (off by default: "no-numbers").
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from comptoir.accounts.models import Team, User
from comptoir.accounts.permissions import Perm, has_perm

from .filters import NO_TEAM, ReportFilter
from .metrics import Ratio
from .models import ParticipationDay
from .queries import day_label, percent, range_days, weekdays_between
from .shapes import Chart, Column, Kpi, Table


def daily_share_goal() -> int:
    """Conversations a day each person outside support answers (Buffer: at least 5)."""
    return int(getattr(settings, "REPORTS_DAILY_SHARE_GOAL", 5))


def per_agent_figures() -> bool:
    """Per-person comparisons for leads: off by default ("no-numbers")."""
    return bool(getattr(settings, "REPORTS_PER_AGENT", False))


@dataclass
class Person:
    user: User
    support: bool
    team_ids: set[int]
    replies: int = 0
    conversations: int = 0
    by_day: dict[date, int] = field(default_factory=dict)
    replies_by_day: dict[date, int] = field(default_factory=dict)


def _people(team: str) -> dict[int, Person]:
    users = User.objects.filter(is_active=True).prefetch_related("teams")
    people = {}
    for user in users:
        if not has_perm(user, Perm.REPLY):  # observers read; they owe no daily share
            continue
        teams = list(user.teams.all())
        team_ids = {t.pk for t in teams}
        if (team == NO_TEAM and team_ids) or (team.isdigit() and int(team) not in team_ids):
            continue
        people[user.pk] = Person(user, any(t.is_support for t in teams), team_ids)
    return people


def participation(f: ReportFilter, viewer: User, *, org_figures: bool) -> dict[str, Any]:
    """Whole-team support: conversations answered by people outside the support teams, per
    team, against the daily share (``REPORTS_DAILY_SHARE_GOAL``, 5). ``org_figures`` adds
    the organisation and team figures (leads); everyone sees their own. Per-person rows
    only with ``REPORTS_PER_AGENT`` ("no-numbers" by default)."""
    goal = daily_share_goal()
    weekdays = max(1, weekdays_between(f.start, f.end))
    people = _people(f.team)
    rows = ParticipationDay.objects.filter(day__gte=f.start, day__lte=f.end)
    rows = rows.filter(user_id__in=list(people)) if org_figures else rows.filter(user_id=viewer.pk)
    for r in rows.values_list("user_id", "day", "replies", "conversations"):
        person = people.get(r[0])
        if person is not None:
            person.replies += r[2]
            person.conversations += r[3]
            person.by_day[r[1]] = r[3]
            person.replies_by_day[r[1]] = r[2]
    days = range_days(f)
    labels = [day_label(d) for d in days]
    result: dict[str, Any] = {"goal": goal, "weekdays": weekdays, "tables": [], "charts": []}

    me = people.get(viewer.pk)
    if me is not None:
        at_goal = sum(1 for n in me.by_day.values() if n >= goal)
        result["mine"] = {
            "conversations": me.conversations, "replies": me.replies,
            "per_weekday": me.conversations / weekdays, "days_at_goal": at_goal,
            "support": me.support,
        }
        datasets = [{"label": str(_("Conversations answered")),
                     "data": [me.by_day.get(d, 0) for d in days]}]
        if not me.support:
            datasets.append({"label": str(_("Daily share")), "type": "line", "pointRadius": 0,
                             "data": [goal if d.weekday() < 5 else None for d in days]})
        result["charts"].append(Chart("mine", _("Conversations you answered per day"), "bar",
                                      labels, datasets))
        result["tables"].append(Table("mine", _("Your figures"), [
            Column("day", _("Day (UTC)"), "date"), Column("conversations", _("Conversations")),
            Column("replies", _("Replies")),
        ], [[d, me.by_day.get(d, 0), me.replies_by_day.get(d, 0)] for d in days],
            shown=False))
    if not org_figures:
        return result

    outside = [p for p in people.values() if not p.support]
    support = [p for p in people.values() if p.support]
    replies_all = sum(p.replies for p in people.values())
    org = Table("org", _("Who answers customers"), [
        Column("group", _("Group"), "text"), Column("people", _("People")),
        Column("active", _("Answered at least once")),
        Column("conversations", _("Conversations answered")), Column("replies", _("Replies")),
        Column("share", _("Share of replies"), "percent"),
        Column("per_person", _("Per person per working day"), "number"),
    ], note=_("Conversations answered count once per person and day."))
    for label, group in ((_("Support teams"), support), (_("Everyone else"), outside)):
        conversations = sum(p.conversations for p in group)
        replies = sum(p.replies for p in group)
        org.rows.append([label, len(group), sum(1 for p in group if p.replies),
                         conversations, replies, percent(Ratio(replies, replies_all)),
                         conversations / (len(group) * weekdays) if group else None])
    result["tables"].append(org)

    teams = {t.pk: t for t in Team.objects.all()}
    by_team = Table("teams", _("Daily share per team"), [
        Column("team", _("Team"), "text"), Column("people", _("People outside support")),
        Column("active", _("Answered at least once")),
        Column("conversations", _("Conversations answered")),
        Column("per_person", _("Per person per working day"), "number"),
        Column("goal", _("Of the daily share"), "percent"),
        Column("at_goal", _("People at their daily share")),
    ], note=_("Daily share: %(goal)s conversations a working day for each person outside "
              "the support teams.") % {"goal": goal})
    for team_id, team in sorted(teams.items(), key=lambda kv: kv[1].name):
        members = [p for p in outside if team_id in p.team_ids]
        if not members:
            continue
        conversations = sum(p.conversations for p in members)
        per_person = conversations / (len(members) * weekdays)
        by_team.rows.append([
            team.name, len(members), sum(1 for p in members if p.replies), conversations,
            per_person, round(100 * per_person / goal, 1) if goal else None,
            sum(1 for p in members if p.conversations >= goal * weekdays),
        ])
    result["tables"].append(by_team)

    support_daily = defaultdict(int)
    outside_daily = defaultdict(int)
    for p in support:
        for d, n in p.by_day.items():
            support_daily[d] += n
    for p in outside:
        for d, n in p.by_day.items():
            outside_daily[d] += n
    result["charts"].insert(0, Chart("org", _("Conversations answered per day"), "bar", labels, [
        {"label": str(_("Support teams")), "stack": "who",
         "data": [support_daily.get(d, 0) for d in days]},
        {"label": str(_("Everyone else")), "stack": "who",
         "data": [outside_daily.get(d, 0) for d in days]},
        {"label": str(_("Everyone else's daily share")), "type": "line", "stack": "goal",
         "data": [goal * len(outside) if d.weekday() < 5 else None for d in days],
         "pointRadius": 0},
    ], {"stacked": True}))
    result["kpis"] = [
        Kpi(_("Replies by people outside support"),
            percent(Ratio(sum(p.replies for p in outside), replies_all)), "percent",
            better=""),
        Kpi(_("People outside support who answered"),
            sum(1 for p in outside if p.replies), "int", better=""),
        Kpi(_("Conversations per person per working day"),
            sum(p.conversations for p in outside) / (len(outside) * weekdays)
            if outside else None, "number", better="", note=_("goal: %(goal)s") % {"goal": goal}),
    ]
    if per_agent_figures():
        people_table = Table("people", _("Per person"), [
            Column("person", _("Person"), "text"), Column("support", _("Support"), "text"),
            Column("conversations", _("Conversations answered")),
            Column("replies", _("Replies")),
            Column("per_person", _("Per working day"), "number"),
        ], note=_("Shown because REPORTS_PER_AGENT is on."))
        for p in sorted(people.values(), key=lambda p: p.user.display_name):
            people_table.rows.append([p.user.display_name, _("yes") if p.support else _("no"),
                                      p.conversations, p.replies, p.conversations / weekdays])
        result["tables"].append(people_table)
    return result

