"""Service levels' public API: ``refresh()`` a conversation's clocks when it changes,
``sweep()`` every minute to warn, breach and escalate, and what plan tiers allow.

Clocks
    ``refresh(conversation_id)`` recomputes the conversation's :class:`SlaClock` rows from its
    events (``clocks.instances``: the definitions of ``reports.metrics``), its plan's policy
    (:class:`PlanTier`) and the targets of its current priority. Call it after anything that
    moves a clock: a customer message, a public reply, a status, priority, team or plan
    change. It is idempotent and cheap (a dozen small queries). When an instance closes it
    writes ``sla.met``, or ``sla.breached`` at the due instant if the sweep had not recorded
    the breach yet.

Sweep
    ``sweep(now)`` finds the clocks whose ``next_check_at`` has come (one indexed range scan)
    and, in set-based statements whatever their number: records breaches (``sla.breached``
    events dated at the due instant, ``breached_at``), then warnings (``sla.warning`` at the
    warning instant, ``warned_at``) — a clock found past due and never warned gets only the
    breach. Then it runs the policies' escalations, oldest first, each in its own
    transaction, up to ``ESCALATIONS_PER_SWEEP`` clocks or ``ESCALATION_BUDGET_S`` seconds;
    the rest wait for the next sweep. Running it twice records nothing twice. A backlog (the
    first sweep ever, a long outage) is recorded ``RECORDS_PER_SWEEP`` clocks at a time,
    oldest first, each sweep bounded in time; the sweep job queues the next one at once
    while some are left (``SweepResult.records_pending``).

Locking
    ``refresh`` locks the conversation row, then its clocks (by id); the sweep's updates lock
    clock rows and re-check their conditions after any refresh holding them commits; an
    escalation locks the conversation, then the clock. Two sweeps never overlap (one row of
    :class:`SweepState`, locked with SKIP LOCKED).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, DateTimeField, F, Q, Value, When
from django.db.models.functions import Coalesce, JSONObject
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.accounts.models import Role, Team, User
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import ACTIVE_STATUSES, Conversation, Event, Priority
from comptoir.reports import metrics

from . import clocks
from .calendar import BusinessCalendar, CoverageCalendar
from .models import (
    OPEN_CLOCK_STATES,
    Calendar,
    ClockState,
    CoveragePlan,
    EscalationAction,
    EscalationTrigger,
    Holiday,
    Metric,
    PlanTier,
    Schedule,
    SlaClock,
    SlaPolicy,
    SupportChannel,
    SweepState,
    business_calendar,
    country_holidays,
)
from .windowed import WindowedCalendar

ESCALATIONS_PER_SWEEP = 500
"""At most this many escalations (each a transaction through
``conversations.services.update``) per sweep..."""
ESCALATION_BUDGET_S = 1.0
"""...and no new one after this many seconds of escalating: a backlog (after an outage, a
first sweep) drains over the next minutes, oldest first, while warnings and breaches are
recorded first, for every clock due (up to ``RECORDS_PER_SWEEP``)."""

RECORDS_PER_SWEEP = 5_000
"""At most this many clocks get their warning or breach recorded per sweep, oldest check
first: what comes due in a minute is far fewer, and a backlog of tens of thousands (the first
sweep over an imported history, a day-long outage) drains over a few sweeps of a second each
instead of one long transaction holding the clocks' rows. Events are dated at the warning or
due instant whichever sweep records them."""

BACKLOG_ESCALATION_BUDGET_S = 0.25
"""The escalation budget of a sweep that leaves records for the next one."""

REFRESH_CHUNK = 500
SHIFT_LOOKAHEAD = timedelta(days=2)
UNGATED_CHANNELS = frozenset({"social", "api"})

Hours = BusinessCalendar | CoverageCalendar | WindowedCalendar


# --- configuration, loaded once per refresh or sweep -------------------------------------------


@dataclass(frozen=True)
class TargetSpec:
    id: int
    metric: str
    minutes: int
    business_hours: bool
    warn_percent: int | None
    warn_before_minutes: int | None

    def pure(self) -> clocks.Target:
        return clocks.Target(self.metric, self.minutes, self.warn_percent,
                             self.warn_before_minutes)


@dataclass(frozen=True)
class EscalationSpec:
    trigger: str
    metric: str
    action: str
    to_priority: int | None


@dataclass
class PolicySpec:
    id: int
    name: str
    schedule: str
    coverage_id: int | None
    calendar_id: int | None
    pauses_on_hold: bool
    targets: dict[tuple[int, str], TargetSpec] = field(default_factory=dict)
    escalations: list[EscalationSpec] = field(default_factory=list)

    def escalations_for(self, trigger: str, metric: str) -> list[EscalationSpec]:
        return [e for e in self.escalations
                if e.trigger == trigger and e.metric in ("", metric)]


class Config:
    """Plan tiers, policies, calendars and coverage plans, read in 8 queries.

    Pure calendars are built on demand and shared (``models.business_calendar`` caches them
    by content, ``models.country_holidays`` caches the holidays package's answers).
    """

    def __init__(self) -> None:
        self.policies: dict[int, PolicySpec] = {}
        for policy in SlaPolicy.objects.prefetch_related("targets", "escalations"):
            spec = PolicySpec(policy.pk, policy.name, policy.schedule, policy.coverage_id,
                              policy.calendar_id, policy.resolution_pauses_on_hold)
            for t in policy.targets.all():
                spec.targets[t.priority, t.metric] = TargetSpec(
                    t.pk, t.metric, t.minutes, t.business_hours, t.warn_percent,
                    t.warn_before_minutes)
            spec.escalations = [EscalationSpec(e.trigger, e.metric, e.action, e.to_priority)
                                for e in policy.escalations.all()]
            self.policies[policy.pk] = spec
        self.policy_by_plan: dict[str, PolicySpec] = {
            plan: self.policies[policy_id]
            for plan, policy_id in PlanTier.objects.values_list("plan", "sla_policy_id")
            if policy_id in self.policies
        }
        self.calendars: dict[int, Calendar] = {
            c.pk: c for c in Calendar.objects.prefetch_related("custom_holidays")}
        self.team_calendar: dict[int, int] = {
            c.team_id: c.pk for c in self.calendars.values() if c.team_id is not None}
        self.coverage: dict[int, list[int]] = defaultdict(list)
        for plan_id, calendar_id in CoveragePlan.calendars.through.objects.order_by(
                "pk").values_list("coverageplan_id", "calendar_id"):
            self.coverage[plan_id].append(calendar_id)
        self.default_coverage: int | None = CoveragePlan.objects.filter(
            is_default=True).values_list("pk", flat=True).first()
        self._coverage_cache: dict[tuple, WindowedCalendar | None] = {}
        self._calendar_cache: dict[tuple, BusinessCalendar | None] = {}

    def policy_for(self, plan: str) -> PolicySpec | None:
        return self.policy_by_plan.get(plan)

    def calendar(self, calendar_id: int, years: tuple[int, ...]) -> BusinessCalendar | None:
        """The pure calendar, or ``None`` if it has no business hours at all."""
        key = (calendar_id, years)
        if key not in self._calendar_cache:
            row = self.calendars[calendar_id]
            hours = row.to_business_calendar(years, custom=row.custom_holidays.all())
            self._calendar_cache[key] = hours if hours.minutes_per_week else None
        return self._calendar_cache[key]

    def coverage_calendar(self, plan_id: int, years: tuple[int, ...]) -> WindowedCalendar | None:
        """The union of a coverage plan's calendars (``None`` if none has hours), precomputed
        over ``years`` (and shared while the calendars are unchanged)."""
        key = (plan_id, years)
        if key not in self._coverage_cache:
            parts = tuple(c for c in (self.calendar(i, years)
                                      for i in self.coverage.get(plan_id, ())) if c is not None)
            self._coverage_cache[key] = _union(parts, years) if parts else None
        return self._coverage_cache[key]

    def hours_for(self, policy: PolicySpec, team_id: int | None,
                  years: tuple[int, ...]) -> Hours:
        """The business hours a conversation's business-hours targets count (see
        :class:`SlaPolicy`); calendar hours when no calendar can be found."""
        hours: Hours | None = None
        if policy.schedule == Schedule.TEAM and team_id in self.team_calendar:
            hours = self.calendar(self.team_calendar[team_id], years)
        elif policy.schedule == Schedule.CALENDAR and policy.calendar_id in self.calendars:
            hours = self.calendar(policy.calendar_id, years)
        if hours is None:
            plan_id = policy.coverage_id or self.default_coverage
            if plan_id is not None:
                hours = self.coverage_calendar(plan_id, years)
        return hours or clocks.CALENDAR_HOURS

    def shift_calendars(self, policy: PolicySpec | None) -> list[int]:
        """Calendars whose teams may take a conversation over: the policy's coverage plan's
        (or the default one's), else every calendar of a support team."""
        plan_id = (policy.coverage_id if policy else None) or self.default_coverage
        if plan_id is not None and self.coverage.get(plan_id):
            return list(self.coverage[plan_id])
        return [pk for pk, c in self.calendars.items() if c.team_id is not None]


@lru_cache(maxsize=64)
def _union(calendars: tuple[BusinessCalendar, ...], years: tuple[int, ...]) -> WindowedCalendar:
    """Follow-the-sun hours over ``years``. Keyed by the calendars themselves: identical
    configurations share one instance (``models.business_calendar``), so a changed calendar
    is a new key."""
    start = datetime(years[0], 1, 1, tzinfo=UTC)
    end = datetime(years[-1] + 1, 1, 1, tzinfo=UTC)
    return WindowedCalendar(CoverageCalendar(calendars), start, end)


def years_around(*moments: datetime) -> tuple[int, ...]:
    """The years whose holidays a computation may meet: from the earliest moment's year (at
    least last year) to next year."""
    first = min(m.year for m in moments)
    last = max(m.year for m in moments)
    return tuple(range(min(first, last - 1), last + 2))


# --- plan tiers ----------------------------------------------------------------------------


def allowed_channels(plan: str) -> frozenset[str]:
    """The channels (:class:`SupportChannel` codes) a plan's customers may open."""
    tier = PlanTier.objects.filter(plan=plan).values_list("channels", flat=True).first()
    return frozenset(tier or ())


def may_open(plan: str, channel: str) -> bool:
    """Whether a customer on ``plan`` may start a conversation on ``channel`` (a
    conversation channel code: email, web, chat, forum, social, api — or kb, video).
    Social mentions and API calls are never gated."""
    if channel in UNGATED_CHANNELS:
        return True
    return channel in allowed_channels(plan) and channel in SupportChannel.values


# --- calendars (what leads change on the service-levels page) ------------------------------


class SlaError(ValueError):
    """A service-level change that cannot be made; the message is shown to the user as is."""


def refresh_open_later() -> None:
    """Due times depend on the hours: recompute open clocks once the change is committed."""
    from .tasks import refresh_open

    transaction.on_commit(refresh_open.delay)


def update_calendar(calendar: Calendar, *, time_zone: str, weekly_hours: dict,
                    holiday_country: str = "", holiday_subdivision: str = "") -> Calendar:
    """Change a calendar's zone, weekly hours (``{"0": [["09:00", "17:00"]]}``) and public
    holidays; open clocks are recomputed after the commit. Raises :class:`SlaError`."""
    country, region = holiday_country.strip().upper(), holiday_subdivision.strip().upper()
    try:
        business_calendar(time_zone, weekly_hours, ())
        if country:
            country_holidays(country, region, (timezone.now().year,))
    except (ValueError, TypeError) as exc:
        raise SlaError(str(exc)) from exc
    with transaction.atomic():
        calendar.time_zone, calendar.weekly_hours = time_zone, weekly_hours
        calendar.holiday_country, calendar.holiday_subdivision = country, region
        calendar.save()
        refresh_open_later()
    return calendar


def add_holiday(calendar: Calendar, *, name: str, starts_on, ends_on=None) -> Holiday:
    """Close a calendar on a day or a run of days (a company closure, an offsite)."""
    holiday = Holiday(calendar=calendar, name=name.strip(), starts_on=starts_on,
                      ends_on=ends_on if ends_on and ends_on != starts_on else None)
    if not holiday.name:
        raise SlaError(_("Give the holiday a name."))
    if holiday.ends_on and holiday.ends_on < starts_on:
        raise SlaError(_("A holiday cannot end before it starts."))
    if holiday.ends_on and (holiday.ends_on - starts_on).days > 366:
        raise SlaError(_("A holiday lasts a year at most."))
    with transaction.atomic():
        holiday.save()
        refresh_open_later()
    return holiday


def remove_holiday(holiday: Holiday) -> None:
    with transaction.atomic():
        holiday.delete()
        refresh_open_later()


# --- refresh -------------------------------------------------------------------------------

_CONVERSATION_FIELDS = ("id", "status", "priority", "plan", "team_id", "created_at",
                        "person_id", "assignee_id")
_COMPUTED_FIELDS = ("policy_id", "target_id", "priority", "minutes", "business_hours", "state",
                    "started_at", "due_at", "warn_at", "paused_at", "used_minutes",
                    "fulfilled_at", "warned_at", "breached_at", "escalate_on_warning",
                    "escalate_on_breach", "warning_escalated_at", "breach_escalated_at",
                    "next_check_at")


def next_check(clock: SlaClock) -> datetime | None:
    """When the sweep next has something to do for this clock (see :data:`NEXT_CHECK`)."""
    if clock.state != ClockState.RUNNING:
        return None
    if clock.breached_at is None:
        if clock.warned_at is None and clock.warn_at is not None and clock.warn_at < clock.due_at:
            return clock.warn_at
        if (clock.warned_at is not None and clock.escalate_on_warning
                and clock.warning_escalated_at is None):
            return clock.warned_at
        return clock.due_at
    if clock.escalate_on_breach and clock.breach_escalated_at is None:
        return clock.breached_at
    return None


NEXT_CHECK = Case(
    When(~Q(state=ClockState.RUNNING), then=Value(None)),
    When(Q(breached_at__isnull=True, warned_at__isnull=True, warn_at__isnull=False,
           warn_at__lt=F("due_at")), then=F("warn_at")),
    When(Q(breached_at__isnull=True, warned_at__isnull=False, escalate_on_warning=True,
           warning_escalated_at__isnull=True), then=F("warned_at")),
    When(breached_at__isnull=True, then=F("due_at")),
    When(escalate_on_breach=True, breach_escalated_at__isnull=True, then=F("breached_at")),
    default=Value(None), output_field=DateTimeField(),
)
""":func:`next_check` as an SQL expression, for the sweep's set-based updates."""


def history_of(conversation: Conversation, rows: Iterable[tuple]) -> metrics.ConversationHistory:
    """The metrics module's view of a conversation: ``rows`` are its clock-moving events as
    (kind, actor_id, data, created_at). A reply is public and by an agent when it has an
    author; a customer message has none; an agent-opened conversation has an actor."""
    events = []
    created_by_agent = False
    for kind, actor_id, data, at in rows:
        if kind == EventKind.CONVERSATION_CREATED:
            created_by_agent = actor_id is not None
        by_agent = actor_id is not None
        public = kind in (EventKind.REPLY_SENT, EventKind.MESSAGE_RECEIVED)
        events.append(metrics.Event(at, kind, by_agent=by_agent, public=public, data=data or {}))
    return metrics.ConversationHistory(conversation.pk, conversation.person_id, "",
                                       conversation.created_at, created_by_agent, events)


def _events_of(conversation_ids: Sequence[int]) -> dict[int, list[tuple]]:
    found: dict[int, list[tuple]] = defaultdict(list)
    # The kinds are picked here, not in the query: given `kind IN (...)` too, SQLite (which
    # keeps no statistics) walks the kind index, i.e. every such event of the whole table,
    # instead of these conversations' few (0.25 ms a message of intake at 200,000 messages).
    rows = (Event.objects.filter(conversation_id__in=conversation_ids)
            .order_by("conversation_id", "created_at", "pk")
            .values_list("conversation_id", "kind", "actor_id", "data", "created_at"))
    for conversation_id, kind, *rest in rows:
        if kind in metrics.CLOCK_KINDS:
            found[conversation_id].append((kind, *rest))
    return found


@dataclass
class _Writes:
    create: list[SlaClock] = field(default_factory=list)
    update: list[SlaClock] = field(default_factory=list)
    delete: list[int] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    kept: list[SlaClock] = field(default_factory=list)  # every clock there is afterwards

    def apply(self) -> None:
        if self.delete:
            SlaClock.objects.filter(pk__in=self.delete).delete()
        if self.update:
            now = timezone.now()
            for clock in self.update:
                clock.updated_at = now
            _update_rows(self.update, [*_COMPUTED_FIELDS, "updated_at"])
        if self.create:
            SlaClock.objects.bulk_create(self.create, batch_size=500)
        if self.events:
            Event.objects.bulk_create(self.events, batch_size=1000)


def _update_rows(rows: Sequence[SlaClock], names: Sequence[str]) -> None:
    """One ``UPDATE ... WHERE id = %s`` per row, sent with ``executemany`` (pipelined by
    psycopg): far cheaper than ``bulk_update``'s CASE per field for thousands of rows.
    Values are prepared by each field, as ``save()`` does."""
    fields = [SlaClock._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = (f"UPDATE {quote(SlaClock._meta.db_table)} SET {assignments} "  # noqa: S608
           f"WHERE {quote(SlaClock._meta.pk.column)} = %s")
    params = [[f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields]
              + [row.pk] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _event_data(clock: SlaClock, **extra: Any) -> dict[str, Any]:
    return {"metric": clock.metric, "clock_id": clock.pk, "policy_id": clock.policy_id,
            "priority": clock.priority, "minutes": clock.minutes,
            "hours": "business" if clock.business_hours else "calendar", **extra}


def _closing_events(conversation: Conversation, row: SlaClock,
                    closed: clocks.Instance) -> list[Event]:
    """The events of an instance that was open on ``row`` and is now met or missed."""
    if closed.state == clocks.MET:
        return [Event(conversation_id=conversation.pk, person_id=conversation.person_id,
                      kind=EventKind.SLA_MET, created_at=closed.fulfilled_at,
                      data=_event_data(row, used_minutes=closed.used_minutes))]
    if closed.state == clocks.MISSED and row.breached_at is None:
        return [Event(conversation_id=conversation.pk, person_id=conversation.person_id,
                      kind=EventKind.SLA_BREACHED, created_at=closed.due_at,
                      data=_event_data(row))]
    return []


def _plan(conversation: Conversation, event_rows: list[tuple], rows: list[SlaClock],
          config: Config, now: datetime, writes: _Writes) -> None:
    """Work out the clocks of one conversation; add the writes to ``writes``."""
    existing = {row.metric: row for row in rows}
    policy = config.policy_for(conversation.plan)
    if policy is None:
        writes.delete.extend(row.pk for row in rows)
        return
    history = history_of(conversation, event_rows)
    years = years_around(conversation.created_at, now)
    business = None
    for metric in Metric.values:
        row = existing.get(metric)
        target = policy.targets.get((conversation.priority, metric))
        found: list[clocks.Instance] = []
        if target is not None:
            if target.business_hours and business is None:
                business = config.hours_for(policy, conversation.team_id, years)
            hours = business if target.business_hours and business else clocks.CALENDAR_HOURS
            found = clocks.instances(history, target.pure(), hours, as_of=now,
                                     pauses_on_hold=policy.pauses_on_hold)
        if target is None or not found:
            if row is not None:
                writes.delete.append(row.pk)
            continue
        current = found[-1]
        if row is not None and row.state in OPEN_CLOCK_STATES:
            closed = next((i for i in found if i.started_at == row.started_at), None)
            if closed is not None and not closed.is_open:
                writes.events.extend(_closing_events(conversation, row, closed))
        same = row is not None and row.started_at == current.started_at
        clock = row if row is not None else SlaClock(conversation_id=conversation.pk,
                                                     metric=metric)
        before = {name: getattr(clock, name) for name in _COMPUTED_FIELDS} if row else None
        if not same:
            clock.warned_at = clock.breached_at = None
            clock.warning_escalated_at = clock.breach_escalated_at = None
        triggers = {e.trigger for e in policy.escalations if e.metric in ("", metric)}
        clock.policy_id, clock.target_id = policy.id, target.id
        clock.priority, clock.minutes = conversation.priority, target.minutes
        clock.business_hours = target.business_hours
        clock.state, clock.started_at = current.state, current.started_at
        clock.due_at, clock.warn_at = current.due_at, current.warn_at
        clock.paused_at, clock.fulfilled_at = current.paused_at, current.fulfilled_at
        clock.used_minutes = 0 if current.state == clocks.RUNNING else current.used_minutes
        clock.escalate_on_warning = EscalationTrigger.WARNING in triggers
        clock.escalate_on_breach = EscalationTrigger.BREACH in triggers
        if current.state == clocks.MISSED and clock.breached_at is None:
            clock.breached_at = current.due_at  # recorded now by _closing_events, or history
        clock.next_check_at = next_check(clock)
        writes.kept.append(clock)
        if row is None:
            writes.create.append(clock)
        elif before != {name: getattr(clock, name) for name in _COMPUTED_FIELDS}:
            writes.update.append(clock)


_shared: tuple[tuple, Config] | None = None


def _config_fingerprint() -> tuple:
    """What :class:`Config` is built from, summed up in one query: per table its rows'
    count, highest id, latest ``updated_at`` and the sums of the foreign keys and flags it
    reads (so that a change made with ``QuerySet.update()``, which leaves ``updated_at``
    alone, shows too); the plan tiers row by row. Any change to what a refresh reads changes
    it."""
    quote = connection.ops.quote_name
    coverage = CoveragePlan.calendars.through

    def table(model, sums: tuple[str, ...] = (), flag: str = "", updated: bool = True) -> str:
        columns = ["COUNT(*)", f"MAX({quote('id')})",
                   f"MAX({quote('updated_at')})" if updated else "NULL"]
        columns += [f"SUM(COALESCE({quote(model._meta.get_field(name).column)}, 0))"
                    for name in sums]
        if flag:
            columns.append(f"SUM(CASE WHEN {quote(flag)} THEN 1 ELSE 0 END)")
        columns += ["NULL"] * (6 - len(columns))
        return (f"SELECT '{model._meta.db_table}', "  # noqa: S608 - names from the models
                + ", ".join(f"CAST({c} AS TEXT)" for c in columns)
                + f" FROM {quote(model._meta.db_table)}")

    parts = [
        table(SlaPolicy, ("coverage", "calendar")),
        table(SlaPolicy.targets.rel.related_model, ("policy", "priority", "minutes")),
        table(SlaPolicy.escalations.rel.related_model, ("policy",)),
        table(Calendar, ("team",)),
        table(Holiday, ("calendar",)),
        table(CoveragePlan, flag="is_default"),
        table(coverage, ("calendar", "coverageplan"), updated=False),
        (f"SELECT 'tier', CAST({quote('plan')} AS TEXT), "  # noqa: S608
         f"CAST({quote('sla_policy_id')} AS TEXT), CAST({quote('updated_at')} AS TEXT), "
         f"CAST({quote('id')} AS TEXT), NULL, NULL FROM {quote(PlanTier._meta.db_table)}"),
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return (connection.alias, *sorted(tuple("" if v is None else str(v) for v in row)
                                          for row in cursor.fetchall()))


def shared_config() -> Config:
    """The :class:`Config` this process built last, while nothing it was built from has
    changed (``_config_fingerprint``: one query instead of eight, and calendars already
    computed are kept); else a new one. For ``refresh`` of one conversation at a time."""
    global _shared
    fingerprint = _config_fingerprint()
    cached = _shared
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    config = Config()
    _shared = (fingerprint, config)
    return config


def refresh(conversation_id: int, *, now: datetime | None = None,
            config: Config | None = None) -> list[SlaClock]:
    """Recompute one conversation's clocks (see the module's docstring); return them.

    One transaction: locks the conversation, then its clocks. Safe to call at any time and
    any number of times; a conversation that no longer exists is ignored.
    """
    now = now or timezone.now()
    # no savepoint of its own: an exception here aborts the caller's transaction anyway
    with transaction.atomic(savepoint=False):
        conversation = (Conversation.objects.select_for_update().only(*_CONVERSATION_FIELDS)
                        .filter(pk=conversation_id).first())
        if conversation is None:
            return []
        config = config or shared_config()
        rows = list(SlaClock.objects.select_for_update()
                    .filter(conversation_id=conversation_id).order_by("pk"))
        writes = _Writes()
        _plan(conversation, _events_of([conversation_id]).get(conversation_id, []), rows,
              config, now, writes)
        writes.apply()
    return sorted(writes.kept, key=lambda clock: clock.metric)


def refresh_many(conversation_ids: Iterable[int], *, now: datetime | None = None,
                 chunk: int = REFRESH_CHUNK) -> int:
    """``refresh`` for many conversations, ``chunk`` at a time (a transaction each, a fixed
    number of queries each). For backfills (after a policy change, an import, the demo) and
    each batch of intake. Returns the number of conversations looked at."""
    now = now or timezone.now()
    config = shared_config()  # rebuilt only when what it is made of changed
    ids = sorted(set(conversation_ids))
    for start in range(0, len(ids), chunk):
        part = ids[start:start + chunk]
        with transaction.atomic():
            conversations = list(Conversation.objects.select_for_update()
                                 .only(*_CONVERSATION_FIELDS).filter(pk__in=part).order_by("pk"))
            rows: dict[int, list[SlaClock]] = defaultdict(list)
            for row in (SlaClock.objects.select_for_update().filter(conversation_id__in=part)
                        .order_by("pk")):
                rows[row.conversation_id].append(row)
            events = _events_of(part)
            writes = _Writes()
            for conversation in conversations:
                _plan(conversation, events.get(conversation.pk, []),
                      rows.get(conversation.pk, []), config, now, writes)
            writes.apply()
    return len(ids)


def refresh_open(*, now: datetime | None = None) -> int:
    """Refresh every active conversation and every conversation with an open clock (after a
    policy, target or calendar change)."""
    active = Conversation.objects.filter(status__in=ACTIVE_STATUSES).values_list("pk", flat=True)
    with_clocks = SlaClock.objects.filter(state__in=OPEN_CLOCK_STATES).values_list(
        "conversation_id", flat=True)
    return refresh_many({*active.iterator(chunk_size=5000),
                         *with_clocks.iterator(chunk_size=5000)}, now=now)


# --- sweep ---------------------------------------------------------------------------------


@dataclass
class SweepResult:
    """What one sweep did. ``skipped``: another sweep was running. ``bulk_seconds``: the
    warnings and breaches; ``seconds``: the whole sweep, escalations included."""

    warned: int = 0
    breached: int = 0
    escalated: int = 0
    escalations_pending: int = 0
    records_pending: int = 0  # clocks due whose warning or breach waits for the next sweep
    skipped: bool = False
    bulk_seconds: float = 0.0
    seconds: float = 0.0


def _insert_events(clocks_qs, kind: str, at_field: str) -> int:
    """``INSERT INTO event ... SELECT`` from ``clocks_qs``: one event per clock, dated at
    ``at_field``, with the same data keys as :func:`_event_data`. The SELECT is compiled by
    Django, so it is valid on every database."""
    select = (clocks_qs.order_by()
              .annotate(sla_person=F("conversation__person_id"), sla_kind=Value(kind),
                        sla_data=JSONObject(
                            metric=F("metric"), clock_id=F("id"), policy_id=F("policy_id"),
                            priority=F("priority"), minutes=F("minutes"),
                            hours=Case(When(business_hours=True, then=Value("business")),
                                       default=Value("calendar"))),
                        sla_at=F(at_field))
              .values_list("conversation_id", "sla_person", "sla_kind", "sla_data", "sla_at"))
    sql, params = select.query.get_compiler(using=select.db).as_sql()
    quote = connection.ops.quote_name
    columns = ", ".join(quote(Event._meta.get_field(name).column)
                        for name in ("conversation", "person", "kind", "data", "created_at"))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(Event._meta.db_table)} ({columns}) {sql}",
                       params)
        return cursor.rowcount


def _unrecorded(now: datetime):
    """Running clocks with a warning or a breach due and not recorded yet."""
    return SlaClock.objects.filter(
        Q(due_at__lte=now) | Q(warned_at__isnull=True, warn_at__lte=now),
        next_check_at__lte=now, state=ClockState.RUNNING, breached_at__isnull=True)


def _slice(now: datetime, limit: int | None) -> Q | None:
    """The oldest ``limit`` unrecorded clocks, as a condition on (next_check_at, id); None
    when they all fit. One index range read, whatever the backlog."""
    if limit is None:
        return None
    edge = list(_unrecorded(now).order_by("next_check_at", "pk")
                .values_list("next_check_at", "pk")[limit - 1:limit + 1])
    if len(edge) < 2:
        return None
    at, pk = edge[0]
    return Q(next_check_at__lt=at) | Q(next_check_at=at, pk__lte=pk)


def _escalation_due() -> Q:
    """A recorded warning or breach whose escalations have not run (``_pending_trigger``)."""
    return (Q(breached_at__isnull=False, escalate_on_breach=True,
              breach_escalated_at__isnull=True)
            | Q(breached_at__isnull=True, warned_at__isnull=False, escalate_on_warning=True,
                warning_escalated_at__isnull=True))


def sweep(now: datetime | None = None, *, escalation_limit: int = ESCALATIONS_PER_SWEEP,
          escalation_budget: float | None = ESCALATION_BUDGET_S,
          record_limit: int | None = RECORDS_PER_SWEEP) -> SweepResult:
    """Warn, breach and escalate every clock whose time has come (module docstring); at
    most ``record_limit`` clocks' warnings and breaches (None: all of them)."""
    started = time.perf_counter()
    now = now or timezone.now()
    result = SweepResult()
    SweepState.objects.get_or_create(pk=1)
    with transaction.atomic():
        state = SweepState.objects.select_for_update(skip_locked=True).filter(pk=1).first()
        if state is None:
            return SweepResult(skipped=True)
        run = state.runs = state.runs + 1
        # The rows each statement marks are told apart by this run's number (breaches) and
        # its negative (warnings); marks of a forgotten earlier numbering are cleared first.
        SlaClock.objects.filter(sweep_run__in=(run, -run)).update(sweep_run=None)
        due = SlaClock.objects.filter(next_check_at__lte=now)
        part = _slice(now, record_limit)
        recording = due if part is None else due.filter(part)
        # Breaches first: a clock past due and never warned is only breached (and counts as
        # warned). Each UPDATE locks its rows and re-checks them after a refresh holding one
        # commits, so a clock met meanwhile is left alone.
        result.breached = recording.filter(
            state=ClockState.RUNNING, breached_at__isnull=True, due_at__lte=now,
        ).update(breached_at=F("due_at"), sweep_run=run,
                 warned_at=Coalesce(F("warned_at"), F("warn_at"), F("due_at")),
                 next_check_at=Case(When(escalate_on_breach=True, breach_escalated_at__isnull=True,
                                         then=F("due_at")),
                                    default=Value(None), output_field=DateTimeField()))
        if result.breached:
            _insert_events(SlaClock.objects.filter(sweep_run=run), EventKind.SLA_BREACHED,
                           "due_at")
        result.warned = recording.filter(
            state=ClockState.RUNNING, breached_at__isnull=True, warned_at__isnull=True,
            warn_at__lte=now, due_at__gt=now,
        ).update(warned_at=F("warn_at"), sweep_run=-run,
                 next_check_at=Case(When(escalate_on_warning=True,
                                         warning_escalated_at__isnull=True, then=F("warn_at")),
                                    default=F("due_at"), output_field=DateTimeField()))
        if result.warned:
            _insert_events(SlaClock.objects.filter(sweep_run=-run), EventKind.SLA_WARNING,
                           "warn_at")
        # Anything else the range scan found and nothing is due for (a clock that stopped
        # meanwhile): put its next check right.
        due.exclude(state=ClockState.RUNNING).update(next_check_at=None)
        if part is not None:
            result.records_pending = _unrecorded(now).count()
        state.started_at = now
        state.save(update_fields=["runs", "started_at"])
    result.bulk_seconds = round(time.perf_counter() - started, 3)

    config: Config | None = None
    # only clocks with something recorded: one still waiting for its record is not yet due
    waiting = SlaClock.objects.filter(_escalation_due(), next_check_at__lte=now,
                                      state=ClockState.RUNNING)
    pending = list(waiting.order_by("next_check_at", "pk").values_list("pk", flat=True)
                   [:escalation_limit + 1])
    if result.records_pending and escalation_budget is not None:
        # a backlog: the next sweep follows at once (tasks.sweep), so hand back quickly;
        # escalations get their whole budget once everything due is recorded
        escalation_budget = min(escalation_budget, BACKLOG_ESCALATION_BUDGET_S)
    escalating = time.perf_counter()
    done = 0
    for clock_id in pending[:escalation_limit]:
        if escalation_budget is not None and time.perf_counter() - escalating > escalation_budget:
            break
        config = config or Config()
        result.escalated += _escalate(clock_id, config, now)
        done += 1
    if done < len(pending):
        result.escalations_pending = waiting.count()
    result.seconds = round(time.perf_counter() - started, 3)
    SweepState.objects.filter(pk=1).update(finished_at=timezone.now(), counts=asdict(result))
    return result


# --- escalation ------------------------------------------------------------------------------


def _pending_trigger(clock: SlaClock) -> str | None:
    if clock.state != ClockState.RUNNING:
        return None
    if clock.breached_at is not None:
        if clock.escalate_on_breach and clock.breach_escalated_at is None:
            return EscalationTrigger.BREACH
        return None
    if (clock.warned_at is not None and clock.escalate_on_warning
            and clock.warning_escalated_at is None):
        return EscalationTrigger.WARNING
    return None


def team_on_shift(config: Config, policy: PolicySpec | None, current_team_id: int | None,
                  now: datetime) -> Team | None:
    """The team to hand a conversation to: ``None`` when its own team is on shift now;
    otherwise, among the teams of the policy's coverage plan (or every team with a calendar),
    the one open now that stays open longest (then by name). ``None`` if none is open."""
    years = years_around(now)
    if current_team_id in config.team_calendar:
        own = config.calendar(config.team_calendar[current_team_id], years)
        if own is not None and own.is_open(now):
            return None
    best: tuple[timedelta, str, int] | None = None
    names = dict(Team.objects.values_list("pk", "name"))
    for calendar_id in config.shift_calendars(policy):
        row = config.calendars.get(calendar_id)
        if row is None or row.team_id is None or row.team_id == current_team_id:
            continue
        hours = config.calendar(calendar_id, years)
        if hours is None or not hours.is_open(now):
            continue
        stretch = next(iter(hours.open_intervals(now, now + SHIFT_LOOKAHEAD)), None)
        left = (stretch[1] - now) if stretch else timedelta(0)
        key = (-left, names.get(row.team_id, ""), row.team_id)
        if best is None or key < best:
            best = key
    return Team.objects.get(pk=best[2]) if best else None


def leads_of(team_id: int | None) -> list[int]:
    """The active leads of a team; every active lead when it has none (or no team)."""
    leads = User.objects.filter(role=Role.LEAD, is_active=True)
    if team_id is not None:
        own = list(leads.filter(teams=team_id).order_by("pk").values_list("pk", flat=True))
        if own:
            return own
    return list(leads.order_by("pk").values_list("pk", flat=True))


def _escalate(clock_id: int, config: Config, now: datetime) -> int:
    """Run the escalations a clock is waiting for, in one transaction. 1 if it did."""
    with transaction.atomic():
        conversation_id = SlaClock.objects.filter(pk=clock_id).values_list(
            "conversation_id", flat=True).first()
        if conversation_id is None:
            return 0
        conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
        clock = SlaClock.objects.select_for_update().get(pk=clock_id)
        trigger = _pending_trigger(clock)
        if trigger is None:
            SlaClock.objects.filter(pk=clock.pk).update(next_check_at=next_check(clock))
            return 0
        policy = config.policies.get(clock.policy_id)
        specs = policy.escalations_for(trigger, clock.metric) if policy else []
        changes: dict[str, Any] = {}
        data: dict[str, Any] = {"trigger": trigger, "actions": []}
        for spec in specs:
            if spec.action in data["actions"]:
                continue
            data["actions"].append(spec.action)
            if spec.action == EscalationAction.RAISE_PRIORITY:
                current = changes.get("priority", conversation.priority)
                wanted = spec.to_priority or current + 1
                raised = min(max(current, wanted), Priority.URGENT)
                if raised != conversation.priority:
                    changes["priority"] = raised
                    data.update({"from_priority": conversation.priority, "to_priority": raised})
            elif spec.action == EscalationAction.REASSIGN_TEAM:
                team = team_on_shift(config, policy, conversation.team_id, now)
                if team is not None:
                    changes["team"] = team
                    data.update({"from_team": conversation.team_id, "to_team": team.pk})
                    member = (conversation.assignee_id is not None and team.members.filter(
                        pk=conversation.assignee_id).exists())
                    if conversation.assignee_id is not None and not member:
                        changes["assignee"] = None
            elif spec.action == EscalationAction.NOTIFY_LEAD:
                data["lead_ids"] = leads_of(conversation.team_id)
        Event.objects.create(conversation_id=conversation.pk, person_id=conversation.person_id,
                             kind=EventKind.SLA_ESCALATED, created_at=now,
                             data=_event_data(clock, **data))
        if trigger == EscalationTrigger.BREACH:
            clock.breach_escalated_at = now
            clock.warning_escalated_at = clock.warning_escalated_at or now
        else:
            clock.warning_escalated_at = now
        clock.next_check_at = next_check(clock)
        clock.save(update_fields=["breach_escalated_at", "warning_escalated_at",
                                  "next_check_at", "updated_at"])
        if changes:  # new priority or team: update() refreshes the clocks for the new
            # targets or hours; refreshed again at the sweep's instant
            # imported here: conversations.services calls refresh(), so it imports this module
            from comptoir.conversations import services as conversation_services

            conversation_services.update(conversation, None, **changes)
            refresh(conversation.pk, now=now, config=config)
    return 1
