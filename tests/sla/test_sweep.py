"""The sweep: warnings, breaches and escalations, in bulk, exactly once."""

import itertools
import threading
import time
from datetime import timedelta
from unittest.mock import ANY

import pytest
from django.db import connection, transaction
from django.db.models import Q

from comptoir.accounts.models import Role
from comptoir.conversations import services
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import Conversation, Event, Status
from comptoir.sla import services as sla
from comptoir.sla.models import (
    ClockState,
    CoveragePlan,
    Metric,
    SlaClock,
    SweepState,
)

from ..factories import make_conversation, make_inbound, make_team, make_user
from .conftest import HIGH, at, clock_of, make_calendar, make_policy, utc

pytestmark = pytest.mark.django_db

MONDAY_9 = utc(2027, 3, 1, 9)  # 10:00 in Paris


def open_conversation(at_moment=MONDAY_9, priority=HIGH, team=None):
    with at(at_moment):
        conversation = make_conversation()
        services.update(conversation, None, priority=priority,
                        **({"team": team} if team else {}))
        sla.refresh(conversation.pk)
    return conversation


def sla_events(**filters):
    return list(Event.objects.filter(kind__startswith="sla.", **filters)
                .order_by("created_at", "pk").values_list("kind", "created_at", "data__metric"))


def everything():
    return (sorted(sla_events()), sorted(SlaClock.objects.values_list(
        "pk", "warned_at", "breached_at", "next_check_at", "warning_escalated_at",
        "breach_escalated_at")))


def test_warning_then_breach_each_recorded_once_at_their_instant():
    make_policy(business_hours=False, targets={Metric.FIRST_REPLY: 60})
    conversation = open_conversation()
    clock = clock_of(conversation, Metric.FIRST_REPLY)
    assert (clock.warn_at, clock.due_at, clock.next_check_at) == (
        utc(2027, 3, 1, 9, 48), utc(2027, 3, 1, 10), utc(2027, 3, 1, 9, 48))
    assert sla.sweep(utc(2027, 3, 1, 9, 47)).warned == 0
    assert sla.sweep(utc(2027, 3, 1, 9, 50)).warned == 1
    assert clock_of(conversation, Metric.FIRST_REPLY).next_check_at == utc(2027, 3, 1, 10)
    before = everything()
    result = sla.sweep(utc(2027, 3, 1, 9, 55))
    assert (result.warned, result.breached, result.escalated) == (0, 0, 0)
    assert everything() == before  # idempotent
    result = sla.sweep(utc(2027, 3, 1, 10, 5))
    assert (result.warned, result.breached) == (0, 1)
    assert sla_events() == [(EventKind.SLA_WARNING, utc(2027, 3, 1, 9, 48), "first_reply"),
                            (EventKind.SLA_BREACHED, utc(2027, 3, 1, 10), "first_reply")]
    before = everything()
    sla.sweep(utc(2027, 3, 1, 10, 6))
    sla.sweep(utc(2027, 3, 1, 10, 6))  # the very same instant again
    assert everything() == before
    assert clock_of(conversation, Metric.FIRST_REPLY).next_check_at is None


def test_a_clock_found_past_due_is_only_breached():
    make_policy(business_hours=False, targets={Metric.FIRST_REPLY: 60})
    open_conversation()
    result = sla.sweep(utc(2027, 3, 1, 12))
    assert (result.warned, result.breached) == (0, 1)
    assert [kind for kind, *_ in sla_events()] == [EventKind.SLA_BREACHED]
    clock = SlaClock.objects.get()
    assert clock.warned_at == utc(2027, 3, 1, 9, 48)  # it counts as warned (badge, board)


def test_sweep_and_refresh_write_the_same_data_keys():
    make_policy(business_hours=False, targets={Metric.FIRST_REPLY: 60})
    swept = open_conversation()
    sla.sweep(utc(2027, 3, 1, 12))
    refreshed = open_conversation()
    with at(utc(2027, 3, 1, 12)):  # replied late, never swept: refresh records the breach
        services.reply(refreshed, make_user(), "Sorry")
        sla.refresh(refreshed.pk)
    a = Event.objects.get(conversation=swept, kind=EventKind.SLA_BREACHED).data
    b = Event.objects.get(conversation=refreshed, kind=EventKind.SLA_BREACHED).data
    assert set(a) == set(b) == {"metric", "clock_id", "policy_id", "priority", "minutes", "hours"}
    assert (a["metric"], a["minutes"], a["hours"], a["priority"]) == (
        "first_reply", 60, "calendar", HIGH)
    assert a["clock_id"] == clock_of(swept, Metric.FIRST_REPLY).pk


def test_a_reply_before_the_sweep_leaves_nothing_to_breach():
    make_policy(business_hours=False, targets={Metric.FIRST_REPLY: 60})
    conversation = open_conversation()
    with at(utc(2027, 3, 1, 9, 59)):
        services.reply(conversation, make_user(), "Here you go")
        sla.refresh(conversation.pk)
    assert sla.sweep(utc(2027, 3, 1, 11)).breached == 0
    assert [kind for kind, *_ in sla_events()] == [EventKind.SLA_MET]


def test_paused_clocks_are_not_swept_and_resume_where_they_were():
    make_policy(business_hours=False, targets={Metric.RESOLUTION: 120})
    conversation = open_conversation()
    with at(utc(2027, 3, 1, 10)):
        services.reply(conversation, make_user(), "Which browser?", status=Status.PENDING)
        sla.refresh(conversation.pk)
    assert sla.sweep(utc(2027, 3, 2)).breached == 0  # a day later: still paused
    with at(utc(2027, 3, 2, 9)):
        services.receive(make_inbound(
            identity_value=conversation.person.identities.get().value, text="Firefox",
            conversation_id=conversation.pk))
        sla.refresh(conversation.pk)
    clock = clock_of(conversation, Metric.RESOLUTION)
    assert (clock.state, clock.due_at) == (ClockState.RUNNING, utc(2027, 3, 2, 10))


def test_escalations_notify_raise_and_hand_over_to_the_team_on_shift():
    tokyo, paris = make_team("Tokyo"), make_team("Paris")
    make_calendar("Tokyo", "Asia/Tokyo", team=tokyo)
    make_calendar("Paris", "Europe/Paris", team=paris)
    lead = make_user(Role.LEAD)
    lead.teams.add(tokyo)
    other_lead = make_user(Role.LEAD)
    agent = make_user()
    agent.teams.add(tokyo)
    make_policy(business_hours=False, targets={Metric.FIRST_REPLY: 60},
                escalations=(("warning", "", "notify_lead"), ("breach", "", "raise_priority"),
                             ("breach", "", "reassign_team")))
    conversation = open_conversation(team=tokyo)  # Monday 18:00 in Tokyo
    services.update(conversation, None, assignee=agent)
    sla.refresh(conversation.pk)

    with at(utc(2027, 3, 1, 9, 50)):  # warning: the Tokyo team's lead
        result = sla.sweep()
    assert (result.warned, result.escalated) == (1, 1)
    [notify] = Event.objects.filter(kind=EventKind.SLA_ESCALATED)
    assert notify.data["trigger"] == "warning" and notify.data["lead_ids"] == [lead.pk]
    assert other_lead.pk not in notify.data["lead_ids"]
    assert sla.sweep(utc(2027, 3, 1, 9, 55)).escalated == 0

    with at(utc(2027, 3, 1, 10, 1)):  # Tokyo closed at 18:00; Paris is open
        result = sla.sweep()
    assert (result.breached, result.escalated) == (1, 1)
    conversation.refresh_from_db()
    assert (conversation.priority, conversation.team, conversation.assignee) == (4, paris, None)
    # written by conversations.services.update, as any change, with no actor
    changes = Event.objects.filter(conversation=conversation, created_at=utc(2027, 3, 1, 10, 1))
    assert {(e.kind, e.actor_id, e.data["from"], e.data["to"]) for e in changes.exclude(
        kind__startswith="sla.")} == {
        (EventKind.PRIORITY_CHANGED, None, HIGH, 4), (EventKind.TEAM_CHANGED, None, tokyo.pk,
                                                      paris.pk),
        (EventKind.ASSIGNEE_CHANGED, None, agent.pk, None)}
    escalation = Event.objects.filter(kind=EventKind.SLA_ESCALATED).latest("pk").data
    assert escalation["actions"] == ["raise_priority", "reassign_team"]
    assert (escalation["from_team"], escalation["to_team"]) == (tokyo.pk, paris.pk)
    assert (escalation["from_priority"], escalation["to_priority"]) == (HIGH, 4)
    # urgent has no target in this policy: the clock is gone, nothing left to do
    before = everything()
    assert sla.sweep(utc(2027, 3, 1, 10, 30)).escalated == 0
    assert everything() == before


def test_no_hand_over_while_the_own_team_is_on_shift():
    paris = make_team("Paris")
    make_calendar("Paris", "Europe/Paris", team=paris)
    make_calendar("Tokyo", "Asia/Tokyo", team=make_team("Tokyo"))
    make_policy(business_hours=False, targets={Metric.FIRST_REPLY: 60},
                escalations=(("breach", "", "reassign_team"),))
    conversation = open_conversation(team=paris)
    assert sla.sweep(utc(2027, 3, 1, 10, 1)).escalated == 1
    conversation.refresh_from_db()
    assert conversation.team == paris
    assert Event.objects.get(kind=EventKind.SLA_ESCALATED).data["actions"] == ["reassign_team"]


def test_the_team_on_shift_longest_takes_over():
    paris, new_york, tokyo = make_team("Paris"), make_team("New York"), make_team("Tokyo")
    make_calendar("Paris", "Europe/Paris", team=paris)
    make_calendar("New York", "America/New_York", team=new_york)
    make_calendar("Tokyo", "Asia/Tokyo", team=tokyo)
    config = sla.Config()
    # Monday 15:00 UTC: Paris (16:00, closes in 1 h) and New York (10:00, 7 h) are open
    assert sla.team_on_shift(config, None, tokyo.pk, utc(2027, 3, 1, 15)) == new_york
    assert sla.team_on_shift(config, None, new_york.pk, utc(2027, 3, 1, 15)) is None
    # Saturday: nobody
    assert sla.team_on_shift(config, None, tokyo.pk, utc(2027, 3, 6, 12)) is None
    # the coverage plan limits the candidates
    plan = CoveragePlan.objects.create(name="Europe only", is_default=True)
    plan.calendars.set(config.calendars.values())
    plan.calendars.remove(*[c for c in config.calendars.values() if c.name == "New York"])
    assert sla.team_on_shift(sla.Config(), None, tokyo.pk, utc(2027, 3, 1, 15)) == paris


def test_escalations_are_capped_per_sweep_and_resumed_by_the_next():
    make_policy(business_hours=False, targets={Metric.FIRST_REPLY: 60},
                escalations=(("breach", "", "notify_lead"),))
    for _ in range(5):
        open_conversation()
    result = sla.sweep(utc(2027, 3, 1, 11), escalation_limit=2)
    assert (result.breached, result.escalated, result.escalations_pending) == (5, 2, 3)
    result = sla.sweep(utc(2027, 3, 1, 11, 1), escalation_limit=2)
    assert (result.breached, result.escalated, result.escalations_pending) == (0, 2, 1)
    assert sla.sweep(utc(2027, 3, 1, 11, 2)).escalated == 1
    assert Event.objects.filter(kind=EventKind.SLA_ESCALATED).count() == 5
    assert not SlaClock.objects.filter(next_check_at__isnull=False).exists()
    state = SweepState.objects.get()
    assert state.runs == 3 and state.counts["escalated"] == 1


def test_a_backlog_is_recorded_a_slice_at_a_time_oldest_first():
    """The first sweep over a history (or after a long outage) records at most
    ``record_limit`` clocks; the next sweeps record the rest, each event at its instant, and
    nothing waiting for its record is escalated before it is recorded."""
    make_policy(business_hours=False, targets={Metric.FIRST_REPLY: 60},
                escalations=(("breach", "", "notify_lead"),))
    conversations = [open_conversation(MONDAY_9 + timedelta(minutes=n)) for n in range(5)]
    late = utc(2027, 3, 2, 9)
    first = sla.sweep(late, record_limit=2, escalation_budget=None)
    assert (first.breached, first.records_pending) == (2, 3)
    breached = [c.pk for c in conversations
                if clock_of(c, Metric.FIRST_REPLY).breached_at is not None]
    assert breached == [c.pk for c in conversations[:2]]  # the oldest
    assert first.escalated == 2 and first.escalations_pending == 0
    second = sla.sweep(late + timedelta(seconds=1), record_limit=2,
                       escalation_budget=None)
    assert (second.breached, second.records_pending, second.escalated) == (2, 1, 2)
    third = sla.sweep(late + timedelta(seconds=2), record_limit=2,
                      escalation_budget=None)
    assert (third.breached, third.records_pending, third.escalated) == (1, 0, 1)
    assert sla.sweep(late + timedelta(seconds=3), record_limit=2) == sla.SweepResult(
        seconds=ANY, bulk_seconds=ANY)
    assert sorted(at for _kind, at, _metric in sla_events(kind=EventKind.SLA_BREACHED)) == [
        MONDAY_9 + timedelta(minutes=n, hours=1) for n in range(5)]
    assert Event.objects.filter(kind=EventKind.SLA_ESCALATED).count() == 5
    assert not SlaClock.objects.filter(next_check_at__isnull=False).exists()


def test_the_sweep_job_goes_on_while_a_backlog_is_left(eager_tasks, monkeypatch):
    from comptoir.sla import tasks

    monkeypatch.setattr(sla, "RECORDS_PER_SWEEP", 2)
    make_policy(business_hours=False, targets={Metric.FIRST_REPLY: 60})
    for n in range(5):
        open_conversation(MONDAY_9 + timedelta(minutes=n))
    with at(utc(2027, 3, 2, 9)):
        tasks.sweep.delay().get()
    assert Event.objects.filter(kind=EventKind.SLA_BREACHED).count() == 5
    assert SweepState.objects.get().runs == 3


def test_a_new_instance_starts_with_fresh_marks():
    make_policy(business_hours=False, targets={Metric.NEXT_REPLY: 30})
    agent = make_user()
    conversation = open_conversation()
    email = conversation.person.identities.get().value
    with at(utc(2027, 3, 1, 9, 5)):
        services.reply(conversation, agent, "Hi")
    with at(utc(2027, 3, 1, 9, 10)):
        services.receive(make_inbound(identity_value=email, conversation_id=conversation.pk))
        sla.refresh(conversation.pk)
    sla.sweep(utc(2027, 3, 1, 10))
    assert clock_of(conversation, Metric.NEXT_REPLY).breached_at == utc(2027, 3, 1, 9, 40)
    with at(utc(2027, 3, 1, 10, 5)):
        services.reply(conversation, agent, "Sorry")
    with at(utc(2027, 3, 1, 10, 10)):
        services.receive(make_inbound(identity_value=email, conversation_id=conversation.pk))
        sla.refresh(conversation.pk)
    clock = clock_of(conversation, Metric.NEXT_REPLY)
    assert (clock.started_at, clock.breached_at, clock.warned_at) == (
        utc(2027, 3, 1, 10, 10), None, None)
    assert clock.next_check_at == utc(2027, 3, 1, 10, 34)


STATES = [ClockState.RUNNING, ClockState.PAUSED, ClockState.MET]
MOMENTS = [None, utc(2027, 3, 1, 9)]


def test_the_sql_next_check_agrees_with_the_python_one():
    """Every combination of state, marks and escalation flags."""
    make_policy(business_hours=False, targets={Metric.FIRST_REPLY: 60})
    conversation = open_conversation()
    due, warn = utc(2027, 3, 1, 10), utc(2027, 3, 1, 9, 48)
    combos = itertools.product(STATES, MOMENTS, MOMENTS, MOMENTS, MOMENTS, [True, False],
                               [True, False], [warn, None, due])
    checked = 0
    for state, warned, breached, w_done, b_done, on_warn, on_breach, warn_at in combos:
        SlaClock.objects.filter(conversation=conversation).update(
            state=state, warned_at=warned, breached_at=breached, warning_escalated_at=w_done,
            breach_escalated_at=b_done, escalate_on_warning=on_warn,
            escalate_on_breach=on_breach, warn_at=warn_at, due_at=due)
        SlaClock.objects.filter(conversation=conversation).update(next_check_at=sla.NEXT_CHECK)
        clock = clock_of(conversation, Metric.FIRST_REPLY)
        assert clock.next_check_at == sla.next_check(clock), (state, warned, breached)
        checked += 1
    assert checked == 3 * 16 * 4 * 3


def test_the_sweep_uses_the_index_range_only(django_assert_max_num_queries):
    make_policy(business_hours=False, targets={Metric.FIRST_REPLY: 60})
    for _ in range(3):
        open_conversation()
    # a fixed number of statements, whatever the number of clocks
    with django_assert_max_num_queries(16):
        result = sla.sweep(utc(2027, 3, 1, 12))
    assert result.breached == 3
    assert not SlaClock.objects.filter(Q(next_check_at__lte=utc(2027, 3, 1, 12))).exists()
    assert timedelta(0) <= timedelta(seconds=result.seconds)


# -- on PostgreSQL, with real concurrent connections ---------------------------------------------


def run_in_thread(target, errors):
    def wrapped():
        try:
            target()
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=wrapped)
    thread.start()
    return thread


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_never_overlap():
    SweepState.objects.get_or_create(pk=1)
    holding, errors, results = threading.Event(), [], []

    def long_sweep():
        with transaction.atomic():
            SweepState.objects.select_for_update().get(pk=1)
            holding.set()
            time.sleep(0.5)

    def second_sweep():
        holding.wait(5)
        results.append(sla.sweep())

    threads = [run_in_thread(long_sweep, errors), run_in_thread(second_sweep, errors)]
    for thread in threads:
        thread.join(15)
    assert not errors
    assert results[0].skipped


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_reply_committed_while_the_sweep_waits_is_not_breached():
    make_policy(business_hours=False, targets={Metric.FIRST_REPLY: 1})
    conversation = make_conversation()
    services.update(conversation, None, priority=HIGH)
    [clock] = sla.refresh(conversation.pk)
    agent = make_user()
    holding, errors, results = threading.Event(), [], []

    def reply():
        with transaction.atomic():
            Conversation.objects.select_for_update().get(pk=conversation.pk)
            list(SlaClock.objects.select_for_update().filter(conversation=conversation))
            holding.set()
            time.sleep(0.5)  # the sweep starts meanwhile and waits for these rows
            services.reply(conversation, agent, "Right away")
            sla.refresh(conversation.pk)

    def sweep():
        holding.wait(5)
        results.append(sla.sweep(clock.due_at + timedelta(minutes=5)))

    threads = [run_in_thread(reply, errors), run_in_thread(sweep, errors)]
    for thread in threads:
        thread.join(15)
    assert not errors
    assert results[0].breached == 0
    assert clock_of(conversation, Metric.FIRST_REPLY).state == ClockState.MET
    assert not Event.objects.filter(kind=EventKind.SLA_BREACHED).exists()


def test_the_command_records_a_whole_backlog(monkeypatch):
    from io import StringIO

    from django.core.management import call_command

    monkeypatch.setattr(sla, "RECORDS_PER_SWEEP", 2)
    make_policy(business_hours=False, targets={Metric.FIRST_REPLY: 60})
    for n in range(5):
        open_conversation(MONDAY_9 + timedelta(minutes=n))
    out = StringIO()
    with at(utc(2027, 3, 1, 12)):
        call_command("sla_refresh", stdout=out)
    assert "5 breaches" in out.getvalue()
    assert SweepState.objects.get().runs == 3


def test_the_command_recomputes_open_clocks_and_sweeps():
    from io import StringIO

    from django.core.management import call_command

    make_policy(business_hours=False, targets={Metric.FIRST_REPLY: 60})
    conversation = open_conversation()
    SlaClock.objects.all().delete()
    out = StringIO()
    with at(utc(2027, 3, 1, 12)):
        call_command("sla_refresh", stdout=out)
    assert "1 conversations" in out.getvalue() and "1 breaches" in out.getvalue()
    assert clock_of(conversation, Metric.FIRST_REPLY).breached_at == utc(2027, 3, 1, 10)
