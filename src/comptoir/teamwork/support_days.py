"""Support days ("Advocacy Day"): the whole company, or chosen teams, answers customers for a
day, each person during their own working day in their own time zone.

What failed before, and what answers it here:

- calendars: the lead schedules a date per scope and sees who is on leave that day
  (:func:`leave_warnings`); the day spans everyone's working day (:func:`day_span`);
- customers kept covered: an on-call roster of advocates hour by hour, filled from their
  working hours and edited by the lead, with its gaps shown (:func:`roster`); "ask an
  advocate" prefers the day's on-call advocates (:func:`on_call_now`);
- no record of learnings or outcomes: the day's figures are computed from the event log
  and messages (:func:`outcomes`), UX problems are listed on the day, the lead writes the
  learnings, searchable (:func:`search_days`).

"No-numbers": outcomes are the team's for the day. Nothing here ranks or counts per person;
a person's first ever reply is celebrated (:func:`celebrate_first_replies`), not scored.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from comptoir import realtime
from comptoir.accounts.models import Team, User
from comptoir.bugs.models import Bug, BugLink
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import Conversation, Event, Macro, Message, MessageKind
from comptoir.routing import rules as routing_rules
from comptoir.routing.models import Leave

from . import picking
from .models import FirstReply, OnCallChange, SupportDay, ToneNote, UxProblem

HOUR = timedelta(hours=1)
#: a reply older than this when the scan first sees its author is recorded, not announced
FIRST_REPLY_WINDOW = timedelta(days=1)
ADVOCATE_ROLES = routing_rules.ASSIGNABLE_ROLES
LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


class SupportDayError(ValueError):
    """Bad input: the message says what to fix."""


def zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local_midnight(day: date, zone_name: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone(zone_name)).astimezone(UTC)


# --- scheduling ------------------------------------------------------------------------------


def schedule(lead: User, *, day: date, title: str, whole_company: bool,
             teams: list[Team] | QuerySet | None = None, notes: str = "",
             today: date | None = None) -> SupportDay:
    """``lead`` schedules a support day. A day of chosen teams needs at least one team; a
    date in the past is refused (``today`` is the lead's local date)."""
    title = (title or "").strip()
    teams = list(teams or [])
    if not title:
        raise SupportDayError(_("Give the day a title."))
    if today is not None and day < today:
        raise SupportDayError(_("Choose today or a later date."))
    if not whole_company and not teams:
        raise SupportDayError(_("Choose at least one team, or the whole company."))
    with transaction.atomic():
        support_day = SupportDay.objects.create(
            day=day, title=title[:200], whole_company=whole_company, notes=notes.strip(),
            created_by=lead)
        if not whole_company:
            support_day.teams.set(teams)
    return support_day


def participants(support_day: SupportDay) -> QuerySet:
    """Active people of the day's scope who may answer customers."""
    from .services import SHARE_ROLES

    people = User.objects.filter(is_active=True, role__in=SHARE_ROLES)
    if not support_day.whole_company:
        people = people.filter(teams__in=support_day.teams.all()).distinct()
    return people.order_by("first_name", "last_name", "username", "pk")


@dataclass
class LeaveWarning:
    user: User
    leave: Leave


def leave_warnings(support_day: SupportDay) -> list[LeaveWarning]:
    """Participants on leave on the day (their local date: leave is in local dates)."""
    leaves = (Leave.objects.filter(user__in=participants(support_day).values("pk"),
                                   starts_on__lte=support_day.day, ends_on__gte=support_day.day)
              .select_related("user").order_by("user__first_name", "user__username", "pk"))
    seen: set[int] = set()
    warnings = []
    for leave in leaves:
        if leave.user_id not in seen:
            seen.add(leave.user_id)
            warnings.append(LeaveWarning(leave.user, leave))
    return warnings


def _hours_of(user_ids) -> dict[int, tuple[str, object | None]]:
    """User id → (time zone, weekly hours or None for office hours)."""
    return {pk: (tz or "UTC", hours if hours_user is not None else None)
            for pk, tz, hours_user, hours in User.objects.filter(pk__in=user_ids).values_list(
                "pk", "time_zone", "working_hours__user_id", "working_hours__weekly_hours")}


def _local_day_bounds(day: date, zone_name: str) -> tuple[datetime, datetime]:
    return local_midnight(day, zone_name), local_midnight(day + timedelta(days=1), zone_name)


def day_span(support_day: SupportDay) -> tuple[datetime, datetime]:
    """The UTC hours the day covers: from the first participant's start of work (their
    local date) to the last one's end, in whole hours; people on leave that day do not
    count. With nobody working that day, the UTC calendar day."""
    start = end = None
    away = Leave.objects.filter(starts_on__lte=support_day.day, ends_on__gte=support_day.day)
    people = participants(support_day).exclude(pk__in=away.values("user_id")).values("pk")
    for zone_name, hours in _hours_of(people).values():
        calendar = routing_rules.calendar_for(zone_name, hours)
        low, high = _local_day_bounds(support_day.day, zone_name)
        for open_start, open_end in calendar.open_intervals(low, high):
            start = open_start if start is None else min(start, open_start)
            end = open_end if end is None else max(end, open_end)
    if start is None or end is None:
        start = datetime.combine(support_day.day, time(0), tzinfo=UTC)
        return start, start + timedelta(days=1)
    start = start.replace(minute=0, second=0, microsecond=0)
    if end.minute or end.second or end.microsecond:
        end = end.replace(minute=0, second=0, microsecond=0) + HOUR
    return start, end


def is_running(support_day: SupportDay, now: datetime) -> bool:
    start, end = day_span(support_day)
    return start <= now < end


# --- the on-call roster ----------------------------------------------------------------------


@dataclass
class OnCall:
    id: int
    name: str
    local: str  # the hour's start in the advocate's time zone, "HH:MM"
    added: bool = False  # put on call by the lead (not from working hours)


@dataclass
class RosterHour:
    start: datetime  # UTC
    advocates: list[OnCall] = field(default_factory=list)
    removed: list[OnCall] = field(default_factory=list)  # on shift but taken off by the lead

    @property
    def end(self) -> datetime:
        return self.start + HOUR

    @property
    def gap(self) -> bool:
        return not self.advocates


@dataclass
class _Advocate:
    id: int
    name: str
    zone: str
    calendar: object
    leaves: list[tuple[date, date]]

    def local(self, at: datetime) -> datetime:
        return at.astimezone(zone(self.zone))

    def on_leave(self, at: datetime) -> bool:
        return picking.on_leave(self.leaves, self.local(at).date())

    def on_shift(self, start: datetime) -> bool:
        return self.calendar.minutes_between(start, start + HOUR) > 0


def advocates() -> QuerySet:
    return User.objects.filter(is_active=True, role__in=ADVOCATE_ROLES).order_by(
        "first_name", "last_name", "username", "pk")


def _load_advocates(around: date) -> dict[int, _Advocate]:
    """Every active advocate and lead with their calendar and leave near ``around``: two
    queries."""
    people: dict[int, _Advocate] = {}
    for pk, username, first, last, zone_name, hours_user, hours in advocates().values_list(
            "pk", "username", "first_name", "last_name", "time_zone",
            "working_hours__user_id", "working_hours__weekly_hours"):
        zone_name = zone_name or "UTC"
        people[pk] = _Advocate(pk, f"{first} {last}".strip() or username, zone_name,
                               routing_rules.calendar_for(
                                   zone_name, hours if hours_user is not None else None), [])
    for user_id, starts_on, ends_on in Leave.objects.filter(
            user_id__in=list(people), starts_on__lte=around + timedelta(days=1),
            ends_on__gte=around - timedelta(days=1)).values_list(
            "user_id", "starts_on", "ends_on"):
        people[user_id].leaves.append((starts_on, ends_on))
    return people


def _hour_roster(start: datetime, people: dict[int, _Advocate],
                 changes: dict[int, bool]) -> RosterHour:
    row = RosterHour(start)
    for person in people.values():
        change = changes.get(person.id)
        if person.on_leave(start):
            continue  # nobody on leave is on call, whatever the roster says
        on_shift = person.on_shift(start)
        entry = OnCall(person.id, person.name, f"{person.local(start):%H:%M}",
                       added=change is True and not on_shift)
        if change is False and on_shift:
            row.removed.append(entry)
        elif on_shift or change is True:
            row.advocates.append(entry)
    return row


def _changes(support_day: SupportDay) -> dict[datetime, dict[int, bool]]:
    found: dict[datetime, dict[int, bool]] = {}
    for hour, advocate_id, on_call in support_day.on_call_changes.values_list(
            "hour", "advocate_id", "on_call"):
        found.setdefault(hour.astimezone(UTC), {})[advocate_id] = on_call
    return found


def roster(support_day: SupportDay) -> list[RosterHour]:
    """Hour by hour over :func:`day_span`: the advocates on call (on shift for part of the
    hour and not on leave, plus those the lead added, minus those the lead removed).
    ``gap`` hours have nobody."""
    start, end = day_span(support_day)
    people = _load_advocates(support_day.day)
    changes = _changes(support_day)
    hours = []
    at = start
    while at < end:
        hours.append(_hour_roster(at, people, changes.get(at, {})))
        at += HOUR
    return hours


def hour_choices(support_day: SupportDay) -> list[datetime]:
    start, end = day_span(support_day)
    return [start + HOUR * n for n in range(int((end - start) / HOUR))]


def set_on_call(support_day: SupportDay, lead: User, *, hour: datetime, advocate_id: int,
                on_call: bool) -> OnCallChange:
    """``lead`` puts an advocate on call for one hour of the day, or takes them off."""
    hour = hour.astimezone(UTC)
    if hour not in hour_choices(support_day):
        raise SupportDayError(_("Choose an hour of the day."))
    advocate = advocates().filter(pk=advocate_id).first()
    if advocate is None:
        raise SupportDayError(_("Choose an advocate."))
    change, _created = OnCallChange.objects.update_or_create(
        support_day=support_day, hour=hour, advocate=advocate,
        defaults={"on_call": on_call, "changed_by": lead, "changed_at": timezone.now()})
    return change


def running_days(now: datetime) -> list[SupportDay]:
    """Support days under way at ``now`` (somebody's working day of it has started)."""
    today = now.astimezone(UTC).date()
    days = SupportDay.objects.filter(day__range=(today - timedelta(days=1),
                                                 today + timedelta(days=1)))
    return [support_day for support_day in days if is_running(support_day, now)]


def on_call_now(now: datetime) -> set[int]:
    """Advocates on call at ``now`` in the roster of a running support day (none when no
    day is running: one query)."""
    days = running_days(now)
    if not days:
        return set()
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    people = _load_advocates(hour.date())
    ids: set[int] = set()
    for support_day in days:
        row = _hour_roster(hour, people, _changes(support_day).get(hour, {}))
        ids.update(entry.id for entry in row.advocates)
    return ids


def day_of(user: User, now: datetime | None = None) -> SupportDay | None:
    """The support day ``user`` takes part in today (their local date), if any."""
    now = now or timezone.now()
    today = now.astimezone(zone(user.time_zone)).date()
    for support_day in SupportDay.objects.filter(day=today).prefetch_related("teams"):
        if participants(support_day).filter(pk=user.pk).exists():
            return support_day
    return None


# --- guidance --------------------------------------------------------------------------------


def languages_of(user: User) -> list[str]:
    return sorted(picking.languages_of(user.spoken_languages, user.language))


def saved_replies(user: User) -> QuerySet:
    """The saved replies in the languages ``user`` answers in."""
    return Macro.objects.filter(language__in=languages_of(user)).order_by("language", "name")


def tone_notes() -> dict[str, ToneNote | None]:
    """Language code → its tone note (None when none was written), for the five languages."""
    notes = {note.language: note for note in ToneNote.objects.all()}
    return {code: notes.get(code) for code in LANGUAGES}


def set_tone_note(lead: User, language: str, text: str) -> ToneNote:
    if language not in LANGUAGES:
        raise SupportDayError(_("Choose one of the languages."))
    note, _created = ToneNote.objects.update_or_create(
        language=language, defaults={"text": (text or "").strip(), "updated_by": lead,
                                     "updated_at": timezone.now()})
    return note


# --- outcomes --------------------------------------------------------------------------------


def add_ux_problem(support_day: SupportDay, user: User, *, title: str, note: str = "",
                   conversation_id: int | None = None) -> UxProblem:
    title = (title or "").strip()
    if not title:
        raise SupportDayError(_("Say what the problem is in a few words."))
    conversation = None
    if conversation_id is not None:
        conversation = Conversation.objects.filter(pk=conversation_id).first()
        if conversation is None:
            raise SupportDayError(_("No conversation has that number."))
    return UxProblem.objects.create(support_day=support_day, title=title[:200],
                                    note=(note or "").strip(), conversation=conversation,
                                    reported_by=user)


def record_learnings(support_day: SupportDay, lead: User, text: str) -> SupportDay:
    support_day.learnings = (text or "").strip()
    support_day.learnings_updated_at = timezone.now()
    support_day.save(update_fields=["learnings", "learnings_updated_at"])
    return support_day


def search_days(query: str = "") -> QuerySet:
    """Support days, newest first; ``query`` finds words in the title, notes or learnings."""
    days = SupportDay.objects.select_related("created_by").prefetch_related("teams")
    for word in (query or "").split()[:10]:
        days = days.filter(Q(learnings__icontains=word) | Q(title__icontains=word)
                           | Q(notes__icontains=word))
    return days


@dataclass
class Outcomes:
    participants: int
    answering: int  # participants who replied to a customer (how many, never who)
    replies: int
    customers: int  # distinct people answered
    conversations: int  # distinct conversations answered
    solved: int
    bugs: list  # Bug rows linked by participants that day
    ux_problems: list[UxProblem]
    first_replies: list[FirstReply]


def _windows(support_day: SupportDay, person_field: str, time_field: str = "created_at") -> Q:
    """Participants' own date of the day, by time zone: ``time_field`` within [local
    midnight, next local midnight) of a participant in ``person_field``."""
    by_zone: dict[str, list[int]] = {}
    for pk, zone_name in participants(support_day).values_list("pk", "time_zone"):
        by_zone.setdefault(zone_name or "UTC", []).append(pk)
    q = Q(pk__in=[])
    for zone_name, ids in by_zone.items():
        low, high = _local_day_bounds(support_day.day, zone_name)
        q |= Q(**{f"{person_field}__in": ids, f"{time_field}__gte": low,
                  f"{time_field}__lt": high})
    return q


def outcomes(support_day: SupportDay) -> Outcomes:
    """The day's figures for the team, from messages and events of the participants during
    their own date of the day: replies sent, customers and conversations answered,
    conversations solved, bugs linked, UX problems noted, first ever replies."""
    replies = Message.objects.filter(kind=MessageKind.REPLY).filter(
        _windows(support_day, "author_id")).order_by()
    solved = Event.objects.filter(kind=EventKind.STATUS_CHANGED, data__to="solved").filter(
        _windows(support_day, "actor_id")).order_by()
    bug_ids = BugLink.objects.filter(_windows(support_day, "linked_by_id", "linked_at")
                                     ).values("bug_id")
    first = (FirstReply.objects.filter(celebrated=True)
             .filter(_windows(support_day, "user_id", "replied_at"))
             .select_related("user", "conversation"))
    return Outcomes(
        participants=participants(support_day).count(),
        answering=replies.values("author_id").distinct().count(),
        replies=replies.count(),
        customers=replies.values("conversation__person_id").distinct().count(),
        conversations=replies.values("conversation_id").distinct().count(),
        solved=solved.values("conversation_id").distinct().count(),
        bugs=list(Bug.objects.filter(pk__in=bug_ids).order_by("pk")),
        ux_problems=list(support_day.ux_problems.select_related("conversation", "reported_by")),
        first_replies=list(first.order_by("replied_at")),
    )


# --- first replies ---------------------------------------------------------------------------


def celebrate_first_replies(now: datetime | None = None) -> list[FirstReply]:
    """Find people whose first ever reply to a customer was sent recently, record it once
    per person ever (``FirstReply``'s primary key) and, for a reply within
    ``FIRST_REPLY_WINDOW``, write a ``reply.first`` event on its conversation and tell the
    staff's open pages (on commit). Reads the ``reply.sent`` events of the window: one
    indexed query when nobody new replied. Idempotent: run it as often as you like."""
    now = now or timezone.now()
    since = now - FIRST_REPLY_WINDOW
    authors = sorted(set(
        Event.objects.filter(kind=EventKind.REPLY_SENT, created_at__gte=since,
                             actor_id__isnull=False)
        .exclude(actor_id__in=FirstReply.objects.values("user_id"))
        .order_by().values_list("actor_id", flat=True).distinct()))
    found = []
    for user_id in authors:
        first = (Message.objects.filter(kind=MessageKind.REPLY, author_id=user_id)
                 .select_related("conversation", "author").order_by("created_at", "id").first())
        if first is None:
            continue
        celebrated = first.created_at >= since
        try:
            with transaction.atomic():
                row = FirstReply.objects.create(
                    user_id=user_id, message=first, conversation=first.conversation,
                    replied_at=first.created_at, celebrated=celebrated, found_at=now)
                if celebrated:
                    Event.objects.create(
                        conversation=first.conversation,
                        person_id=first.conversation.person_id, kind=EventKind.FIRST_REPLY,
                        actor_id=user_id, created_at=now,
                        data={"message_id": first.pk, "name": first.author.display_name})
                    payload = _cheer(first)
                    transaction.on_commit(
                        lambda payload=payload: realtime.publish("reply.first", payload))
        except IntegrityError:  # another run recorded this person first
            continue
        found.append(row)
    return found


def _cheer(message: Message) -> dict:
    with translation.override(settings.LANGUAGE_CODE):
        text = _("🎉 %(name)s just answered a customer for the first time!") % {
            "name": message.author.display_name}
        return {"id": message.conversation_id, "user_id": message.author_id,
                "name": message.author.display_name, "message": text,
                "url": reverse("conversation", args=[message.conversation_id]),
                "action": _("Say well done")}
