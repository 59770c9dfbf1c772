"""Read side: "Why here?" for a conversation, and a person's own routing settings.

The decisions store ids; names, time zones and languages are looked up when shown (three
queries for a conversation, however many decisions and people).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comptoir.accounts.models import Team, User
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import Conversation, Event

from . import forms, rules
from .models import Outcome, RoutingDecision, Skill, WorkingHours

LANGUAGE_NAMES = dict(settings.LANGUAGES)


def language_label(code: str) -> str:
    if not code:
        return _("unknown language")
    if code == "other":
        return _("a language we do not support")
    return str(LANGUAGE_NAMES.get(code, code))


@dataclass
class Person:
    id: int
    name: str
    time_zone: str
    languages: list[str]

    def local_time(self, at: datetime) -> str:
        try:
            zone = ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        return at.astimezone(zone).strftime("%a %H:%M")


@dataclass
class Line:
    """One candidate of a decision, as shown."""

    person: Person
    result: str  # "chosen", "kept" or "dropped"
    why: str
    load: int | None = None
    last_assigned: datetime | None = None


@dataclass
class TeamLine:
    name: str
    detail: str


@dataclass
class Explanation:
    decision: RoutingDecision
    summary: str
    team_line: str
    needs: list[str]
    lines: list[Line] = field(default_factory=list)
    teams: list[TeamLine] = field(default_factory=list)

    @property
    def queued(self) -> bool:
        return self.decision.outcome == Outcome.QUEUED


@dataclass
class Failure:
    at: datetime
    error: str


def why(conversation: Conversation) -> tuple[list[Explanation], list[Failure]]:
    """Every routing of ``conversation``, latest first, explained; and routing failures."""
    decisions = list(RoutingDecision.objects.filter(conversation=conversation)
                     .select_related("team", "assignee", "pool").order_by("-created_at", "-id"))
    failures = [Failure(at, str(data.get("error", ""))) for at, data in Event.objects.filter(
        conversation=conversation, kind=EventKind.ASSIGNMENT_QUEUED,
        data__reason=rules.Reason.ERROR).values_list("created_at", "data")]
    ids: set[int] = set()
    team_ids: set[int] = set()
    for decision in decisions:
        ids.update(row[0] for row in decision.ranked)
        if decision.pool is not None:
            ids.update(decision.pool.kept)
            for dropped in decision.pool.dropped.values():
                ids.update(dropped)
            team_ids.update(team["id"] for team in decision.pool.teams)
    people = {
        pk: Person(pk, f"{first} {last}".strip() or username, zone or "UTC",
                   languages if isinstance(languages, list) else [])
        for pk, username, first, last, zone, languages in User.objects.filter(pk__in=ids)
        .values_list("pk", "username", "first_name", "last_name", "time_zone",
                     "spoken_languages")
    } if ids else {}
    teams = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "name")) \
        if team_ids else {}
    return [_explain(decision, people, teams) for decision in decisions], failures


def _person(people: dict[int, Person], pk: int) -> Person:
    return people.get(pk) or Person(pk, _("#%(id)s (deleted)") % {"id": pk}, "UTC", [])


def _explain(decision: RoutingDecision, people: dict[int, Person],
             teams: dict[int, str]) -> Explanation:
    needs = decision.needs or {}
    language = needs.get("language", "")
    skills = needs.get("skills", [])
    required = [s["name"] for s in skills if not s.get("ignored")]
    need_lines = [_("Language: %(language)s.") % {"language": language_label(language)}]
    if language in rules.ANY_LANGUAGE:
        need_lines[0] += " " + _("Anyone can take it.")
    for skill in skills:
        source = {"tag": _("tag “%(value)s”"), "mailbox": _("mailbox %(value)s"),
                  "keyword": _("“%(value)s” in the subject")}.get(skill["by"], "%(value)s")
        text = _("Skill %(name)s, called for by the %(source)s.") % {
            "name": skill["name"], "source": source % {"value": skill["value"]}}
        if skill.get("ignored"):
            text += " " + _("Ignored: nobody who could be asked has it.")
        need_lines.append(text)

    at = decision.created_at
    lines: list[Line] = []
    kept = decision.ranked
    pool = decision.pool
    for index, (pk, load, last) in enumerate(kept):
        chosen = index == 0 and decision.outcome == Outcome.ASSIGNED
        last_at = datetime.fromtimestamp(last, UTC) if last is not None else None
        if chosen:
            why_text = _("Chosen.")
        elif load > kept[0][1]:
            why_text = _("More open conversations.")
        else:
            why_text = _("As many open conversations; assigned more recently (round-robin).")
        lines.append(Line(_person(people, pk), "chosen" if chosen else "kept", why_text, load,
                          last_at))
    shown = {row[0] for row in kept}
    lower = _("Also available; ranked lower (more open conversations, or assigned more "
              "recently).")
    lines.extend(Line(_person(people, pk), "kept", lower)
                 for pk in (pool.kept if pool is not None else ()) if pk not in shown)
    dropped = pool.dropped if pool is not None else {}
    for rule in rules.RULES:
        for pk in dropped.get(rule, []):
            person = _person(people, pk)
            if rule == rules.Rule.LANGUAGE:
                spoken = ", ".join(person.languages) or _("none given")
                why_text = _("Does not speak %(language)s (speaks: %(spoken)s).") % {
                    "language": language_label(language), "spoken": spoken}
            elif rule == rules.Rule.SKILL:
                why_text = _("Lacks the skill: %(skills)s.") % {"skills": ", ".join(required)}
            elif rule == rules.Rule.LEAVE:
                why_text = _("On leave.")
            else:
                why_text = _("Off shift: it was %(time)s for them (%(zone)s).") % {
                    "time": person.local_time(at), "zone": person.time_zone}
            lines.append(Line(person, "dropped", why_text))

    team_name = decision.team.name if decision.team else ""
    team_line = _team_line(decision, team_name, needs, teams)
    team_rows = []
    for team in pool.teams if pool is not None else ():
        name = teams.get(team["id"], f"#{team['id']}")
        if "available" in team:
            detail = ngettext("%(count)s person on shift who could take it",
                              "%(count)s people on shift who could take it",
                              team["available"]) % {"count": team["available"]}
        else:
            start = team.get("next_shift")
            detail = (_("back on shift %(at)s") % {"at": _format_instant(start)} if start
                      else _("nobody with working hours"))
            if not team.get("speaks"):
                detail += " · " + _("nobody speaks %(language)s") % {
                    "language": language_label(language)}
        team_rows.append(TeamLine(name, detail))
    return Explanation(decision, _summary(decision, lines, team_name, language, required),
                       team_line, need_lines, lines, team_rows)


def _format_instant(iso: str) -> str:
    moment = timezone.localtime(datetime.fromisoformat(iso))
    return date_format(moment, "SHORT_DATETIME_FORMAT")


def _team_line(decision: RoutingDecision, team_name: str, needs: dict,
               teams: dict[int, str]) -> str:
    reason = decision.team_reason
    if reason == rules.TeamReason.MAILBOX:
        return _("%(team)s: the team of the mailbox %(mailbox)s.") % {
            "team": team_name, "mailbox": needs.get("mailbox", "")}
    if reason == rules.TeamReason.SET:
        return _("%(team)s: the team it already had.") % {"team": team_name}
    if reason == rules.TeamReason.FOLLOW_THE_SUN:
        return _("%(team)s: follow-the-sun, the support team of the person chosen among "
                 "everyone on shift now.") % {"team": team_name}
    if reason == rules.TeamReason.NEXT_ON_SHIFT:
        return _("%(team)s: nobody could take it now; this team's people who speak its "
                 "language are back on shift first.") % {"team": team_name}
    return _("No team.")


def _summary(decision: RoutingDecision, lines: list[Line], team_name: str, language: str,
             required: list[str]) -> str:
    kept = [line for line in lines if line.result in ("chosen", "kept")]
    ranked = [line for line in kept if line.load is not None]
    if decision.outcome == Outcome.ASSIGNED:
        chosen = kept[0]
        name = decision.assignee.display_name if decision.assignee else chosen.person.name
        if len(kept) == 1:
            return _("%(name)s got it: the only person who could take it now.") % {"name": name}
        tied = sum(1 for line in ranked if line.load == chosen.load)
        if tied > 1:
            return _("%(name)s got it: among the %(count)s people who could take it now, "
                     "%(name)s was one of those with the fewest open conversations "
                     "(%(load)s) and the one whose last automatic assignment was the oldest "
                     "(round-robin).") % {"name": name, "count": len(kept), "load": chosen.load}
        return _("%(name)s got it: the fewest open conversations (%(load)s) among the "
                 "%(count)s people who could take it now.") % {
            "name": name, "load": chosen.load, "count": len(kept)}
    queue = team_name or _("no team")
    reasons = {
        rules.Rule.LANGUAGE: _("nobody there speaks %(language)s"),
        rules.Rule.SKILL: _("nobody there who speaks its language has the skill: %(skills)s"),
        rules.Rule.LEAVE: _("everyone who could take it is on leave"),
        rules.Rule.SHIFT: _("nobody who could take it is on shift now"),
        rules.Reason.NO_AGENTS: _("the team has no advocate or lead"),
        rules.Reason.NO_SUPPORT_TEAM: _("there is no support team"),
    }
    reason = reasons.get(decision.reason, decision.reason) % {
        "language": language_label(language), "skills": ", ".join(required)}
    return _("It waits in the queue of %(queue)s: %(reason)s.") % {"queue": queue,
                                                                   "reason": reason}


# --- a person's own settings ------------------------------------------------------------------


@dataclass
class MyRouting:
    hours_form: forms.HoursForm
    default_hours: bool
    on_shift_now: bool
    on_leave_now: bool
    leave_form: forms.LeaveForm
    leaves: list
    skills_form: forms.SkillsForm
    any_skills: bool
    assignable: bool


def my_routing(user: User, *, hours_form: forms.HoursForm | None = None,
               leave_form: forms.LeaveForm | None = None) -> MyRouting:
    """What the preferences page shows of the person's own routing settings."""
    hours = WorkingHours.objects.filter(user=user).values_list("weekly_hours", flat=True).first()
    calendar = rules.calendar_for(user.time_zone, hours)
    now = timezone.now()
    local_today = now.astimezone(calendar.zone).date()
    leaves = list(user.leaves.filter(ends_on__gte=local_today).order_by("starts_on"))
    return MyRouting(
        hours_form=hours_form or forms.HoursForm(hours=hours),
        default_hours=hours is None,
        on_shift_now=calendar.is_open(now),
        on_leave_now=any(leave.starts_on <= local_today <= leave.ends_on for leave in leaves),
        leave_form=leave_form or forms.LeaveForm(),
        leaves=leaves,
        skills_form=forms.SkillsForm(initial={"skills": list(user.skills.all())}),
        any_skills=Skill.objects.exists(),
        assignable=user.role in rules.ASSIGNABLE_ROLES,
    )
