"""Clocks: when they start, pause, resume and stop, against the research's worked examples.

``shared/research/sla-business-hours.md`` example A (pause, weekend, holiday) is played
through the real services and the sweep, minute for minute; ``shared/research/metrics.md``'s
Berlin example checks the outcomes of every target on the pure module.
"""

from datetime import date

import pytest

from comptoir.conversations import services
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import Event, Status
from comptoir.reports import metrics
from comptoir.sla import clocks
from comptoir.sla import services as sla
from comptoir.sla.calendar import BusinessCalendar
from comptoir.sla.models import ClockState, Metric

from ..factories import make_inbound, make_user
from .conftest import HIGH, at, clock_of, make_calendar, make_policy, set_priority, utc

pytestmark = pytest.mark.django_db

CUSTOMER = "client-a@example.com"


def customer_writes(conversation=None, text="Hello"):
    inbound = make_inbound(identity_value=CUSTOMER, text=text,
                           conversation_id=conversation.pk if conversation else None)
    return services.receive(inbound).conversation


def sla_events(conversation, kind):
    return list(Event.objects.filter(conversation=conversation, kind=kind)
                .order_by("created_at").values_list("created_at", "data__metric"))


# -- Example A: pause, weekend, holiday (research/sla-business-hours.md) ---------------------


def test_example_a_through_the_services_and_the_sweep(policy_a):
    agent = make_user()
    # 1. Wed 2026-12-23 15:00 UTC (16:00 Paris): the customer writes.
    with at(utc(2026, 12, 23, 15)):
        conversation = customer_writes()
        set_priority(conversation, HIGH)
        sla.refresh(conversation.pk)
    first = clock_of(conversation, Metric.FIRST_REPLY)
    assert first.state == ClockState.RUNNING
    assert first.due_at == utc(2026, 12, 24, 11)  # 60 Wed + 180 Thu
    # without a pause, requester wait would be due Mon 12-28 15:00 UTC
    assert clock_of(conversation, Metric.RESOLUTION).due_at == utc(2026, 12, 28, 15)
    assert not conversation.sla_clocks.filter(metric=Metric.NEXT_REPLY).exists()

    # 2. Thu 10:30 UTC: agent reply, pending — first reply achieved, requester wait pauses.
    with at(utc(2026, 12, 24, 10, 30)):
        services.reply(conversation, agent, "Could you send a screenshot?",
                       status=Status.PENDING)
        sla.refresh(conversation.pk)
    first = clock_of(conversation, Metric.FIRST_REPLY)
    assert (first.state, first.fulfilled_at) == (ClockState.MET, utc(2026, 12, 24, 10, 30))
    assert sla_events(conversation, EventKind.SLA_MET) == [
        (utc(2026, 12, 24, 10, 30), "first_reply")]
    wait = clock_of(conversation, Metric.RESOLUTION)
    assert (wait.state, wait.used_minutes, wait.due_at) == (ClockState.PAUSED, 210, None)
    assert wait.paused_at == utc(2026, 12, 24, 10, 30) and wait.next_check_at is None

    # 3. Thu 15:00 UTC: the customer replies → open: requester wait resumes, 750 left.
    with at(utc(2026, 12, 24, 15)):
        customer_writes(conversation, "Here it is")
        sla.refresh(conversation.pk)
    wait = clock_of(conversation, Metric.RESOLUTION)
    assert (wait.state, wait.due_at) == (ClockState.RUNNING, utc(2026, 12, 29, 11, 30))
    assert wait.warn_at == utc(2026, 12, 29, 8, 18)  # 768th minute used
    nrt = clock_of(conversation, Metric.NEXT_REPLY)
    assert (nrt.state, nrt.due_at) == (ClockState.RUNNING, utc(2026, 12, 28, 9))

    # 4. Mon 12-28 08:45 UTC: agent reply, on hold — next reply achieved (105 business
    # minutes); on hold does not pause requester wait.
    with at(utc(2026, 12, 28, 8, 45)):
        services.reply(conversation, agent, "A fix is on its way", status=Status.ON_HOLD)
        sla.refresh(conversation.pk)
    nrt = clock_of(conversation, Metric.NEXT_REPLY)
    assert (nrt.state, nrt.used_minutes) == (ClockState.MET, 105)
    wait = clock_of(conversation, Metric.RESOLUTION)
    assert (wait.state, wait.due_at) == (ClockState.RUNNING, utc(2026, 12, 29, 11, 30))

    # 5. Tue 12-29 08:18 UTC: the sweep warns at 80% (not a minute earlier).
    assert sla.sweep(utc(2026, 12, 29, 8, 17)).warned == 0
    result = sla.sweep(utc(2026, 12, 29, 8, 18))
    assert (result.warned, result.breached) == (1, 0)
    assert sla_events(conversation, EventKind.SLA_WARNING) == [
        (utc(2026, 12, 29, 8, 18), "resolution")]
    # 6. Tue 11:30 UTC: breach, recorded at the due instant; a second sweep writes nothing.
    assert sla.sweep(utc(2026, 12, 29, 11, 29)).breached == 0
    assert sla.sweep(utc(2026, 12, 29, 11, 31)).breached == 1
    assert sla.sweep(utc(2026, 12, 29, 11, 32)) .breached == 0
    assert sla_events(conversation, EventKind.SLA_BREACHED) == [
        (utc(2026, 12, 29, 11, 30), "resolution")]
    wait = clock_of(conversation, Metric.RESOLUTION)
    assert wait.breached_at == utc(2026, 12, 29, 11, 30) and wait.next_check_at is None

    # 7. Tue 13:00 UTC: solved — closed (breached), 1,050 minutes used; no second breach.
    with at(utc(2026, 12, 29, 13)):
        services.update(conversation, agent, status=Status.SOLVED)
        sla.refresh(conversation.pk)
    wait = clock_of(conversation, Metric.RESOLUTION)
    assert (wait.state, wait.used_minutes) == (ClockState.MISSED, 1050)
    assert wait.fulfilled_at == utc(2026, 12, 29, 13)
    assert len(sla_events(conversation, EventKind.SLA_BREACHED)) == 1
    assert len(sla_events(conversation, EventKind.SLA_MET)) == 2


def test_example_a_in_calendar_hours_first_reply_is_due_at_19_and_breached():
    make_policy(business_hours=False, targets={Metric.FIRST_REPLY: 240})
    with at(utc(2026, 12, 23, 15)):
        conversation = customer_writes()
        set_priority(conversation, HIGH)
        sla.refresh(conversation.pk)
    assert clock_of(conversation, Metric.FIRST_REPLY).due_at == utc(2026, 12, 23, 19)
    with at(utc(2026, 12, 24, 10, 30)):
        services.reply(conversation, make_user(), "Sorry for the wait")
        sla.refresh(conversation.pk)
    first = clock_of(conversation, Metric.FIRST_REPLY)
    assert first.state == ClockState.MISSED
    # never swept: the breach is recorded by the refresh, at the due instant
    assert sla_events(conversation, EventKind.SLA_BREACHED) == [
        (utc(2026, 12, 23, 19), "first_reply")]


def test_a_zendesk_style_warning_15_calendar_minutes_before_due(paris_a):
    make_policy(calendar=paris_a, warn_percent=None, warn_before_minutes=15,
                targets={Metric.RESOLUTION: 750})
    with at(utc(2026, 12, 24, 15)):
        conversation = customer_writes()
        set_priority(conversation, HIGH)
        sla.refresh(conversation.pk)
    wait = clock_of(conversation, Metric.RESOLUTION)
    assert (wait.due_at, wait.warn_at) == (utc(2026, 12, 29, 11, 30), utc(2026, 12, 29, 11, 15))


def test_agent_work_also_pauses_on_hold(paris_a):
    make_policy(calendar=paris_a, pauses_on_hold=True, targets={Metric.RESOLUTION: 960})
    agent = make_user()
    with at(utc(2026, 12, 23, 15)):
        conversation = customer_writes()
        set_priority(conversation, HIGH)
    with at(utc(2026, 12, 28, 8, 45)):
        services.reply(conversation, agent, "On hold while we fix it", status=Status.ON_HOLD)
        sla.refresh(conversation.pk)
    wait = clock_of(conversation, Metric.RESOLUTION)
    # Wed 60 + Thu 480 (Fri holiday, weekend) = 540; Mon 08:45 UTC is 09:45 Paris: + 45
    assert (wait.state, wait.used_minutes, wait.due_at) == (ClockState.PAUSED, 585, None)


def test_priority_change_applies_the_new_priority_targets(paris_a):
    policy = make_policy(calendar=paris_a, targets={Metric.FIRST_REPLY: 240})
    policy.targets.create(priority=4, metric=Metric.FIRST_REPLY, minutes=60)
    with at(utc(2026, 12, 23, 15)):
        conversation = customer_writes()
        set_priority(conversation, HIGH)
        sla.refresh(conversation.pk)
    assert clock_of(conversation, Metric.FIRST_REPLY).due_at == utc(2026, 12, 24, 11)
    with at(utc(2026, 12, 23, 15, 30)):
        set_priority(conversation, 4)
        sla.refresh(conversation.pk)
    first = clock_of(conversation, Metric.FIRST_REPLY)
    assert (first.priority, first.minutes, first.due_at) == (4, 60, utc(2026, 12, 23, 16))
    with at(utc(2026, 12, 23, 15, 31)):
        set_priority(conversation, 2)  # no target at normal priority: no clock
        sla.refresh(conversation.pk)
    assert not conversation.sla_clocks.exists()


def test_next_reply_is_one_instance_per_customer_turn(paris_a):
    make_policy(calendar=paris_a, targets={Metric.NEXT_REPLY: 120})
    agent = make_user()
    with at(utc(2026, 12, 21, 9)):  # Monday 10:00 Paris
        conversation = customer_writes()
        set_priority(conversation, HIGH)
        sla.refresh(conversation.pk)
    assert not conversation.sla_clocks.exists()  # the first turn is the first reply's
    with at(utc(2026, 12, 21, 9, 30)):
        services.reply(conversation, agent, "Hello")
    with at(utc(2026, 12, 21, 10)):
        customer_writes(conversation, "One more thing")
    with at(utc(2026, 12, 21, 10, 5)):
        customer_writes(conversation, "And another")  # the same turn
        sla.refresh(conversation.pk)
    nrt = clock_of(conversation, Metric.NEXT_REPLY)
    assert (nrt.started_at, nrt.due_at) == (utc(2026, 12, 21, 10), utc(2026, 12, 21, 12))
    with at(utc(2026, 12, 21, 13)):
        services.reply(conversation, agent, "Late answer")
        sla.refresh(conversation.pk)
    assert clock_of(conversation, Metric.NEXT_REPLY).state == ClockState.MISSED
    with at(utc(2026, 12, 21, 14)):
        customer_writes(conversation, "Thanks, but…")
        sla.refresh(conversation.pk)
    nrt = clock_of(conversation, Metric.NEXT_REPLY)  # a new instance, marks reset
    assert (nrt.state, nrt.started_at, nrt.breached_at) == (
        ClockState.RUNNING, utc(2026, 12, 21, 14), None)
    assert sla_events(conversation, EventKind.SLA_BREACHED) == [
        (utc(2026, 12, 21, 12), "next_reply")]


def test_a_note_is_not_a_reply_and_solving_stops_reply_clocks(paris_a):
    make_policy(calendar=paris_a, targets={Metric.FIRST_REPLY: 240})
    agent = make_user()
    with at(utc(2026, 12, 21, 9)):
        conversation = customer_writes()
        set_priority(conversation, HIGH)
    with at(utc(2026, 12, 21, 9, 30)):
        services.add_note(conversation, agent, "Looking")
        sla.refresh(conversation.pk)
    assert clock_of(conversation, Metric.FIRST_REPLY).state == ClockState.RUNNING
    with at(utc(2026, 12, 21, 9, 40)):
        services.update(conversation, agent, status=Status.SOLVED)
        sla.refresh(conversation.pk)
    first = clock_of(conversation, Metric.FIRST_REPLY)
    assert (first.state, first.next_check_at) == (ClockState.STOPPED, None)
    assert not Event.objects.filter(kind__startswith="sla.").exists()


def test_resolution_runs_again_after_a_reopen_keeping_the_wait_counted(paris_a):
    make_policy(calendar=paris_a, targets={Metric.RESOLUTION: 960})
    agent = make_user()
    with at(utc(2026, 12, 21, 9)):  # Monday 10:00 Paris
        conversation = customer_writes()
        set_priority(conversation, HIGH)
    with at(utc(2026, 12, 21, 11)):
        services.reply(conversation, agent, "Fixed", status=Status.SOLVED)
        sla.refresh(conversation.pk)
    assert clock_of(conversation, Metric.RESOLUTION).state == ClockState.MET
    with at(utc(2026, 12, 22, 9)):  # Tuesday 10:00 Paris: it is not fixed after all
        customer_writes(conversation, "Still broken")
        sla.refresh(conversation.pk)
    wait = clock_of(conversation, Metric.RESOLUTION)
    assert wait.state == ClockState.RUNNING
    # 120 used on Monday; 840 left from Tuesday 10:00 Paris: Tue 420, Wed 420 → 16:00 Paris
    assert wait.due_at == utc(2026, 12, 23, 15)


def test_a_conversation_opened_by_an_agent_has_no_first_reply_until_the_customer_writes():
    make_policy(business_hours=False, targets={Metric.FIRST_REPLY: 60})
    history = metrics.ConversationHistory(
        1, 1, "email", utc(2027, 2, 1, 9), created_by_agent=True,
        events=[metrics.Event(utc(2027, 2, 1, 9), metrics.REPLY_SENT, by_agent=True, public=True)])
    target = clocks.Target(Metric.FIRST_REPLY, 60)
    assert clocks.instances(history, target, clocks.CALENDAR_HOURS,
                            as_of=utc(2027, 2, 1, 12)) == []


def test_a_free_plan_without_policy_has_no_clocks():
    conversation = customer_writes()
    assert sla.refresh(conversation.pk) == []


# -- metrics.md's Berlin example: every target's outcome, on the pure module ---------------------

BERLIN = BusinessCalendar("Europe/Berlin", {d: [("09:00", "17:00")] for d in range(5)})


def berlin_history():
    e = metrics.Event
    created = utc(2027, 2, 4, 15, 10)
    events = [
        e(created, metrics.CONVERSATION_CREATED),
        e(created, metrics.MESSAGE_RECEIVED, public=True),
        e(utc(2027, 2, 4, 15, 40), metrics.NOTE_ADDED, by_agent=True),
        e(utc(2027, 2, 4, 15, 40), metrics.STATUS_CHANGED, data={"from": "new", "to": "open"}),
        e(utc(2027, 2, 5, 8, 30), metrics.REPLY_SENT, by_agent=True, public=True),
        e(utc(2027, 2, 5, 8, 30), metrics.STATUS_CHANGED,
          data={"from": "open", "to": "pending"}),
        e(utc(2027, 2, 5, 10), metrics.MESSAGE_RECEIVED, public=True),
        e(utc(2027, 2, 5, 10), metrics.STATUS_CHANGED, data={"from": "pending", "to": "open"}),
        e(utc(2027, 2, 5, 10, 45), metrics.REPLY_SENT, by_agent=True, public=True),
        e(utc(2027, 2, 5, 10, 45), metrics.STATUS_CHANGED,
          data={"from": "open", "to": "on_hold"}),
        e(utc(2027, 2, 8, 9), metrics.REPLY_SENT, by_agent=True, public=True),
        e(utc(2027, 2, 8, 9), metrics.STATUS_CHANGED, data={"from": "on_hold", "to": "solved"}),
        e(utc(2027, 2, 9, 7, 30), metrics.MESSAGE_RECEIVED, public=True),
        e(utc(2027, 2, 9, 7, 30), metrics.REOPENED, data={"from": "solved"}),
        e(utc(2027, 2, 9, 7, 30), metrics.STATUS_CHANGED, data={"from": "solved", "to": "open"}),
        e(utc(2027, 2, 9, 9, 15), metrics.REPLY_SENT, by_agent=True, public=True),
        e(utc(2027, 2, 9, 9, 15), metrics.STATUS_CHANGED, data={"from": "open", "to": "solved"}),
    ]
    return metrics.ConversationHistory(1, 1, "email", created, events=events)


@pytest.mark.parametrize(("metric", "minutes", "hours", "expected"), [
    # business hours: FRT achieved (due Fri 09:10), NRT #1 achieved, NRT #2 breached at
    # Tue 09:00, requester wait breached at Mon 08:40 (its 480th minute)
    (Metric.FIRST_REPLY, 120, BERLIN, [("met", utc(2027, 2, 5, 9, 10))]),
    (Metric.NEXT_REPLY, 60, BERLIN, [("met", utc(2027, 2, 5, 11)),
                                     ("missed", utc(2027, 2, 9, 9))]),
    (Metric.RESOLUTION, 480, BERLIN, [("missed", utc(2027, 2, 8, 8, 40))]),
    # calendar hours: FRT Thu 17:10, NRT #2 Tue 08:30, requester wait Thu 23:10
    (Metric.FIRST_REPLY, 120, clocks.CALENDAR_HOURS, [("missed", utc(2027, 2, 4, 17, 10))]),
    (Metric.NEXT_REPLY, 60, clocks.CALENDAR_HOURS, [("met", utc(2027, 2, 5, 11)),
                                                    ("missed", utc(2027, 2, 9, 8, 30))]),
    (Metric.RESOLUTION, 480, clocks.CALENDAR_HOURS, [("missed", utc(2027, 2, 4, 23, 10))]),
])
def test_metrics_worked_example_outcomes(metric, minutes, hours, expected):
    found = clocks.instances(berlin_history(), clocks.Target(metric, minutes), hours,
                             as_of=utc(2027, 2, 10))
    assert [(i.state, i.due_at) for i in found] == expected


def test_berlin_requester_wait_counts_575_business_minutes_like_the_metrics_module():
    [wait] = clocks.instances(berlin_history(), clocks.Target(Metric.RESOLUTION, 10_000), BERLIN,
                              as_of=utc(2027, 2, 10))
    assert (wait.state, wait.used_minutes) == ("met", 575)


def test_periodic_update_pauses_while_pending_and_is_fulfilled_by_each_reply():
    [first, second, third, fourth] = clocks.instances(
        berlin_history(), clocks.Target(Metric.PERIODIC_UPDATE, 60), BERLIN,
        as_of=utc(2027, 2, 10))
    # from the reply of Fri 08:30: pending 08:30–10:00 is not counted; open from 10:00
    # (11:00 Berlin) to the reply at 10:45: 45 minutes used → met
    assert (first.state, first.used_minutes) == ("met", 45)
    # from Fri 10:45, on hold (counted): 60 minutes reached Fri 11:45 UTC → missed
    assert (second.state, second.due_at) == ("missed", utc(2027, 2, 5, 11, 45))
    # from the reply of Mon 09:00 that solved it: solved time does not count; reopened Tue
    # 07:30 UTC (08:30 Berlin), it counts from 09:00 Berlin: 60 minutes at 09:00 UTC
    assert (third.state, third.due_at) == ("missed", utc(2027, 2, 9, 9))
    # the last reply solved it again: nothing to update until it reopens
    assert (fourth.state, fourth.due_at) == ("stopped", None)


def test_holidays_from_the_package_close_the_calendar(db):
    calendar = make_calendar("France", country="FR")
    pure = calendar.to_business_calendar(years=(2027,))
    assert date(2027, 5, 1) in pure.holidays  # Fête du Travail
    assert not pure.is_open(utc(2027, 7, 14, 10))  # Bastille Day, a Wednesday
    assert pure.is_open(utc(2027, 7, 15, 10))


def test_years_around_covers_last_and_next_year():
    assert sla.years_around(utc(2027, 1, 3)) == (2026, 2027, 2028)
    assert sla.years_around(utc(2025, 5, 1), utc(2027, 1, 3)) == (2025, 2026, 2027, 2028)


def test_a_message_dated_in_the_future_answered_before_that_date_meets_its_target():
    """A sender's clock ahead of ours: the message is dated 20 minutes from now and answered
    at once. The clock is met with nothing counted, and storing the reply does not fail."""
    make_policy(business_hours=False, targets={Metric.FIRST_REPLY: 240})
    with at(utc(2026, 12, 23, 15)):
        inbound = make_inbound(identity_value=CUSTOMER, received_at=utc(2026, 12, 23, 15, 20))
        conversation = services.receive(inbound).conversation
        set_priority(conversation, HIGH)
        services.reply(conversation, make_user(), "Already on it")
        sla.refresh(conversation.pk)
    first = clock_of(conversation, Metric.FIRST_REPLY)
    assert (first.state, first.used_minutes) == (ClockState.MET, 0)


@pytest.mark.django_db
def test_refreshing_clocks_reads_only_the_conversations_events_on_sqlite():
    """The clocks of a batch are refreshed from their conversations' events, found by
    conversation: asked for the clock kinds too, SQLite (no statistics) walked the kind index,
    every such event of the table (90 ms a batch at 200,000 messages instead of 1 ms)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL plans this query from its statistics")
    make_policy(business_hours=False, targets={Metric.FIRST_REPLY: 240})
    conversations = [services.receive(make_inbound(identity_value=f"client-{n}@example.com",
                                                   text=f"Hello {n}")).conversation
                     for n in range(30)]  # from 25, SQLite preferred the kind index
    for conversation in conversations:
        set_priority(conversation, HIGH)  # the policy's
    with CaptureQueriesContext(connection) as queries:
        sla.refresh_many([c.pk for c in conversations])
    reads = [q["sql"] for q in queries.captured_queries
             if q["sql"].startswith("SELECT") and 'FROM "conversations_event"' in q["sql"]]
    assert reads
    with connection.cursor() as cursor:
        for sql in reads:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            plan = " ".join(str(row) for row in cursor.fetchall())
            assert "event_conv_time" in plan and "event_kind_time" not in plan, plan
    assert all(clock_of(c, Metric.FIRST_REPLY) is not None for c in conversations)
