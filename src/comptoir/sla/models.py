"""Service levels: business-hours calendars, coverage plans, plan tiers, SLA policies with
their targets and escalations, and the clocks that run against them.

Configuration (calendars, coverage plans, plan tiers, policies) is edited by leads and
admins; clocks (:class:`SlaClock`) are derived data, (re)computed by ``services.refresh()``
from a conversation's events and advanced by ``services.sweep()``. Nothing here has side
effects in ``save()``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import holidays as holiday_package
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from comptoir.accounts.models import Team
from comptoir.conversations.models import Conversation, Priority
from comptoir.people.models import Plan

from .calendar import BusinessCalendar, CoverageCalendar

WEEKDAYS = (_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"),
            _("Saturday"), _("Sunday"))


def office_hours() -> dict[str, list[list[str]]]:
    """Monday to Friday, 09:00–17:00: the default of a new calendar."""
    return {str(weekday): [["09:00", "17:00"]] for weekday in range(5)}


def parse_weekly_hours(raw: Any) -> dict[int, list[tuple[str, str]]]:
    """The stored JSON (``{"0": [["09:00", "17:00"]], ...}``, string keys) as the mapping
    :class:`BusinessCalendar` takes. Raises ``ValueError``/``TypeError`` on a bad shape."""
    if not isinstance(raw, dict):
        raise TypeError("weekly hours must be an object of weekday → intervals")
    hours: dict[int, list[tuple[str, str]]] = {}
    for key, intervals in raw.items():
        weekday = int(key)
        if not isinstance(intervals, list):
            raise TypeError(f"weekday {weekday}: expected a list of [start, end] pairs")
        hours[weekday] = [tuple(pair) for pair in intervals]  # type: ignore[misc]
    return hours


@lru_cache(maxsize=256)
def country_holidays(country: str, subdivision: str, years: tuple[int, ...]) -> dict[date, str]:
    """Public holidays of a country (and subdivision) from the ``holidays`` package.

    Cached: the package computes Easter and friends on every call (a few milliseconds).
    Raises ``ValueError`` for a country or subdivision it does not know.
    """
    try:
        found = holiday_package.country_holidays(country, subdiv=subdivision or None,
                                                 years=list(years))
    except NotImplementedError as exc:  # what the package raises for an unknown country
        raise ValueError(str(exc)) from None
    return dict(found.items())


class Calendar(models.Model):
    """Business hours of a team: a time zone, weekly hours in local time and holidays.

    Holidays are the public holidays of ``holiday_country`` (and ``holiday_subdivision``)
    from the ``holidays`` package, plus the calendar's own :class:`Holiday` rows (company
    closures, a team offsite). On a holiday the calendar is closed all day.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    team = models.OneToOneField(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="sla_calendar",
        verbose_name=_("team"), help_text=_("The team working these hours (at most one)."),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC",
        help_text=_("IANA name, e.g. Europe/Paris. Hours are read in this zone, so they "
                    "follow its daylight-saving changes."),
    )
    weekly_hours = models.JSONField(
        _("weekly hours"), default=office_hours,
        help_text=_('Per weekday (0 = Monday … 6 = Sunday), local intervals: '
                    '{"0": [["09:00", "12:00"], ["13:00", "17:00"]]}. "24:00" ends a day; '
                    "a missing weekday is closed."),
    )
    holiday_country = models.CharField(
        _("public holidays of"), max_length=3, blank=True,
        help_text=_("ISO country code (FR, US, JP…) whose public holidays close this "
                    "calendar; blank for none."),
    )
    holiday_subdivision = models.CharField(
        _("region"), max_length=10, blank=True,
        help_text=_("Optional subdivision for regional holidays (e.g. NY, BY, NSW)."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business-hours calendar")
        verbose_name_plural = _("business-hours calendars")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            self.to_business_calendar(years=(timezone.now().year,))
        except (ValueError, TypeError) as exc:
            raise ValidationError(str(exc)) from exc

    def public_holidays(self, years: Iterable[int]) -> dict[date, str]:
        if not self.holiday_country:
            return {}
        return country_holidays(self.holiday_country.upper(), self.holiday_subdivision.upper(),
                                tuple(sorted(set(years))))

    def holiday_dates(self, years: Iterable[int],
                      custom: Iterable[Holiday] | None = None) -> dict[date, str]:
        """Every closed date of ``years`` with its name: public holidays, then custom ones
        (``custom`` saves a query when the rows are already loaded)."""
        years = tuple(sorted(set(years)))
        found = dict(self.public_holidays(years))
        rows = self.custom_holidays.all() if custom is None else custom
        for holiday in rows:
            for day in holiday.days():
                if day.year in years:
                    found[day] = holiday.name
        return found

    def to_business_calendar(self, years: Iterable[int],
                             custom: Iterable[Holiday] | None = None) -> BusinessCalendar:
        """The pure calendar for the arithmetic, with the holidays of ``years``."""
        return business_calendar(self.time_zone, self.weekly_hours,
                                 self.holiday_dates(years, custom))


def business_calendar(time_zone: str, weekly_hours: Any,
                      holiday_dates: Iterable[date]) -> BusinessCalendar:
    """A :class:`BusinessCalendar`, shared between identical configurations (building one
    sorts its holidays; refreshing thousands of clocks reuses it)."""
    return _business_calendar(time_zone, _freeze(weekly_hours), frozenset(holiday_dates))


def _freeze(weekly_hours: Any) -> tuple:
    hours = parse_weekly_hours(weekly_hours)
    return tuple(sorted((day, tuple(tuple(pair) for pair in pairs))
                        for day, pairs in hours.items()))


@lru_cache(maxsize=512)
def _business_calendar(time_zone: str, weekly: tuple,
                       holiday_dates: frozenset[date]) -> BusinessCalendar:
    return BusinessCalendar(time_zone, dict(weekly), holiday_dates)


class Holiday(models.Model):
    """A custom closed day, or run of days, of one calendar (a company closure, an offsite)."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE,
                                 related_name="custom_holidays", verbose_name=_("calendar"))
    name = models.CharField(_("name"), max_length=100)
    starts_on = models.DateField(_("date"))
    ends_on = models.DateField(_("until"), null=True, blank=True,
                               help_text=_("Last closed day, for a run of days; blank for one."))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["starts_on"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")

    def __str__(self) -> str:
        return f"{self.name} ({self.starts_on})"

    def clean(self) -> None:
        if self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError(_("A holiday cannot end before it starts."))
        if self.ends_on and (self.ends_on - self.starts_on).days > 366:
            raise ValidationError(_("A holiday lasts a year at most."))

    def days(self) -> list[date]:
        last = self.ends_on or self.starts_on
        return [self.starts_on + timedelta(days=n) for n in range((last - self.starts_on).days + 1)]


class CoveragePlan(models.Model):
    """Several teams' calendars joined into one follow-the-sun calendar: a minute is business
    time when any of them is open; the rest are gaps."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    calendars = models.ManyToManyField(Calendar, related_name="coverage_plans",
                                       verbose_name=_("calendars"))
    is_default = models.BooleanField(
        _("default"), default=False,
        help_text=_("Used by policies that follow the sun without naming a coverage plan."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("coverage plan")
        verbose_name_plural = _("coverage plans")
        constraints = [models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True),
                                               name="one_default_coverage_plan")]

    def __str__(self) -> str:
        return self.name

    def to_coverage_calendar(self, years: Iterable[int]) -> CoverageCalendar | None:
        """The union of its calendars (``None`` when it has none)."""
        calendars = [c.to_business_calendar(years) for c in self.calendars.all()]
        return CoverageCalendar(calendars) if calendars else None


class Metric(models.TextChoices):
    """What a target measures. When each clock starts, pauses and stops is described in
    ``services`` (it follows ``reports.metrics``)."""

    FIRST_REPLY = "first_reply", _("First reply")
    NEXT_REPLY = "next_reply", _("Next reply")
    PERIODIC_UPDATE = "periodic_update", _("Periodic update")
    RESOLUTION = "resolution", _("Resolution")


class Schedule(models.TextChoices):
    """Which business hours a policy's business-hours targets count."""

    COVERAGE = "coverage", _("Follow the sun (a coverage plan)")
    TEAM = "team", _("The conversation's team calendar")
    CALENDAR = "calendar", _("One calendar")


class SlaPolicy(models.Model):
    """Targets per priority for first reply, next reply, periodic update and resolution.

    Which conversations it applies to is decided by their plan (:class:`PlanTier`). Its
    business-hours targets count the hours of ``schedule``:

    - *coverage*: ``coverage``, or the default coverage plan when blank;
    - *team*: the conversation's team calendar; without one, as *coverage*;
    - *calendar*: ``calendar``; when blank, as *coverage*.

    When no calendar can be found at all, business hours are calendar hours (24/7).
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    schedule = models.CharField(_("business hours"), max_length=16, choices=Schedule.choices,
                                default=Schedule.COVERAGE)
    coverage = models.ForeignKey(CoveragePlan, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="policies", verbose_name=_("coverage plan"))
    calendar = models.ForeignKey(Calendar, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="policies", verbose_name=_("calendar"))
    resolution_pauses_on_hold = models.BooleanField(
        _("resolution pauses on hold"), default=False,
        help_text=_("Off: resolution counts the customer's wait (it pauses only while pending, "
                    "waiting on them). On: it counts agent work (it also pauses on hold)."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name


class SlaTarget(models.Model):
    """One target of a policy: a metric at a priority, in business or calendar minutes.

    The warning comes when ``warn_percent`` of the target is used (in the target's own hours),
    or ``warn_before_minutes`` calendar minutes before it is due — the earlier of the two
    when both are set; neither: no warning.
    """

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets",
                               verbose_name=_("policy"))
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    minutes = models.PositiveIntegerField(_("target (minutes)"))
    business_hours = models.BooleanField(
        _("business hours"), default=True,
        help_text=_("Count only business hours (of the policy's schedule); off: every minute."),
    )
    warn_percent = models.PositiveSmallIntegerField(
        _("warning threshold (percent of target)"), null=True, blank=True, default=80,
        help_text=_("Warn when this share of the target is used up."),
    )
    warn_before_minutes = models.PositiveIntegerField(
        _("warn minutes before"), null=True, blank=True,
        help_text=_("Or warn this many minutes before the due time."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["policy", "-priority", "metric"]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(fields=["policy", "priority", "metric"],
                                    name="sla_target_once"),
            models.CheckConstraint(condition=Q(minutes__gte=1), name="sla_target_positive"),
            models.CheckConstraint(
                condition=Q(warn_percent__isnull=True) | Q(warn_percent__gte=1,
                                                            warn_percent__lte=99),
                name="sla_warn_percent_range"),
        ]

    def __str__(self) -> str:
        return f"{self.policy}: {self.get_metric_display()} ({self.get_priority_display()})"


class EscalationTrigger(models.TextChoices):
    WARNING = "warning", _("On warning")
    BREACH = "breach", _("On breach")


class EscalationAction(models.TextChoices):
    NOTIFY_LEAD = "notify_lead", _("Notify the team's lead")
    RAISE_PRIORITY = "raise_priority", _("Raise the priority")
    REASSIGN_TEAM = "reassign_team", _("Reassign to a team on shift")


class SlaEscalation(models.Model):
    """What happens when a clock of the policy warns or breaches.

    - *notify lead*: an ``sla.escalated`` event naming the leads of the conversation's team
      (every lead when the team has none);
    - *raise priority*: one step up (or to ``to_priority``), never down; the clocks then
      follow the targets of the new priority;
    - *reassign to a team on shift*: when the conversation's team is off shift (or it has
      none), move it to the team on shift for longest from now, and unassign it unless the
      assignee belongs to that team.
    """

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="escalations",
                               verbose_name=_("policy"))
    trigger = models.CharField(_("when"), max_length=16, choices=EscalationTrigger.choices)
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices, blank=True,
                              help_text=_("Blank: every metric."))
    action = models.CharField(_("action"), max_length=20, choices=EscalationAction.choices)
    to_priority = models.PositiveSmallIntegerField(
        _("raise to"), choices=Priority.choices, null=True, blank=True,
        help_text=_("For “raise the priority”: at least this priority; blank: one step up."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["policy", "trigger", "id"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")

    def __str__(self) -> str:
        return f"{self.get_trigger_display()}: {self.get_action_display()}"


class SupportChannel(models.TextChoices):
    """What a plan may use. Social mentions and API calls are not gated: they arrive
    whatever the plan (anyone can mention a brand)."""

    KNOWLEDGE_BASE = "kb", _("Knowledge base")
    FORUM = "forum", _("Community forum")
    EMAIL = "email", _("Email")
    WEB = "web", _("Web form")
    CHAT = "chat", _("Live chat")
    VIDEO = "video", _("Video call")


class PlanTier(models.Model):
    """What a plan gets: the channels its customers may open and the SLA policy that applies
    to their conversations (none: no service level, as for the free community tier)."""

    plan = models.CharField(_("plan"), max_length=16, choices=Plan.choices, unique=True)
    channels = models.JSONField(_("channels"), default=list, blank=True,
                                help_text=_("Codes: kb, forum, email, web, chat, video."))
    sla_policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="tiers", verbose_name=_("SLA policy"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("plan tier")
        verbose_name_plural = _("plan tiers")

    def __str__(self) -> str:
        return self.get_plan_display()

    def clean(self) -> None:
        unknown = set(self.channels or []) - set(SupportChannel.values)
        if unknown:
            raise ValidationError(_("Unknown channels: %(names)s") % {
                "names": ", ".join(sorted(unknown))})


class ClockState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    MISSED = "missed", _("Missed")        # fulfilled after it was due
    STOPPED = "stopped", _("Stopped")     # solved or closed before the target was fulfilled


OPEN_CLOCK_STATES = (ClockState.RUNNING, ClockState.PAUSED)


class SlaClock(models.Model):
    """The current instance of one target on one conversation (one row per metric).

    Derived data: ``services.refresh()`` recomputes it from the conversation's events, and
    keeps ``warned_at``, ``breached_at`` and the escalation marks while the instance (its
    ``started_at``) stays the same. A new instance (the next customer turn, the next periodic
    update) starts the row afresh; the outcome of the one before is in the event log
    (``sla.met`` / ``sla.breached``).

    ``next_check_at`` is the next instant ``services.sweep()`` has something to do (warn,
    breach, escalate); ``None`` when nothing can happen until the conversation changes. The
    sweep is one indexed range scan on it.
    """

    # Few indexes: the sweep rewrites many rows at once, and each index costs on every row.
    # The unique (conversation, metric) serves lookups by conversation; deleting a policy or
    # a target (rare) may scan.
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, db_index=False,
                                     related_name="sla_clocks", verbose_name=_("conversation"))
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    policy = models.ForeignKey(SlaPolicy, null=True, on_delete=models.SET_NULL, related_name="+",
                               db_index=False)
    target = models.ForeignKey(SlaTarget, null=True, on_delete=models.SET_NULL, related_name="+",
                               db_index=False)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    minutes = models.PositiveIntegerField(_("target (minutes)"))
    business_hours = models.BooleanField(_("business hours"), default=True)
    state = models.CharField(_("state"), max_length=16, choices=ClockState.choices)
    started_at = models.DateTimeField(_("started"))
    due_at = models.DateTimeField(_("due"), null=True, blank=True,
                                  help_text=_("Blank while paused short of the target."))
    warn_at = models.DateTimeField(_("warning at"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused since"), null=True, blank=True)
    used_minutes = models.PositiveIntegerField(
        _("minutes used"), default=0,
        help_text=_("Counted minutes used when it paused or stopped (in the target's hours)."),
    )
    fulfilled_at = models.DateTimeField(_("fulfilled"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warned"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached"), null=True, blank=True)
    escalate_on_warning = models.BooleanField(default=False)
    escalate_on_breach = models.BooleanField(default=False)
    warning_escalated_at = models.DateTimeField(null=True, blank=True)
    breach_escalated_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)
    sweep_run = models.BigIntegerField(
        null=True, blank=True, editable=False,
        help_text="The sweep run that last marked it (its number: breach; negative: warning).",
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints = [models.UniqueConstraint(fields=["conversation", "metric"],
                                               name="sla_clock_per_metric")]
        indexes = [
            # the sweep: WHERE next_check_at <= now
            models.Index(fields=["next_check_at"], name="sla_clock_next_check",
                         condition=Q(next_check_at__isnull=False)),
            # "about to breach": running clocks by due time
            models.Index(fields=["state", "due_at"], name="sla_clock_state_due"),
            models.Index(fields=["sweep_run"], name="sla_clock_sweep_run",
                         condition=Q(sweep_run__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()} #{self.conversation_id} ({self.state})"

    @property
    def is_breached(self) -> bool:
        return self.breached_at is not None or self.state == ClockState.MISSED


class SweepState(models.Model):
    """One row: the sweep's lock (two sweeps never overlap) and what the last one did."""

    runs = models.PositiveBigIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("SLA sweep")
        verbose_name_plural = _("SLA sweeps")

    def __str__(self) -> str:
        return f"sweep {self.finished_at}"
