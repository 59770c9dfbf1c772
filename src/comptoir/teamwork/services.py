"""Daily shares and "ask an advocate": the app's public API.

``pick_shares(day)`` offers each person who answers customers their share of the day's
conversations that suit a non-specialist; ``set_daily_count`` is a person changing their
own share; ``ask_advocate`` pings the advocate on call about a conversation.

"No-numbers": a share is an invitation. Nothing here ranks people or times them; progress
is shown to the person alone and coverage to leads by team.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from comptoir import realtime
from comptoir.accounts.models import User
from comptoir.accounts.permissions import ROLE_PERMS, Perm
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import (
    ACTIVE_STATUSES,
    Conversation,
    Event,
    Message,
    MessageKind,
    Priority,
    Status,
    Tag,
)
from comptoir.routing import rules as routing_rules
from comptoir.routing.models import Leave, Skill
from comptoir.sla.models import OPEN_CLOCK_STATES, ClockState, SlaClock

from . import picking
from .models import (
    MAX_DAILY_COUNT,
    HelpRequest,
    PickLock,
    Share,
    ShareDigestSent,
    ShareSettings,
)

#: everyone who may answer customers has a daily share
SHARE_ROLES = tuple(sorted(role for role, perms in ROLE_PERMS.items() if Perm.REPLY in perms))
CANDIDATE_STATUSES = (Status.NEW, Status.OPEN)
RELEASED = ("paused", "fewer")  # withdrawn shares whose conversation may go to someone else
ASK_AGAIN_AFTER = timedelta(minutes=2)  # the same person asking again sooner pings nobody


def default_daily_count() -> int:
    return int(getattr(settings, "TEAMWORK_DAILY_SHARE", 5))


def good_first_tag() -> str:
    return str(getattr(settings, "TEAMWORK_GOOD_FIRST_TAG", "good-first-reply"))


def sla_margin() -> timedelta:
    """Conversations with an SLA clock due within this are left to advocates."""
    return timedelta(hours=float(getattr(settings, "TEAMWORK_SLA_MARGIN_HOURS", 4)))


class ShareError(ValueError):
    """Bad input: the message says what to fix."""


# --- the share's settings --------------------------------------------------------------------


def daily_count_of(user: User) -> int:
    row = ShareSettings.objects.filter(user=user).values_list("daily_count", flat=True).first()
    return default_daily_count() if row is None else row


def set_daily_count(user: User, count: int) -> ShareSettings:
    """``user`` changes their own daily share (0 turns it off). Takes effect at the next
    picking (the hourly one, or tomorrow morning's)."""
    if not isinstance(count, int) or not 0 <= count <= MAX_DAILY_COUNT:
        raise ShareError(_("Choose between 0 and %(max)s conversations a day.")
                         % {"max": MAX_DAILY_COUNT})
    row, _created = ShareSettings.objects.update_or_create(
        user=user, defaults={"daily_count": count, "updated_at": timezone.now()})
    return row


# --- picking ---------------------------------------------------------------------------------


@dataclass
class PickResult:
    day: date
    people: int = 0  # people with a share today
    offered: int = 0  # new shares written
    kept: int = 0  # shares of earlier runs still standing
    dropped: int = 0  # shares withdrawn (taken by someone else, leave, a smaller share...)
    candidates: int = 0  # conversations that suit a non-specialist
    short: list[int] = field(default_factory=list)  # people offered fewer than they wanted


@dataclass
class _Person:
    id: int
    zone: str
    languages: frozenset[str]
    hours: object | None
    count: int
    team_id: int | None = None
    skill_ids: set[int] = field(default_factory=set)
    leaves: list[tuple[date, date]] = field(default_factory=list)

    def wanted(self, day: date) -> int:
        if self.count <= 0 or picking.on_leave(self.leaves, day):
            return 0
        return self.count if picking.works_on(self.hours, day) else 0


def share_people(user_ids: list[int] | None = None):
    """Active people who may answer customers (optionally only ``user_ids``)."""
    people = User.objects.filter(is_active=True, role__in=SHARE_ROLES)
    if user_ids is not None:
        people = people.filter(pk__in=user_ids)
    return people


def _load_people(day: date, user_ids: list[int] | None) -> dict[int, _Person]:
    """Everyone's languages, hours, share setting, first team, skills and leave around
    ``day``: five queries whatever the number of people."""
    default = default_daily_count()
    people: dict[int, _Person] = {}
    for pk, zone, spoken, language, hours_user, hours, count in (
            share_people(user_ids).order_by("pk").values_list(
                "pk", "time_zone", "spoken_languages", "language",
                "working_hours__user_id", "working_hours__weekly_hours",
                "share_settings__daily_count")):
        people[pk] = _Person(pk, zone or "UTC", picking.languages_of(spoken, language),
                             hours if hours_user is not None else None,
                             default if count is None else count)
    selected = share_people(user_ids).values("pk")
    for user_id, team_id in (User.teams.through.objects.filter(user_id__in=selected)
                             .order_by("user_id", "team__name", "team_id")
                             .values_list("user_id", "team_id")):
        person = people.get(user_id)
        if person is not None and person.team_id is None:
            person.team_id = team_id
    for user_id, skill_id in Skill.members.through.objects.filter(
            user_id__in=selected).values_list("user_id", "skill_id"):
        if user_id in people:
            people[user_id].skill_ids.add(skill_id)
    for user_id, starts_on, ends_on in Leave.objects.filter(
            user_id__in=selected, starts_on__lte=day, ends_on__gte=day).values_list(
            "user_id", "starts_on", "ends_on"):
        if user_id in people:
            people[user_id].leaves.append((starts_on, ends_on))
    return people


def _sla_risk(now: datetime) -> Exists:
    """The conversation has a clock breached, warned, or due within the margin."""
    return Exists(SlaClock.objects.filter(conversation_id=OuterRef("pk")).filter(
        Q(breached_at__isnull=False) | Q(state=ClockState.MISSED)
        | Q(state__in=OPEN_CLOCK_STATES, warned_at__isnull=False)
        | Q(state=ClockState.RUNNING, due_at__lte=now + sla_margin())))


def candidates_query(now: datetime):
    """Conversations that suit a non-specialist now: waiting on us (new or open), nobody's
    yet (unassigned, perhaps in a team queue), low risk (a good first reply of normal or low
    priority, or any low-priority one) and no SLA clock near its target or past it."""
    good = Conversation.tags.through.objects.filter(
        conversation_id=OuterRef("pk"), tag__name=good_first_tag())
    return (Conversation.objects.order_by()
            .filter(status__in=CANDIDATE_STATUSES, assignee__isnull=True,
                    priority__lte=Priority.NORMAL)
            .filter(Q(priority=Priority.LOW) | Exists(good))
            .exclude(_sla_risk(now)))


CHUNK = 5000  # ids per IN list (SQLite allows 32,766 parameters a statement)


def _chunks(ids: list[int]):
    for first in range(0, len(ids), CHUNK):
        yield ids[first:first + CHUNK]


def _load_candidates(now: datetime, skills: list[routing_rules.SkillRule]
                     ) -> list[picking.Candidate]:
    """The suitable conversations with what the matching reads: one query for them, then
    a query a chunk of them for their tags (good first reply, skills) and, when a skill is
    called for by a mailbox, one for those a customer wrote to such a mailbox (any of their
    messages, not only the first as routing reads it: when in doubt, a specialist's)."""
    rows = list(candidates_query(now).values_list("pk", "language", "subject", "created_at"))
    ids = [row[0] for row in rows]
    good_tag = good_first_tag()
    tag_names = dict(Tag.objects.filter(
        name__in={good_tag}.union(*(skill.tags for skill in skills))).values_list("pk", "name"))
    tags: dict[int, list[str]] = {}
    mailboxes: dict[int, str] = {}
    skill_mailboxes = sorted(set().union(*(skill.mailboxes for skill in skills)))
    for chunk in _chunks(ids):
        if tag_names:
            for conversation_id, tag_id in Conversation.tags.through.objects.filter(
                    conversation_id__in=chunk, tag_id__in=list(tag_names)).values_list(
                    "conversation_id", "tag_id"):
                tags.setdefault(conversation_id, []).append(tag_names[tag_id])
        if skill_mailboxes:
            mailboxes.update(
                Message.objects.filter(conversation_id__in=chunk, kind=MessageKind.INBOUND,
                                       meta__mailbox__in=skill_mailboxes)
                .order_by().values_list("conversation_id", "meta__mailbox"))
    needs = picking.SkillNeeds(skills)
    return [picking.Candidate(pk, language or "", needs(tags.get(pk, ()),
                                                        mailboxes.get(pk, ""), subject),
                              picking.rank(good_tag in tags.get(pk, ()),
                                           created_at.timestamp(), pk))
            for pk, language, subject, created_at in rows]


def pick_shares(day: date, *, now: datetime | None = None,
                user_ids: list[int] | None = None) -> PickResult:
    """Offer each person (everyone who may answer customers, or only ``user_ids``) their
    share for ``day``, their local date: up to their daily count on a working day of theirs
    when not on leave, from the conversations that suit a non-specialist
    (:func:`candidates_query`) in a language they speak and needing no skill they lack.

    Idempotent: a second run the same day keeps the shares standing and only tops up. A
    share not answered yet is withdrawn when someone else took or answered its
    conversation, when it no longer suits (solved, escalated, near its SLA target), or when
    the person is on leave or lowered their count (then it may go to someone else);
    answered shares always stay. A conversation is in one person's share a day at most (and
    not offered again the day after someone else's offer of it). Writes in bulk, in one
    transaction; two runs never overlap.
    """
    now = now or timezone.now()
    result = PickResult(day)
    with transaction.atomic():
        PickLock.objects.get_or_create(pk=1)
        PickLock.objects.select_for_update().filter(pk=1).first()
        people = _load_people(day, user_ids)
        skills = [routing_rules.SkillRule.build(pk, name, tags or (), mailboxes or (),
                                                keywords or ())
                  for pk, name, tags, mailboxes, keywords in Skill.objects.values_list(
                      "id", "name", "tags", "mailboxes", "keywords")]
        candidates = _load_candidates(now, skills)
        result.candidates = len(candidates)
        suitable = {candidate.id for candidate in candidates}

        standing = list(Share.objects.filter(day=day, dropped_at__isnull=True,
                                             user_id__in=list(people)).values_list(
            "pk", "user_id", "conversation_id", "offered_at", "conversation__assignee_id",
            "conversation__status").order_by("user_id", "offered_at", "pk"))
        replied = _replies_since_offered(day)
        kept: dict[int, list[int]] = {}
        answered: dict[int, set[int]] = {}
        drop: dict[str, list[int]] = {}
        for pk, user_id, conversation_id, _offered, assignee_id, status in standing:
            authors = replied.get(conversation_id, set())
            if user_id in authors:
                answered.setdefault(user_id, set()).add(pk)
                kept.setdefault(user_id, []).append(pk)
                continue
            if authors or (assignee_id is not None and assignee_id != user_id):
                drop.setdefault("taken", []).append(pk)
            elif assignee_id == user_id and status in ACTIVE_STATUSES:
                kept.setdefault(user_id, []).append(pk)
            elif conversation_id not in suitable:
                drop.setdefault("unsuitable", []).append(pk)
            else:
                kept.setdefault(user_id, []).append(pk)

        wanting: list[picking.Person] = []
        for person in people.values():
            wanted = person.wanted(day)
            mine = kept.get(person.id, [])
            if len(mine) > wanted:  # leave, or a smaller share: withdraw what is not done
                done = answered.get(person.id, set())
                surplus = [pk for pk in reversed(mine) if pk not in done][:len(mine) - wanted]
                drop.setdefault("paused" if wanted == 0 else "fewer", []).extend(surplus)
                kept[person.id] = [pk for pk in mine if pk not in surplus]
            if wanted:
                result.people += 1
            more = wanted - len(kept.get(person.id, []))
            if more > 0:
                wanting.append(picking.Person(person.id, person.languages,
                                              frozenset(person.skill_ids), more))
        for reason, ids in drop.items():
            Share.objects.filter(pk__in=ids).update(dropped_at=now, dropped_reason=reason)
            result.dropped += len(ids)
        result.kept = sum(len(ids) for ids in kept.values())

        # in anyone's share yesterday, today or tomorrow (time zones), or withdrawn because
        # someone else took it or it stopped suiting (not when its person went on leave)
        taken = set(Share.objects.filter(day__range=(day - timedelta(days=1),
                                                     day + timedelta(days=1)))
                    .exclude(dropped_reason__in=RELEASED)
                    .values_list("conversation_id", flat=True))
        offered = picking.match(wanting, candidates, day=day, taken=taken)
        rows = [Share(day=day, user_id=user_id, conversation_id=conversation_id,
                      team_id=people[user_id].team_id, offered_at=now)
                for user_id, conversation_ids in offered.items()
                for conversation_id in conversation_ids]
        Share.objects.bulk_create(rows, batch_size=2000)
        result.offered = len(rows)
        result.short = sorted(p.id for p in wanting if len(offered.get(p.id, ())) < p.wanted)
        PickLock.objects.filter(pk=1).update(last_day=day, last_run_at=now)
    return result


def _replies_since_offered(day: date) -> dict[int, set[int]]:
    """Conversation id → who replied to the customer since its standing share of ``day``
    was offered. One query, joined through the shares."""
    replies: dict[int, set[int]] = {}
    for conversation_id, author_id in (
            Message.objects.filter(kind=MessageKind.REPLY, conversation__daily_shares__day=day,
                                   conversation__daily_shares__dropped_at__isnull=True,
                                   created_at__gte=F("conversation__daily_shares__offered_at"))
            .order_by().values_list("conversation_id", "author_id").distinct()):
        replies.setdefault(conversation_id, set()).add(author_id)
    return replies


# --- ask an advocate -------------------------------------------------------------------------


def rank_on_call(ids: list[int], conversation: Conversation, *,
                 exclude: int | None = None) -> list[int]:
    """Order the advocates ``ids`` (on call now) for ``conversation``, best first: those who
    speak its language, then its team's, then whoever was asked least recently. Three
    queries."""
    ids = [pk for pk in ids if pk != exclude]
    if not ids:
        return []
    languages = {pk: set(spoken if isinstance(spoken, list) else ()) | {language}
                 for pk, spoken, language in User.objects.filter(pk__in=ids).values_list(
                     "pk", "spoken_languages", "language")}
    teams: dict[int, set[int]] = {}
    for user_id, team_id in User.teams.through.objects.filter(user_id__in=ids).values_list(
            "user_id", "team_id"):
        teams.setdefault(user_id, set()).add(team_id)
    latest: dict[int, float] = {}
    for advocate_id, at in (HelpRequest.objects.filter(advocate_id__in=ids)
                            .order_by().values_list("advocate_id", "created_at")):
        latest[advocate_id] = max(latest.get(advocate_id, 0.0), at.timestamp())
    language = conversation.language
    any_language = language in routing_rules.ANY_LANGUAGE

    def key(pk: int):
        speaks = any_language or language in languages.get(pk, ())
        in_team = conversation.team_id is not None and conversation.team_id in teams.get(
            pk, ())
        return (not speaks, not in_team, latest.get(pk, 0.0), pk)

    return sorted((pk for pk in ids if pk in languages), key=key)


def on_call(now: datetime, conversation: Conversation, *, exclude: int | None = None
            ) -> list[int]:
    """The advocates (and leads) on call now, best first for ``conversation``: on shift
    and not on leave, or on a running support day's roster for this hour (see
    ``on_call.ahead``, the "On call" page), ranked by :func:`rank_on_call`."""
    from . import on_call as on_call_hours

    return rank_on_call(on_call_hours.at(now), conversation, exclude=exclude)


@dataclass
class AskResult:
    request: HelpRequest
    pinged: bool  # False: a double-click or a repeat (nobody pinged again)
    #: with nobody on call: when somebody next is, and who (None: nobody in 24 hours)
    next_on_call: tuple[datetime, list] | None = None

    @property
    def queued(self) -> bool:
        return self.request.advocate_id is None and self.request.handed_over_at is None


def ask_advocate(conversation: Conversation, user: User, key: str, *,
                 now: datetime | None = None) -> AskResult:
    """``user`` asks the advocate on call for help with ``conversation``: records a
    ``HelpRequest`` and an ``advocate.asked`` event in one transaction, then (on commit)
    pings the advocate's open pages live. The same ``key`` (a double-click), or the same
    person asking again about the same conversation within two minutes, pings nobody and
    returns the first request. With nobody on call the request is queued for the
    conversation's team (``advocate`` None, ``team`` set) and the event still written;
    ``on_call.hand_over_queued`` (every minute) pings the first advocate who comes on call,
    and the result says when that should be."""
    from . import on_call as on_call_hours

    key = (key or "").strip()
    if not key or len(key) > 64:
        raise ShareError(_("The form expired: reload the page and ask again."))
    now = now or timezone.now()
    existing = HelpRequest.objects.filter(asked_by=user, key=key).first()
    if existing is not None and existing.conversation_id != conversation.pk:
        raise ShareError(_("The form expired: reload the page and ask again."))
    if existing is None:
        existing = HelpRequest.objects.filter(
            conversation=conversation, asked_by=user,
            created_at__gte=now - ASK_AGAIN_AFTER).first()
    if existing is not None:
        return AskResult(existing, False)
    ranked = rank_on_call(on_call_hours.at(now), conversation, exclude=user.pk)
    advocate = User.objects.filter(pk=ranked[0]).first() if ranked else None
    team_id = conversation.team_id if advocate is None else None
    try:
        with transaction.atomic():
            request = HelpRequest.objects.create(conversation=conversation, asked_by=user,
                                                 advocate=advocate, key=key, created_at=now,
                                                 team_id=team_id)
            Event.objects.create(
                conversation=conversation, person_id=conversation.person_id,
                kind=EventKind.ADVOCATE_ASKED, actor=user, created_at=now,
                data={"advocate_id": advocate.pk if advocate else None,
                      "advocate": advocate.display_name if advocate else "",
                      "request_id": request.pk, "queued": advocate is None,
                      "team_id": team_id})
    except IntegrityError:  # the same key, submitted twice at once
        return AskResult(HelpRequest.objects.get(asked_by=user, key=key), False)
    if advocate is not None:
        payload = _ping(conversation, user, advocate)
        transaction.on_commit(lambda: realtime.publish(
            "advocate.asked", payload, group=realtime.user_group(advocate.pk)))
        return AskResult(request, True)
    later = on_call_hours.ahead(now).next_on_call()  # only when nobody is on call now
    if later is not None:
        later = (later[0], [entry for entry in later[1] if entry.id != user.pk])
        later = later if later[1] else None
    return AskResult(request, True, later)


def _ping(conversation: Conversation, user: User, advocate: User) -> dict:
    with translation.override(advocate.language or settings.LANGUAGE_CODE):
        message = _("%(name)s asks for your help with #%(id)s %(subject)s") % {
            "name": user.display_name, "id": conversation.pk,
            "subject": conversation.subject or _("(no subject)")}
        return {"id": conversation.pk, "url": reverse("conversation", args=[conversation.pk]),
                "asked_by": user.display_name, "message": message,
                "action": _("Open")}


# --- the hourly run --------------------------------------------------------------------------


def due_people(now: datetime) -> dict[date, list[int]]:
    """Local date → people whose working day is under way now in their time zone."""
    due: dict[date, list[int]] = {}
    for pk, zone, hours_user, hours in share_people().order_by("pk").values_list(
            "pk", "time_zone", "working_hours__user_id", "working_hours__weekly_hours"):
        try:
            local = now.astimezone(zoneinfo.ZoneInfo(zone or "UTC"))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            local = now.astimezone(UTC)
        hours = hours if hours_user is not None else None
        if picking.in_working_day(hours, local.date(), local.time()):
            due.setdefault(local.date(), []).append(pk)
    return due


def pick_due(now: datetime | None = None) -> dict[str, int]:
    """Pick or top up the shares of everyone whose working day is under way, then send each
    of them their morning digest unless they had it today."""
    from . import digest  # the digest reads the shares this writes

    now = now or timezone.now()
    totals = {"people": 0, "offered": 0, "dropped": 0, "digests": 0}
    for day, ids in sorted(due_people(now).items()):
        result = pick_shares(day, now=now, user_ids=ids)
        totals["people"] += result.people
        totals["offered"] += result.offered
        totals["dropped"] += result.dropped
        sent = set(ShareDigestSent.objects.filter(day=day, user_id__in=ids)
                   .values_list("user_id", flat=True))
        for user in User.objects.filter(pk__in=[pk for pk in ids if pk not in sent]):
            if digest.send(user, day):
                totals["digests"] += 1
    return totals
