"""Support metrics from a conversation's event log. Pure: no Django, no ORM, no clock.

Definitions follow ``shared/research/metrics.md`` ("comptoir's choices" where sources differ)
and, for the response-time breakdown, ``shared/research/response-time-report.md``.

The input is a small mirror of comptoir's append-only ``Event`` rows, grouped per
conversation in a :class:`ConversationHistory`. Only these kinds matter here:

- ``conversation.created``; ``message.received`` (the customer wrote);
- ``reply.sent`` (public agent reply: the only thing that counts as a *reply*);
- ``note.added`` (internal, never counts); ``conversation.reopened``;
- ``status.changed`` with ``data={"from": ..., "to": ...}`` over new, open, pending,
  on_hold, solved, closed.

Conventions used throughout:

- Durations are whole minutes, rounded down (``(end - start) // 1 minute``). Because every
  bucket edge and SLA target is a whole number of minutes, half-open intervals stay exact:
  59 min 59 s is "under 1 h", 60 min is not.
- Business minutes come from any callable ``business_minutes(start, end) -> int`` (such as
  ``BusinessCalendar.minutes_between``). Without one, business figures are ``None``.
- "As of" (``until``): events after it are ignored and open status spans end there. By
  default it is the instant of the last event that moves a clock (created, customer message,
  reply, status change, reopen) — never a note, so adding a note changes no figure.
- Every aggregate is a sum of counts (:class:`Tally`, :class:`Ratio`, ...) with ``+``, so
  per-conversation partials merge in any order into the same result; averages and
  percentages are derived last.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

CONVERSATION_CREATED = "conversation.created"
MESSAGE_RECEIVED = "message.received"
REPLY_SENT = "reply.sent"
NOTE_ADDED = "note.added"
STATUS_CHANGED = "status.changed"
REOPENED = "conversation.reopened"

NEW, OPEN, PENDING, ON_HOLD, SOLVED, CLOSED = (
    "new", "open", "pending", "on_hold", "solved", "closed",
)
ACTIVE_STATUSES = frozenset({NEW, OPEN, PENDING, ON_HOLD})
RESOLVED_STATUSES = frozenset({SOLVED, CLOSED})
REQUESTER_WAIT_STATUSES = frozenset({NEW, OPEN, ON_HOLD})  # pauses in pending only
AGENT_WORK_STATUSES = frozenset({NEW, OPEN})  # pauses in pending and on hold

# The kinds that start, stop or move a clock. Notes, tags, reactions... never do.
CLOCK_KINDS = frozenset({CONVERSATION_CREATED, MESSAGE_RECEIVED, REPLY_SENT, STATUS_CHANGED,
                         REOPENED})

BusinessMinutes = Callable[[datetime, datetime], int]
"""``business_minutes(start, end)``: open minutes of a business calendar in [start, end)."""

MINUTE = timedelta(minutes=1)


def _require_aware(at: datetime, what: str) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {at!r}")


@dataclass(frozen=True)
class Event:
    """One row of the event log, as far as metrics care.

    ``by_agent``: written by a human agent (False for the customer, rules and bots).
    ``public``: visible to the customer (replies and customer messages; never notes).
    """

    at: datetime
    kind: str
    by_agent: bool = False
    public: bool = False
    data: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _require_aware(self.at, "Event.at")

    @property
    def is_reply(self) -> bool:
        """A public comment by an agent. Notes, bot or rule messages and CSAT mails are not."""
        return self.kind == REPLY_SENT and self.by_agent and self.public

    @property
    def is_customer_message(self) -> bool:
        return self.kind == MESSAGE_RECEIVED and not self.by_agent


@dataclass(frozen=True)
class ConversationHistory:
    """One conversation and its events. Events are kept sorted by time (stable for ties).

    ``created_by_agent``: an agent opened it (outbound). Otherwise the creation *is* the
    customer's first message, whether or not the matching ``message.received`` is present.
    """

    conversation_id: Hashable
    person_id: Hashable | None
    channel: str
    created_at: datetime
    created_by_agent: bool = False
    events: Sequence[Event] = ()

    def __post_init__(self) -> None:
        _require_aware(self.created_at, "ConversationHistory.created_at")
        object.__setattr__(self, "events", tuple(sorted(self.events, key=lambda e: e.at)))

    def with_event(self, event: Event) -> ConversationHistory:
        """A copy with one more event (histories are immutable)."""
        return dataclasses.replace(self, events=(*self.events, event))

    def as_of(self, until: datetime | None = None) -> datetime:
        """``until``, or by default the last clock-moving event (never a note)."""
        if until is not None:
            return until
        clock = [e.at for e in self.events if e.kind in CLOCK_KINDS]
        return max([self.created_at, *clock])


# --- small mergeable numbers -----------------------------------------------------------------


def minutes_between(start: datetime, end: datetime) -> int:
    """Whole calendar minutes from ``start`` to ``end``, rounded down."""
    return (end - start) // MINUTE


@dataclass(frozen=True)
class Minutes:
    """A duration in calendar minutes and, when a calendar was given, business minutes."""

    calendar: int
    business: int | None = None

    def __add__(self, other: Minutes) -> Minutes:
        business = (None if self.business is None or other.business is None
                    else self.business + other.business)
        return Minutes(self.calendar + other.calendar, business)


def _span(start: datetime, end: datetime, business_minutes: BusinessMinutes | None) -> Minutes:
    business = None if business_minutes is None else business_minutes(start, end)
    return Minutes(minutes_between(start, end), business)


@dataclass(frozen=True)
class Tally:
    """Count and sum of durations (minutes) or counts: the mergeable form of an average."""

    count: int = 0
    total: int = 0

    @classmethod
    def of(cls, values: Iterable[int]) -> Tally:
        items = list(values)
        return cls(len(items), sum(items))

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.count + other.count, self.total + other.total)

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None


def _round_half_up(value: Fraction, digits: int) -> Decimal:
    scaled = value * 10**digits
    whole = (abs(scaled.numerator) * 2 + scaled.denominator) // (2 * scaled.denominator)
    return Decimal(whole if scaled >= 0 else -whole).scaleb(-digits)


@dataclass(frozen=True)
class Ratio:
    """``numerator`` of ``denominator`` (rates, shares, scores). Merge with ``+``.

    Compute on counts, round only for display: :meth:`percent` rounds half up.
    """

    numerator: int = 0
    denominator: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.numerator <= self.denominator:
            raise ValueError(f"not a ratio: {self.numerator}/{self.denominator}")

    def __add__(self, other: Ratio) -> Ratio:
        return Ratio(self.numerator + other.numerator, self.denominator + other.denominator)

    @property
    def fraction(self) -> Fraction | None:
        """The exact value, or ``None`` when there is nothing to divide by."""
        return Fraction(self.numerator, self.denominator) if self.denominator else None

    def percent(self, digits: int = 1) -> Decimal | None:
        """The percentage rounded half up to ``digits`` decimals (``None`` for 0/0)."""
        value = self.fraction
        return None if value is None else _round_half_up(value * 100, digits)


# --- one conversation --------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusSpan:
    """The conversation sat in ``status`` over [start, end)."""

    status: str
    start: datetime
    end: datetime


def status_spans(history: ConversationHistory, *, until: datetime | None = None,
                 ) -> tuple[StatusSpan, ...]:
    """The status timeline from creation to the as-of instant.

    The status before the first change is that change's ``from`` (``new`` if absent).
    The last span ends at the as-of instant; time after a close belongs to no status.
    """
    as_of = history.as_of(until)
    changes = [e for e in history.events if e.kind == STATUS_CHANGED and e.at <= as_of]
    status = str(changes[0].data.get("from") or NEW) if changes else NEW
    start = history.created_at
    spans = []
    for change in changes:
        at = max(change.at, start)
        spans.append(StatusSpan(status, start, at))
        status, start = str(change.data["to"]), at
    spans.append(StatusSpan(status, start, max(as_of, start) if status != CLOSED else start))
    return tuple(spans)


@dataclass(frozen=True)
class StatusTimes:
    """Minutes spent in each status; the wait figures are sums of these."""

    new: Minutes
    open: Minutes
    pending: Minutes
    on_hold: Minutes
    solved: Minutes

    @property
    def requester_wait(self) -> Minutes:
        """New + open + on hold: the customer is waiting on us. Pauses in pending."""
        return self.new + self.open + self.on_hold

    @property
    def agent_work(self) -> Minutes:
        """New + open. Pauses in pending and on hold."""
        return self.new + self.open

    @property
    def agent_wait(self) -> Minutes:
        """Pending: we are waiting on the customer."""
        return self.pending


def status_times(history: ConversationHistory, *, until: datetime | None = None,
                 business_minutes: BusinessMinutes | None = None) -> StatusTimes:
    """Time per status, each span measured on its own (business minutes span by span)."""
    zero = Minutes(0, None if business_minutes is None else 0)
    totals = dict.fromkeys((NEW, OPEN, PENDING, ON_HOLD, SOLVED), zero)
    for span in status_spans(history, until=until):
        if span.status in totals:
            totals[span.status] += _span(span.start, span.end, business_minutes)
    return StatusTimes(totals[NEW], totals[OPEN], totals[PENDING], totals[ON_HOLD],
                       totals[SOLVED])


@dataclass(frozen=True)
class ReplyInstance:
    """One customer turn: from the oldest unanswered customer message to the next reply.

    ``replied_at`` and ``wait`` are ``None`` while the turn is unanswered.
    """

    started_at: datetime
    replied_at: datetime | None
    wait: Minutes | None


def reply_instances(history: ConversationHistory, *, until: datetime | None = None,
                    business_minutes: BusinessMinutes | None = None,
                    ) -> tuple[ReplyInstance, ...]:
    """Every customer turn, in order. Instance 1 is the first reply, the rest next replies.

    - A turn starts at the oldest unanswered customer message; consecutive customer
      messages belong to the same turn.
    - Only a public agent reply ends a turn. A reply with no customer message waiting (an
      agent's opening message, a follow-up) starts nothing and ends nothing.
    - A customer-created conversation's first turn starts at creation. An agent-created one
      has none until the customer writes: the customer's own delay is not the team's wait.
    - A solve does not end a turn: a phone conversation solved silently and reopened gets
      its first reply time at the first reply after the reopen.
    """
    as_of = history.as_of(until)
    waiting_since = None if history.created_by_agent else history.created_at
    turns = []
    for event in history.events:
        if event.at > as_of:
            break
        if event.is_customer_message and waiting_since is None:
            waiting_since = event.at
        elif event.is_reply and waiting_since is not None:
            turns.append(ReplyInstance(waiting_since, event.at,
                                       _span(waiting_since, event.at, business_minutes)))
            waiting_since = None
    if waiting_since is not None:
        turns.append(ReplyInstance(waiting_since, None, None))
    return tuple(turns)


def first_reply_time(history: ConversationHistory, *, until: datetime | None = None,
                     business_minutes: BusinessMinutes | None = None) -> Minutes | None:
    """From the first customer message to the next public agent reply.

    ``None`` when unanswered (kept out of averages and buckets, counted apart) and for an
    agent-created conversation the customer has not answered. Never negative.
    """
    turns = reply_instances(history, until=until, business_minutes=business_minutes)
    return turns[0].wait if turns else None


def next_reply_times(history: ConversationHistory, *, until: datetime | None = None,
                     business_minutes: BusinessMinutes | None = None) -> tuple[Minutes, ...]:
    """The answered customer turns after the first (see :func:`reply_instances`)."""
    turns = reply_instances(history, until=until, business_minutes=business_minutes)
    return tuple(turn.wait for turn in turns[1:] if turn.wait is not None)


@dataclass(frozen=True)
class ConversationMetrics:
    """Everything measured on one conversation, as of one instant."""

    conversation_id: Hashable
    person_id: Hashable | None
    channel: str
    created_at: datetime
    reply_instances: tuple[ReplyInstance, ...]
    status_times: StatusTimes
    resolutions: tuple[datetime, ...]
    first_resolution: Minutes | None
    full_resolution: Minutes | None
    reopens: int
    replies: int
    solved: bool

    @property
    def first_reply(self) -> Minutes | None:
        return self.reply_instances[0].wait if self.reply_instances else None

    @property
    def first_reply_at(self) -> datetime | None:
        return self.reply_instances[0].replied_at if self.reply_instances else None

    @property
    def awaiting_first_reply(self) -> bool:
        """The customer wrote and nobody has replied yet."""
        return bool(self.reply_instances) and self.reply_instances[0].replied_at is None

    @property
    def next_replies(self) -> tuple[Minutes, ...]:
        return tuple(t.wait for t in self.reply_instances[1:] if t.wait is not None)

    @property
    def resolved_at(self) -> datetime | None:
        """The latest resolution (solve, or a close that was not preceded by a solve)."""
        return self.resolutions[-1] if self.resolutions else None

    @property
    def one_touch(self) -> bool:
        """Solved (or closed) with exactly 1 agent reply and 0 reopens."""
        return self.solved and self.replies == 1 and self.reopens == 0


def conversation_metrics(history: ConversationHistory, *, until: datetime | None = None,
                         business_minutes: BusinessMinutes | None = None,
                         ) -> ConversationMetrics:
    """Measure one conversation as of ``until`` (default: its last clock-moving event).

    - First resolution: creation → first time the status became solved; a conversation
      closed (by a rule or the API) without being solved uses that close.
    - Full resolution: creation → the latest solve; it includes the pending, on-hold and
      solved time in between. A close right after a solve changes neither.
    - Reopens: solved → new/open/pending/on-hold transitions.
    - Replies: public agent replies (an agent's opening message included).
    - Solved: the status is solved or closed at the as-of instant.
    """
    as_of = history.as_of(until)
    spans = status_spans(history, until=until)
    resolutions, reopens = [], 0
    for before, after in itertools.pairwise(spans):
        if before.status == after.status:
            continue
        if after.status == SOLVED or (after.status == CLOSED and before.status != SOLVED):
            resolutions.append(after.start)
        if before.status == SOLVED and after.status in ACTIVE_STATUSES:
            reopens += 1

    def since_creation(at: datetime | None) -> Minutes | None:
        return None if at is None else _span(history.created_at, at, business_minutes)

    return ConversationMetrics(
        conversation_id=history.conversation_id,
        person_id=history.person_id,
        channel=history.channel,
        created_at=history.created_at,
        reply_instances=reply_instances(history, until=until, business_minutes=business_minutes),
        status_times=status_times(history, until=until, business_minutes=business_minutes),
        resolutions=tuple(resolutions),
        first_resolution=since_creation(resolutions[0] if resolutions else None),
        full_resolution=since_creation(resolutions[-1] if resolutions else None),
        reopens=reopens,
        replies=sum(1 for e in history.events if e.is_reply and e.at <= as_of),
        solved=spans[-1].status in RESOLVED_STATUSES,
    )


# --- aggregates --------------------------------------------------------------------------------


def _tallies(values: Iterable[Minutes | None]) -> tuple[Tally, Tally]:
    present = [v for v in values if v is not None]
    return (Tally.of(v.calendar for v in present),
            Tally.of(v.business for v in present if v.business is not None))


def _merge_ratios(a: Mapping[str, Ratio], b: Mapping[str, Ratio]) -> dict[str, Ratio]:
    merged: dict[str, Ratio] = defaultdict(Ratio)
    for source in (a, b):
        for key, ratio in source.items():
            merged[key] += ratio
    return dict(merged)


@dataclass(frozen=True)
class MetricsSummary:
    """Mergeable totals over conversations. Each ``*_business`` tally counts only the
    conversations measured with a calendar.

    Reply figures cover every conversation; resolution, wait and reply-count figures cover
    the solved (or closed) ones, whose numbers are final.

    - ``reopen_rate``: solved with ≥ 1 reopen ÷ solved.
    - ``one_touch``: one-touch ÷ solved.
    - ``fcr_by_channel``: per channel, one-touch solved on X ÷ solved on X (FCR proxy).
    """

    conversations: int = 0
    solved: int = 0
    awaiting_first_reply: int = 0
    first_reply: Tally = Tally()
    first_reply_business: Tally = Tally()
    next_reply: Tally = Tally()
    next_reply_business: Tally = Tally()
    first_resolution: Tally = Tally()
    first_resolution_business: Tally = Tally()
    full_resolution: Tally = Tally()
    full_resolution_business: Tally = Tally()
    requester_wait: Tally = Tally()
    requester_wait_business: Tally = Tally()
    agent_work: Tally = Tally()
    agent_work_business: Tally = Tally()
    agent_wait: Tally = Tally()
    agent_wait_business: Tally = Tally()
    on_hold: Tally = Tally()
    on_hold_business: Tally = Tally()
    reopens: int = 0
    reopen_rate: Ratio = Ratio()
    replies: Tally = Tally()
    one_touch: Ratio = Ratio()
    fcr_by_channel: Mapping[str, Ratio] = field(default_factory=dict)

    @classmethod
    def of(cls, m: ConversationMetrics) -> MetricsSummary:
        """The partial of one conversation."""
        solved = m.solved
        times = m.status_times
        fields: dict[str, Any] = {}
        pairs = {
            "first_reply": [m.first_reply],
            "next_reply": list(m.next_replies),
            "first_resolution": [m.first_resolution if solved else None],
            "full_resolution": [m.full_resolution if solved else None],
            "requester_wait": [times.requester_wait if solved else None],
            "agent_work": [times.agent_work if solved else None],
            "agent_wait": [times.agent_wait if solved else None],
            "on_hold": [times.on_hold if solved else None],
        }
        for name, values in pairs.items():
            fields[name], fields[f"{name}_business"] = _tallies(values)
        return cls(
            conversations=1,
            solved=int(solved),
            awaiting_first_reply=int(m.awaiting_first_reply),
            reopens=m.reopens,
            reopen_rate=Ratio(int(solved and m.reopens > 0), int(solved)),
            replies=Tally.of([m.replies] if solved else []),
            one_touch=Ratio(int(m.one_touch), int(solved)),
            fcr_by_channel={m.channel: Ratio(int(m.one_touch), int(solved))},
            **fields,
        )

    def __add__(self, other: MetricsSummary) -> MetricsSummary:
        merged: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            merged[f.name] = _merge_ratios(a, b) if f.name == "fcr_by_channel" else a + b
        return MetricsSummary(**merged)


def summarise(histories: Iterable[ConversationHistory], *, until: datetime | None = None,
              business_minutes: BusinessMinutes | None = None) -> MetricsSummary:
    """The sum of each conversation's :meth:`MetricsSummary.of`."""
    total = MetricsSummary()
    for history in histories:
        total += MetricsSummary.of(
            conversation_metrics(history, until=until, business_minutes=business_minutes))
    return total


# --- one-contact resolution (across channels) --------------------------------------------------


@dataclass(frozen=True)
class CustomerIssue:
    """A person's conversations, on any channel, that belong to one issue."""

    person_id: Hashable | None
    conversation_ids: tuple[Hashable, ...]
    solved: bool
    one_contact: bool


def customer_issues(histories: Iterable[ConversationHistory], *,
                    window: timedelta = timedelta(days=7), until: datetime | None = None,
                    ) -> tuple[CustomerIssue, ...]:
    """Group each person's conversations, on all channels, into issues.

    In creation order, a conversation joins the current issue when it starts within
    ``window`` (inclusive) of the creation or latest solve of a conversation already in it
    (for conversations that do not overlap: of the previous one). Otherwise it starts a new
    issue. An issue is solved when all its conversations are; it is one-contact when it
    holds exactly one conversation and that one is one-touch. A conversation without a
    person is an issue on its own.
    """
    by_person: dict[Hashable, list[ConversationMetrics]] = defaultdict(list)
    for history in histories:
        m = conversation_metrics(history, until=until)
        key = m.person_id if m.person_id is not None else ("conversation", m.conversation_id)
        by_person[key].append(m)
    issues = []
    for conversations in by_person.values():
        conversations.sort(key=lambda m: (m.created_at, str(m.conversation_id)))
        groups: list[list[ConversationMetrics]] = []
        anchor: datetime | None = None
        for m in conversations:
            if anchor is None or m.created_at - anchor > window:
                groups.append([])
                anchor = m.created_at
            groups[-1].append(m)
            anchor = max(anchor, m.created_at, m.resolved_at or m.created_at)
        issues.extend(
            CustomerIssue(
                person_id=group[0].person_id,
                conversation_ids=tuple(m.conversation_id for m in group),
                solved=all(m.solved for m in group),
                one_contact=len(group) == 1 and group[0].one_touch,
            )
            for group in groups
        )
    return tuple(issues)


def one_contact_resolution(histories: Iterable[ConversationHistory], *,
                           window: timedelta = timedelta(days=7),
                           until: datetime | None = None) -> Ratio:
    """One-contact issues ÷ solved issues. It needs each person's whole cross-channel
    history, so partials merge per person (not per conversation)."""
    issues = customer_issues(histories, window=window, until=until)
    return Ratio(sum(i.one_contact for i in issues), sum(i.solved for i in issues))


def fcr_by_channel(histories: Iterable[ConversationHistory], *,
                   until: datetime | None = None) -> dict[str, Ratio]:
    """Per channel: one-touch solved conversations on X ÷ solved conversations on X."""
    return dict(summarise(histories, until=until).fcr_by_channel)


# --- satisfaction ------------------------------------------------------------------------------

CSAT_UNOFFERED, CSAT_OFFERED, CSAT_GOOD, CSAT_BAD = "unoffered", "offered", "good", "bad"


@dataclass(frozen=True)
class CsatTally:
    """Survey counts. ``offered`` counts every survey sent, rated or not."""

    offered: int = 0
    good: int = 0
    bad: int = 0

    @classmethod
    def of_states(cls, states: Iterable[str]) -> CsatTally:
        """From each conversation's survey state: unoffered, offered, good or bad (its latest
        rating: a rating may change until the conversation is closed)."""
        counts = Counter(states)
        unknown = set(counts) - {CSAT_UNOFFERED, CSAT_OFFERED, CSAT_GOOD, CSAT_BAD}
        if unknown:
            raise ValueError(f"unknown survey states: {sorted(unknown)}")
        return cls(counts[CSAT_OFFERED] + counts[CSAT_GOOD] + counts[CSAT_BAD],
                   counts[CSAT_GOOD], counts[CSAT_BAD])

    def __add__(self, other: CsatTally) -> CsatTally:
        return CsatTally(self.offered + other.offered, self.good + other.good,
                         self.bad + other.bad)

    @property
    def score(self) -> Ratio:
        """good ÷ (good + bad). Unanswered surveys are left out, not counted as bad."""
        return Ratio(self.good, self.good + self.bad)

    @property
    def response_rate(self) -> Ratio:
        """rated ÷ offered."""
        return Ratio(self.good + self.bad, self.offered)


@dataclass(frozen=True)
class NpsTally:
    """0–10 answers: promoters 9–10, passives 7–8, detractors 0–6 (for reference)."""

    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @classmethod
    def of_scores(cls, scores: Iterable[int]) -> NpsTally:
        counts = Counter("p" if s >= 9 else "n" if s >= 7 else "d" for s in scores)
        return cls(counts["p"], counts["n"], counts["d"])

    def __add__(self, other: NpsTally) -> NpsTally:
        return NpsTally(self.promoters + other.promoters, self.passives + other.passives,
                        self.detractors + other.detractors)

    def score(self, digits: int = 0) -> Decimal | None:
        """% promoters − % detractors, from −100 to +100, rounded half away from zero."""
        answers = self.promoters + self.passives + self.detractors
        if not answers:
            return None
        return _round_half_up(Fraction(100 * (self.promoters - self.detractors), answers),
                              digits)


# --- SLA ---------------------------------------------------------------------------------------


class SlaOutcome(StrEnum):
    ACHIEVED = "achieved"
    BREACHED = "breached"
    ACTIVE = "active"


def sla_outcome(due_at: datetime | None, fulfilled_at: datetime | None, *,
                now: datetime | None = None) -> SlaOutcome:
    """Achieved when fulfilled at or before the due instant; breached when fulfilled later,
    or when ``now`` is past the due instant with nothing done yet; otherwise active.
    ``due_at=None`` means the target has not been used up (yet)."""
    if due_at is None:
        return SlaOutcome.ACTIVE if fulfilled_at is None else SlaOutcome.ACHIEVED
    if fulfilled_at is not None:
        return SlaOutcome.ACHIEVED if fulfilled_at <= due_at else SlaOutcome.BREACHED
    if now is not None and now > due_at:
        return SlaOutcome.BREACHED
    return SlaOutcome.ACTIVE


def add_minutes(start: datetime, minutes: int, *,
                business_minutes: BusinessMinutes | None = None,
                horizon: timedelta = timedelta(days=5 * 366)) -> datetime:
    """The due instant ``minutes`` after ``start``: in business time, the instant at which
    the ``minutes``-th open minute ends (the earliest ``t`` with
    ``business_minutes(start, t) >= minutes``, searched to the second). Any monotonic
    ``business_minutes`` works. Raises ``ValueError`` if the calendar never opens enough
    within ``horizon``."""
    if minutes < 0:
        raise ValueError("a target cannot be negative")
    if business_minutes is None or minutes == 0:
        return start + minutes * MINUTE
    low, high = 0, minutes * 60  # in seconds; business time never runs faster than the clock
    while business_minutes(start, start + timedelta(seconds=high)) < minutes:
        low, high = high, high * 2
        if timedelta(seconds=low) > horizon:
            raise ValueError(f"no {minutes} open minutes within {horizon} of {start}")
    while high - low > 1:  # invariant: not reached at low (or low == 0), reached at high
        middle = (low + high) // 2
        if business_minutes(start, start + timedelta(seconds=middle)) >= minutes:
            high = middle
        else:
            low = middle
    return start + timedelta(seconds=high)


FIRST_REPLY, NEXT_REPLY, REQUESTER_WAIT = "first_reply", "next_reply", "requester_wait"


@dataclass(frozen=True)
class SlaTarget:
    """One target instance: ``due_at`` is ``None`` while a pausable target is not used up."""

    metric: str
    started_at: datetime
    due_at: datetime | None
    fulfilled_at: datetime | None

    def outcome(self, now: datetime | None = None) -> SlaOutcome:
        return sla_outcome(self.due_at, self.fulfilled_at, now=now)


def reply_targets(history: ConversationHistory, *, first_reply_minutes: int | None,
                  next_reply_minutes: int | None, until: datetime | None = None,
                  business_minutes: BusinessMinutes | None = None) -> tuple[SlaTarget, ...]:
    """A first-reply target on instance 1 and a next-reply target on each later turn
    (``None`` skips that target). Reply clocks never pause."""
    targets = []
    for index, turn in enumerate(reply_instances(history, until=until)):
        minutes, metric = ((first_reply_minutes, FIRST_REPLY) if index == 0
                           else (next_reply_minutes, NEXT_REPLY))
        if minutes is not None:
            due = add_minutes(turn.started_at, minutes, business_minutes=business_minutes)
            targets.append(SlaTarget(metric, turn.started_at, due, turn.replied_at))
    return tuple(targets)


def requester_wait_target(history: ConversationHistory, minutes: int, *,
                          until: datetime | None = None,
                          business_minutes: BusinessMinutes | None = None,
                          statuses: frozenset[str] = REQUESTER_WAIT_STATUSES,
                          metric: str = REQUESTER_WAIT) -> SlaTarget:
    """A pausable target counted over ``statuses`` (default requester wait: new, open,
    on hold; pass :data:`AGENT_WORK_STATUSES` for agent work), fulfilled by the latest
    resolution if the conversation is solved as of ``until``.

    ``due_at`` is the instant the counted time reaches ``minutes`` — within a past span, or
    projected forward when the conversation still counts at ``until``; ``None`` while it is
    paused short of the target.
    """
    spans = status_spans(history, until=until)
    metrics = conversation_metrics(history, until=until)
    used, due = 0, None
    for index, span in enumerate(spans):
        if span.status not in statuses:
            continue
        still_running = index == len(spans) - 1
        length = _span(span.start, span.end, business_minutes)
        spent = length.calendar if business_minutes is None else length.business or 0
        if still_running or used + spent >= minutes:
            due = add_minutes(span.start, minutes - used, business_minutes=business_minutes)
            break
        used += spent
    fulfilled = metrics.resolved_at if metrics.solved else None
    return SlaTarget(metric, history.created_at, due, fulfilled)


@dataclass(frozen=True)
class SlaAttainment:
    """Per target metric, achieved ÷ (achieved + breached) over completed instances (a
    breach counts as soon as it happens); per conversation, attained ÷ conversations
    decided (any breach, or every target achieved)."""

    by_metric: Mapping[str, Ratio] = field(default_factory=dict)
    conversations: Ratio = Ratio()

    @property
    def targets(self) -> Ratio:
        """All target instances together."""
        return sum(self.by_metric.values(), Ratio())

    def __add__(self, other: SlaAttainment) -> SlaAttainment:
        return SlaAttainment(_merge_ratios(self.by_metric, other.by_metric),
                             self.conversations + other.conversations)


def sla_attainment(targets: Iterable[SlaTarget], *, now: datetime | None = None,
                   ) -> SlaAttainment:
    """The attainment of one conversation's targets (merge conversations with ``+``)."""
    by_metric: dict[str, Ratio] = defaultdict(Ratio)
    outcomes = []
    for target in targets:
        outcome = target.outcome(now)
        outcomes.append(outcome)
        if outcome is not SlaOutcome.ACTIVE:
            by_metric[target.metric] += Ratio(int(outcome is SlaOutcome.ACHIEVED), 1)
    if SlaOutcome.BREACHED in outcomes:
        conversations = Ratio(0, 1)
    elif outcomes and SlaOutcome.ACTIVE not in outcomes:
        conversations = Ratio(1, 1)
    else:
        conversations = Ratio()
    return SlaAttainment(dict(by_metric), conversations)


# --- the response-time breakdown (Buffer) -----------------------------------------------------


@dataclass(frozen=True)
class ResponseBucket:
    """[lower, upper) minutes of first reply time; ``upper=None`` is unbounded."""

    key: str
    lower: int
    upper: int | None


RESPONSE_BUCKETS = (
    ResponseBucket("under_1h", 0, 60),
    ResponseBucket("1h_3h", 60, 180),
    ResponseBucket("3h_6h", 180, 360),
    ResponseBucket("6h_24h", 360, 1440),
    ResponseBucket("24h_plus", 1440, None),
)


def bucket_index(minutes: int) -> int:
    """The half-open bucket of a first reply time: exactly 60 minutes is in 1–3 h."""
    if minutes < 0:
        raise ValueError("a reply time cannot be negative")
    return next(i for i, b in enumerate(RESPONSE_BUCKETS) if b.upper is None or minutes < b.upper)


@dataclass(frozen=True)
class ResponseTimeBreakdown:
    """First reply times in the five buckets, plus the conversations still waiting.

    ``histogram`` (minutes → conversations) keeps the median mergeable. ``awaiting_minutes``
    are the waiting conversations' ages at the as-of instant, oldest first (empty when no
    instant was given; ``awaiting`` is counted anyway).
    """

    counts: tuple[int, ...] = (0,) * len(RESPONSE_BUCKETS)
    awaiting: int = 0
    awaiting_minutes: tuple[int, ...] = ()
    histogram: Mapping[int, int] = field(default_factory=dict)

    @classmethod
    def of_minutes(cls, answered: Iterable[int],
                   awaiting: Iterable[int] = ()) -> ResponseTimeBreakdown:
        """From first reply times (minutes) and the ages of conversations still waiting."""
        counts = [0] * len(RESPONSE_BUCKETS)
        histogram: Counter[int] = Counter()
        for minutes in answered:
            counts[bucket_index(minutes)] += 1
            histogram[minutes] += 1
        ages = sorted(awaiting, reverse=True)
        return cls(tuple(counts), len(ages), tuple(ages), dict(histogram))

    def __add__(self, other: ResponseTimeBreakdown) -> ResponseTimeBreakdown:
        return ResponseTimeBreakdown(
            tuple(a + b for a, b in zip(self.counts, other.counts, strict=True)),
            self.awaiting + other.awaiting,
            tuple(sorted((*self.awaiting_minutes, *other.awaiting_minutes), reverse=True)),
            dict(Counter(self.histogram) + Counter(other.histogram)),
        )

    @property
    def answered(self) -> int:
        """The denominator: conversations first answered in the period."""
        return sum(self.counts)

    def shares(self) -> tuple[Ratio, ...]:
        return tuple(Ratio(count, self.answered) for count in self.counts)

    def cumulative(self) -> tuple[Ratio, ...]:
        """Share answered before each bucket's upper edge ("80% within 6 h"); the last is
        everything answered."""
        running, result = 0, []
        for count in self.counts:
            running += count
            result.append(Ratio(running, self.answered))
        return tuple(result)

    def median_minutes(self) -> float | None:
        """The median first reply time (mean of the two middle values for an even count)."""
        n = self.answered
        if not n:
            return None
        return (self._nth(n // 2) + self._nth((n - 1) // 2)) / 2

    def _nth(self, position: int) -> int:
        seen = 0
        for minutes in sorted(self.histogram):
            seen += self.histogram[minutes]
            if position < seen:
                return minutes
        raise IndexError(position)


def _in_period(at: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or at >= start) and (end is None or at < end)


def response_time_breakdown(histories: Iterable[ConversationHistory], *,
                            answered_from: datetime | None = None,
                            answered_before: datetime | None = None,
                            as_of: datetime | None = None,
                            business_minutes: BusinessMinutes | None = None,
                            ) -> ResponseTimeBreakdown:
    """Buffer's breakdown of first reply times over one period (calendar minutes unless a
    calendar is given).

    - Answered: conversations whose *first* reply falls in [answered_from, answered_before);
      they are the denominator.
    - Awaiting: conversations whose customer wrote before the as-of instant (``as_of``,
      else ``answered_before``) and had no reply by then; shown apart, with their ages.
      Without either instant, every conversation with no reply at all is awaiting (ages
      unknown).
    - Agent-created conversations the customer never answered are in neither.
    """
    reference = as_of or answered_before
    answered: list[int] = []
    ages: list[int] = []
    awaiting = 0
    for history in histories:
        turns = reply_instances(history)
        if not turns:
            continue
        first = turns[0]
        if first.replied_at is not None and first.wait is not None and _in_period(
                first.replied_at, answered_from, answered_before):
            answered.append(first.wait.calendar if business_minutes is None
                            else business_minutes(first.started_at, first.replied_at))
        elif reference is None:
            awaiting += first.replied_at is None
        elif first.started_at < reference and (first.replied_at is None
                                                 or first.replied_at >= reference):
            ages.append(minutes_between(first.started_at, reference) if business_minutes is None
                        else business_minutes(first.started_at, reference))
    result = ResponseTimeBreakdown.of_minutes(answered, ages)
    return dataclasses.replace(result, awaiting=result.awaiting + awaiting)


def breakdown_by(histories: Iterable[ConversationHistory],
                 key: Callable[[ConversationHistory], Hashable], **options: Any,
                 ) -> dict[Hashable, ResponseTimeBreakdown]:
    """:func:`response_time_breakdown` per group (e.g. ``key=lambda h: h.channel``)."""
    groups: dict[Hashable, list[ConversationHistory]] = defaultdict(list)
    for history in histories:
        groups[key(history)].append(history)
    return {k: response_time_breakdown(group, **options) for k, group in groups.items()}
