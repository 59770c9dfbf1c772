""""Why here?" and a person's own hours, leave and skills."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from comptoir.accounts.models import Role
from comptoir.routing import services as routing
from comptoir.routing.models import Leave, Skill, WorkingHours

from ..factories import make_conversation, make_user
from .helpers import SATURDAY_NOON_UTC, TUESDAY_10_UTC, at, make_agent, support_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead_client(client):
    client.force_login(make_user(Role.LEAD, time_zone="Europe/Paris"))
    return client


def test_why_here_explains_each_candidate(lead_client, django_assert_max_num_queries):
    team = support_team("Support EMEA")
    billing = Skill.objects.create(name="Billing", tags=["billing"])
    ada = make_agent(team, first_name="Ada", last_name="Martin", skills=(billing,))
    make_agent(team, first_name="Bruno", last_name="Roux", languages=["fr"])
    make_agent(team, first_name="Chloé", last_name="Sato", time_zone="Asia/Tokyo")
    make_agent(team, first_name="Dora", last_name="Weber", leave=(date(2026, 11, 24),
                                                                  date(2026, 11, 24)))
    make_agent(team, first_name="Emil", last_name="Ito")
    conversation = make_conversation(language="en", subject="Invoice")
    routing.route(conversation, now=TUESDAY_10_UTC)

    with django_assert_max_num_queries(12):
        response = lead_client.get(reverse("routing_why", args=[conversation.pk]))

    assert response.status_code == 200
    text = response.content.decode()
    assert "Ada Martin got it" in text
    assert "Does not speak English (speaks: fr)" in text
    assert "Off shift: it was Tue 19:00 for them (Asia/Tokyo)" in text
    assert "On leave." in text
    assert "follow-the-sun" in text
    assert "never reads how fast" in text
    assert ada.display_name in text
    # Emil has no billing skill... but none is needed: the subject has no tag
    assert "Emil Ito" in text


def test_why_here_says_why_it_waits(lead_client):
    team = support_team("Support EMEA")
    make_agent(team, first_name="Ada", last_name="Martin")
    conversation = make_conversation(language="en")
    routing.route(conversation, now=SATURDAY_NOON_UTC)
    response = lead_client.get(reverse("routing_why", args=[conversation.pk]),
                               headers={"HX-Request": "true"})
    text = response.content.decode()
    assert "It waits in the queue of Support EMEA: nobody who could take it is on shift now." \
        in text
    assert "<html" not in text  # the fragment alone, for the conversation page


def test_why_here_is_for_leads_and_admins(client):
    conversation = make_conversation()
    for role, status in ((Role.ADVOCATE, 403), (Role.TEAMMATE, 403), (Role.OBSERVER, 403),
                         (Role.LEAD, 200), (Role.ADMIN, 200)):
        client.force_login(make_user(role))
        assert client.get(reverse("routing_why", args=[conversation.pk])).status_code == status
    assert client.get(reverse("routing_why", args=[999999])).status_code == 404


def test_my_hours_leave_and_skills(advocate_client, advocate):
    skill = Skill.objects.create(name="Billing", tags=["billing"])
    page = advocate_client.get(reverse("preferences")).content.decode()
    assert "office hours: Monday to Friday" in page and "Billing" in page

    response = advocate_client.post(reverse("routing_hours"), {
        "mon": "08:00–12:00, 13:00-17:00", "sat": "10:00-14:00"})
    assert response.status_code == 302
    assert WorkingHours.objects.get(user=advocate).weekly_hours == {
        "0": [["08:00", "12:00"], ["13:00", "17:00"]], "5": [["10:00", "14:00"]]}
    page = advocate_client.get(reverse("preferences")).content.decode()
    assert "08:00–12:00, 13:00–17:00" in page

    bad = advocate_client.post(reverse("routing_hours"), {"tue": "nine to five"})
    assert bad.status_code == 400 and "Write hours as" in bad.content.decode()
    overlapping = advocate_client.post(reverse("routing_hours"),
                                       {"tue": "09:00-12:00, 11:00-13:00"})
    assert overlapping.status_code == 400

    advocate_client.post(reverse("routing_hours"), {"office_hours": "1"})
    assert not WorkingHours.objects.filter(user=advocate).exists()

    with at(TUESDAY_10_UTC):
        advocate_client.post(reverse("routing_leave_add"), {
            "starts_on": "2026-12-21", "ends_on": "2027-01-01", "note": "Holidays"})
        past = advocate_client.post(reverse("routing_leave_add"), {
            "starts_on": "2026-01-01", "ends_on": "2026-01-02"})
        backwards = advocate_client.post(reverse("routing_leave_add"), {
            "starts_on": "2026-12-05", "ends_on": "2026-12-01"})
    assert past.status_code == backwards.status_code == 400
    leave = Leave.objects.get(user=advocate)
    assert (leave.starts_on, leave.ends_on, leave.note) == (date(2026, 12, 21),
                                                            date(2027, 1, 1), "Holidays")

    someone_else = Leave.objects.create(user=make_user(), starts_on=date(2027, 1, 1),
                                        ends_on=date(2027, 1, 1))
    advocate_client.post(reverse("routing_leave_remove", args=[someone_else.pk]))
    advocate_client.post(reverse("routing_leave_remove", args=[leave.pk]))
    assert list(Leave.objects.all()) == [someone_else]

    advocate_client.post(reverse("routing_skills"), {"skills": [skill.pk]})
    assert list(advocate.skills.all()) == [skill]
    advocate_client.post(reverse("routing_skills"), {})
    assert not advocate.skills.exists()


def test_the_conversation_page_offers_why_here_to_leads_only(client):
    conversation = make_conversation(subject="Invoice")
    why_url = reverse("routing_why", args=[conversation.pk])
    page_url = reverse("conversation", args=[conversation.pk])

    client.force_login(make_user(Role.LEAD))
    page = client.get(page_url).content.decode()
    assert 'class="why-here"' in page and f'hx-get="{why_url}"' in page
    assert "Why here?" in page
    # what opening it loads: the fragment alone
    fragment = client.get(why_url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()

    for role in (Role.TEAMMATE, Role.ADVOCATE):
        client.force_login(make_user(role))
        response = client.get(page_url)
        assert response.status_code == 200
        page = response.content.decode()
        assert "why-here" not in page and why_url not in page
