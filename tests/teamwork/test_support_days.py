"""Support days: scheduling and scope, the on-call roster by hour across time zones, "ask an
advocate" during the day, first replies celebrated once, the day's outcomes, learnings,
guidance for first-timers."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from comptoir.accounts.models import Role
from comptoir.bugs import services as bugs
from comptoir.conversations import services as conversations
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import Event, Macro
from comptoir.routing.models import Leave, WorkingHours
from comptoir.teamwork import services, support_days, tasks
from comptoir.teamwork.models import (
    FirstReply,
    FirstReplyScan,
    SupportDay,
    ToneNote,
    UxProblem,
)

from ..factories import make_conversation, make_team, make_user
from .helpers import DAY, WEDNESDAY

pytestmark = pytest.mark.django_db
ALWAYS = {str(day): [["00:00", "24:00"]] for day in range(7)}
NIGHTS = {str(day): [["00:00", "01:00"]] for day in range(7)}  # never at 10:00 UTC


@pytest.fixture(autouse=True)
def wednesday_morning():
    with time_machine.travel(WEDNESDAY, tick=False) as clock:
        yield clock


@pytest.fixture
def published(monkeypatch):
    sent = []
    monkeypatch.setattr(support_days.realtime, "publish",
                        lambda kind, payload, **kw: sent.append((kind, payload, kw)))
    return sent


def login(client, user):
    client.force_login(user)
    return client


def person(role=Role.TEAMMATE, zone="UTC", hours=None, team=None, **fields):
    user = make_user(role, time_zone=zone, **fields)
    if hours is not None:
        WorkingHours.objects.create(user=user, weekly_hours=hours)
    if team is not None:
        user.teams.add(team)
    return user


def whole_company(lead=None, day=DAY, **fields):
    return support_days.schedule(lead or make_user(Role.LEAD), day=day, title="Advocacy Day",
                                 whole_company=True, **fields)


# --- scheduling, scope, leave ------------------------------------------------------------------


def test_a_lead_schedules_a_day_for_chosen_teams_and_sees_who_is_on_leave(client):
    engineering, design = make_team("Engineering"), make_team("Design")
    ada = person(team=engineering, first_name="Ada", last_name="Lovelace")
    alan = person(team=engineering, first_name="Alan", last_name="Turing")
    person(Role.OBSERVER, team=engineering, first_name="Olive")  # cannot answer customers
    person(team=engineering, first_name="Gone", is_active=False)
    person(team=design, first_name="Dora")  # another team
    Leave.objects.create(user=alan, starts_on=DAY - timedelta(days=1), ends_on=DAY)
    Leave.objects.create(user=ada, starts_on=DAY + timedelta(days=1),
                         ends_on=DAY + timedelta(days=3))
    lead = make_user(Role.LEAD)
    login(client, lead)

    response = client.post(reverse("support_day_create"), {
        "day": DAY.isoformat(), "title": "Engineering answers", "teams": [engineering.pk],
        "notes": "Pick from the good-first-reply tag."})

    day = SupportDay.objects.get()
    assert response.status_code == 302
    assert day.created_by == lead and not day.whole_company
    assert {p.first_name for p in support_days.participants(day)} == {"Ada", "Alan"}
    page = client.get(reverse("support_day", args=[day.pk])).content.decode()
    assert "1 participant is on leave that day." in page
    assert "On leave that day" in page and "Alan Turing" in page
    assert [w.user for w in support_days.leave_warnings(day)] == [alan]
    assert "Dora" not in page and "Olive" not in page
    listing = client.get(reverse("support_days")).content.decode()
    assert "Engineering answers" in listing


def test_a_double_clicked_schedule_button_makes_one_day(client, wednesday_morning):
    login(client, make_user(Role.LEAD))
    fields = {"day": DAY.isoformat(), "title": "Advocacy Day", "whole_company": "on"}

    first = client.post(reverse("support_day_create"), fields)
    second = client.post(reverse("support_day_create"), fields)

    day = SupportDay.objects.get()
    assert first["Location"] == second["Location"] == reverse("support_day", args=[day.pk])
    assert day.changes.count() == 1
    wednesday_morning.shift(timedelta(minutes=5))  # much later: a second day on purpose
    client.post(reverse("support_day_create"), fields)
    assert SupportDay.objects.count() == 2


def test_the_whole_company_takes_part(client):
    people = {person(), person(team=make_team()), person(Role.ADVOCATE), make_user(Role.LEAD)}
    make_user(Role.OBSERVER)
    day = whole_company(lead=make_user(Role.LEAD, is_active=False))

    assert set(support_days.participants(day)) == people


@pytest.mark.parametrize(("fields", "error"), [
    ({"title": "No scope"}, "Choose at least one team"),
    ({"title": "Too late", "whole_company": "on", "day": "2026-11-24"}, "today or a later"),
    ({"whole_company": "on"}, "This field is required"),
    ({"title": "No date", "whole_company": "on", "day": "someday"}, "Enter a valid date"),
])
def test_bad_scheduling_input_is_refused_and_creates_nothing(client, fields, error):
    login(client, make_user(Role.LEAD, time_zone="UTC"))

    response = client.post(reverse("support_day_create"), {"day": DAY.isoformat(), **fields})

    assert response.status_code == 400
    assert error in response.content.decode()
    assert not SupportDay.objects.exists()


def test_the_day_spans_every_participants_own_working_day():
    person(zone="Asia/Tokyo")  # 09:00-18:00 in Tokyo: 00:00-09:00 UTC
    person(zone="Europe/Paris")  # 08:00-17:00 UTC in November
    person(zone="America/New_York")  # 14:00-23:00 UTC
    away = person(zone="America/Los_Angeles")  # 17:00-02:00 UTC, but on leave that day
    Leave.objects.create(user=away, starts_on=DAY, ends_on=DAY)
    day = whole_company(lead=make_user(Role.LEAD, is_active=False))

    assert support_days.day_span(day) == (datetime(2026, 11, 25, 0, tzinfo=UTC),
                                          datetime(2026, 11, 25, 23, tzinfo=UTC))
    assert support_days.is_running(day, WEDNESDAY)
    assert not support_days.is_running(day, datetime(2026, 11, 25, 23, 30, tzinfo=UTC))


# --- the on-call roster ----------------------------------------------------------------------


def tokyo_and_new_york():
    """Advocates in Tokyo (00-09 UTC) and New York (14-23 UTC): nobody from 09 to 14 UTC."""
    tokyo = person(Role.ADVOCATE, "Asia/Tokyo", first_name="Kenji", last_name="Sato")
    new_york = person(Role.ADVOCATE, "America/New_York", first_name="Nia", last_name="Brown")
    return tokyo, new_york


def names(row):
    return [entry.name for entry in row.advocates]


def test_the_roster_is_filled_from_working_hours_hour_by_hour_with_its_gaps():
    tokyo_and_new_york()
    away = person(Role.ADVOCATE, "Europe/Paris", first_name="Pia", last_name="Away")
    Leave.objects.create(user=away, starts_on=DAY, ends_on=DAY)
    person(Role.ADVOCATE, first_name="Nobody", hours={})  # never on shift
    day = whole_company(lead=person(Role.LEAD, hours={}, is_active=False))

    hours = support_days.roster(day)

    assert [row.start.hour for row in hours] == list(range(23))
    by_hour = {row.start.hour: row for row in hours}
    assert names(by_hour[0]) == ["Kenji Sato"] and by_hour[0].advocates[0].local == "09:00"
    assert names(by_hour[8]) == ["Kenji Sato"]
    assert [h for h, row in by_hour.items() if row.gap] == [9, 10, 11, 12, 13]
    assert names(by_hour[14]) == ["Nia Brown"] and by_hour[14].advocates[0].local == "09:00"
    assert all("Pia Away" not in names(row) for row in hours)  # on leave: never on call


def test_the_lead_adds_and_removes_advocates_for_an_hour(client):
    tokyo, new_york = tokyo_and_new_york()
    lead = person(Role.LEAD, "Europe/Paris", hours={})
    day = whole_company(lead=lead)
    login(client, lead)
    change = reverse("support_day_on_call", args=[day.pk])

    client.post(change, {"hour": "2026-11-25T10:00:00+00:00", "advocate": tokyo.pk,
                         "on_call": "1"})
    client.post(change, {"hour": "2026-11-25T15:00:00+00:00", "advocate": new_york.pk,
                         "on_call": "0"})
    refused = client.post(change, {"hour": "2026-11-26T10:00:00+00:00", "advocate": tokyo.pk,
                                   "on_call": "1"})

    by_hour = {row.start.hour: row for row in support_days.roster(day)}
    assert names(by_hour[10]) == ["Kenji Sato"] and by_hour[10].advocates[0].added
    assert by_hour[15].gap and [e.name for e in by_hour[15].removed] == ["Nia Brown"]
    assert names(by_hour[16]) == ["Nia Brown"]
    assert refused.status_code == 400 and "Choose an hour of the day" in refused.content.decode()
    # a refused change keeps what the lead chose, so that only the wrong part needs fixing
    assert f'<option value="{tokyo.pk}" selected>' in refused.content.decode()
    engineer = person(Role.TEAMMATE, first_name="Eli")  # answers customers, not an advocate
    nobody = client.post(change, {"hour": "2026-11-25T12:00:00+00:00", "advocate": engineer.pk,
                                  "on_call": "1"})
    assert nobody.status_code == 400 and "Choose an advocate" in nobody.content.decode()
    assert '<option value="2026-11-25T12:00:00+00:00" selected>' in nobody.content.decode()
    advocates = re.search(r'<select id="oc-advocate".*?</select>', nobody.content.decode(), re.S)
    assert " selected" not in advocates.group(0)  # the one chosen is not offered
    page = client.get(reverse("support_day_roster", args=[day.pk])).content.decode()
    assert "5 hours without anyone on call" in page  # 9, 11, 12, 13 and 15
    assert "Kenji Sato (19:00)" in page  # 10:00 UTC in Tokyo
    ten = re.search(r'data-hour="2026-11-25T10:00:00\+00:00">\s*<td>(.*?)</td>\s*<td>(.*?)</td>',
                    page)
    assert ten.groups() == ("10:00–11:00", "11:00")  # UTC, then the lead's own (Paris) time
    assert 'value="2026-11-25T10:00:00+00:00"' in page  # the form offers the day's hours
    assert "Nobody on call" in page


def test_only_leads_change_the_roster(client):
    tokyo, _new_york = tokyo_and_new_york()
    day = whole_company()
    login(client, tokyo)

    response = client.post(reverse("support_day_on_call", args=[day.pk]), {
        "hour": "2026-11-25T10:00:00+00:00", "advocate": tokyo.pk, "on_call": "1"})

    assert response.status_code == 403
    assert not day.on_call_changes.exists()
    assert client.get(reverse("support_day_roster", args=[day.pk])).status_code == 200


# --- ask an advocate during the day ------------------------------------------------------------


def test_ask_an_advocate_prefers_the_days_on_call_advocates():
    support = make_team(is_support=True)
    usual = person(Role.ADVOCATE, hours=ALWAYS, team=support, first_name="Usual")
    fresh = person(Role.ADVOCATE, hours=ALWAYS, team=support, first_name="Fresh")
    night = person(Role.ADVOCATE, hours=NIGHTS, team=support, first_name="Night")
    asker, other_asker = person(), person()
    conversation = make_conversation()

    before = services.ask_advocate(conversation, asker, "before-the-day")
    lead = person(Role.LEAD, hours={})
    day = whole_company(lead=lead)
    hour = datetime(2026, 11, 25, 10, tzinfo=UTC)
    support_days.set_on_call(day, lead, hour=hour, advocate_id=night.pk, on_call=True)
    support_days.set_on_call(day, lead, hour=hour, advocate_id=usual.pk, on_call=False)
    # on shift and never asked: first without the day's roster, second with it
    support_days.set_on_call(day, lead, hour=hour, advocate_id=fresh.pk, on_call=False)
    during = services.ask_advocate(conversation, other_asker, "during-the-day")

    assert before.request.advocate == usual  # no day: whoever is on shift
    assert support_days.on_call_now(WEDNESDAY) == {night.pk}
    assert during.request.advocate == night  # off shift, but on the day's roster now


def test_nobody_on_leave_is_pinged_even_on_the_days_roster():
    support = make_team(is_support=True)
    usual = person(Role.ADVOCATE, hours=ALWAYS, team=support)
    away = person(Role.ADVOCATE, hours=NIGHTS, team=support)
    lead = person(Role.LEAD, hours={})
    day = whole_company(lead=lead)
    support_days.set_on_call(day, lead, hour=datetime(2026, 11, 25, 10, tzinfo=UTC),
                             advocate_id=away.pk, on_call=True)
    Leave.objects.create(user=away, starts_on=DAY, ends_on=DAY)

    asked = services.ask_advocate(make_conversation(), person(), "key")

    assert asked.request.advocate == usual


# --- first replies -----------------------------------------------------------------------------


def test_a_first_ever_reply_is_celebrated_once(published, django_capture_on_commit_callbacks):
    newcomer = person(first_name="Grace", last_name="Hopper")
    veteran = person(Role.ADVOCATE)
    old = make_conversation()
    with time_machine.travel(WEDNESDAY - timedelta(days=30), tick=False):
        conversations.reply(old, veteran, "Long ago.")
    conversation = make_conversation()

    with django_capture_on_commit_callbacks(execute=True):
        first = conversations.reply(conversation, newcomer, "My first answer!")
        conversations.reply(conversation, veteran, "Welcome aboard.")
        found = support_days.celebrate_first_replies()
        conversations.reply(make_conversation(), newcomer, "My second answer.")
        again = support_days.celebrate_first_replies()
        assert tasks.celebrate_first_replies() == 0

    assert [(row.user, row.celebrated) for row in found] == [(newcomer, True), (veteran, False)]
    assert again == []
    assert FirstReply.objects.get(user=newcomer).message == first
    cheers = Event.objects.filter(kind=EventKind.FIRST_REPLY)
    assert [(e.conversation_id, e.actor) for e in cheers] == [(conversation.pk, newcomer)]
    cheered = [sent for sent in published if sent[0] == "reply.first"]
    assert len(cheered) == 1
    kind, payload, options = cheered[0]
    assert kind == "reply.first" and options == {}  # to every member of staff
    assert "Grace Hopper" in payload["message"] and "🎉" in payload["message"]
    assert payload["url"] == reverse("conversation", args=[conversation.pk])


def test_the_scan_reads_only_replies_after_its_cursor(django_assert_num_queries):
    newcomer = person()
    conversations.reply(make_conversation(), newcomer, "My first answer!")
    support_days.celebrate_first_replies()
    conversations.reply(make_conversation(), newcomer, "And another.")
    support_days.celebrate_first_replies()
    last = Event.objects.filter(kind=EventKind.REPLY_SENT).latest("pk").pk

    with time_machine.travel(WEDNESDAY + timedelta(minutes=10), tick=False), \
            django_assert_num_queries(4) as captured:  # savepoint, cursor, events, release
        assert support_days.celebrate_first_replies() == []

    assert FirstReplyScan.objects.get().last_event_id == last
    events_query = next(q["sql"] for q in captured.captured_queries
                        if "reply.sent" in q["sql"] or "conversations_event" in q["sql"])
    assert f"> {last}" in events_query


def test_the_support_day_page_shows_the_first_replies(client, published):
    newcomer = person(first_name="Grace", last_name="Hopper")
    day = whole_company()
    conversations.reply(make_conversation(), newcomer, "My first answer!")
    support_days.celebrate_first_replies()

    page = login(client, newcomer).get(reverse("support_day", args=[day.pk])).content.decode()

    assert "🎉 Grace Hopper answered a customer for the first time" in page


# --- outcomes ----------------------------------------------------------------------------------


def test_the_days_outcomes_are_the_teams_figures_of_each_participants_own_date(client):
    team = make_team("Product")
    paris = person(zone="Europe/Paris", team=team)
    tokyo = person(zone="Asia/Tokyo", team=team)
    outsider = person()
    lead = make_user(Role.LEAD)
    day = support_days.schedule(lead, day=DAY, title="Product day", whole_company=False,
                                teams=[team])
    first, second, third, fourth = (make_conversation() for _ in range(4))
    with time_machine.travel(WEDNESDAY - timedelta(days=1), tick=False):
        conversations.reply(fourth, paris, "The day before: not counted.")
    conversations.reply(first, paris, "One.")
    conversations.reply(first, paris, "Two, same customer.")
    conversations.reply(second, paris, "Three, solved.", status="solved")
    conversations.reply(third, tokyo, "Four, 19:00 in Tokyo.")
    conversations.reply(fourth, outsider, "Not a participant.")
    with time_machine.travel(datetime(2026, 11, 25, 16, tzinfo=UTC), tick=False):
        conversations.reply(fourth, tokyo, "01:00 on Thursday in Tokyo: not counted.")
        conversations.reply(fourth, paris, "17:00 in Paris: counted.")
    bug, _new = bugs.create_bug(paris, "Export fails", "https://github.com/o/r/issues/1")
    bugs.link(second, bug, paris)
    old_bug, _new = bugs.create_bug(outsider, "Old one")
    bugs.link(third, old_bug, outsider)
    login(client, tokyo).post(reverse("support_day_ux", args=[day.pk]), {
        "title": "Where is export?", "note": "Three people asked.", "conversation": first.pk})

    result = support_days.outcomes(day)

    assert (result.replies, result.customers, result.conversations, result.solved) == (5, 4, 4, 1)
    assert (result.answering, result.participants) == (2, 2)
    assert result.bugs == [bug]
    assert [p.title for p in result.ux_problems] == ["Where is export?"]
    page = client.get(reverse("support_day", args=[day.pk])).content.decode()
    assert '<td data-figure="replies">5</td>' in page
    assert '<td data-figure="customers">4</td>' in page
    assert '<td data-figure="bugs">1</td>' in page and "Export fails" in page
    assert "Where is export?" in page


def test_a_ux_problem_needs_a_title_and_a_real_conversation(client):
    day = whole_company()
    login(client, person())

    untitled = client.post(reverse("support_day_ux", args=[day.pk]), {"title": " "})
    unknown = client.post(reverse("support_day_ux", args=[day.pk]),
                          {"title": "Broken", "conversation": 999999})

    assert untitled.status_code == unknown.status_code == 400
    assert "No conversation has that number" in unknown.content.decode()
    assert not UxProblem.objects.exists()


# --- learnings ---------------------------------------------------------------------------------


def test_the_lead_records_learnings_and_they_are_searchable(client):
    lead = make_user(Role.LEAD)
    autumn = whole_company(lead=lead, day=date(2026, 10, 7))
    spring = whole_company(lead=lead, day=date(2026, 4, 1))
    login(client, lead)

    client.post(reverse("support_day_learnings", args=[autumn.pk]),
                {"learnings": "Onboarding emails confuse Japanese customers."})
    client.post(reverse("support_day_learnings", args=[spring.pk]),
                {"learnings": "Billing page is fine."})
    found = login(client, person()).get(reverse("support_days"), {"q": "onboarding japanese"})

    html = found.content.decode()
    assert "Onboarding emails confuse" in html and "Billing page" not in html
    autumn.refresh_from_db()
    assert autumn.learnings_updated_at is not None
    assert client.post(reverse("support_day_learnings", args=[spring.pk]),
                       {"learnings": "Overwritten?"}).status_code == 403
    spring.refresh_from_db()
    assert spring.learnings == "Billing page is fine."


# --- guidance and the inbox banner -------------------------------------------------------------


def test_guidance_lists_saved_replies_in_my_languages_and_tone_notes(client):
    Macro.objects.create(name="Refund (fr)", language="fr", body="Bonjour")
    Macro.objects.create(name="Refund (en)", language="en", body="Hello")
    Macro.objects.create(name="Refund (ja)", language="ja", body="こんにちは")
    lead = make_user(Role.LEAD)
    login(client, lead)
    saved = client.post(reverse("support_day_tone_note"),
                        {"language": "fr", "text": "Vouvoyez toujours le client."})
    bad = client.post(reverse("support_day_tone_note"), {"language": "xx", "text": "?"})
    newcomer = person(spoken_languages=["fr", "en"])

    page = login(client, newcomer).get(reverse("support_day_guidance")).content.decode()

    assert saved.status_code == 302 and bad.status_code == 400
    assert ToneNote.objects.get().language == "fr"
    assert "Vouvoyez toujours le client." in page
    assert "Refund (fr)" in page and "Refund (en)" in page and "Refund (ja)" not in page


def test_the_inbox_shows_the_support_day_banner_to_participants_on_the_day(client):
    team = make_team()
    participant, outsider = person(team=team), person()
    day = support_days.schedule(make_user(Role.LEAD), day=DAY, title="Team day",
                                whole_company=False, teams=[team])
    banner = reverse("support_day_banner")

    assert banner in login(client, participant).get(reverse("inbox")).content.decode()
    mine = client.get(banner, HTTP_HX_REQUEST="true").content.decode()
    theirs = login(client, outsider).get(banner, HTTP_HX_REQUEST="true").content.decode()
    with time_machine.travel(WEDNESDAY + timedelta(days=1), tick=False):
        tomorrow = login(client, participant).get(banner).content.decode()

    assert "Support day today" in mine
    assert reverse("support_day_guidance") in mine
    assert reverse("support_day_roster", args=[day.pk]) in mine
    assert "Support day today" not in theirs and "Support day today" not in tomorrow


@pytest.mark.django_db(transaction=True)  # the consumer reads the session
def test_the_team_hears_of_a_first_reply_live():
    from asgiref.sync import async_to_sync, sync_to_async

    from ..realtime.test_live import communicator, session_cookie

    newcomer = person(first_name="Grace", last_name="Hopper")
    colleague = person(Role.ADVOCATE)
    conversations.reply(make_conversation(), newcomer, "My first answer!")

    async def scenario():
        socket = communicator(await sync_to_async(session_cookie)(colleague))
        assert await socket.connect()
        await sync_to_async(tasks.celebrate_first_replies)()
        cheer = await socket.receive_json_from(timeout=5)
        while cheer["type"] != "reply.first":
            cheer = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return cheer

    cheer = async_to_sync(scenario)()
    assert "Grace Hopper" in cheer["data"]["message"]
