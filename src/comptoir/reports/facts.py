"""One conversation's event rows → its facts, through :mod:`comptoir.reports.metrics`.

No queries here: the caller hands in the rows (``EventRow``) of one conversation, ordered by
time then id, and the policies (business calendars). What is read from the events:

- ``conversation.created``: the instant, ``channel``, ``plan``, ``language`` (its ``data``);
  an actor means an agent opened it. A conversation without one is not measured.
- ``language.changed`` / ``team.changed``: ``data["to"]``; ``tag.added`` / ``tag.removed``:
  ``data["tag"]``; the person is the one on the conversation's latest event (merges move
  conversations between people and log an event on each).
- everything metrics reads: customer messages, replies (``reply.sent`` by an agent, i.e. with
  an actor), notes, status changes, reopens;
- ``sla.met`` / ``sla.breached``, which the SLA app writes as each target instance ends.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from . import metrics
from .policies import Policies

TAG_ADDED, TAG_REMOVED = "tag.added", "tag.removed"
TEAM_CHANGED, LANGUAGE_CHANGED = "team.changed", "language.changed"
SLA_MET, SLA_BREACHED = "sla.met", "sla.breached"
CSAT_OFFERED, CSAT_RATED = "csat.offered", "csat.rated"
CSAT_RATINGS = ("good", "bad")
# The SLA app's metrics, as the rollups keep them (periodic updates count only per
# conversation, in ``sla_attained``).
SLA_METRICS = {"first_reply": "first_reply", "next_reply": "next_reply",
               "resolution": "resolution", "requester_wait": "resolution"}


class EventRow(NamedTuple):
    """The columns of ``conversations.Event`` the facts need."""

    id: int
    conversation_id: int
    person_id: int | None
    kind: str
    actor_id: int | None
    data: Mapping[str, Any]
    created_at: datetime


EVENT_COLUMNS = ("id", "conversation_id", "person_id", "kind", "actor_id", "data", "created_at")


def utc_day(at: datetime) -> date:
    return at.astimezone(UTC).date()


@dataclass
class Facts:
    """The figures of one conversation; field names match ``models.ConversationFacts``."""

    conversation_id: int
    person_id: int | None
    channel: str
    plan: str
    language: str
    team_id: int | None
    status: str
    created_at: datetime
    created_day: date
    created_hour: int
    created_by_agent: bool
    first_message_at: datetime | None = None
    first_reply_at: datetime | None = None
    first_reply_day: date | None = None
    frt: int | None = None
    frt_business: int | None = None
    next_replies: int = 0
    next_reply_total: int = 0
    next_reply_business_total: int = 0
    solved: bool = False
    resolved_at: datetime | None = None
    resolved_day: date | None = None
    first_resolution: int | None = None
    first_resolution_business: int | None = None
    full_resolution: int | None = None
    full_resolution_business: int | None = None
    requester_wait: int | None = None
    requester_wait_business: int | None = None
    reopens: int = 0
    replies: int = 0
    one_touch: bool = False
    issue_head: bool = True
    issue_size: int = 1
    issue_solved: bool = False
    issue_one_contact: bool = False
    sla_first_reply_achieved: int = 0
    sla_first_reply_breached: int = 0
    sla_next_reply_achieved: int = 0
    sla_next_reply_breached: int = 0
    sla_resolution_achieved: int = 0
    sla_resolution_breached: int = 0
    sla_attained: bool | None = None
    csat_offered_day: date | None = None
    csat_rating: str = ""
    last_event_id: int = 0
    # kept beside the row, in FactTag and FactFlow
    tags: frozenset[str] = frozenset()
    flows: dict[date, tuple[int, int]] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        """The columns of ``ConversationFacts``."""
        return {name: getattr(self, name) for name in ROW_FIELDS}

    def days(self) -> dict[str, set[date]]:
        """The days this conversation counts on, per rollup family."""
        return {
            "volume": {self.created_day},
            "first_reply": {self.first_reply_day} - {None},
            "resolution": {self.resolved_day} - {None},
            "backlog": set(self.flows),
            "csat": {self.csat_offered_day} - {None},
        }


ROW_FIELDS = tuple(f.name for f in dataclasses.fields(Facts) if f.name not in {"tags", "flows"})


def metric_event(row: EventRow) -> metrics.Event:
    """An event row as metrics sees it: an actor means an agent did it."""
    public = row.kind in (metrics.REPLY_SENT, metrics.MESSAGE_RECEIVED)
    return metrics.Event(row.created_at, row.kind, by_agent=row.actor_id is not None,
                         public=public, data=row.data)


@dataclass(frozen=True)
class Dimensions:
    person_id: int | None
    channel: str
    plan: str
    language: str
    team_id: int | None
    tags: frozenset[str]
    created_at: datetime
    created_by_agent: bool


def dimensions(rows: Sequence[EventRow]) -> Dimensions | None:
    """Channel, plan, language, team, tags and person as the events leave them now."""
    created = next((r for r in rows if r.kind == metrics.CONVERSATION_CREATED), None)
    if created is None:
        return None
    language = str(created.data.get("language") or "")
    team_id: int | None = None
    tags: set[str] = set()
    person_id = created.person_id
    for r in rows:
        if r.person_id is not None:
            person_id = r.person_id
        if r.kind == LANGUAGE_CHANGED:
            language = str(r.data.get("to") or "")
        elif r.kind == TEAM_CHANGED:
            team_id = r.data.get("to")
        elif r.kind == TAG_ADDED:
            tags.add(str(r.data.get("tag")))
        elif r.kind == TAG_REMOVED:
            tags.discard(str(r.data.get("tag")))
    return Dimensions(
        person_id=person_id,
        channel=str(created.data.get("channel") or ""),
        plan=str(created.data.get("plan") or ""),
        language=language,
        team_id=int(team_id) if team_id is not None else None,
        tags=frozenset(tags),
        created_at=created.created_at,
        created_by_agent=created.actor_id is not None,
    )


def history(rows: Sequence[EventRow], dims: Dimensions) -> metrics.ConversationHistory:
    return metrics.ConversationHistory(
        conversation_id=rows[0].conversation_id, person_id=dims.person_id,
        channel=dims.channel, created_at=dims.created_at,
        created_by_agent=dims.created_by_agent,
        events=[metric_event(r) for r in rows if r.kind in _METRIC_KINDS],
    )


_METRIC_KINDS = frozenset({metrics.CONVERSATION_CREATED, metrics.MESSAGE_RECEIVED,
                           metrics.REPLY_SENT, metrics.NOTE_ADDED, metrics.STATUS_CHANGED,
                           metrics.REOPENED})


def facts_of(rows: Sequence[EventRow], policies: Policies) -> Facts | None:
    """The facts of one conversation from all its event rows (time order), or ``None``
    when it has no ``conversation.created`` event."""
    dims = dimensions(rows)
    if dims is None:
        return None
    h = history(rows, dims)
    business = policies.business_minutes(dims.team_id)
    m = metrics.conversation_metrics(h, business_minutes=business)
    created = dims.created_at.astimezone(UTC)
    spans = metrics.status_spans(h)
    f = Facts(
        conversation_id=h.conversation_id, person_id=dims.person_id, channel=dims.channel,
        plan=dims.plan, language=dims.language, team_id=dims.team_id,
        status=spans[-1].status, created_at=dims.created_at, created_day=created.date(),
        created_hour=created.hour, created_by_agent=dims.created_by_agent,
        reopens=m.reopens, replies=m.replies, one_touch=m.one_touch, solved=m.solved,
        resolved_at=m.resolved_at, last_event_id=max(r.id for r in rows), tags=dims.tags,
    )
    if m.reply_instances:
        first = m.reply_instances[0]
        f.first_message_at = first.started_at
        if first.wait is not None and first.replied_at is not None:
            f.first_reply_at = first.replied_at
            f.first_reply_day = utc_day(first.replied_at)
            f.frt, f.frt_business = first.wait.calendar, first.wait.business
    if m.solved:
        assert m.resolved_at is not None  # noqa: S101 - solved implies a resolution
        f.resolved_day = utc_day(m.resolved_at)
        nexts = m.next_replies
        f.next_replies = len(nexts)
        f.next_reply_total = sum(n.calendar for n in nexts)
        f.next_reply_business_total = sum(n.business or 0 for n in nexts)
        f.first_resolution, f.first_resolution_business = _pair(m.first_resolution)
        f.full_resolution, f.full_resolution_business = _pair(m.full_resolution)
        f.requester_wait, f.requester_wait_business = _pair(m.status_times.requester_wait)
    f.flows = flows(spans, dims.created_at)
    _sla(f, rows)
    _csat(f, rows)
    return f


def _csat(f: Facts, rows: Sequence[EventRow]) -> None:
    """The survey's day (its first ``csat.offered``: one survey per conversation) and its
    latest rating; a rating without an offer is not counted."""
    for r in rows:
        if r.kind == CSAT_OFFERED and f.csat_offered_day is None:
            f.csat_offered_day = utc_day(r.created_at)
        elif r.kind == CSAT_RATED and str(r.data.get("rating") or "") in CSAT_RATINGS:
            f.csat_rating = str(r.data["rating"])
    if f.csat_offered_day is None:
        f.csat_rating = ""


def _pair(value: metrics.Minutes | None) -> tuple[int | None, int | None]:
    return (None, None) if value is None else (value.calendar, value.business)


def flows(spans: Sequence[metrics.StatusSpan], created_at: datetime,
          ) -> dict[date, tuple[int, int]]:
    """Per UTC day: (opened, resolved) moves — creation and reopens in, solves and closes
    from an active status out."""
    moves: dict[date, list[int]] = {utc_day(created_at): [1, 0]}
    for before, after in itertools.pairwise(spans):
        day = utc_day(after.start)
        if before.status in metrics.ACTIVE_STATUSES and after.status in metrics.RESOLVED_STATUSES:
            moves.setdefault(day, [0, 0])[1] += 1
        elif before.status in metrics.RESOLVED_STATUSES and after.status in metrics.ACTIVE_STATUSES:
            moves.setdefault(day, [0, 0])[0] += 1
    return {day: (opened, resolved) for day, (opened, resolved) in moves.items()}


def _sla(f: Facts, rows: Sequence[EventRow]) -> None:
    """SLA outcomes from the SLA app's events: each ``sla.met`` / ``sla.breached`` closes one
    target instance (``data["metric"]``). The conversation attained its targets when it is
    solved with at least one met and none breached; any breach decides it missed."""
    counts: dict[tuple[str, bool], int] = {}
    for r in rows:
        if r.kind in (SLA_MET, SLA_BREACHED):
            metric = SLA_METRICS.get(str(r.data.get("metric") or ""), "other")
            key = (metric, r.kind == SLA_MET)
            counts[key] = counts.get(key, 0) + 1
    for metric in ("first_reply", "next_reply", "resolution"):
        setattr(f, f"sla_{metric}_achieved", counts.get((metric, True), 0))
        setattr(f, f"sla_{metric}_breached", counts.get((metric, False), 0))
    met = sum(n for (_metric, ok), n in counts.items() if ok)
    breached = sum(n for (_metric, ok), n in counts.items() if not ok)
    if breached:
        f.sla_attained = False
    elif met and f.solved:
        f.sla_attained = True


# --- one-contact resolution ------------------------------------------------------------------


class IssueInput(NamedTuple):
    conversation_id: int
    created_at: datetime
    resolved_at: datetime | None
    solved: bool
    one_touch: bool


class IssueFields(NamedTuple):
    issue_head: bool
    issue_size: int
    issue_solved: bool
    issue_one_contact: bool


def group_issues(conversations: Iterable[IssueInput], window: timedelta,
                 ) -> dict[int, IssueFields]:
    """One person's conversations grouped into issues exactly as
    ``metrics.customer_issues`` groups them; the issue's figures go on its first
    conversation (the head), the others get ``issue_head=False``."""
    ordered = sorted(conversations, key=lambda c: (c.created_at, str(c.conversation_id)))
    groups: list[list[IssueInput]] = []
    anchor: datetime | None = None
    for c in ordered:
        if anchor is None or c.created_at - anchor > window:
            groups.append([])
            anchor = c.created_at
        groups[-1].append(c)
        anchor = max(anchor, c.created_at, c.resolved_at or c.created_at)
    result = {}
    for group in groups:
        solved = all(c.solved for c in group)
        one_contact = len(group) == 1 and group[0].one_touch
        head, *rest = group
        result[head.conversation_id] = IssueFields(True, len(group), solved, one_contact)
        for c in rest:
            result[c.conversation_id] = IssueFields(False, 0, False, False)
    return result
