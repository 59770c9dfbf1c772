"""Follow-the-sun coverage plans: the research's example B through a policy, and the week
grid with its gaps, hour by hour."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comptoir.sla import queries
from comptoir.sla import services as sla
from comptoir.sla.calendar import BusinessCalendar, CoverageCalendar
from comptoir.sla.models import CoveragePlan, Metric, Schedule
from comptoir.sla.windowed import WindowedCalendar

from ..factories import make_conversation, make_team
from .conftest import HIGH, at, clock_of, make_calendar, make_policy, set_priority, utc

pytestmark = pytest.mark.django_db

CREATED_B = utc(2026, 12, 31, 20)  # Thu; first reply target: 6 business hours


@pytest.fixture
def follow_the_sun():
    """Example B: Mon–Fri 09:00–17:00 in Sydney, Paris and New York, with their holidays."""
    sydney = make_calendar("Sydney", "Australia/Sydney", team=make_team("APAC"), holidays=(
        date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1)))
    paris = make_calendar("Paris", "Europe/Paris", team=make_team("EMEA"), holidays=(
        date(2026, 12, 25), date(2027, 1, 1)))
    new_york = make_calendar("New York", "America/New_York", team=make_team("Americas"),
                             holidays=(date(2026, 12, 25), date(2027, 1, 1)))
    plan = CoveragePlan.objects.create(name="Follow the sun", is_default=True)
    plan.calendars.set([sydney, paris, new_york])
    return plan, {"Sydney": sydney, "Paris": paris, "New York": new_york}


@pytest.mark.parametrize(("calendar", "due"), [
    (None, utc(2027, 1, 4, 2)),  # the union: 120 in New York Thu, 240 from Sydney's Monday
    ("Paris", utc(2027, 1, 4, 14)),
    ("New York", utc(2027, 1, 4, 18)),
    ("Sydney", utc(2027, 1, 4, 4)),
])
def test_example_b_first_reply_due_times(follow_the_sun, calendar, due):
    _plan, calendars = follow_the_sun
    if calendar is None:
        make_policy(schedule=Schedule.COVERAGE, targets={Metric.FIRST_REPLY: 360})
    else:
        make_policy(calendar=calendars[calendar], targets={Metric.FIRST_REPLY: 360})
    with at(CREATED_B):
        conversation = make_conversation()
        set_priority(conversation, HIGH)
        sla.refresh(conversation.pk)
    assert clock_of(conversation, Metric.FIRST_REPLY).due_at == due


def test_the_union_has_no_open_minute_over_the_new_year_weekend(follow_the_sun):
    plan, _calendars = follow_the_sun
    union = sla.Config().coverage_calendar(plan.pk, (2026, 2027))
    assert list(union.gaps(utc(2026, 12, 31, 22), utc(2027, 1, 3, 22))) == [
        (utc(2026, 12, 31, 22), utc(2027, 1, 3, 22))]


def test_the_week_grid_shows_who_is_open_hour_by_hour_and_the_gaps(follow_the_sun):
    plan, _calendars = follow_the_sun
    config = sla.Config()
    week = queries.coverage_week(plan, config, now=utc(2026, 12, 29, 12), zone=UTC)
    assert [day for day, _cells in week.days][:2] == [date(2026, 12, 28), date(2026, 12, 29)]
    tuesday = dict(week.days)[date(2026, 12, 29)]
    names = {"APAC": "Sydney", "EMEA": "Paris", "Amer": "New York"}
    row = [tuple(sorted(names.get(t, t) for t in cell.teams)) for cell in tuesday]
    expected = ([("Sydney",)] * 6 + [()] * 2 + [("Paris",)] * 6 + [("New York", "Paris")] * 2
                + [("New York",)] * 6 + [("Sydney",)] * 2)
    assert row == expected
    assert [cell.state for cell in tuesday[5:9]] == ["full", "gap", "gap", "full"]
    # the week's gaps: weekend, the Sydney holiday of Mon 12-28, every weekday 06:00–08:00
    assert (utc(2026, 12, 29, 6), utc(2026, 12, 29, 8)) in week.gaps
    assert week.gap_hours == sum(cell.state == "gap" for _day, cells in week.days
                                 for cell in cells)
    assert ("APAC", "APAC") in week.legend


def test_the_grid_is_drawn_in_the_viewers_time_zone(follow_the_sun):
    plan, _calendars = follow_the_sun
    tokyo = ZoneInfo("Asia/Tokyo")
    week = queries.coverage_week(plan, sla.Config(), now=utc(2026, 12, 29, 12), zone=tokyo)
    tuesday = dict(week.days)[date(2026, 12, 29)]
    # 15:00–17:00 Tokyo is 06:00–08:00 UTC: the gap between Sydney and Paris
    assert [cell.state for cell in tuesday[14:18]] == ["full", "gap", "gap", "full"]
    assert tuesday[15].starts_at.tzinfo == tokyo


def test_a_plan_without_calendars_is_one_big_gap():
    plan = CoveragePlan.objects.create(name="Empty")
    week = queries.coverage_week(plan, sla.Config(), now=utc(2027, 3, 1), zone=UTC)
    assert week.gap_hours == 7 * 24 and len(week.gaps) == 1


# -- the precomputed union answers exactly what the union answers -------------------------------

UNION = CoverageCalendar([
    BusinessCalendar("Australia/Sydney", {d: [("09:00", "17:00")] for d in range(5)},
                     {date(2026, 12, 28)}),
    BusinessCalendar("Europe/Paris", {d: [("08:00", "12:00"), ("13:00", "18:00")]
                                      for d in range(6)}),
    BusinessCalendar("America/New_York", {5: [("10:00", "24:00")], 6: [("00:00", "02:00")]}),
])
WINDOWED = WindowedCalendar(UNION, utc(2026, 1, 1), utc(2028, 1, 1))
INSTANTS = st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2028, 1, 31),
                        timezones=st.just(UTC))


@settings(max_examples=300, deadline=None)
@given(start=INSTANTS, end=INSTANTS, minutes=st.integers(0, 20_000))
def test_the_windowed_union_agrees_with_the_union(start, end, minutes):
    assert WINDOWED.minutes_between(start, end) == UNION.minutes_between(start, end)
    assert WINDOWED.add(start, minutes) == UNION.add(start, minutes)
    assert WINDOWED.is_open(start) == UNION.is_open(start)


def test_the_windowed_union_keeps_the_unions_errors():
    with pytest.raises(ValueError):
        WINDOWED.add(utc(2027, 1, 1), -1)
    with pytest.raises(TypeError):
        WINDOWED.minutes_between(datetime(2027, 1, 1), utc(2027, 1, 2))
