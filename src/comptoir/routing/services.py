"""Routing's public API: send a conversation to a team and an agent, and record why.

``route()`` routes one conversation (an assignment is made through
``conversations.services.update``, actor None, so its events are those of a manual change);
``route_new()`` is intake's hook (``conversations.services.process_raw``) and never raises;
``route_many()`` routes a batch (the waiting queue, an import) with the configuration loaded
once and what ``update`` does done in bulk (the same events, service-level clocks, live
updates); ``route_waiting()`` gives the conversations that wait in a queue to whoever has
come on shift since (``tasks.route_waiting``, for beat).

Each routing writes one :class:`~.models.RoutingDecision` (the explanation admins read on
"Why here?"). A conversation nobody can take keeps (or gets) its team, stays unassigned, and
an ``assignment.queued`` event says why. The rules themselves are in ``rules.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from comptoir.accounts.models import Team, User
from comptoir.conversations import services as conversations
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import Conversation, Event, Message, MessageKind
from comptoir.sla import services as sla

from . import fetch, rules
from .models import (
    CandidatePool,
    Leave,
    Outcome,
    RoutingDecision,
    Skill,
    Trigger,
    WorkingHours,
)

logger = logging.getLogger(__name__)

BATCH_SIZE = 500  # conversations locked, decided and written per transaction in a batch


def route(conversation: Conversation, *, mailbox: str | None = None,
          trigger: str = Trigger.REQUEST, now: datetime | None = None, fresh: bool = False
          ) -> RoutingDecision | None:
    """Route one conversation and record the decision; None (nothing written) when it
    already has an assignee or is not new or open.

    ``mailbox``: the address its first message came to (looked up when None). ``now``: the
    instant the rules are read at (shifts, leave), and the decision's time. The conversation
    is locked and read again unless ``fresh``: the caller has just created it in its
    transaction (``receive()``), so it is current and has no tags yet.
    Runs in the caller's transaction if there is one, without a savepoint of its own: an
    exception aborts that transaction.
    """
    now = now or timezone.now()
    with transaction.atomic(savepoint=False):
        if not fresh:
            conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if conversation.assignee_id is not None or conversation.status not in rules.LOAD_STATUSES:
            return None
        if mailbox is None:
            mailbox = (Conversation.objects.filter(pk=conversation.pk)
                       .values_list(fetch.first_mailbox(), flat=True).first()) or ""
        # a conversation just opened by receive() has no tags yet
        tags = [] if fresh else fetch.tags_of([conversation.pk]).get(conversation.pk, [])
        roster = fetch.load_roster(now, team_id=conversation.team_id)
        loads, last = fetch.standings(roster.agents)
        needs = roster.needs(conversation.language, tags, mailbox, conversation.subject)
        decision = roster.decide(needs, team_id=conversation.team_id,
                                 team_reason=_team_reason(conversation, mailbox, trigger),
                                 loads=loads, last_assigned=last)
        _store_pools([decision], now)
        record = _record(conversation, decision, trigger, now)
        changes: dict = {}
        if decision.assignee_id is not None:
            changes["assignee"] = User.objects.get(pk=decision.assignee_id)
        if decision.team_id != conversation.team_id:
            changes["team"] = Team.objects.get(pk=decision.team_id)
        if changes:  # as a manual change: same events, actor None
            conversations.update(conversation, None, **changes)
        if decision.outcome == Outcome.QUEUED:
            Event.objects.create(conversation=conversation, person_id=conversation.person_id,
                                 kind=EventKind.ASSIGNMENT_QUEUED, created_at=now,
                                 data=_queued_data(record))
    return record


def route_new(message: Message, *, raw_id: int | None = None) -> RoutingDecision | None:
    """Intake's hook, called by ``process_raw`` right after ``receive()``, in its transaction.

    Routes the conversation only when ``message`` opened it (its first message, just stored
    from raw row ``raw_id``: a duplicate delivery returns an older message and is not routed
    again). Never raises: a routing failure is logged and recorded as an
    ``assignment.queued`` event with reason ``error``; the message is kept either way.
    """
    conversation = message.conversation
    if (message.kind != MessageKind.INBOUND or conversation.message_count != 1
            or (raw_id is not None and message.raw_id != raw_id)):
        return None
    try:
        with transaction.atomic():
            return route(conversation, mailbox=str(message.meta.get("mailbox") or ""),
                         trigger=Trigger.INTAKE, fresh=True)
    except Exception as exc:  # routing must never cost a customer's message: log, go on
        logger.exception("routing conversation %s failed", conversation.pk)
        try:
            with transaction.atomic():
                Event.objects.create(
                    conversation=conversation, person_id=conversation.person_id,
                    kind=EventKind.ASSIGNMENT_QUEUED,
                    data={"team_id": conversation.team_id, "reason": rules.Reason.ERROR,
                          "error": f"{type(exc).__name__}: {exc}"[:500]},
                )
        except Exception:  # the database itself failed: process_raw reports it
            logger.exception("recording the routing failure of %s failed", conversation.pk)
        return None


def route_many(conversation_ids: Iterable[int], *, trigger: str = Trigger.REQUEST,
               now: datetime | None = None, record_queued: bool = True,
               batch_size: int = BATCH_SIZE) -> list[RoutingDecision]:
    """Route many conversations, in order: the configuration is loaded once and each
    assignment counts in the next one's load and round-robin, so a batch spreads like the
    same conversations arriving one by one.

    Conversations that have an assignee or are not new or open (also when that changed
    since the ids were listed) are skipped. ``record_queued=False`` writes nothing for a
    conversation nobody can take (routing the waiting queue again must not repeat the same
    "still waiting" every minute). Each ``batch_size`` conversations are one transaction,
    their rows locked; it writes the events ``route()`` writes, in bulk, recomputes the
    service-level clocks of those whose team changed and announces every change to the open
    pages, as ``conversations.update`` does. Returns the decisions.
    """
    now = now or timezone.now()
    ids = list(dict.fromkeys(conversation_ids))
    roster = fetch.load_roster(now, everyone=True)
    loads, last = fetch.standings(roster.agents)
    recorded: list[RoutingDecision] = []
    sequence = 0
    for start in range(0, len(ids), batch_size):
        chunk = ids[start:start + batch_size]
        with transaction.atomic():
            rows = list(
                Conversation.objects.select_for_update()
                .filter(pk__in=chunk, assignee__isnull=True, status__in=rules.LOAD_STATUSES)
                .annotate(first_mailbox=fetch.first_mailbox()).order_by("pk")
                .only("pk", "person_id", "team_id", "language", "subject", "status",
                      "priority", "version", "message_count", "last_activity_at")
            )
            tags = fetch.tags_of(row.pk for row in rows)
            decisions: list[RoutingDecision] = []
            staged: list[tuple[Conversation, rules.Decision]] = []
            for conversation in rows:
                pk, team_id = conversation.pk, conversation.team_id
                mailbox = str(conversation.first_mailbox or "")
                needs = roster.needs(conversation.language, tags.get(pk, ()), mailbox,
                                     conversation.subject)
                decision = roster.decide(
                    needs, team_id=team_id,
                    team_reason=_team_reason_of(team_id, mailbox, trigger),
                    loads=loads, last_assigned=last)
                if decision.outcome == Outcome.QUEUED and not record_queued:
                    continue
                # decided in this order: later decisions are later, for round-robin
                at = now + timedelta(microseconds=sequence)
                sequence += 1
                if decision.assignee_id is not None:
                    loads[decision.assignee_id] = loads.get(decision.assignee_id, 0) + 1
                    last[decision.assignee_id] = at.timestamp()
                decisions.append(_decision_row(pk, decision, trigger, at))
                staged.append((conversation, decision))
            if decisions:
                _store_pools([decision for _conversation, decision in staged], now)
                for record, (_conversation, decision) in zip(decisions, staged, strict=True):
                    record.pool_id = _pool_id(decision)
                RoutingDecision.objects.bulk_create(decisions)
                _write_changes(staged, decisions)
                _after_changes(staged, decisions[-1].created_at)
            recorded.extend(decisions)
    return recorded


def route_waiting(*, now: datetime | None = None, limit: int = 5000) -> int:
    """Route again the conversations that wait in a queue because nobody could take them
    (their latest routing queued them, nobody took them since), for instance when people
    come on shift. Only new assignments are written. Returns how many were assigned."""
    latest = (RoutingDecision.objects.filter(conversation=OuterRef("pk"))
              .order_by("-created_at", "-id").values("outcome")[:1])
    waiting = list(
        Conversation.objects.filter(assignee__isnull=True, status__in=rules.LOAD_STATUSES)
        .annotate(latest_outcome=Subquery(latest)).filter(latest_outcome=Outcome.QUEUED)
        .order_by("created_at", "pk").values_list("pk", flat=True)[:limit]
    )
    decisions = route_many(waiting, trigger=Trigger.QUEUE, now=now, record_queued=False)
    return len(decisions)


# --- writing --------------------------------------------------------------------------------


def _team_reason(conversation: Conversation, mailbox: str, trigger: str) -> str:
    return _team_reason_of(conversation.team_id, mailbox, trigger)


def _team_reason_of(team_id: int | None, mailbox: str, trigger: str) -> str:
    if team_id is None:
        return rules.TeamReason.NONE
    # at intake, a team can only come from the mailbox (receive() sets it)
    if mailbox and trigger == Trigger.INTAKE:
        return rules.TeamReason.MAILBOX
    return rules.TeamReason.SET


def _decision_row(conversation_id: int, decision: rules.Decision, trigger: str,
                  at: datetime) -> RoutingDecision:
    return RoutingDecision(
        conversation_id=conversation_id, trigger=trigger, outcome=decision.outcome,
        team_id=decision.team_id, assignee_id=decision.assignee_id,
        team_reason=decision.team_reason, reason=decision.reason, needs=decision.needs,
        ranked=decision.ranked, pool_id=_pool_id(decision), created_at=at,
    )


def _pool_id(decision: rules.Decision) -> int | None:
    return decision.screen.stored_id if decision.screen is not None else None


def _store_pools(decisions: list[rules.Decision], at: datetime) -> None:
    """Store the candidate pools these decisions use that are not stored yet (a batch
    stores each distinct pool once)."""
    screens = list({id(d.screen): d.screen for d in decisions
                    if d.screen is not None and d.screen.stored_id is None}.values())
    if not screens:
        return
    pools = CandidatePool.objects.bulk_create([
        CandidatePool(kept=[agent.id for agent in screen.kept], dropped=screen.dropped_json(),
                      teams=screen.teams, created_at=at)
        for screen in screens
    ])
    for screen, pool in zip(screens, pools, strict=True):
        screen.stored_id = pool.pk


def _record(conversation: Conversation, decision: rules.Decision, trigger: str,
            at: datetime) -> RoutingDecision:
    record = _decision_row(conversation.pk, decision, trigger, at)
    record.save(force_insert=True)
    return record


def _queued_data(record: RoutingDecision) -> dict:
    return {"team_id": record.team_id, "reason": record.reason, "decision_id": record.pk}


def _write_changes(staged: list[tuple[Conversation, rules.Decision]],
                   decisions: list[RoutingDecision]) -> None:
    """The rows and events ``route()`` would write (through ``conversations.update``), for
    a whole chunk whose decisions are stored (with their ids): one event per changed field,
    assignee before team, actor None; each changed conversation takes its assignee and team
    from its decision in one UPDATE, its version bumped, ``updated_at`` the chunk's last
    decision time."""
    events: list[Event] = []
    changed: list[int] = []
    for (conversation, decision), record in zip(staged, decisions, strict=True):
        pk, team_id = conversation.pk, conversation.team_id
        kinds = []
        if decision.assignee_id is not None:
            kinds.append((EventKind.ASSIGNEE_CHANGED, {"from": None, "to": decision.assignee_id}))
        if decision.team_id != team_id:
            kinds.append((EventKind.TEAM_CHANGED, {"from": team_id, "to": decision.team_id}))
        if kinds:
            changed.append(pk)
        if decision.outcome == Outcome.QUEUED:
            kinds.append((EventKind.ASSIGNMENT_QUEUED, _queued_data(record)))
        events.extend(Event(conversation_id=pk, person_id=conversation.person_id, kind=kind,
                            actor=None, created_at=record.created_at, data=data)
                      for kind, data in kinds)
    if changed:
        # the chunk's rows are locked: no other decision can be newer than its first one
        mine = (RoutingDecision.objects.filter(conversation=OuterRef("pk"),
                                               pk__gte=min(d.pk for d in decisions))
                .order_by("-pk"))
        Conversation.objects.filter(pk__in=changed).update(
            assignee_id=Subquery(mine.values("assignee_id")[:1]),
            team_id=Subquery(mine.values("team_id")[:1]),
            updated_at=decisions[-1].created_at, version=F("version") + 1)
    Event.objects.bulk_create(events)


def _after_changes(staged: list[tuple[Conversation, rules.Decision]], at: datetime) -> None:
    """What ``conversations.update`` does after a change, for a chunk: service-level clocks
    recomputed where the team changed (its calendar may differ), and each changed
    conversation announced to the open pages once the transaction commits."""
    moved = [conversation.pk for conversation, decision in staged
             if decision.team_id != conversation.team_id]
    if moved:
        sla.refresh_many(moved)
    changed = []
    for conversation, decision in staged:
        if decision.assignee_id is None and decision.team_id == conversation.team_id:
            continue
        conversation.assignee_id = decision.assignee_id
        conversation.team_id = decision.team_id
        conversation.version += 1
        conversation.updated_at = at
        changed.append(conversation)
    conversations.announce(changed)


# --- a person's own settings ----------------------------------------------------------------


def set_working_hours(user: User, weekly_hours: dict | None) -> None:
    """Someone's shifts (``WorkingHours.weekly_hours``'s shape, already validated); None
    puts them back on office hours."""
    if weekly_hours is None:
        WorkingHours.objects.filter(user=user).delete()
        return
    WorkingHours.objects.update_or_create(
        user=user, defaults={"weekly_hours": weekly_hours, "updated_at": timezone.now()})


def add_leave(user: User, starts_on: date, ends_on: date, note: str = "") -> Leave:
    return Leave.objects.create(user=user, starts_on=starts_on, ends_on=ends_on, note=note)


def cancel_leave(user: User, leave_id: int) -> bool:
    """Remove one of ``user``'s own leave periods; False if it is not theirs."""
    deleted, _rows = Leave.objects.filter(pk=leave_id, user=user).delete()
    return bool(deleted)


def set_skills(user: User, skills: Iterable[Skill]) -> None:
    user.skills.set(list(skills))
