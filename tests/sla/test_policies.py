"""Plan tiers, policies, which hours a policy counts, and the defaults a new install gets."""

from datetime import date

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from comptoir.conversations import services
from comptoir.sla import clocks, defaults
from comptoir.sla import services as sla
from comptoir.sla.models import (
    Calendar,
    CoveragePlan,
    Holiday,
    Metric,
    PlanTier,
    Schedule,
    SlaPolicy,
    SlaTarget,
)

from ..factories import make_conversation, make_team
from .conftest import HIGH, at, clock_of, make_calendar, make_policy, set_priority, utc

pytestmark = pytest.mark.django_db


def test_a_new_install_has_the_fields_tiers_and_policies():
    defaults.install(apps)  # what the data migration ran (a transactional test flushes it)
    tiers = {t.plan: (t.channels, t.sla_policy.name if t.sla_policy else None)
             for t in PlanTier.objects.select_related("sla_policy")}
    assert tiers == {
        "free": (["kb", "forum"], None),
        "paid": (["kb", "forum", "email", "web"], "Standard"),
        "premium": (["kb", "forum", "email", "web", "chat"], "Premium"),
        "enterprise": (["kb", "forum", "email", "web", "chat", "video"], "Enterprise"),
    }
    enterprise = SlaPolicy.objects.get(name="Enterprise")
    urgent = {t.metric: (t.minutes, t.business_hours)
              for t in enterprise.targets.filter(priority=4)}
    assert urgent[Metric.FIRST_REPLY] == (30, False)  # urgent counts every hour
    assert enterprise.targets.get(priority=HIGH, metric=Metric.FIRST_REPLY).business_hours
    assert set(enterprise.escalations.values_list("trigger", "action")) == {
        ("warning", "notify_lead"), ("breach", "reassign_team"), ("breach", "raise_priority")}
    assert not SlaPolicy.objects.get(name="Standard").targets.filter(
        metric=Metric.PERIODIC_UPDATE).exists()


def test_installing_the_defaults_again_changes_nothing():
    PlanTier.objects.filter(plan="paid").update(channels=["email"])
    before = (SlaPolicy.objects.count(), SlaTarget.objects.count(), PlanTier.objects.count())
    defaults.install(apps)
    assert (SlaPolicy.objects.count(), SlaTarget.objects.count(),
            PlanTier.objects.count()) == before
    assert PlanTier.objects.get(plan="paid").channels == ["email"]  # a lead's change stays


@pytest.mark.parametrize(("plan", "channel", "allowed"), [
    ("free", "forum", True), ("free", "email", False), ("free", "chat", False),
    ("paid", "email", True), ("paid", "web", True), ("paid", "chat", False),
    ("premium", "chat", True), ("premium", "video", False), ("enterprise", "video", True),
    ("free", "social", True), ("free", "api", True),  # never gated
    ("enterprise", "fax", False),
])
def test_a_plan_decides_which_channels_a_customer_may_open(plan, channel, allowed):
    assert sla.may_open(plan, channel) is allowed


def test_the_plan_decides_the_policy():
    make_policy("Free SLA", business_hours=False, targets={Metric.FIRST_REPLY: 60})
    conversation = make_conversation()
    set_priority(conversation, HIGH)
    assert [c.metric for c in sla.refresh(conversation.pk)] == [Metric.FIRST_REPLY]
    PlanTier.objects.filter(plan="free").update(sla_policy=None)
    assert sla.refresh(conversation.pk) == []
    assert not conversation.sla_clocks.exists()


def test_business_hours_follow_the_schedule_with_fallbacks():
    """Team calendar → the policy's calendar → its coverage plan → the default one → 24/7."""
    team = make_team()
    paris = make_calendar("Paris", team=team)
    tokyo = make_calendar("Tokyo", "Asia/Tokyo")
    coverage = CoveragePlan.objects.create(name="Sun", is_default=True)
    coverage.calendars.set([tokyo])
    policy = make_policy(schedule=Schedule.TEAM, targets={Metric.FIRST_REPLY: 60})
    config = sla.Config()
    spec = config.policies[policy.pk]
    years = (2026, 2027)
    assert config.hours_for(spec, team.pk, years).time_zone == "Europe/Paris"
    assert isinstance(config.hours_for(spec, None, years), type(config.coverage_calendar(
        coverage.pk, years)))  # no team: the default coverage plan
    spec.schedule, spec.calendar_id = Schedule.CALENDAR, paris.pk
    assert config.hours_for(spec, None, years).time_zone == "Europe/Paris"
    CoveragePlan.objects.all().delete()
    config = sla.Config()
    spec = config.policies[policy.pk]
    assert config.hours_for(spec, None, years) is clocks.CALENDAR_HOURS


def test_a_calendar_without_hours_counts_calendar_hours():
    calendar = make_calendar("Never", hours={})
    make_policy(calendar=calendar, targets={Metric.FIRST_REPLY: 60})
    with at(utc(2027, 3, 1, 9)):
        conversation = make_conversation()
        set_priority(conversation, HIGH)
        sla.refresh(conversation.pk)
    assert clock_of(conversation, Metric.FIRST_REPLY).due_at == utc(2027, 3, 1, 10)


def test_moving_the_conversation_to_another_team_moves_its_due_time():
    paris_team, tokyo_team = make_team(), make_team()
    make_calendar("Paris", team=paris_team)
    make_calendar("Tokyo", "Asia/Tokyo", team=tokyo_team)
    make_policy(schedule=Schedule.TEAM, targets={Metric.FIRST_REPLY: 60})
    with at(utc(2027, 3, 1, 12)):  # Monday 13:00 Paris, 21:00 Tokyo
        conversation = make_conversation()
        services.update(conversation, None, priority=HIGH, team=paris_team)
        sla.refresh(conversation.pk)
        assert clock_of(conversation, Metric.FIRST_REPLY).due_at == utc(2027, 3, 1, 13)
        services.update(conversation, None, team=tokyo_team)
        sla.refresh(conversation.pk)
    # Tokyo opens Tuesday 09:00 (00:00 UTC): due 01:00 UTC
    assert clock_of(conversation, Metric.FIRST_REPLY).due_at == utc(2027, 3, 2, 1)


def test_custom_holidays_and_runs_of_days_close_the_calendar():
    calendar = make_calendar("Paris")
    Holiday.objects.create(calendar=calendar, name="Offsite", starts_on=date(2027, 3, 2),
                           ends_on=date(2027, 3, 4))
    pure = calendar.to_business_calendar((2027,))
    assert {date(2027, 3, 2), date(2027, 3, 3), date(2027, 3, 4)} <= pure.holidays
    assert date(2027, 3, 5) not in pure.holidays


@pytest.mark.parametrize("fields", [
    {"time_zone": "Mars/Olympus"},
    {"weekly_hours": {"0": [["17:00", "09:00"]]}},
    {"weekly_hours": {"0": [["09:00", "13:00"], ["12:00", "17:00"]]}},
    {"weekly_hours": {"9": [["09:00", "17:00"]]}},
    {"holiday_country": "XX"},
])
def test_a_calendar_that_cannot_work_is_refused(fields):
    calendar = Calendar(name="Bad", **fields)
    with pytest.raises(ValidationError):
        calendar.clean()
    with pytest.raises(sla.SlaError):
        sla.update_calendar(make_calendar(f"Good {len(fields)}{next(iter(fields))}"),
                            time_zone=fields.get("time_zone", "UTC"),
                            weekly_hours=fields.get("weekly_hours", {}),
                            holiday_country=fields.get("holiday_country", ""))


def test_changing_a_calendar_recomputes_open_clocks(eager_tasks,
                                                   django_capture_on_commit_callbacks):
    calendar = make_calendar("Paris")
    make_policy(calendar=calendar, targets={Metric.FIRST_REPLY: 60})
    with at(utc(2027, 3, 1, 20)):  # Monday 21:00 Paris: closed until Tuesday 09:00
        conversation = make_conversation()
        set_priority(conversation, HIGH)
        sla.refresh(conversation.pk)
        assert clock_of(conversation, Metric.FIRST_REPLY).due_at == utc(2027, 3, 2, 9)
        with django_capture_on_commit_callbacks(execute=True):
            sla.update_calendar(calendar, time_zone="Europe/Paris", weekly_hours={
                str(day): [["00:00", "24:00"]] for day in range(7)})
    assert clock_of(conversation, Metric.FIRST_REPLY).due_at == utc(2027, 3, 1, 21)


def test_escalation_marks_follow_the_policy():
    make_policy(targets={Metric.FIRST_REPLY: 60, Metric.RESOLUTION: 600},
                escalations=(("warning", Metric.FIRST_REPLY, "notify_lead"),
                             ("breach", "", "raise_priority")))
    conversation = make_conversation()
    set_priority(conversation, HIGH)
    sla.refresh(conversation.pk)
    first = clock_of(conversation, Metric.FIRST_REPLY)
    resolution = clock_of(conversation, Metric.RESOLUTION)
    assert (first.escalate_on_warning, first.escalate_on_breach) == (True, True)
    assert (resolution.escalate_on_warning, resolution.escalate_on_breach) == (False, True)
