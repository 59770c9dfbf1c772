"""`import-mail` in batches: each batch stored raw before it is parsed, processed in one
transaction, with routing and service-level clocks as if the messages came one by one."""

import mailbox

import pytest

from comptoir.conversations import services as conversations
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import (
    Conversation,
    Event,
    Message,
    Priority,
    RawInbound,
    RawStatus,
)
from comptoir.email import services
from comptoir.email.models import Mailbox
from comptoir.routing import services as routing
from comptoir.routing.models import RoutingDecision, Trigger, WorkingHours
from comptoir.sla.models import Metric, PlanTier, SlaClock

from ..factories import make_team, make_user
from ..sla.conftest import make_policy
from .mail import build

pytestmark = pytest.mark.django_db

ALWAYS = {str(day): [["00:00", "24:00"]] for day in range(7)}


@pytest.fixture
def desk():
    """A mailbox whose team has one agent on shift at any hour; customers' plan has an SLA."""
    team = make_team(is_support=True)
    agent = make_user()
    agent.teams.add(team)
    WorkingHours.objects.create(user=agent, weekly_hours=ALWAYS)
    Mailbox.objects.create(address="support@comptoir.test", name="Support", team=team)
    make_policy("Email", business_hours=False, targets={Metric.FIRST_REPLY: 60},
                priority=Priority.NORMAL, plans=("free",))
    return agent


def write_mbox(path, messages):
    box = mailbox.mbox(path, create=True)
    for message in messages:
        box.add(message.as_bytes())
    box.flush()
    box.close()
    return path


def thread_of_five(tmp_path):
    """Two customers: Ana writes, replies twice; Bo writes; Ana's first is delivered twice."""
    first = build(subject="Invoice", text="Where is my invoice?", message_id="<a1@example.com>")
    return write_mbox(tmp_path / "five.mbox", [
        first,
        build(subject="Re: Invoice", text="Any news?", message_id="<a2@example.com>",
              in_reply_to="<a1@example.com>"),
        build(sender="Bo <bo@example.com>", subject="Login", text="I cannot log in.",
              message_id="<b1@example.com>"),
        first,  # the same delivery again: a duplicate
        build(subject="Re: Invoice", text="Found it, thanks", message_id="<a3@example.com>",
              in_reply_to="<a2@example.com>"),
    ])


def test_batches_thread_route_and_clock_like_one_by_one(desk, tmp_path):
    summary = services.import_path(thread_of_five(tmp_path), batch_size=2)
    assert (summary.imported, summary.duplicates, summary.failed) == (4, 1, 0)
    assert RawInbound.objects.count() == 5
    assert not RawInbound.objects.exclude(status=RawStatus.PROCESSED).exists()
    ana, bo = Conversation.objects.order_by("pk")
    assert [ana.subject, ana.message_count, bo.message_count] == ["Invoice", 3, 1]
    # routed once each, at intake, to the agent on shift (across batches: Ana's replies came
    # in later batches and did not route her conversation again)
    decisions = RoutingDecision.objects.order_by("pk")
    assert [(d.conversation_id, d.trigger, d.assignee_id) for d in decisions] == [
        (ana.pk, Trigger.INTAKE, desk.pk), (bo.pk, Trigger.INTAKE, desk.pk)]
    assert Conversation.objects.filter(assignee=desk).count() == 2
    # the first-reply clocks run from each conversation's first message
    for conversation in (ana, bo):
        clock = SlaClock.objects.get(conversation=conversation, metric=Metric.FIRST_REPLY)
        first = Message.objects.filter(conversation=conversation).order_by("created_at")[0]
        assert clock.started_at == first.created_at
        assert clock.minutes == 60


def test_the_same_mail_processed_one_by_one_gives_the_same_result(desk, tmp_path):
    path = thread_of_five(tmp_path)
    services.import_path(path, batch_size=5)
    by_batch = sorted(Conversation.objects.values_list("subject", "message_count", "assignee"))
    clocks = SlaClock.objects.count()
    Conversation.objects.all().delete()
    RawInbound.objects.all().delete()
    for source, payload in services.iter_messages(path):  # as a worker does, message by message
        conversations.process_raw(conversations.store_raw("email", payload,
                                                          {"source": source}).pk)
    assert sorted(Conversation.objects.values_list(
        "subject", "message_count", "assignee")) == by_batch
    assert SlaClock.objects.count() == clocks == 2


def test_a_routing_failure_keeps_the_messages_and_says_why(desk, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("roster unavailable")

    monkeypatch.setattr(routing, "route_many", broken)
    summary = services.import_path(thread_of_five(tmp_path), batch_size=5)
    assert (summary.imported, summary.duplicates, summary.failed) == (4, 1, 0)
    queued = Event.objects.filter(kind=EventKind.ASSIGNMENT_QUEUED)
    assert queued.count() == 2
    assert {e.data["reason"] for e in queued} == {"error"}
    assert "roster unavailable" in queued.first().data["error"]
    assert SlaClock.objects.count() == 2  # the clocks still run


def test_a_batch_whose_transaction_fails_is_processed_one_by_one(desk, tmp_path,
                                                                 monkeypatch):
    from comptoir.sla import services as sla

    calls = []
    refresh_many = sla.refresh_many

    def fails_once(ids, **kwargs):
        calls.append(sorted(ids))
        if len(calls) == 1:
            raise RuntimeError("database hiccup")
        return refresh_many(ids, **kwargs)

    monkeypatch.setattr(sla, "refresh_many", fails_once)
    summary = services.import_path(thread_of_five(tmp_path), batch_size=5)
    assert (summary.imported, summary.duplicates, summary.failed) == (4, 1, 0)
    assert RawInbound.objects.count() == 5  # stored once, before the failed attempt
    assert Message.objects.count() == 4
    assert SlaClock.objects.count() == 2  # one by one: clocks refreshed per message
    assert RoutingDecision.objects.count() == 2


def test_a_failed_message_in_a_batch_keeps_its_reason_and_the_others_go_in(desk, tmp_path):
    box = mailbox.mbox(tmp_path / "mixed.mbox", create=True)
    box.add(build(subject="One", text="First", message_id="<m1@example.com>").as_bytes())
    box.add(b"From: \nSubject: nobody\n\nno sender at all\n")
    box.add(build(subject="Two", text="Second", message_id="<m2@example.com>").as_bytes())
    box.flush()
    box.close()
    summary = services.import_path(tmp_path / "mixed.mbox", batch_size=10)
    assert (summary.imported, summary.failed) == (2, 1)
    failed = RawInbound.objects.get(status=RawStatus.FAILED)
    assert summary.failures[0].raw_id == failed.pk
    assert summary.failures[0].error == failed.error
    assert "no usable sender" in failed.error
    assert failed.attempts == 1


def test_plan_tier_changes_reach_the_next_refresh(desk, tmp_path):
    services.import_path(thread_of_five(tmp_path))
    assert SlaClock.objects.count() == 2
    PlanTier.objects.filter(plan="free").update(sla_policy=None)  # no save(): no updated_at
    conversations.process_raw(conversations.store_raw("email", build(
        sender="Bo <bo@example.com>", subject="Re: Login", text="Still stuck",
        message_id="<b2@example.com>", in_reply_to="<b1@example.com>").as_bytes(), {}).pk)
    bo = Conversation.objects.get(subject="Login")
    assert not SlaClock.objects.filter(conversation=bo).exists()
