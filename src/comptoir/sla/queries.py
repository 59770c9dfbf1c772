"""Read side of service levels: inbox badges, a conversation's clocks, the lead's "about to
breach" board and the service-levels overview (calendars, coverage week, policies).

Times are computed in UTC and shown in the active time zone (the signed-in user's)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comptoir.accounts.models import Team
from comptoir.conversations.models import Priority

from .models import (
    OPEN_CLOCK_STATES,
    WEEKDAYS,
    Calendar,
    ClockState,
    CoveragePlan,
    Metric,
    PlanTier,
    SlaClock,
    SlaPolicy,
    SupportChannel,
    SweepState,
    parse_weekly_hours,
)
from .services import Config, years_around

OK, WARNING, BREACHED, PAUSED, DONE = "ok", "warning", "breached", "paused", "done"
BOARD_LIMIT = 1000  # conversations on the "about to breach" board
HOLIDAYS_SHOWN = 5


def duration(minutes: int) -> str:
    """Short, for badges, and less precise the further away: ``35 min``, ``2 h 15 min``
    (under 3 hours), ``5 h``, ``1 d 4 h`` (under 3 days), ``4 d``. Rounded down."""
    minutes = max(0, int(minutes))
    if minutes < 60:
        return ngettext("%(n)d min", "%(n)d min", minutes) % {"n": minutes}
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        if rest and hours < 3:
            return _("%(h)d h %(m)d min") % {"h": hours, "m": rest}
        return ngettext("%(n)d h", "%(n)d h", hours) % {"n": hours}
    days, hours = divmod(hours, 24)
    if hours and days < 3:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    return ngettext("%(n)d d", "%(n)d d", days) % {"n": days}


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


@dataclass(frozen=True)
class Badge:
    """What a conversation row shows: its most urgent open clock."""

    metric: str
    level: str  # ok, warning, breached, paused
    due_at: datetime | None
    minutes: int  # left (ok, warning) or over (breached)

    @property
    def metric_label(self) -> str:
        return str(Metric(self.metric).label) if self.metric else ""

    @property
    def text(self) -> str:
        if self.level == PAUSED:
            return _("SLA paused")
        if self.level == BREACHED:
            return _("overdue %(time)s") % {"time": duration(self.minutes)}
        return _("due in %(time)s") % {"time": duration(self.minutes)}


def _level(state: str, due_at: datetime | None, warned_at, breached_at, warn_at,
           now: datetime) -> str:
    if state == ClockState.PAUSED:
        return PAUSED
    if state in (ClockState.MET, ClockState.STOPPED):
        return BREACHED if breached_at is not None else DONE
    if state == ClockState.MISSED or breached_at is not None or (due_at and due_at <= now):
        return BREACHED
    if warned_at is not None or (warn_at is not None and warn_at <= now):
        return WARNING
    return OK


def badges(conversation_ids: Iterable[int], now: datetime | None = None) -> dict[int, Badge]:
    """The badge of each conversation that has an open clock, in one query (the inbox calls
    it once per page). Running clocks come first, by due time; a conversation whose only
    open clocks are paused shows "paused"."""
    now = now or timezone.now()
    ids = list(conversation_ids)
    if not ids:
        return {}
    rows = (SlaClock.objects.filter(conversation_id__in=ids, state__in=OPEN_CLOCK_STATES)
            .values_list("conversation_id", "metric", "state", "due_at", "warned_at",
                         "breached_at", "warn_at"))
    found: dict[int, Badge] = {}
    for conversation_id, metric, state, due_at, warned_at, breached_at, warn_at in rows:
        level = _level(state, due_at, warned_at, breached_at, warn_at, now)
        if level == PAUSED or due_at is None:
            badge = Badge(metric, PAUSED, None, 0)
        else:
            left = _minutes(due_at - now) if due_at > now else _minutes(now - due_at)
            badge = Badge(metric, level, due_at, left)
        best = found.get(conversation_id)
        if best is None or _urgency(badge) < _urgency(best):
            found[conversation_id] = badge
    return found


def due_annotations() -> dict[str, Subquery]:
    """``sla_due_at`` and ``sla_warn_at`` of a conversation's running clock due first: two
    correlated subqueries on the clocks' unique (conversation, metric) index, added to a
    page's query so the inbox shows due times without one more query."""
    running = (SlaClock.objects.filter(conversation_id=OuterRef("pk"), state=ClockState.RUNNING)
               .order_by("due_at"))
    return {"sla_due_at": Subquery(running.values("due_at")[:1]),
            "sla_warn_at": Subquery(running.values("warn_at")[:1])}


def badge_for(due_at: datetime | None, warn_at: datetime | None,
              now: datetime) -> Badge | None:
    """The inbox badge of a running clock from its due and warning instants (the sweep
    records the same moments as events): red once due, amber once warned."""
    if due_at is None:
        return None
    if due_at <= now:
        return Badge("", BREACHED, due_at, _minutes(now - due_at))
    level = WARNING if warn_at is not None and warn_at <= now else OK
    return Badge("", level, due_at, _minutes(due_at - now))


def _urgency(badge: Badge) -> tuple:
    if badge.due_at is None:
        return (1, datetime.max.replace(tzinfo=UTC))
    return (0, badge.due_at)


@dataclass(frozen=True)
class ClockView:
    """One clock of a conversation, for its page."""

    clock: SlaClock
    level: str
    badge: Badge | None

    @property
    def metric_label(self) -> str:
        return self.clock.get_metric_display()

    @property
    def target_label(self) -> str:
        return duration(self.clock.minutes)


def conversation_clocks(conversation_id: int, now: datetime | None = None) -> list[ClockView]:
    """Every clock of a conversation (running, paused, and the outcome of the latest
    instance of the others), most urgent first. One query."""
    now = now or timezone.now()
    views = []
    for clock in SlaClock.objects.filter(conversation_id=conversation_id):
        level = _level(clock.state, clock.due_at, clock.warned_at, clock.breached_at,
                       clock.warn_at, now)
        badge = None
        if clock.state in OPEN_CLOCK_STATES:
            minutes = 0 if clock.due_at is None else abs(_minutes(clock.due_at - now))
            badge = Badge(clock.metric, level, clock.due_at, minutes)
        views.append(ClockView(clock, level, badge))
    order = {BREACHED: 0, WARNING: 1, OK: 2, PAUSED: 3, DONE: 4}
    views.sort(key=lambda v: (v.clock.state not in OPEN_CLOCK_STATES, order[v.level],
                              v.clock.due_at or datetime.max.replace(tzinfo=UTC)))
    return views


# --- the lead's board ------------------------------------------------------------------------


@dataclass
class BoardRow:
    clock: SlaClock
    level: str
    badge: Badge
    other_metrics: list[str] = field(default_factory=list)

    @property
    def conversation(self):
        return self.clock.conversation


@dataclass
class HourGroup:
    starts_at: datetime | None  # local hour; None: already overdue
    rows: list[BoardRow] = field(default_factory=list)


@dataclass
class TeamGroup:
    team: Team | None
    hours: list[HourGroup] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(h.rows) for h in self.hours)


@dataclass
class Board:
    now: datetime
    hours: int
    teams: list[TeamGroup]
    truncated: bool
    hour_starts: list[datetime]
    # team name -> counts per column: overdue, then each hour
    matrix: list[tuple[str, list[int]]]


def about_to_breach(hours: int, *, team: str = "", now: datetime | None = None,
                    zone: tzinfo | None = None) -> Board:
    """Conversations whose clock breaches within ``hours`` (or already has and still runs),
    most urgent first, grouped by team and by hour of their due time (in ``zone``, the
    active time zone by default). One conversation appears once, under its earliest clock.
    Reads the ``(state, due_at)`` index; capped at ``BOARD_LIMIT`` conversations."""
    now = now or timezone.now()
    zone = zone or timezone.get_current_timezone()
    clocks = (SlaClock.objects.filter(state=ClockState.RUNNING,
                                      due_at__lte=now + timedelta(hours=hours))
              .select_related("conversation__team", "conversation__assignee",
                              "conversation__person")
              .order_by("due_at", "pk"))
    if team:
        clocks = clocks.filter(conversation__team__slug=team)
    rows: dict[int, BoardRow] = {}
    truncated = False
    for clock in clocks.iterator(chunk_size=500):
        existing = rows.get(clock.conversation_id)
        if existing is not None:
            existing.other_metrics.append(clock.get_metric_display())
            continue
        if len(rows) >= BOARD_LIMIT:
            truncated = True
            break
        level = _level(clock.state, clock.due_at, clock.warned_at, clock.breached_at,
                       clock.warn_at, now)
        badge = Badge(clock.metric, level, clock.due_at, abs(_minutes(clock.due_at - now)))
        rows[clock.conversation_id] = BoardRow(clock, level, badge)
    first_hour = timezone.localtime(now, zone).replace(minute=0, second=0, microsecond=0)
    hour_starts = [first_hour + timedelta(hours=n) for n in range(hours + 1)]
    by_team: dict[int | None, dict[datetime | None, list[BoardRow]]] = defaultdict(
        lambda: defaultdict(list))
    teams: dict[int | None, Team | None] = {}
    for row in rows.values():
        conversation = row.clock.conversation
        teams[conversation.team_id] = conversation.team
        due = row.clock.due_at
        key = None if due <= now else timezone.localtime(due, zone).replace(
            minute=0, second=0, microsecond=0)
        by_team[conversation.team_id][key].append(row)
    groups = []
    for team_id, hours_map in by_team.items():
        ordered = sorted(hours_map.items(), key=lambda item: (item[0] is not None,
                                                              item[0] or now))
        groups.append(TeamGroup(teams[team_id], [HourGroup(k, v) for k, v in ordered]))
    groups.sort(key=lambda g: (-g.count, g.team.name if g.team else "~"))
    matrix = []
    for group in groups:
        counts = [0] * (len(hour_starts) + 1)
        for hour in group.hours:
            if hour.starts_at is None:
                counts[0] += len(hour.rows)
            else:
                index = 1 + hour_starts.index(hour.starts_at) if hour.starts_at in hour_starts \
                    else len(hour_starts)
                counts[index] += len(hour.rows)
        matrix.append((group.team.name if group.team else _("No team"), counts))
    return Board(now, hours, groups, truncated, hour_starts, matrix)


# --- the overview -----------------------------------------------------------------------------


@dataclass
class CalendarView:
    calendar: Calendar
    weekly: list[tuple[str, str]]  # (weekday, "09:00–12:00, 13:00–17:00" or "")
    open_now: bool
    next_change: datetime | None
    holidays: list[tuple[date, str]]


@dataclass
class Cell:
    starts_at: datetime
    open_minutes: int
    teams: list[str]

    @property
    def state(self) -> str:
        return "gap" if self.open_minutes == 0 else "full" if self.open_minutes >= 60 else "part"


@dataclass
class CoverageWeek:
    plan: CoveragePlan
    days: list[tuple[date, list[Cell]]]
    gap_hours: int
    gaps: list[tuple[datetime, datetime]]
    legend: list[tuple[str, str]]  # (short name, full name)


@dataclass
class TargetRow:
    metric: str
    cells: list[str]  # per priority, urgent first


@dataclass
class PolicyView:
    policy: SlaPolicy
    plans: list[str]
    hours_label: str
    rows: list[TargetRow]
    warning: str
    escalations: list[str]


@dataclass
class Overview:
    calendars: list[CalendarView]
    coverage: list[CoverageWeek]
    tiers: list[tuple[PlanTier, list[str]]]
    policies: list[PolicyView]
    sweep: SweepState | None
    open_clocks: dict[str, int]
    zone: tzinfo


def _format_hours(intervals: Sequence) -> str:
    return ", ".join(f"{start}–{end}" for start, end in intervals)


def _week_start(now: datetime, zone: tzinfo) -> date:
    today = timezone.localtime(now, zone).date()
    return today - timedelta(days=today.weekday())


def _short(calendar: Calendar) -> str:
    name = calendar.team.name if calendar.team else calendar.name
    words = [w for w in name.replace("&", " ").split() if w[:1].isalnum()]
    last = words[-1] if words else name
    return last[:4] if len(last) > 4 and not last.isupper() else last[:6]


def coverage_week(plan: CoveragePlan, config: Config, *, now: datetime,
                  zone: tzinfo) -> CoverageWeek:
    """The plan's week, Monday to Sunday (this week, in ``zone``), hour by hour: which
    teams are open in each hour, and the gaps (no team open) in red."""
    start_day = _week_start(now, zone)
    years = years_around(now)
    members = [config.calendars[i] for i in config.coverage.get(plan.pk, [])
               if i in config.calendars]
    pure = [(c, config.calendar(c.pk, years)) for c in members]
    union = config.coverage_calendar(plan.pk, years)
    days = []
    gap_hours = 0
    for offset in range(7):
        day = start_day + timedelta(days=offset)
        cells = []
        for hour in range(24):
            local = datetime.combine(day, time(hour), tzinfo=zone)
            start = local.astimezone(UTC)
            end = start + timedelta(hours=1)
            teams = [_short(c) for c, hours in pure
                     if hours is not None and hours.minutes_between(start, end) > 0]
            minutes = union.minutes_between(start, end) if union is not None else 0
            gap_hours += minutes == 0
            cells.append(Cell(local, minutes, teams))
        days.append((day, cells))
    week_start = datetime.combine(start_day, time(0), tzinfo=zone).astimezone(UTC)
    week_end = week_start + timedelta(days=7)
    gaps = list(union.gaps(week_start, week_end)) if union is not None else [
        (week_start, week_end)]
    legend = [(_short(c), c.team.name if c.team else c.name) for c in members]
    return CoverageWeek(plan, days, gap_hours, gaps, legend)


def _calendar_view(calendar: Calendar, config: Config, now: datetime) -> CalendarView:
    weekly_hours = parse_weekly_hours(calendar.weekly_hours)
    weekly = [(str(WEEKDAYS[d]), _format_hours(weekly_hours.get(d, []))) for d in range(7)]
    hours = config.calendar(calendar.pk, years_around(now))
    open_now, next_change = False, None
    if hours is not None:
        open_now = hours.is_open(now)
        stretch = next(iter(hours.open_intervals(now, now + timedelta(days=31))), None)
        if stretch is not None:
            next_change = stretch[1] if open_now else stretch[0]
    today = timezone.localtime(now, hours.zone if hours else UTC).date()
    found = calendar.holiday_dates(range(today.year, today.year + 2),
                                   calendar.custom_holidays.all())
    upcoming = sorted((d, n) for d, n in found.items() if d >= today)[:HOLIDAYS_SHOWN]
    return CalendarView(calendar, weekly, open_now, next_change, upcoming)


def _policy_view(policy: SlaPolicy, tiers: list[PlanTier]) -> PolicyView:
    priorities = [p for p in reversed(Priority.values)]
    targets = {(t.metric, t.priority): t for t in policy.targets.all()}
    rows = []
    for metric in Metric.values:
        cells = []
        for priority in priorities:
            target = targets.get((metric, priority))
            if target is None:
                cells.append("—")
            else:
                label = duration(target.minutes)
                cells.append(label if target.business_hours else _("%(time)s, 24/7") % {
                    "time": label})
        if any(c != "—" for c in cells):
            rows.append(TargetRow(str(Metric(metric).label), cells))
    warnings = sorted({(t.warn_percent, t.warn_before_minutes) for t in targets.values()},
                      key=lambda w: (w[0] or 0, w[1] or 0))
    parts = []
    for percent, before in warnings:
        if percent:
            parts.append(_("at %(percent)d%% used") % {"percent": percent})
        if before:
            parts.append(_("%(time)s before due") % {"time": duration(before)})
    escalations = []
    for escalation in policy.escalations.all():
        metric = (Metric(escalation.metric).label if escalation.metric
                  else _("any target"))
        escalations.append(f"{escalation.get_trigger_display()} ({metric}): "
                           f"{escalation.get_action_display()}")
    if policy.schedule == "team":
        hours_label = _("the conversation's team calendar")
    elif policy.schedule == "calendar" and policy.calendar:
        hours_label = policy.calendar.name
    elif policy.coverage:
        hours_label = policy.coverage.name
    else:
        hours_label = _("the default coverage plan")
    return PolicyView(policy, [t.get_plan_display() for t in tiers], hours_label, rows,
                      ", ".join(dict.fromkeys(parts)) or _("no warning"), escalations)


def overview(*, now: datetime | None = None, zone: tzinfo | None = None) -> Overview:
    """Everything the service-levels page shows."""
    now = now or timezone.now()
    zone = zone or timezone.get_current_timezone()
    config = Config()
    calendars = [_calendar_view(c, config, now)
                 for c in sorted(config.calendars.values(), key=lambda c: c.name)]
    team_ids = {c.team_id for c in config.calendars.values() if c.team_id}
    teams = Team.objects.in_bulk(team_ids)
    for c in config.calendars.values():  # the objects the views show, without more queries
        if c.team_id:
            c.team = teams[c.team_id]
    plans = list(CoveragePlan.objects.order_by("-is_default", "name"))
    coverage = [coverage_week(p, config, now=now, zone=zone) for p in plans]
    tier_rows = list(PlanTier.objects.select_related("sla_policy"))
    labels = dict(SupportChannel.choices)
    tiers = [(t, [str(labels.get(code, code)) for code in t.channels]) for t in tier_rows]
    by_policy: dict[int, list[PlanTier]] = defaultdict(list)
    for tier in tier_rows:
        if tier.sla_policy_id:
            by_policy[tier.sla_policy_id].append(tier)
    policies = [_policy_view(p, by_policy.get(p.pk, []))
                for p in SlaPolicy.objects.select_related("calendar", "coverage")
                .prefetch_related("targets", "escalations")]
    open_clocks = dict(SlaClock.objects.filter(state__in=OPEN_CLOCK_STATES)
                       .values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    return Overview(calendars, coverage, tiers, policies, SweepState.objects.first(),
                    open_clocks, zone)

