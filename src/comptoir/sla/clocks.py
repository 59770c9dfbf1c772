"""SLA clock instances from a conversation's history. Pure: no Django, no ORM, no clock.

When a clock starts, pauses and stops is what ``reports.metrics`` says (its definitions are
reused here, not rewritten), with ``shared/research/sla-business-hours.md``'s choices:

============== ===================================== ===================== =======================
metric         starts                                pauses                fulfilled
============== ===================================== ===================== =======================
first reply    the first customer turn               never                 the first public reply
               (:func:`metrics.reply_instances`)
next reply     each later customer turn (the oldest  never                 the next public reply
               unanswered customer message)
periodic       each public agent reply               pending               the next public reply
update
resolution     creation                              pending (requester    solved or closed
                                                     wait); pending and
                                                     on hold (agent work)
============== ===================================== ===================== =======================

- Solved or closed *stops* every clock still open. A reply clock stopped that way is
  neither met nor missed; a reopen (the customer writes again) lets it run again, from its
  turn's start, as ``metrics`` counts it.
- A reopened conversation's resolution clock runs again: the wait counted before the solve
  is kept (solved time is not counted), as in Zendesk's requester wait.
- Due instants come from the calendar's exact arithmetic: a pausable clock's due instant is
  where its counted minutes reach the target — inside a past span, or projected from the
  start of the running span (the same as "old due + paused span in business hours").
- A target is met when fulfilled at or before its due instant (``metrics.sla_outcome``).
- The warning instant is where ``warn_percent`` of the target is used (in the target's own
  hours: 80% of 960 business minutes is the 768th), or ``warn_before_minutes`` calendar
  minutes before the due instant, the earlier of the two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from comptoir.reports import metrics
from comptoir.reports.metrics import ConversationHistory, SlaOutcome, sla_outcome

from .calendar import BusinessCalendar, CoverageCalendar
from .windowed import WindowedCalendar

Hours = BusinessCalendar | CoverageCalendar | WindowedCalendar

CALENDAR_HOURS = BusinessCalendar.always_open("UTC")
"""Every minute counts: the calendar of targets kept in calendar hours."""

FIRST_REPLY, NEXT_REPLY, PERIODIC_UPDATE, RESOLUTION = (
    "first_reply", "next_reply", "periodic_update", "resolution")
RUNNING, PAUSED, MET, MISSED, STOPPED = "running", "paused", "met", "missed", "stopped"


@dataclass(frozen=True)
class Target:
    """What a clock aims at: ``minutes`` of counted time, and when to warn."""

    metric: str
    minutes: int
    warn_percent: int | None = 80
    warn_before_minutes: int | None = None

    def warn_used(self) -> int | None:
        """Counted minutes used when the percentage warning fires (rounded down)."""
        if self.warn_percent is None:
            return None
        return self.minutes * self.warn_percent // 100


@dataclass(frozen=True)
class Instance:
    """One instance of a target, as of the history's end.

    ``due_at`` is ``None`` while a pausable clock is paused short of its target (and for a
    stopped one that never reached it). ``used_minutes`` is what it had counted when it
    paused or stopped, or counts up to ``as_of`` while it runs.
    """

    metric: str
    started_at: datetime
    state: str
    due_at: datetime | None
    warn_at: datetime | None
    paused_at: datetime | None = None
    fulfilled_at: datetime | None = None
    used_minutes: int = 0

    @property
    def is_open(self) -> bool:
        return self.state in (RUNNING, PAUSED)


def _warn_at(target: Target, due: datetime | None, by_share: datetime | None,
             start: datetime) -> datetime | None:
    candidates = [by_share] if by_share is not None else []
    if target.warn_before_minutes is not None and due is not None:
        candidates.append(max(start, due - timedelta(minutes=target.warn_before_minutes)))
    return min(candidates) if candidates else None


def _minutes(hours: Hours, start: datetime, end: datetime) -> int:
    """Counted minutes from ``start`` to ``end``; none when ``end`` comes first (a message
    dated in the future by the sender's clock, answered before that date)."""
    return hours.minutes_between(start, end) if end > start else 0


def _closed(outcome_due: datetime | None, fulfilled: datetime) -> str:
    return MET if sla_outcome(outcome_due, fulfilled) is SlaOutcome.ACHIEVED else MISSED


def reply_clock(metric: str, start: datetime, replied: datetime | None, target: Target,
                hours: Hours, *, resolved: bool, as_of: datetime) -> Instance:
    """A clock that never pauses (first reply, next reply)."""
    due = hours.add(start, target.minutes)
    share = target.warn_used()
    warn = _warn_at(target, due, None if share is None else hours.add(start, share), start)
    if replied is not None:
        return Instance(metric, start, _closed(due, replied), due, warn, fulfilled_at=replied,
                        used_minutes=_minutes(hours, start, replied))
    used = _minutes(hours, start, as_of)
    return Instance(metric, start, STOPPED if resolved else RUNNING, due, warn,
                    used_minutes=used)


def _reach(hours: Hours, segments: Sequence[tuple[datetime, datetime]],
           tail: datetime | None, minutes: int) -> datetime | None:
    """The instant ``minutes`` counted minutes are used: inside the closed ``segments``, or
    projected from ``tail`` (the start of the span still counting); ``None`` if not reached."""
    used = 0
    for start, end in segments:
        length = hours.minutes_between(start, end)
        if used + length >= minutes:
            return hours.add(start, minutes - used)
        used += length
    return None if tail is None else hours.add(tail, minutes - used)


def pausable_clock(metric: str, start: datetime, end: datetime | None, target: Target,
                   hours: Hours, spans: Sequence[metrics.StatusSpan], counting: frozenset[str],
                   *, as_of: datetime) -> Instance:
    """A clock that counts only while the status is in ``counting``, from ``start`` until
    ``end`` (fulfilled) or, open, until ``as_of``. A status outside ``counting`` and outside
    the active ones (solved, closed) at ``as_of`` stops it."""
    stop = end or as_of
    segments: list[tuple[datetime, datetime]] = []
    for span in spans:
        low, high = max(span.start, start), min(span.end, stop)
        if span.status in counting and low < high:
            segments.append((low, high))
    last = spans[-1] if spans else None
    current = last.status if last is not None else metrics.NEW
    running = end is None and current in counting
    tail = None
    if running:  # the last segment is still counting: project from its start
        tail_start = max(last.start, start) if last is not None else start
        if segments and segments[-1][0] == tail_start:
            segments.pop()
        tail = tail_start
    due = _reach(hours, segments, tail, target.minutes)
    share = target.warn_used()
    warn = _warn_at(target, due, None if share is None else _reach(hours, segments, tail, share),
                    start)
    used = sum(hours.minutes_between(low, high) for low, high in segments)
    if tail is not None:
        used += _minutes(hours, tail, as_of)
    if end is not None:
        return Instance(metric, start, _closed(due, end), due, warn, fulfilled_at=end,
                        used_minutes=used)
    if running:
        return Instance(metric, start, RUNNING, due, warn, used_minutes=used)
    if current in metrics.ACTIVE_STATUSES:  # pending (or on hold for agent work)
        paused_at = max(last.start, start) if last is not None else start
        return Instance(metric, start, PAUSED, due, warn, paused_at=paused_at,
                        used_minutes=used)
    return Instance(metric, start, STOPPED, due, warn, used_minutes=used)


def instances(history: ConversationHistory, target: Target, hours: Hours, *, as_of: datetime,
              pauses_on_hold: bool = False) -> list[Instance]:
    """Every instance of ``target`` in ``history`` up to ``as_of``, oldest first; the last
    one is the current instance. Empty when the target has not started (no customer turn
    for a reply target, no public reply for a periodic update)."""
    spans = metrics.status_spans(history, until=as_of)
    status = spans[-1].status if spans else metrics.NEW
    resolved = status in metrics.RESOLVED_STATUSES
    metric = target.metric
    if metric in (FIRST_REPLY, NEXT_REPLY):
        turns = metrics.reply_instances(history, until=as_of)
        chosen = turns[:1] if metric == FIRST_REPLY else turns[1:]
        return [reply_clock(metric, turn.started_at, turn.replied_at, target, hours,
                            resolved=resolved, as_of=as_of) for turn in chosen]
    if metric == PERIODIC_UPDATE:
        replies = [e.at for e in history.events if e.is_reply and e.at <= as_of]
        return [
            pausable_clock(metric, at, replies[i + 1] if i + 1 < len(replies) else None, target,
                           hours, spans, metrics.REQUESTER_WAIT_STATUSES, as_of=as_of)
            for i, at in enumerate(replies)
        ]
    if metric == RESOLUTION:
        counting = metrics.AGENT_WORK_STATUSES if pauses_on_hold \
            else metrics.REQUESTER_WAIT_STATUSES
        resolved_at = None
        if resolved:
            resolved_at = metrics.conversation_metrics(history, until=as_of).resolved_at
        return [pausable_clock(metric, history.created_at, resolved_at, target, hours, spans,
                               counting, as_of=as_of)]
    raise ValueError(f"unknown metric {metric!r}")
