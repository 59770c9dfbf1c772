"""Today's share (page, inbox panel, own setting), ask an advocate, coverage by team."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from comptoir.accounts.models import Role
from comptoir.conversations import services as conversations
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import Event
from comptoir.routing.models import WorkingHours
from comptoir.teamwork import services
from comptoir.teamwork.models import HelpRequest, Share

from ..factories import make_team, make_user
from .helpers import DAY, WEDNESDAY, suitable

pytestmark = pytest.mark.django_db
ALWAYS = {str(day): [["00:00", "24:00"]] for day in range(7)}


@pytest.fixture(autouse=True)
def wednesday_morning():
    with time_machine.travel(WEDNESDAY, tick=True) as clock:
        yield clock


def login(client, user):
    client.force_login(user)
    return client


def test_my_share_shows_my_own_progress(client):
    first, second = suitable(subject="Export my data"), suitable(subject="Change my email")
    teammate = make_user(Role.TEAMMATE, time_zone="UTC")
    services.set_daily_count(teammate, 2)
    services.pick_shares(DAY)
    conversations.reply(first, teammate, "Here is how.")
    login(client, teammate)

    page = client.get(reverse("teamwork_today")).content.decode()
    panel = client.get(reverse("teamwork_today_panel"), HTTP_HX_REQUEST="true").content.decode()

    for html in (page, panel):
        assert "1 of 2 answered" in html
        assert "Export my data" in html and "Change my email" in html
    assert reverse("conversation", args=[second.pk]) in page


def test_the_inbox_loads_todays_share_for_those_who_reply_only(client):
    teammate, observer = make_user(Role.TEAMMATE), make_user(Role.OBSERVER)
    panel = reverse("teamwork_today_panel")

    assert panel in login(client, teammate).get(reverse("inbox")).content.decode()
    assert panel not in login(client, observer).get(reverse("inbox")).content.decode()


def test_a_person_changes_their_own_daily_share_and_bad_input_changes_nothing(client):
    teammate = make_user(Role.TEAMMATE)
    login(client, teammate)

    ok = client.post(reverse("teamwork_share_settings"), {"daily_count": "3"})
    bad = client.post(reverse("teamwork_share_settings"), {"daily_count": "-1"})

    assert ok.status_code == 302
    assert bad.status_code == 400
    assert services.daily_count_of(teammate) == 3


def test_paused_during_leave_is_shown(client):
    from comptoir.routing.models import Leave

    teammate = make_user(Role.TEAMMATE, time_zone="UTC")
    Leave.objects.create(user=teammate, starts_on=DAY, ends_on=DAY)
    html = login(client, teammate).get(reverse("teamwork_today")).content.decode()
    assert "on leave: your share is paused" in html


def test_ask_an_advocate_records_it_in_the_history_and_a_double_click_asks_once(client):
    conversation = suitable()
    advocate = make_user(Role.ADVOCATE, first_name="Ada", last_name="On-Call")
    advocate.teams.add(make_team("Support", is_support=True))
    WorkingHours.objects.create(user=advocate, weekly_hours=ALWAYS)
    teammate = make_user(Role.TEAMMATE)
    login(client, teammate)
    url = reverse("teamwork_ask", args=[conversation.pk])

    first = client.post(url, {"key": "k" * 32}, HTTP_HX_REQUEST="true")
    again = client.post(url, {"key": "k" * 32}, HTTP_HX_REQUEST="true")

    assert "Ada On-Call, on call now, has been pinged." in first.content.decode()
    assert "Already asked" in again.content.decode()
    events = Event.objects.filter(conversation=conversation, kind=EventKind.ADVOCATE_ASKED)
    assert events.count() == 1 and HelpRequest.objects.count() == 1
    assert events.get().data["advocate_id"] == advocate.pk
    panel = client.get(reverse("teamwork_ask_panel", args=[conversation.pk]),
                       HTTP_HX_REQUEST="true").content.decode()
    assert f"{teammate.display_name} asked Ada On-Call" in panel


def test_with_nobody_on_call_the_request_is_still_recorded(client):
    conversation = suitable()
    off_shift = make_user(Role.ADVOCATE)
    off_shift.teams.add(make_team("Support", is_support=True))
    WorkingHours.objects.create(user=off_shift, weekly_hours={})  # never on shift
    login(client, make_user(Role.TEAMMATE))

    response = client.post(reverse("teamwork_ask", args=[conversation.pk]), {"key": "abc"})

    assert response.status_code == 302
    event = Event.objects.get(conversation=conversation, kind=EventKind.ADVOCATE_ASKED)
    assert event.data["advocate_id"] is None


def test_the_conversation_page_offers_to_ask_an_advocate(client):
    conversation = suitable()
    login(client, make_user(Role.TEAMMATE))
    html = client.get(reverse("conversation", args=[conversation.pk])).content.decode()
    assert reverse("teamwork_ask_panel", args=[conversation.pk]) in html


def test_leads_see_coverage_by_team_never_by_person(client):
    for _ in range(3):
        suitable()
    design = make_team("Design")
    alice = make_user(Role.TEAMMATE, username="alice-unique", first_name="Alicia",
                      last_name="Zorglub")
    alice.teams.add(design)
    bob = make_user(Role.ADVOCATE, username="bob-unique", first_name="Roberto",
                    last_name="Quux")
    services.set_daily_count(bob, 0)
    services.pick_shares(DAY)
    mine = list(Share.objects.filter(user=alice).select_related("conversation"))
    assert len(mine) == 3
    conversations.reply(mine[0].conversation, alice, "Answered by me.")
    conversations.reply(mine[1].conversation, bob, "Answered by an advocate.")
    lead = make_user(Role.LEAD)

    response = login(client, lead).get(reverse("teamwork_coverage"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<td>Design</td><td>3</td><td>1</td><td>2</td>" in html
    for name in ("alice-unique", "Alicia", "Zorglub", "bob-unique", "Roberto", "Quux"):
        assert name not in html
    assert "chartjs" in html and '"coverage"' in html
    assert login(client, make_user(Role.TEAMMATE)).get(
        reverse("teamwork_coverage")).status_code == 403


def test_coverage_counts_the_last_two_weeks(client):
    suitable()
    teammate = make_user(Role.TEAMMATE)
    services.pick_shares(DAY - timedelta(days=20))
    services.pick_shares(DAY)
    assert Share.objects.filter(user=teammate).count() == 2
    html = login(client, make_user(Role.LEAD)).get(reverse("teamwork_coverage")).content.decode()
    assert "<td>No team</td><td>1</td><td>0</td><td>0</td>" in html


def test_an_expired_ask_form_is_refused_with_a_clear_message(client):
    conversation = suitable()
    login(client, make_user(Role.TEAMMATE))

    response = client.post(reverse("teamwork_ask", args=[conversation.pk]), {"key": ""})

    assert response.status_code == 400
    assert "reload the page and ask again" in response.content.decode()
    assert not Event.objects.filter(kind=EventKind.ADVOCATE_ASKED).exists()


def test_a_person_sees_only_their_own_share(client):
    suitable(subject="Alpha question")
    suitable(subject="Beta question")
    first, second = make_user(Role.TEAMMATE), make_user(Role.TEAMMATE)
    for person in (first, second):
        services.set_daily_count(person, 1)
    services.pick_shares(DAY)
    theirs = Share.objects.select_related("conversation").get(user=second).conversation

    html = login(client, first).get(reverse("teamwork_today")).content.decode()

    assert "0 of 1 answered" in html
    assert theirs.subject not in html
