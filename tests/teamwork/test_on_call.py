"""Who is on call outside support days (now and the next 24 hours, from working hours and
leave), "ask an advocate" using it, and asks queued while nobody is on call."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from comptoir.accounts.models import Role
from comptoir.routing.models import Leave, WorkingHours
from comptoir.teamwork import on_call, services, support_days, tasks
from comptoir.teamwork.models import HelpRequest

from ..factories import make_conversation, make_team, make_user
from .helpers import DAY, WEDNESDAY

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def wednesday_morning():
    with time_machine.travel(WEDNESDAY, tick=False) as clock:  # 10:00 UTC
        yield clock


@pytest.fixture
def published(monkeypatch):
    sent = []
    monkeypatch.setattr(on_call.realtime, "publish",
                        lambda kind, payload, **kw: sent.append((kind, payload, kw)))
    monkeypatch.setattr(services.realtime, "publish",
                        lambda kind, payload, **kw: sent.append((kind, payload, kw)))
    return sent


def advocate(zone, first_name, hours=None, **fields):
    user = make_user(Role.ADVOCATE, time_zone=zone, first_name=first_name, last_name="Adv",
                     **fields)
    if hours is not None:
        WorkingHours.objects.create(user=user, weekly_hours=hours)
    return user


def follow_the_sun():
    """Tokyo (00:00-09:00 UTC) and New York (14:00-23:00 UTC) on office hours: nobody from
    09:00 to 14:00 UTC, nor from 23:00 to midnight. The lead never works shifts."""
    tokyo = advocate("Asia/Tokyo", "Kenji")
    new_york = advocate("America/New_York", "Nia")
    WorkingHours.objects.create(user=make_user(Role.LEAD), weekly_hours={})
    return tokyo, new_york


def test_the_page_shows_nobody_now_the_next_24_hours_with_gaps_in_both_times(client):
    _tokyo, _new_york = follow_the_sun()
    away = advocate("Europe/Paris", "Pia")
    Leave.objects.create(user=away, starts_on=DAY, ends_on=DAY)  # back on Thursday
    viewer = make_user(Role.TEAMMATE, time_zone="Europe/Paris")
    client.force_login(viewer)

    page = client.get(reverse("teamwork_on_call")).content.decode()

    assert "Nobody is on call right now." in page
    assert "queued for the conversation" in page
    assert "Next on call from 15:00 your time (14:00 UTC):" in page  # Nia, in New York
    rows = dict(re.findall(r'data-hour="([^"]+)">.*?<td>[^<]*</td>\s*<td>[^<]*</td>\s*<td>'
                           r'(.*?)</td>', page, re.S))
    assert len(rows) == 24
    assert "Nobody on call" in rows["2026-11-25T10:00:00+00:00"]
    assert "Nia Adv (09:00)" in rows["2026-11-25T14:00:00+00:00"]
    assert "Kenji Adv (09:00)" in rows["2026-11-26T00:00:00+00:00"]  # Thursday in Tokyo
    assert "Pia Adv (09:00)" in rows["2026-11-26T08:00:00+00:00"]  # back from leave
    assert "Pia" not in rows["2026-11-25T12:00:00+00:00"]  # on leave: never on call
    ten = re.search(r'data-hour="2026-11-25T10:00:00\+00:00">\s*<td>(.*?)</td>\s*<td>(.*?)</td>',
                    page)
    assert ten.groups() == ("10:00–11:00", "Wed 11:00")  # UTC, then the viewer's Paris time
    hours = on_call.ahead(WEDNESDAY)
    assert hours.gaps == 5  # 10 to 14 UTC (Paris' Pia is on leave), and 23 UTC
    assert [row.start.hour for row in hours.hours if row.gap] == [10, 11, 12, 13, 23]


def test_the_page_lists_who_is_on_call_now_in_their_own_time(client):
    _tokyo, _new_york = follow_the_sun()
    paris = advocate("Europe/Paris", "Pia")
    client.force_login(make_user(Role.TEAMMATE, time_zone="America/New_York"))

    page = client.get(reverse("teamwork_on_call")).content.decode()

    assert "Nobody is on call right now." not in page
    now = re.search(r'<ul class="on-call-now">(.*?)</ul>', page, re.S).group(1)
    assert "Pia Adv" in now and "11:00 their time" in now and "Kenji" not in now
    assert "05:00 America/New_York" in page and "10:00 UTC" in page
    assert on_call.at(WEDNESDAY) == [paris.pk]


def test_outside_support_days_ask_pings_whoever_the_page_shows_on_call_now():
    follow_the_sun()
    paris = advocate("Europe/Paris", "Pia")
    ask = services.ask_advocate(make_conversation(), make_user(Role.TEAMMATE), "k1")

    assert ask.request.advocate == paris and not ask.queued
    # an advocate in no team is on call too (the page and the ask read the same roster)
    assert not paris.teams.exists()


def test_with_nobody_on_call_the_ask_is_queued_for_the_team_and_says_who_comes_next(
        client, published, django_capture_on_commit_callbacks):
    _tokyo, new_york = follow_the_sun()
    billing = make_team("Billing")
    new_york.teams.add(billing)
    conversation = make_conversation()
    conversation.team = billing
    conversation.save(update_fields=["team"])
    asker = make_user(Role.TEAMMATE, time_zone="Europe/Paris")
    client.force_login(asker)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("teamwork_ask", args=[conversation.pk]),
                               {"key": "q1"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert "Nobody is on call right now. Your request is queued for the Billing team." in html
    assert "Nia Adv comes on call at 15:00 (your time) and will be pinged then." in html
    ask = HelpRequest.objects.get()
    assert ask.advocate is None and ask.team == billing and ask.handed_over_at is None
    assert published == []
    assert "queued for the team" in html  # the history says so too
    page = client.get(reverse("teamwork_on_call")).content.decode()
    assert f"#{conversation.pk}" in re.search(r'class="queued-asks">(.*?)</ul>', page,
                                              re.S).group(1)

    # nobody yet: the every-minute task hands over nothing
    assert tasks.hand_over_asks() == 0
    with time_machine.travel(datetime(2026, 11, 25, 14, 1, tzinfo=UTC), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        assert tasks.hand_over_asks() == 1
        assert tasks.hand_over_asks() == 0  # once

    ask.refresh_from_db()
    assert ask.advocate == new_york and ask.handed_over_at is not None
    assert [(kind, kw) for kind, _payload, kw in published] == [
        ("advocate.asked", {"group": f"user.{new_york.pk}"})]
    assert "while nobody was on call" in published[0][1]["message"]
    panel = client.get(reverse("teamwork_ask_panel", args=[conversation.pk]),
                       HTTP_HX_REQUEST="true").content.decode()
    assert f"{asker.display_name} asked Nia Adv" in panel  # the history shows the hand-over


def test_with_nobody_on_call_for_a_whole_day_the_ask_says_so(client):
    WorkingHours.objects.create(user=make_user(Role.ADVOCATE), weekly_hours={})
    client.force_login(make_user(Role.TEAMMATE))

    response = client.post(reverse("teamwork_ask", args=[make_conversation().pk]),
                           {"key": "q2"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert "queued for the support team" in html
    assert "Nobody is on call in the next 24 hours either" in html


def test_during_a_support_day_the_page_shows_its_roster():
    tokyo, _new_york = follow_the_sun()
    lead = make_user(Role.LEAD)
    WorkingHours.objects.create(user=lead, weekly_hours={})
    day = support_days.schedule(lead, day=DAY, title="Advocacy Day", whole_company=True)
    support_days.set_on_call(day, lead, hour=datetime(2026, 11, 25, 10, tzinfo=UTC),
                             advocate_id=tokyo.pk, on_call=True)

    hours = on_call.ahead(WEDNESDAY)

    assert [entry.id for entry in hours.current] == [tokyo.pk]
    assert hours.days == [day]
    assert [e.name for e in hours.hours[0].advocates] == ["Kenji Adv"]
    assert hours.hours[1].gap  # 11:00 UTC: the lead added Kenji for 10:00 only
    assert services.ask_advocate(make_conversation(), make_user(Role.TEAMMATE),
                                 "k").request.advocate == tokyo


def test_the_page_costs_the_same_queries_for_more_advocates(client, django_assert_max_num_queries):
    follow_the_sun()
    client.force_login(make_user(Role.TEAMMATE))
    client.get(reverse("teamwork_on_call"))
    for n in range(10):
        advocate("Europe/Paris", f"Extra{n}")

    with django_assert_max_num_queries(12):
        assert client.get(reverse("teamwork_on_call")).status_code == 200


def test_a_queued_ask_older_than_a_day_is_left_to_the_team_queue():
    WorkingHours.objects.create(user=make_user(Role.ADVOCATE), weekly_hours={})
    services.ask_advocate(make_conversation(), make_user(Role.TEAMMATE), "old")
    advocate("Europe/Paris", "Pia")

    with time_machine.travel(WEDNESDAY + timedelta(days=1, hours=1), tick=False):
        assert on_call.hand_over_queued() == 0
