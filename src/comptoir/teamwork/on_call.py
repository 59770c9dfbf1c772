"""Who is on call, outside support days as during them: the advocates (and leads) on shift
and not on leave, hour by hour, from their working hours and leave (``routing``'s models);
during a support day its lead's roster changes apply to its hours.

"Ask an advocate" pings whoever :func:`at` says is on call now; the "On call" page shows
:func:`ahead` (now and the next 24 hours) with its gaps. With nobody on call, an ask is
queued for the conversation's team and :func:`hand_over_queued` passes it to the first
advocate who comes on call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from comptoir import realtime
from comptoir.accounts.models import User
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import Event

from . import support_days
from .models import HelpRequest, SupportDay, SupportDayStatus
from .support_days import HOUR, OnCall, RosterHour

AHEAD_HOURS = 24
#: a queued ask older than this is no longer handed over (the team queue has it anyway)
QUEUED_FOR = timedelta(hours=24)


@dataclass
class OnCallHours:
    now: datetime
    current: list[OnCall]  # on call at this very instant
    hours: list[RosterHour]  # the current hour, then the next ones (UTC starts)
    days: list[SupportDay] = field(default_factory=list)  # support days in those hours

    @property
    def gaps(self) -> int:
        return sum(1 for row in self.hours if row.gap)

    def next_on_call(self) -> tuple[datetime, list[OnCall]] | None:
        """When somebody is next on call, and who (None when nobody is, all along)."""
        for row in self.hours:
            if row.advocates and row.end > self.now:
                return max(row.start, self.now), row.advocates
        return None


def _day_changes(now: datetime, end: datetime) -> list[tuple[SupportDay, datetime, datetime,
                                                             dict[datetime, dict[int, bool]]]]:
    """Scheduled support days overlapping [now, end), with their span and roster changes."""
    today = now.astimezone(UTC).date()
    found = []
    for day in SupportDay.objects.filter(
            day__range=(today - timedelta(days=1), today + timedelta(days=2)),
            status=SupportDayStatus.SCHEDULED).prefetch_related("teams"):
        start, stop = support_days.day_span(day)
        if start < end and stop > now:
            found.append((day, start, stop, support_days._changes(day)))
    return found


def _changes_at(hour: datetime, days) -> dict[int, bool]:
    merged: dict[int, bool] = {}
    for _day, start, stop, changes in days:
        if start <= hour < stop:
            merged.update(changes.get(hour, {}))
    return merged


def ahead(now: datetime | None = None, hours: int = AHEAD_HOURS) -> OnCallHours:
    """Who is on call now and in each hour of the next ``hours`` (an hour counts whoever is
    on shift for part of it). Queries: two for people and leave, one (plus one a support
    day) for the support days of those hours."""
    now = now or timezone.now()
    first = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    end = first + HOUR * hours
    people = support_days._load_advocates(first.date(), end.date())
    days = _day_changes(first, end)
    rows = [support_days._hour_roster(first + HOUR * n, people,
                                      _changes_at(first + HOUR * n, days))
            for n in range(hours)]
    current = []
    changes_now = _changes_at(first, days)
    for person in people.values():
        if person.on_leave(now):
            continue
        change = changes_now.get(person.id)
        if change is True or (change is None and person.calendar.is_open(now)):
            current.append(OnCall(person.id, person.name, f"{person.local(now):%H:%M}",
                                  added=change is True))
    return OnCallHours(now, current, rows, [day for day, *_rest in days])


def at(now: datetime) -> list[int]:
    """Ids of the advocates on call at ``now`` (what :func:`ahead` shows as "now")."""
    return [entry.id for entry in ahead(now, hours=1).current]


# --- queued asks -----------------------------------------------------------------------------


def queued(now: datetime | None = None):
    """Asks made while nobody was on call, not handed over yet, oldest first."""
    now = now or timezone.now()
    return (HelpRequest.objects.filter(advocate__isnull=True, handed_over_at__isnull=True,
                                       created_at__gte=now - QUEUED_FOR)
            .select_related("conversation", "asked_by", "team").order_by("created_at", "pk"))


def hand_over_queued(now: datetime | None = None) -> int:
    """Pass each queued ask to the best advocate on call now (its team's first, see
    ``services.rank_on_call``), write an ``advocate.asked`` event naming them on the
    conversation and ping them after commit. Each ask is handed over once (its row is
    locked and re-checked). Returns how many were handed over."""
    from .services import rank_on_call

    now = now or timezone.now()
    waiting = list(queued(now).values_list("pk", flat=True))
    if not waiting:
        return 0
    on_call_ids = at(now)
    if not on_call_ids:
        return 0
    handed = 0
    for pk in waiting:
        with transaction.atomic():
            ask = (HelpRequest.objects.select_for_update()
                   .filter(pk=pk, advocate__isnull=True, handed_over_at__isnull=True).first())
            if ask is None:
                continue
            ranked = rank_on_call(on_call_ids, ask.conversation, exclude=ask.asked_by_id)
            if not ranked:
                continue
            advocate = User.objects.get(pk=ranked[0])
            ask.advocate, ask.handed_over_at = advocate, now
            ask.save(update_fields=["advocate", "handed_over_at"])
            Event.objects.create(
                conversation=ask.conversation, kind=EventKind.ADVOCATE_ASKED,
                actor_id=ask.asked_by_id, created_at=now,
                data={"advocate_id": advocate.pk, "advocate": advocate.display_name,
                      "request_id": ask.pk, "handed_over": True})
            payload = _handed_over(ask, advocate)
            transaction.on_commit(lambda payload=payload, advocate_id=advocate.pk:
                                  realtime.publish("advocate.asked", payload,
                                                   group=realtime.user_group(advocate_id)))
            handed += 1
    return handed


def _handed_over(ask: HelpRequest, advocate: User) -> dict:
    conversation = ask.conversation
    with translation.override(advocate.language or settings.LANGUAGE_CODE):
        message = _("%(name)s asked for help with #%(id)s %(subject)s while nobody was on "
                    "call") % {"name": ask.asked_by.display_name, "id": conversation.pk,
                               "subject": conversation.subject or _("(no subject)")}
        return {"id": conversation.pk, "url": reverse("conversation", args=[conversation.pk]),
                "asked_by": ask.asked_by.display_name, "message": message,
                "action": _("Open")}
