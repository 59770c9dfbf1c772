"""Service-levels pages, the breach board, the inbox's due badges and the conversation's
clocks, as a lead sees them."""

import re
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from comptoir.accounts.models import Role
from comptoir.conversations import services
from comptoir.sla import queries
from comptoir.sla import services as sla
from comptoir.sla.models import CoveragePlan, Holiday, Metric, Schedule

from ..factories import make_conversation, make_team, make_user
from .conftest import HIGH, at, make_calendar, make_policy, utc

pytestmark = pytest.mark.django_db

MONDAY_NOON = utc(2027, 3, 1, 12)


@pytest.fixture
def lead_client(client, settings):
    settings.SESSION_COOKIE_AGE = 3 * 365 * 24 * 3600  # the clock travels to 2027
    lead = make_user(Role.LEAD, time_zone="Europe/Paris", language="en")
    client.force_login(lead)
    return client


def open_conversation(moment, team=None, priority=HIGH):
    with at(moment):
        conversation = make_conversation()
        services.update(conversation, None, priority=priority, **({"team": team} if team else {}))
        sla.refresh(conversation.pk)
    return conversation


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_overview_shows_calendars_coverage_plans_and_policies(lead_client):
    emea = make_team("Support EMEA")
    paris = make_calendar("EMEA (Paris)", team=emea, country="FR")
    tokyo = make_calendar("APAC (Tokyo)", "Asia/Tokyo", team=make_team("Support APAC"))
    plan = CoveragePlan.objects.create(name="Follow the sun", is_default=True)
    plan.calendars.set([paris, tokyo])
    with at(MONDAY_NOON):
        response = lead_client.get(reverse("sla_overview"))
    assert response.status_code == 200
    html = response.content.decode()
    text = text_of(response)
    assert "Follow the sun" in text and "EMEA (Paris)" in text and "Europe/Paris" in text
    assert html.count('class="cov-') == 7 * 24
    assert 'class="cov-gap"' in html  # nights and weekends
    assert "Mon 29 Mar 2027 — Easter Monday" in text  # the next five holidays of France
    assert "Mon 17 May 2027" in text and "Jul 2027" not in text
    assert "Standard · Paid" in text and "Enterprise · Enterprise" in text
    assert "30 min, 24/7" in text  # enterprise urgent first reply
    assert "none (community)" in text
    assert "Open now" in text and "Closed now" in text  # Paris at 13:00, Tokyo at 21:00


def test_the_overview_costs_a_fixed_number_of_queries(lead_client, django_assert_max_num_queries):
    for n in range(4):
        calendar = make_calendar(f"Team {n}", team=make_team())
        Holiday.objects.create(calendar=calendar, name="Closed", starts_on=MONDAY_NOON.date())
    lead_client.get(reverse("sla_overview"))
    with django_assert_max_num_queries(20):
        lead_client.get(reverse("sla_overview"))


def test_a_lead_changes_a_calendars_hours_and_holidays(lead_client):
    calendar = make_calendar("Paris")
    response = lead_client.post(reverse("sla_calendar_edit", args=[calendar.pk]), {
        "time_zone": "Europe/Paris", "holiday_country": "fr", "mon": "08:00–12:00, 13:00-18:00",
        "sat": "10:00-14:00"})
    assert response.status_code == 302
    calendar.refresh_from_db()
    assert calendar.weekly_hours == {"0": [["08:00", "12:00"], ["13:00", "18:00"]],
                                     "5": [["10:00", "14:00"]]}
    assert calendar.holiday_country == "FR"

    response = lead_client.post(reverse("sla_calendar_edit", args=[calendar.pk]), {
        "time_zone": "Europe/Paris", "mon": "18:00-08:00"}, follow=True)
    assert "must end after it starts" in text_of(response)
    response = lead_client.post(reverse("sla_calendar_edit", args=[calendar.pk]), {
        "time_zone": "Europe/Nowhere", "mon": "banana"}, follow=True)
    assert "Unknown time zone" in text_of(response) and "Write hours as" in text_of(response)
    calendar.refresh_from_db()
    assert calendar.weekly_hours["0"] == [["08:00", "12:00"], ["13:00", "18:00"]]

    lead_client.post(reverse("sla_holiday_add", args=[calendar.pk]), {
        "name": "Offsite", "starts_on": "2027-06-01", "ends_on": "2027-06-03"})
    holiday = Holiday.objects.get(calendar=calendar)
    assert (holiday.name, str(holiday.ends_on)) == ("Offsite", "2027-06-03")
    response = lead_client.post(reverse("sla_holiday_add", args=[calendar.pk]), {
        "name": "Backwards", "starts_on": "2027-06-03", "ends_on": "2027-06-01"}, follow=True)
    assert "cannot end before it starts" in text_of(response)
    lead_client.post(reverse("sla_holiday_remove", args=[holiday.pk]))
    assert not Holiday.objects.exists()


def test_the_board_lists_what_breaches_soon_by_team_and_hour(lead_client):
    emea, apac = make_team("Support EMEA", slug="emea"), make_team("Support APAC", slug="apac")
    make_policy(business_hours=False, targets={Metric.FIRST_REPLY: 120})
    late = open_conversation(MONDAY_NOON - timedelta(hours=3), team=emea)  # due 11:00: overdue
    soon = open_conversation(MONDAY_NOON - timedelta(minutes=30), team=emea)  # due 13:30
    later = open_conversation(MONDAY_NOON + timedelta(hours=1), team=apac)  # due 15:00
    far = open_conversation(MONDAY_NOON + timedelta(hours=6), team=apac)  # due 20:00
    with at(MONDAY_NOON):
        response = lead_client.get(reverse("sla_breaches"), {"hours": 4})
    html = response.content.decode()
    linked = [int(n) for n in re.findall(r'href="/c/(\d+)/"', html)]
    assert linked == [late.pk, soon.pk, later.pk]  # by team (most first), overdue first
    assert far.pk not in linked
    text = text_of(response)
    assert "overdue 1 h" in text and "due in 1 h 30 min" in text
    # the hours are the lead's (Paris): 13:00 is noon UTC
    assert "Due from Mon 14:00" in text and "Due from Mon 16:00" in text
    board = response.context["board"]
    assert board.matrix[0] == ("Support EMEA", [1, 0, 1, 0, 0, 0])
    with at(MONDAY_NOON):
        response = lead_client.get(reverse("sla_breaches"), {"hours": 4, "team": "apac"})
    assert [int(n) for n in re.findall(r'href="/c/(\d+)/"', response.content.decode())] == [
        later.pk]
    with at(MONDAY_NOON):
        assert lead_client.get(reverse("sla_breaches"), {"hours": "x"}).status_code == 200


def test_the_inbox_shows_due_badges_without_one_more_query(lead_client,
                                                          django_assert_num_queries):
    make_policy(business_hours=False, targets={Metric.FIRST_REPLY: 120})
    overdue = open_conversation(MONDAY_NOON - timedelta(hours=2, minutes=35))
    warned = open_conversation(MONDAY_NOON - timedelta(minutes=100))
    fresh = open_conversation(MONDAY_NOON)
    make_conversation()  # no policy for its priority (normal): no badge
    with at(MONDAY_NOON):
        lead_client.get(reverse("inbox"))
        with django_assert_num_queries(5):
            response = lead_client.get(reverse("inbox"), {"view": "open"})
    html = response.content.decode()
    badges = dict(re.findall(
        r'data-href="/c/(\d+)/".*?<td class="due">(?:<span class="sla-badge sla-(\w+)")?',
        html, re.DOTALL))
    assert badges == {str(overdue.pk): "breached", str(warned.pk): "warning",
                      str(fresh.pk): "ok", str(max(overdue.pk, warned.pk, fresh.pk) + 1): ""}
    text = text_of(response)
    assert "overdue 35 min" in text and "due in 20 min" in text and "due in 2 h" in text
    # the due instant in the lead's time zone (Paris, UTC+1)
    assert "2027-03-01T15:00:00+01:00" in html


def test_the_conversation_clocks_partial(paris_policy_conversation):
    conversation = paris_policy_conversation
    with at(MONDAY_NOON):
        html = render_to_string("sla/_conversation_clocks.html", {
            "sla_clocks": queries.conversation_clocks(conversation.pk)})
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "First reply" in text and "due in 1 h" in text and "Resolution" in text
    assert "target 4 h · business hours" in text
    assert render_to_string("sla/_conversation_clocks.html", {"sla_clocks": []}).strip() == ""


@pytest.fixture
def paris_policy_conversation(db):
    calendar = make_calendar("Paris")
    make_policy(calendar=calendar, schedule=Schedule.CALENDAR,
                targets={Metric.FIRST_REPLY: 240, Metric.RESOLUTION: 960})
    return open_conversation(MONDAY_NOON - timedelta(hours=3))  # 10:00 Paris: due 14:00


def test_conversation_clocks_read_one_query(paris_policy_conversation,
                                            django_assert_num_queries):
    with django_assert_num_queries(1):
        clocks = queries.conversation_clocks(paris_policy_conversation.pk,
                                             now=timezone.now())
    assert [c.clock.metric for c in clocks] == ["first_reply", "resolution"]  # due first
