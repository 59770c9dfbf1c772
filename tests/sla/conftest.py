"""Helpers for SLA tests: calendars, policies, and moving the clock."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from comptoir.conversations import services
from comptoir.sla.models import (
    Calendar,
    Holiday,
    Metric,
    PlanTier,
    Schedule,
    SlaEscalation,
    SlaPolicy,
    SlaTarget,
    office_hours,
)

HIGH = 3


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def at(moment: datetime):
    """Freeze the clock at ``moment`` (services read ``timezone.now()``)."""
    return time_machine.travel(moment, tick=False)


def make_calendar(name: str = "Paris", time_zone: str = "Europe/Paris", *, team=None,
                  hours=None, holidays: tuple[date, ...] = (), country: str = "") -> Calendar:
    calendar = Calendar.objects.create(name=name, time_zone=time_zone, team=team,
                                       weekly_hours=hours or office_hours(),
                                       holiday_country=country)
    for day in holidays:
        Holiday.objects.create(calendar=calendar, name=f"closed {day}", starts_on=day)
    return calendar


def make_policy(name: str = "Test", *, targets: dict[str, int], priority: int = HIGH,
                calendar: Calendar | None = None, schedule: str | None = None,
                business_hours: bool = True, warn_percent: int | None = 80,
                warn_before_minutes: int | None = None, plans: tuple[str, ...] = ("free",),
                escalations: tuple[tuple[str, str, str], ...] = (),
                pauses_on_hold: bool = False) -> SlaPolicy:
    """A policy with ``targets`` (metric → minutes) at ``priority``, applied to ``plans``
    (factory customers are on the free plan)."""
    policy = SlaPolicy.objects.create(
        name=name, calendar=calendar,
        schedule=schedule or (Schedule.CALENDAR if calendar else Schedule.COVERAGE),
        resolution_pauses_on_hold=pauses_on_hold)
    for metric, minutes in targets.items():
        SlaTarget.objects.create(policy=policy, metric=metric, priority=priority, minutes=minutes,
                                 business_hours=business_hours, warn_percent=warn_percent,
                                 warn_before_minutes=warn_before_minutes)
    for trigger, metric, action in escalations:
        SlaEscalation.objects.create(policy=policy, trigger=trigger, metric=metric, action=action)
    for plan in plans:  # update_or_create: a transactional test may have flushed the tiers
        PlanTier.objects.update_or_create(plan=plan, defaults={"sla_policy": policy})
    return policy


def clock_of(conversation, metric: str):
    return conversation.sla_clocks.get(metric=metric)


@pytest.fixture
def paris_a(db):
    """Example A's calendar: Europe/Paris, Mon–Fri 09:00–17:00, closed 12-25 and 01-01."""
    return make_calendar(holidays=(date(2026, 12, 25), date(2027, 1, 1)))


@pytest.fixture
def policy_a(paris_a):
    """Example A's policy (priority high, business hours): first reply 240, next reply 120,
    resolution (requester wait) 960, warning at 80%."""
    return make_policy("Example A", calendar=paris_a, targets={
        Metric.FIRST_REPLY: 240, Metric.NEXT_REPLY: 120, Metric.RESOLUTION: 960})


def set_priority(conversation, priority: int) -> None:
    services.update(conversation, None, priority=priority)
