"""Assignment: language, skills, shift, leave, load, round-robin; queues; the intake hook."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from comptoir.accounts.models import Role, Team
from comptoir.conversations import services
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import Conversation, Event, RawInbound, RawStatus, Status
from comptoir.email.models import Mailbox
from comptoir.routing import fetch
from comptoir.routing import services as routing
from comptoir.routing.models import CandidatePool, Outcome, RoutingDecision, Skill, Trigger

from ..factories import make_conversation, make_team, make_user
from .helpers import (
    SATURDAY_NOON_UTC,
    TUESDAY_10_UTC,
    at,
    every_day,
    make_agent,
    support_team,
    utc,
)

pytestmark = pytest.mark.django_db
NOW = TUESDAY_10_UTC


def route(conversation, now=NOW, **kwargs) -> RoutingDecision:
    decision = routing.route(conversation, now=now, **kwargs)
    conversation.refresh_from_db()
    return decision


def events(conversation) -> list[tuple[str, dict, int | None]]:
    return [(e.kind, e.data, e.actor_id) for e in Event.objects.filter(
        conversation=conversation).exclude(
        kind__in=[EventKind.CONVERSATION_CREATED, EventKind.MESSAGE_RECEIVED]).order_by("id")]


def give(agent, count: int, status: str = Status.OPEN) -> None:
    """``count`` conversations already on the agent's plate."""
    for _ in range(count):
        conversation = make_conversation()
        services.update(conversation, agent, assignee=agent, status=status)


# --- who may get it ---------------------------------------------------------------------------


def test_a_speaker_on_shift_with_the_fewest_open_conversations_gets_it():
    team = support_team("Support EMEA")
    busy = make_agent(team, languages=["en", "fr"])
    free = make_agent(team, languages=["en"])
    french_only = make_agent(team, languages=["fr"])
    give(busy, 2)
    conversation = make_conversation(language="en")

    decision = route(conversation)

    assert conversation.assignee == free and conversation.team == team
    assert decision.outcome == Outcome.ASSIGNED and decision.assignee == free
    assert decision.ranked == [[free.pk, 0, None], [busy.pk, 2, None]]
    assert decision.pool.kept == [busy.pk, free.pk]
    assert decision.pool.dropped == {"language": [french_only.pk]}
    assert decision.team_reason == "follow_the_sun"
    # the same events as a manual assignment, by nobody
    assert events(conversation) == [
        (EventKind.ASSIGNEE_CHANGED, {"from": None, "to": free.pk}, None),
        (EventKind.TEAM_CHANGED, {"from": None, "to": team.pk}, None),
    ]


def test_pending_on_hold_and_solved_conversations_are_not_load():
    team = support_team("Support")
    first = make_agent(team)
    second = make_agent(team)
    give(first, 3, Status.PENDING)
    give(first, 2, Status.SOLVED)
    give(first, 1, Status.ON_HOLD)
    give(second, 1, Status.OPEN)
    assert route(make_conversation(language="en")).assignee == first


def test_an_unknown_or_other_language_is_anyones():
    team = support_team("Support")
    japanese = make_agent(team, languages=["ja"])
    for language in ("", "other"):
        conversation = make_conversation(language=language, text="Merci !")  # too short to tell
        assert conversation.language == language
        assert route(conversation).assignee == japanese
        services.update(conversation, None, status=Status.SOLVED)
    nobody = route(make_conversation(language="de"))
    assert nobody.outcome == Outcome.QUEUED and nobody.reason == "language"


@pytest.mark.parametrize("role", [Role.TEAMMATE, Role.OBSERVER, Role.ADMIN])
def test_only_advocates_and_leads_are_assigned(role):
    team = support_team("Support")
    make_agent(team, role=role)
    decision = route(make_conversation(language="en"))
    assert decision.outcome == Outcome.QUEUED and decision.reason == "no_agents"
    lead = make_agent(team, role=Role.LEAD)
    assert route(make_conversation(language="en")).assignee == lead


def test_inactive_people_are_not_assigned():
    team = support_team("Support")
    make_agent(team, is_active=False)
    assert route(make_conversation()).outcome == Outcome.QUEUED


def test_skills_from_tags_mailboxes_and_subject_keywords():
    team = support_team("Support")
    billing = Skill.objects.create(name="Billing", tags=["billing"], keywords=["invoice",
                                                                               "請求"])
    security = Skill.objects.create(name="Security", mailboxes=["security@acme.test"])
    generalist = make_agent(team)
    accountant = make_agent(team, skills=(billing,))
    guard = make_agent(team, skills=(security,))

    tagged = make_conversation(subject="Hello")
    services.add_tags(tagged, None, ["billing"])
    decision = route(tagged)
    assert decision.assignee == accountant
    assert decision.needs["skills"] == [{"id": billing.pk, "name": "Billing", "by": "tag",
                                         "value": "billing", "ignored": False}]
    assert decision.pool.dropped == {"skill": [generalist.pk, guard.pk]}

    assert route(make_conversation(subject="Invoices of March")).assignee == accountant
    assert route(make_conversation(subject="先月の請求書について")).assignee == accountant
    # a word that merely contains the keyword does not match
    assert route(make_conversation(subject="Reinvoiced?")).needs["skills"] == []
    assert route(make_conversation(), mailbox="Security@acme.test").assignee == guard


def test_a_skill_nobody_in_the_team_has_is_ignored_and_said_so():
    team = support_team("Support")
    legal = Skill.objects.create(name="Legal", keywords=["gdpr"])
    agent = make_agent(team)
    decision = route(make_conversation(subject="GDPR request"))
    assert decision.assignee == agent
    assert decision.needs["skills"][0]["ignored"] is True
    # someone who has it, even off shift, makes it a requirement: the conversation waits
    make_agent(team, skills=(legal,), time_zone="Asia/Tokyo")
    waiting = route(make_conversation(subject="GDPR request"))
    assert waiting.outcome == Outcome.QUEUED and waiting.reason == "shift"


def test_people_are_on_shift_in_their_own_time_zone():
    team = support_team("Support")
    tokyo = make_agent(team, time_zone="Asia/Tokyo")  # office hours: 19:00 there
    night_owl = make_agent(team, time_zone="Asia/Tokyo", hours={"1": [["18:00", "23:00"]]})
    new_york = make_agent(team, time_zone="America/New_York")  # 05:00 there
    decision = route(make_conversation())
    assert decision.assignee == night_owl
    assert decision.pool.dropped == {"shift": [tokyo.pk, new_york.pk]}
    # at 15:00 UTC New York opens (10:00) and Tokyo's evening shift is over (midnight)
    later = route(make_conversation(), now=utc(2026, 11, 24, 15, 0))
    assert later.assignee == new_york


def test_empty_hours_mean_never_on_shift():
    team = support_team("Support")
    make_agent(team, hours={})
    assert route(make_conversation()).reason == "shift"


def test_nobody_on_leave_gets_work():
    team = support_team("Support")
    away = make_agent(team, leave=(date(2026, 11, 23), date(2026, 11, 24)))
    decision = route(make_conversation())
    assert decision.outcome == Outcome.QUEUED and decision.reason == "leave"
    assert decision.pool.dropped == {"leave": [away.pk]}
    # leave is read in their own time zone: in Tokyo it is already Wednesday
    tokyo = make_agent(team, time_zone="Asia/Tokyo", hours=every_day(),
                       leave=(date(2026, 11, 20), date(2026, 11, 24)))
    assert route(make_conversation(), now=utc(2026, 11, 24, 16, 0)).assignee == tokyo


def test_round_robin_breaks_ties_by_the_oldest_automatic_assignment():
    team = support_team("Support")
    first = make_agent(team)
    second = make_agent(team)
    got = []
    for minute in range(4):
        conversation = make_conversation()
        decision = route(conversation, now=NOW + timedelta(minutes=minute))
        got.append(decision.assignee)
        # waiting on the customer: no load, so only round-robin separates them
        services.update(conversation, None, status=Status.PENDING)
    assert got == [first, second, first, second]
    assert decision.ranked[1][2] is not None  # the loser's last assignment


def test_speed_and_past_work_never_count():
    """No-numbers: someone who solved a hundred conversations in a minute each is not
    preferred, nor is anyone penalised for taking their time."""
    team = support_team("Support")
    slow = make_agent(team)
    fast = make_agent(team)
    for _ in range(5):
        conversation = make_conversation()
        services.reply(conversation, fast, "Done!", status=Status.SOLVED)
    assert route(make_conversation()).assignee == slow  # the lower id: a pure tie


# --- teams ------------------------------------------------------------------------------------


def test_the_mailbox_team_is_kept_and_waits_when_nobody_can_take_it():
    billing = make_team("Billing", time_zone="Europe/Paris")
    make_agent(billing, languages=["fr"])
    other = support_team("Support")
    make_agent(other, languages=["en"])
    Mailbox.objects.create(address="billing@acme.test", name="Billing", team=billing)
    message = services.receive(_inbound(mailbox="billing@acme.test", language="en"))
    conversation = message.conversation
    assert conversation.team == billing

    decision = routing.route(conversation, mailbox="billing@acme.test", trigger=Trigger.INTAKE,
                             now=NOW)

    conversation.refresh_from_db()
    assert (conversation.team, conversation.assignee) == (billing, None)
    assert decision.team_reason == "mailbox" and decision.reason == "language"
    assert events(conversation) == [(EventKind.ASSIGNMENT_QUEUED,
                                     {"team_id": billing.pk, "reason": "language",
                                      "decision_id": decision.pk}, None)]


def test_follow_the_sun_sends_it_to_the_team_on_shift():
    paris = support_team("Support EMEA")
    tokyo = support_team("Support APAC", "Asia/Tokyo")
    ada = make_agent(paris)
    hiro = make_agent(tokyo, time_zone="Asia/Tokyo")
    morning_in_paris = route(make_conversation())
    assert (morning_in_paris.team_id, morning_in_paris.assignee) == (paris.pk, ada)
    assert morning_in_paris.pool.teams == [{"id": paris.pk, "available": 1}]
    morning_in_tokyo = route(make_conversation(), now=utc(2026, 11, 25, 1, 0))  # 10:00 there
    assert (morning_in_tokyo.team_id, morning_in_tokyo.assignee) == (tokyo.pk, hiro)


def test_nobody_on_shift_waits_for_the_team_whose_speakers_start_first():
    paris = support_team("Support EMEA")
    tokyo = support_team("Support APAC", "Asia/Tokyo")
    make_agent(paris, languages=["fr"])
    make_agent(paris, languages=["en"])
    make_agent(tokyo, languages=["ja", "en"], time_zone="Asia/Tokyo")
    # Saturday noon UTC: Tokyo's people are back first (Monday 09:00 JST = Sunday 24:00 UTC)
    english = route(make_conversation(language="en"), now=SATURDAY_NOON_UTC)
    assert english.outcome == Outcome.QUEUED and english.team_id == tokyo.pk
    assert english.team_reason == "next_on_shift" and english.reason == "shift"
    assert english.pool.teams[0] == {"id": tokyo.pk, "speaks": True,
                                     "next_shift": "2026-11-30T00:00:00+00:00"}
    french = route(make_conversation(language="fr"), now=SATURDAY_NOON_UTC)
    assert french.team_id == paris.pk
    # nobody speaks German: the team back first
    german = route(make_conversation(language="de"), now=SATURDAY_NOON_UTC)
    assert german.team_id == tokyo.pk and german.reason == "language"


def test_without_support_teams_it_waits_without_a_team():
    make_agent(make_team("Engineering"))
    conversation = make_conversation()
    decision = route(conversation)
    assert (decision.outcome, decision.team, decision.reason) == (
        Outcome.QUEUED, None, "no_support_team")
    assert events(conversation) == [(EventKind.ASSIGNMENT_QUEUED, {
        "team_id": None, "reason": "no_support_team", "decision_id": decision.pk}, None)]


def test_an_assigned_or_solved_conversation_is_left_alone():
    team = support_team("Support")
    agent = make_agent(team)
    assigned = make_conversation()
    services.update(assigned, agent, assignee=agent)
    solved = make_conversation()
    services.update(solved, agent, status=Status.SOLVED)
    assert routing.route(assigned, now=NOW) is None
    assert routing.route(solved, now=NOW) is None
    assert not RoutingDecision.objects.exists()


# --- intake -----------------------------------------------------------------------------------


def _inbound(**fields):
    from ..factories import make_inbound

    return make_inbound(**fields)


def _raw(text: str = "Hello, I cannot sign in since yesterday.", **fields) -> int:
    payload = {"from": {"value": fields.pop("sender", "cy@example.com")}, "text": text,
               "subject": "Sign-in", **fields}
    return services.store_raw("api", json.dumps(payload).encode(), {"channel": "api"}).pk


def test_intake_routes_the_conversations_it_opens_once():
    team = support_team("Support")
    agent = make_agent(team, hours=every_day())
    with at(NOW):
        message = services.process_raw(_raw(external_id="m1"))
    conversation = message.conversation
    conversation.refresh_from_db()
    assert conversation.assignee == agent and conversation.team == team
    decision = RoutingDecision.objects.get()
    assert (decision.trigger, decision.conversation) == (Trigger.INTAKE, conversation)
    # the same delivery again, and a follow-up in the same conversation: not routed again
    services.update(conversation, None, assignee=None)
    again = services.process_raw(_raw(external_id="m1"))
    assert again == message
    services.receive(_inbound(conversation_id=conversation.pk,
                              identity_value="cy@example.com"))
    assert RoutingDecision.objects.count() == 1


def test_a_routing_failure_never_loses_the_message(monkeypatch, caplog):
    support_team("Support")

    def broken(*args, **kwargs):
        raise RuntimeError("roster unavailable")

    monkeypatch.setattr(fetch, "load_roster", broken)
    raw_id = _raw()
    message = services.process_raw(raw_id)
    assert message is not None
    assert RawInbound.objects.get(pk=raw_id).status == RawStatus.PROCESSED
    event = Event.objects.get(kind=EventKind.ASSIGNMENT_QUEUED)
    assert event.data == {"team_id": None, "reason": "error",
                          "error": "RuntimeError: roster unavailable"}
    assert "routing conversation" in caplog.text
    assert not RoutingDecision.objects.exists()


# --- batches ----------------------------------------------------------------------------------


def test_a_batch_writes_what_one_by_one_writes():
    paris = support_team("Support EMEA")
    agent = make_agent(paris)
    one = make_conversation()
    route(one)
    services.update(one, None, status=Status.PENDING)
    many = make_conversation()
    version = many.version
    [decision] = routing.route_many([many.pk], now=NOW + timedelta(minutes=1))
    many.refresh_from_db()
    assert (many.assignee, many.team, many.version) == (agent, paris, version + 1)

    def shape(conversation):
        return [event for event in events(conversation) if event[0] != EventKind.STATUS_CHANGED]

    assert shape(many) == shape(one)
    stored = RoutingDecision.objects.get(pk=decision.pk)
    first = RoutingDecision.objects.get(conversation=one)
    assert (stored.outcome, stored.team_reason, stored.needs) == (
        first.outcome, first.team_reason, first.needs)


def test_a_batch_spreads_like_one_by_one_and_skips_what_changed():
    team = support_team("Support")
    agents = [make_agent(team) for _ in range(3)]
    conversations = [make_conversation() for _ in range(31)]
    taken = conversations[-1]
    services.update(taken, agents[0], assignee=agents[0])
    decisions = routing.route_many([c.pk for c in conversations], now=NOW, batch_size=7)
    assert len(decisions) == 30
    loads = {a.pk: Conversation.objects.filter(assignee=a).count() for a in agents}
    assert sorted(loads.values()) == [10, 10, 11]
    assert len({d.created_at for d in decisions}) == 30  # ordered, for round-robin
    # the same needs at the same instant: one pool of candidates, stored once
    assert CandidatePool.objects.count() == 1
    assert {d.pool_id for d in decisions} == {CandidatePool.objects.get().pk}


def test_a_batch_records_queued_conversations_like_route():
    team = support_team("Support")
    make_agent(team, time_zone="Asia/Tokyo")
    conversation = make_conversation()
    [decision] = routing.route_many([conversation.pk], now=NOW)
    conversation.refresh_from_db()
    assert conversation.team == team and conversation.assignee is None
    assert events(conversation) == [
        (EventKind.TEAM_CHANGED, {"from": None, "to": team.pk}, None),
        (EventKind.ASSIGNMENT_QUEUED, {"team_id": team.pk, "reason": "shift",
                                       "decision_id": decision.pk}, None),
    ]


def test_waiting_conversations_go_to_whoever_comes_on_shift():
    team = support_team("Support APAC", "Asia/Tokyo")
    hiro = make_agent(team, time_zone="Asia/Tokyo")
    waiting = [make_conversation() for _ in range(3)]
    for conversation in waiting:
        route(conversation)  # 19:00 in Tokyo: they wait
    lead_took_one = waiting[0]
    services.update(lead_took_one, None, assignee=make_user(Role.LEAD))
    # still evening: nothing new is written
    assert routing.route_waiting(now=NOW + timedelta(hours=1)) == 0
    assert RoutingDecision.objects.count() == 3
    # Wednesday 09:30 in Tokyo
    assert routing.route_waiting(now=utc(2026, 11, 25, 0, 30)) == 2
    assert set(Conversation.objects.filter(assignee=hiro)) == set(waiting[1:])
    latest = RoutingDecision.objects.filter(trigger=Trigger.QUEUE)
    assert latest.count() == 2 and all(d.outcome == Outcome.ASSIGNED for d in latest)
    assert routing.route_waiting(now=utc(2026, 11, 25, 0, 31)) == 0


def test_standings_cost_one_query(django_assert_num_queries):
    team = support_team("Support")
    agents = [make_agent(team) for _ in range(5)]
    give(agents[0], 2)
    with django_assert_num_queries(1):
        loads, last = fetch.standings(a.pk for a in agents)
    assert loads[agents[0].pk] == 2 and loads[agents[1].pk] == 0 and last == {}


def test_the_roster_costs_the_same_whatever_the_team_size(django_assert_num_queries):
    small, large = support_team("Small"), support_team("Large")
    skill = Skill.objects.create(name="Billing", tags=["billing"])
    make_agent(small, skills=(skill,), leave=(date(2026, 11, 1), date(2026, 11, 30)))
    for _ in range(12):
        make_agent(large, skills=(skill,), leave=(date(2026, 11, 1), date(2026, 11, 30)))
    for team in (small, large):
        with django_assert_num_queries(4):  # people, skills, who has them, leave
            roster = fetch.load_roster(NOW, team_id=team.pk)
        assert roster.members(team.pk)
    with django_assert_num_queries(5):  # and the teams, for follow-the-sun
        roster = fetch.load_roster(NOW)
    assert len(roster.agents) == 13


def test_the_mailbox_is_read_from_the_first_message_when_not_given():
    team = support_team("Support")
    security = Skill.objects.create(name="Security", mailboxes=["security@acme.test"])
    guard = make_agent(team, skills=(security,))
    make_agent(team)
    first = services.receive(_inbound(mailbox="security@acme.test")).conversation
    second = services.receive(_inbound(mailbox="security@acme.test")).conversation
    assert route(first).assignee == guard
    [decision] = routing.route_many([second.pk], now=NOW + timedelta(minutes=1))
    assert decision.assignee == guard and decision.needs["mailbox"] == "security@acme.test"


def test_each_decision_ranks_the_best_ten_and_the_pool_keeps_everyone():
    team = support_team("Support")
    agents = [make_agent(team) for _ in range(12)]
    give(agents[0], 1)
    decision = route(make_conversation())
    assert [row[0] for row in decision.ranked] == [a.pk for a in agents[1:11]]
    assert decision.pool.kept == [a.pk for a in agents]


def test_the_waiting_queue_job_routes_through_the_service(eager_tasks):
    from comptoir.routing import tasks

    team = support_team("Support APAC", "Asia/Tokyo")
    hiro = make_agent(team, time_zone="Asia/Tokyo")
    waiting = make_conversation()
    route(waiting)  # 19:00 in Tokyo: it waits
    with at(utc(2026, 11, 25, 0, 30)):  # 09:30 in Tokyo
        assert tasks.route_waiting.delay().get() == 1
    waiting.refresh_from_db()
    assert waiting.assignee == hiro


def test_the_intake_hook_costs_the_same_whatever_the_team_size():
    """People, skills, leave, load and round-robin are read in a few queries, not per person
    (what ``conversations.update`` then costs is its own)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    skill = Skill.objects.create(name="Billing", tags=["billing"])
    counts = []
    for size in (2, 9):
        team = support_team(f"Support {size}")
        for _ in range(size):
            make_agent(team, hours=every_day(), skills=(skill,),
                       leave=(date(2030, 1, 1), date(2030, 1, 2)))
        Team.objects.exclude(pk=team.pk).update(is_support=False)
        message = services.receive(_inbound())
        with CaptureQueriesContext(connection) as queries:
            decision = routing.route_new(message)
        assert decision.outcome == Outcome.ASSIGNED and decision.team == team
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_batch_refreshes_clocks_and_announces_like_update(monkeypatch,
                                                            django_capture_on_commit_callbacks):
    from comptoir.sla import services as sla

    team = support_team("Support")
    agent = make_agent(team)
    refreshed = []
    monkeypatch.setattr(sla, "refresh_many", lambda ids, **kw: refreshed.extend(ids))
    moved, kept_team = make_conversation(), make_conversation()
    services.update(kept_team, None, team=team)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        routing.route_many([moved.pk, kept_team.pk], now=NOW)
    assert refreshed == [moved.pk]  # the team changed: its calendar may differ
    announced = [payload for c in callbacks if getattr(c, "args", None)
                 and c.args[0] == "conversation.changed"
                 for payload in (c.args[1] if isinstance(c.args[1], list) else [c.args[1]])]
    assert [(a["id"], a["assignee_id"], a["team_id"]) for a in announced] == [
        (moved.pk, agent.pk, team.pk), (kept_team.pk, agent.pk, team.pk)]
    moved.refresh_from_db()
    assert announced[0]["version"] == moved.version
