"""Support days ("Advocacy Day"): the whole company, or chosen teams, answers customers for a
day, each person during their own working day in their own time zone.

What failed before, and what answers it here:

- calendars: the lead schedules a date per scope and sees who is on leave that day
  (:func:`leave_warnings`); the day spans everyone's working day (:func:`day_span`);
- customers kept covered: an on-call roster of advocates hour by hour, filled from their
  working hours and edited by the lead, with its gaps shown (:func:`roster`); "ask an
  advocate" pings whoever is on call in that roster (``on_call.ahead``, which also covers
  the days without a support day);
- plans change: the lead edits a day until it starts and cancels it with a reason
  (:func:`edit`, :func:`cancel`), every change kept in the day's history;
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
from .models import (
    FirstReply,
    FirstReplyScan,
    OnCallChange,
    SupportDay,
    SupportDayChange,
    SupportDayStatus,
    ToneNote,
    UxProblem,
)

HOUR = timedelta(hours=1)
#: a reply older than this when the scan first sees its author is recorded, not announced
FIRST_REPLY_WINDOW = timedelta(days=1)
#: replies re-read by each first-reply scan besides those after its cursor: a transaction
#: that wrote its event (and took its id) may commit up to this long after
LATE_COMMIT_GRACE = timedelta(minutes=5)
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


def _check(*, day: date, title: str, whole_company: bool, teams: list[Team],
           window_start: time | None, window_end: time | None, today: date | None) -> str:
    title = (title or "").strip()
    if not title:
        raise SupportDayError(_("Give the day a title."))
    if today is not None and day < today:
        raise SupportDayError(_("Choose today or a later date."))
    if not whole_company and not teams:
        raise SupportDayError(_("Choose at least one team, or the whole company."))
    if window_start is not None and window_end is not None and window_end <= window_start:
        raise SupportDayError(_("The time window must end after it starts."))
    return title[:200]


RESUBMIT_WINDOW = timedelta(minutes=2)


def schedule(lead: User, *, day: date, title: str, whole_company: bool,
             teams: list[Team] | QuerySet | None = None, notes: str = "",
             window_start: time | None = None, window_end: time | None = None,
             today: date | None = None) -> SupportDay:
    """``lead`` schedules a support day. A day of chosen teams needs at least one team; a
    date in the past is refused (``today`` is the lead's local date). ``window_start`` and
    ``window_end`` narrow it to the same local hours for everyone (each in their own time
    zone). Records a ``scheduled`` change. The same lead sending the same day and title
    again within ``RESUBMIT_WINDOW`` (a double-clicked button) gets the day already made."""
    teams = list(teams or [])
    title = _check(day=day, title=title, whole_company=whole_company, teams=teams,
                   window_start=window_start, window_end=window_end, today=today)
    with transaction.atomic():
        # the lead's row serialises their submissions, so two at once cannot both insert
        User.objects.select_for_update().filter(pk=lead.pk).first()
        again = SupportDay.objects.filter(
            created_by=lead, day=day, title=title, status=SupportDayStatus.SCHEDULED,
            created_at__gte=timezone.now() - RESUBMIT_WINDOW).first()
        if again is not None:
            return again
        support_day = SupportDay.objects.create(
            day=day, title=title, whole_company=whole_company, notes=(notes or "").strip(),
            window_start=window_start, window_end=window_end, created_by=lead)
        if not whole_company:
            support_day.teams.set(teams)
        SupportDayChange.objects.create(
            support_day=support_day, kind=SupportDayChange.Kind.SCHEDULED, actor=lead,
            data={"fields": _state(support_day, teams)})
    return support_day


#: changes participants (before and after) are told of by email
NOTIFIED = frozenset({"day", "window_start", "window_end", "whole_company", "teams"})
#: what can change before the day starts (after it, only its outcomes and learnings)
EDITABLE = ("day", "title", "whole_company", "teams", "notes", "window_start", "window_end")


def _state(support_day: SupportDay, teams: list[Team] | None = None) -> dict:
    """The editable fields as JSON-able values (teams as sorted ids)."""
    if teams is None:
        teams = list(support_day.teams.all())
    return {
        "day": support_day.day.isoformat(), "title": support_day.title,
        "whole_company": support_day.whole_company,
        "teams": [] if support_day.whole_company else sorted(team.pk for team in teams),
        "notes": support_day.notes,
        "window_start": (support_day.window_start.strftime("%H:%M")
                         if support_day.window_start else None),
        "window_end": (support_day.window_end.strftime("%H:%M")
                       if support_day.window_end else None),
    }


def has_started(support_day: SupportDay, now: datetime) -> bool:
    """Somebody's part of the day has begun (or it is over)."""
    return now >= day_span(support_day)[0]


def _lock(support_day: SupportDay) -> SupportDay:
    """The day's row, locked until the transaction ends (two leads, or a double-click,
    change it one after the other) and read again."""
    return SupportDay.objects.select_for_update().get(pk=support_day.pk)


@dataclass
class EditResult:
    support_day: SupportDay
    changed: dict  # field → [before, after]; empty: nothing changed (a double-click)
    roster_changes_dropped: int = 0


def edit(support_day: SupportDay, lead: User, *, day: date, title: str, whole_company: bool,
         teams: list[Team] | QuerySet | None = None, notes: str = "",
         window_start: time | None = None, window_end: time | None = None,
         today: date | None = None, now: datetime | None = None) -> EditResult:
    """``lead`` changes a day that has not started yet: date, title, scope, teams, notes,
    time window. Once it has started (or was cancelled) it is refused: only its outcomes
    (UX problems) and learnings are added then. The lead's changes to the on-call roster
    that fall outside the new hours are dropped (all of them when the date moves). A
    ``changed`` record lists what changed, before and after; the same form sent twice
    changes nothing the second time and records nothing. When the date or the time window
    moved, participants are told by email (once, after commit)."""
    now = now or timezone.now()
    teams = list(teams or [])
    title = _check(day=day, title=title, whole_company=whole_company, teams=teams,
                   window_start=window_start, window_end=window_end, today=today)
    with transaction.atomic():
        current = _lock(support_day)
        if current.cancelled:
            raise SupportDayError(_("This support day was cancelled: it cannot be changed."))
        if has_started(current, now):
            raise SupportDayError(_("This support day has started: only its outcomes and "
                                    "learnings can be added now."))
        before = _state(current)
        told_before = list(participants(current).values_list("pk", flat=True))
        current.day, current.title, current.whole_company = day, title, whole_company
        current.notes = (notes or "").strip()
        current.window_start, current.window_end = window_start, window_end
        after = _state(current, teams)
        changed = {name: [before[name], after[name]] for name in EDITABLE
                   if before[name] != after[name]}
        if not changed:
            return EditResult(current, {})
        current.save(update_fields=[name for name in EDITABLE if name != "teams"])
        current.teams.set([] if whole_company else teams)
        if "day" in changed:
            dropped, _kinds = current.on_call_changes.all().delete()
        else:
            start, end = day_span(current)
            dropped, _kinds = current.on_call_changes.exclude(
                hour__gte=start, hour__lt=end).delete()
        SupportDayChange.objects.create(
            support_day=current, kind=SupportDayChange.Kind.CHANGED, actor=lead,
            created_at=now, data={"fields": changed, "roster_changes_dropped": dropped})
        if NOTIFIED.intersection(changed):  # those who were in it hear of it too
            day_id = current.pk
            transaction.on_commit(lambda: _notify(day_id, "moved", told_before))
    support_day.refresh_from_db()
    return EditResult(current, changed, dropped)


@dataclass
class CancelResult:
    support_day: SupportDay
    cancelled: bool  # False: it was already cancelled (a double-click): nothing done


def cancel(support_day: SupportDay, lead: User, reason: str, *,
           now: datetime | None = None) -> CancelResult:
    """``lead`` cancels a day that has not started. The day is kept (status ``cancelled``,
    who, when and why), its on-call roster is freed (the lead's changes deleted: nobody is
    on call for it any more, and it is no longer running for "ask an advocate", the inbox
    banner or guidance) and a ``cancelled`` record written. Participants are told by email
    once, after commit. Cancelling a cancelled day does nothing (no record, no mail)."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise SupportDayError(_("Say why the day is cancelled: participants will read it."))
    with transaction.atomic():
        current = _lock(support_day)
        if current.cancelled:
            return CancelResult(current, False)
        if has_started(current, now):
            raise SupportDayError(_("This support day has started: it can no longer be "
                                    "cancelled."))
        current.status = SupportDayStatus.CANCELLED
        current.cancelled_at, current.cancelled_by, current.cancel_reason = now, lead, reason
        current.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
        freed, _kinds = current.on_call_changes.all().delete()
        SupportDayChange.objects.create(
            support_day=current, kind=SupportDayChange.Kind.CANCELLED, actor=lead,
            created_at=now, data={"reason": reason, "roster_changes_freed": freed})
        day_id = current.pk
        transaction.on_commit(lambda: _notify(day_id, "cancelled"))
    support_day.refresh_from_db()
    return CancelResult(current, True)


def history(support_day: SupportDay) -> list[SupportDayChange]:
    return list(support_day.changes.select_related("actor").order_by("created_at", "pk"))


def _notify(support_day_id: int, what: str, also: list[int] | None = None) -> int:
    """Mail each participant with an address (and the people ``also``: those who were
    before a change of scope), in their language, that the day was cancelled or changed.
    Called once per change, after its commit. Returns mails sent."""
    from django.core.mail import EmailMessage, get_connection

    support_day = SupportDay.objects.filter(pk=support_day_id).first()
    if support_day is None:
        return 0
    link = settings.BASE_URL.rstrip("/") + reverse("support_day", args=[support_day.pk])
    messages = []
    people = User.objects.filter(Q(pk__in=participants(support_day).values("pk"))
                                 | Q(pk__in=also or [], is_active=True)).exclude(email="")
    for user in people.order_by("pk"):
        with translation.override(user.language or settings.LANGUAGE_CODE):
            if what == "cancelled":
                subject = _("Cancelled: %(title)s (%(date)s)")
                body = _("The support day \"%(title)s\" of %(date)s is cancelled.\n\n"
                         "Why: %(reason)s\n\n%(link)s\n")
            else:
                subject = _("Changed: %(title)s (%(date)s)")
                body = _("The support day \"%(title)s\" is now on %(date)s%(window)s, "
                         "for %(scope)s.\n\n%(link)s\n")
            values = {"title": support_day.title, "date": support_day.day.isoformat(),
                      "reason": support_day.cancel_reason, "link": link, "window": "",
                      "scope": _("the whole company") if support_day.whole_company
                      else ", ".join(team.name for team in support_day.teams.all())}
            if support_day.window_start or support_day.window_end:
                values["window"] = _(", from %(start)s to %(end)s your time") % {
                    "start": f"{support_day.window_start or time(0):%H:%M}",
                    "end": f"{support_day.window_end:%H:%M}" if support_day.window_end
                    else "24:00"}
            messages.append(EmailMessage(subject % values, body % values,
                                         settings.DEFAULT_FROM_EMAIL, [user.email]))
    if not messages:
        return 0
    return get_connection().send_messages(messages) or 0


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


def _window_bounds(support_day: SupportDay, zone_name: str) -> tuple[datetime, datetime]:
    """The part of the day a participant in ``zone_name`` takes part in, in UTC: their whole
    local date, or the day's time window on it (the same local hours for everyone)."""
    low, high = _local_day_bounds(support_day.day, zone_name)
    if support_day.window_start is not None:
        low = datetime.combine(support_day.day, support_day.window_start,
                               tzinfo=zone(zone_name)).astimezone(UTC)
    if support_day.window_end is not None:
        high = datetime.combine(support_day.day, support_day.window_end,
                                tzinfo=zone(zone_name)).astimezone(UTC)
    return low, high


def day_span(support_day: SupportDay) -> tuple[datetime, datetime]:
    """The UTC hours the day covers: from the first participant's start of work (their
    local date, within the day's time window if it has one) to the last one's end, in whole
    hours; people on leave that day do not count. With nobody working that day, the UTC
    calendar day (its time window in UTC)."""
    start = end = None
    away = Leave.objects.filter(starts_on__lte=support_day.day, ends_on__gte=support_day.day)
    people = participants(support_day).exclude(pk__in=away.values("user_id")).values("pk")
    for zone_name, hours in _hours_of(people).values():
        calendar = routing_rules.calendar_for(zone_name, hours)
        low, high = _window_bounds(support_day, zone_name)
        for open_start, open_end in calendar.open_intervals(low, high):
            start = open_start if start is None else min(start, open_start)
            end = open_end if end is None else max(end, open_end)
    if start is None or end is None:
        start, end = _window_bounds(support_day, "UTC")
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


def _load_advocates(around: date, until: date | None = None) -> dict[int, _Advocate]:
    """Every active advocate and lead with their calendar and leave near ``around`` (to
    ``until``): two queries."""
    until = until or around
    people: dict[int, _Advocate] = {}
    for pk, username, first, last, zone_name, hours_user, hours in advocates().values_list(
            "pk", "username", "first_name", "last_name", "time_zone",
            "working_hours__user_id", "working_hours__weekly_hours"):
        zone_name = zone_name or "UTC"
        people[pk] = _Advocate(pk, f"{first} {last}".strip() or username, zone_name,
                               routing_rules.calendar_for(
                                   zone_name, hours if hours_user is not None else None), [])
    for user_id, starts_on, ends_on in Leave.objects.filter(
            user_id__in=list(people), starts_on__lte=until + timedelta(days=1),
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
    if support_day.cancelled:
        raise SupportDayError(_("This support day was cancelled: its roster is freed."))
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
                                                 today + timedelta(days=1)),
                                     status=SupportDayStatus.SCHEDULED)
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
    for support_day in SupportDay.objects.filter(
            day=today, status=SupportDayStatus.SCHEDULED).prefetch_related("teams"):
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
    if support_day.cancelled:
        raise SupportDayError(_("A cancelled day cannot be changed."))
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
    if support_day.cancelled:  # its reason says what there was to say
        raise SupportDayError(_("A cancelled day cannot be changed."))
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
    staff's open pages (on commit).

    Reads only the ``reply.sent`` events after the cursor (``FirstReplyScan``: the highest
    id read by the last run) plus those of the last ``LATE_COMMIT_GRACE``: an event's id is
    taken when it is written, not when its transaction commits, so a reply committed just
    after a run that read a higher id is read again by the next runs (already-recorded
    people are skipped). The cursor moves in the transaction that records what was found,
    under a lock on its row: a crash rolls both back, and two runs at once (two beat
    workers) take turns, the second reading what the first left. Three queries when
    nobody new replied. Run it as often as you like."""
    now = now or timezone.now()
    since = now - FIRST_REPLY_WINDOW
    found = []
    with transaction.atomic():
        scan = FirstReplyScan.objects.select_for_update().filter(pk=1).first()
        if scan is None:
            # the first run ever: start from the window, not from the beginning of time
            try:
                with transaction.atomic():
                    FirstReplyScan.objects.create(pk=1, last_event_id=0, updated_at=now)
            except IntegrityError:  # another first run created it
                pass
            scan = FirstReplyScan.objects.select_for_update().get(pk=1)
        events = Event.objects.filter(kind=EventKind.REPLY_SENT, actor_id__isnull=False)
        if scan.last_event_id:
            events = events.filter(Q(pk__gt=scan.last_event_id)
                                   | Q(created_at__gte=now - LATE_COMMIT_GRACE))
        else:
            events = events.filter(created_at__gte=since)
        rows = list(events.order_by().values_list("pk", "actor_id"))
        if not rows:
            return found
        highest = max(pk for pk, _actor in rows)
        authors = {actor for _pk, actor in rows}
        authors -= set(FirstReply.objects.filter(user_id__in=authors)
                       .values_list("user_id", flat=True))
        for user_id in sorted(authors):
            row = _record_first_reply(user_id, since, now)
            if row is not None:
                found.append(row)
        if highest > scan.last_event_id:
            FirstReplyScan.objects.filter(pk=1).update(last_event_id=highest, updated_at=now)
    return found


def _record_first_reply(user_id: int, since: datetime, now: datetime) -> FirstReply | None:
    first = (Message.objects.filter(kind=MessageKind.REPLY, author_id=user_id)
             .select_related("conversation", "author").order_by("created_at", "id").first())
    if first is None:
        return None
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
    except IntegrityError:  # another run recorded this person first (SQLite: no row lock)
        return None
    return row


def _cheer(message: Message) -> dict:
    with translation.override(settings.LANGUAGE_CODE):
        text = _("🎉 %(name)s just answered a customer for the first time!") % {
            "name": message.author.display_name}
        return {"id": message.conversation_id, "user_id": message.author_id,
                "name": message.author.display_name, "message": text,
                "url": reverse("conversation", args=[message.conversation_id]),
                "action": _("Say well done")}
