"""Who gets a survey and when: after the delay, once per conversation, never twice to the
same person within the suppression window, never for a reopened conversation, never to
machines or bouncing addresses; by email in the customer's language, or in the chat."""

import email
import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from comptoir.conversations import services as conversations
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import Event, Message, MessageKind
from comptoir.people.models import Identity
from comptoir.reports import services as reports
from comptoir.reports.models import ConversationFacts
from comptoir.surveys import services
from comptoir.surveys.models import SkipReason, Survey, SurveyState

from ..factories import make_conversation, make_inbound
from .conftest import T0, links, outbox, run_beat, solve, solved_conversation

pytestmark = pytest.mark.django_db


def test_the_survey_goes_out_once_the_delay_has_passed(
    agent, mailbox, settings, django_capture_on_commit_callbacks,
):
    conversation = solved_conversation(agent, identity_value="ana@example.com")
    assert run_beat(django_capture_on_commit_callbacks, T0 + timedelta(hours=23, minutes=59)) == 0
    assert not Survey.objects.exists() and outbox(settings) == []

    assert run_beat(django_capture_on_commit_callbacks, T0 + timedelta(hours=24)) == 1
    survey = Survey.objects.get()
    assert survey.conversation == conversation and survey.state == SurveyState.SENT
    assert survey.recipient == "ana@example.com" and survey.solved_at == T0
    assert survey.sent_at == T0 + timedelta(hours=24)
    assert survey.expires_at == survey.sent_at + timedelta(days=14)
    [raw] = outbox(settings)
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["To"].addresses[0].addr_spec == "ana@example.com"
    assert message["Auto-Submitted"] == "auto-generated"
    assert set(links(message.get_body(("plain",)).get_content())) == {"good", "bad"}
    assert Event.objects.filter(conversation=conversation, kind=EventKind.CSAT_OFFERED).count() == 1

    # the beat runs again: nothing new, nothing sent twice
    assert run_beat(django_capture_on_commit_callbacks, T0 + timedelta(hours=25)) == 0
    assert Survey.objects.count() == 1 and len(outbox(settings)) == 1


def test_the_delay_is_a_setting(agent, mailbox, admin_user, django_capture_on_commit_callbacks):
    services.update_settings(admin_user, delay_hours=2)
    solved_conversation(agent)
    assert run_beat(django_capture_on_commit_callbacks, T0 + timedelta(hours=1)) == 0
    assert run_beat(django_capture_on_commit_callbacks, T0 + timedelta(hours=2)) == 1


def test_no_survey_twice_to_the_same_person_within_the_window(
    agent, mailbox, admin_user, django_capture_on_commit_callbacks,
):
    services.update_settings(admin_user, suppression_days=10)
    first = solved_conversation(agent, identity_value="bo@example.com")
    run_beat(django_capture_on_commit_callbacks, T0 + timedelta(days=1))
    again = solved_conversation(agent, T0 + timedelta(days=5), identity_value="bo@example.com")
    later = solved_conversation(agent, T0 + timedelta(days=11), identity_value="bo@example.com")
    assert again.person_id == first.person_id == later.person_id
    run_beat(django_capture_on_commit_callbacks, T0 + timedelta(days=6))
    run_beat(django_capture_on_commit_callbacks, T0 + timedelta(days=12))

    states = {s.conversation_id: (s.state, s.skip_reason) for s in Survey.objects.all()}
    assert states == {
        first.pk: (SurveyState.SENT, ""),
        again.pk: (SurveyState.SKIPPED, SkipReason.SUPPRESSED),  # 4 days after the first
        later.pk: (SurveyState.SENT, ""),  # 11 days after the first
    }


def test_two_conversations_solved_together_make_one_survey(
    agent, mailbox, django_capture_on_commit_callbacks,
):
    a = solved_conversation(agent, identity_value="cy@example.com")
    b = solved_conversation(agent, identity_value="cy@example.com")
    run_beat(django_capture_on_commit_callbacks, T0 + timedelta(days=1))
    assert sorted(Survey.objects.values_list("conversation_id", "state")) == [
        (a.pk, SurveyState.SENT), (b.pk, SurveyState.SKIPPED)]


def test_a_reopened_conversation_is_not_surveyed_until_solved_again(
    agent, mailbox, django_capture_on_commit_callbacks,
):
    conversation = solved_conversation(agent, identity_value="di@example.com")
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        conversations.receive(make_inbound(identity_value="di@example.com",
                                           conversation_id=conversation.pk,
                                           text="Still broken."))
    conversation.refresh_from_db()
    assert conversation.status == "open"
    assert run_beat(django_capture_on_commit_callbacks, T0 + timedelta(days=1)) == 0

    solve(conversation, agent, T0 + timedelta(days=2))
    assert run_beat(django_capture_on_commit_callbacks, T0 + timedelta(days=2, hours=23)) == 0
    assert run_beat(django_capture_on_commit_callbacks, T0 + timedelta(days=3)) == 1
    assert Survey.objects.get().solved_at == T0 + timedelta(days=2)


def test_reopened_after_the_survey_was_made_it_is_not_sent(
    agent, mailbox, settings, django_capture_on_commit_callbacks,
):
    conversation = solved_conversation(agent)
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        survey = services.offer(conversation.pk, T0)  # its send job is not run yet
        conversations.update(conversation, agent, status="open")
        assert services.send(survey.pk) == SurveyState.SKIPPED
    survey.refresh_from_db()
    assert survey.skip_reason == SkipReason.REOPENED and outbox(settings) == []


@pytest.mark.parametrize("change", ["bounced", "daemon", "automated"])
def test_machines_and_bouncing_addresses_are_not_surveyed(
    change, agent, mailbox, settings, django_capture_on_commit_callbacks,
):
    address = "mailer-daemon@example.com" if change == "daemon" else "ed@example.com"
    meta = {"auto": "auto-generated"} if change == "automated" else {}
    conversation = solved_conversation(agent, identity_value=address, meta=meta)
    if change == "bounced":
        Identity.objects.filter(value=address).update(bounced_at=timezone.now())
    run_beat(django_capture_on_commit_callbacks, T0 + timedelta(days=1))
    survey = Survey.objects.get(conversation=conversation)
    assert survey.state == SurveyState.SKIPPED
    assert survey.skip_reason == (SkipReason.BOUNCED if change == "bounced"
                                  else SkipReason.AUTOMATED)
    assert outbox(settings) == []


def test_channels_can_be_switched_off(agent, mailbox, admin_user,
                                      django_capture_on_commit_callbacks):
    services.update_settings(admin_user, channels=["chat"])
    solved_conversation(agent)  # email
    assert run_beat(django_capture_on_commit_callbacks, T0 + timedelta(days=1)) == 0
    services.update_settings(admin_user, is_active=False, channels=["email", "chat"])
    assert run_beat(django_capture_on_commit_callbacks, T0 + timedelta(days=1)) == 0
    assert not Survey.objects.exists()


def test_old_solved_conversations_are_never_surveyed(agent, mailbox,
                                                     django_capture_on_commit_callbacks):
    solved_conversation(agent)
    assert run_beat(django_capture_on_commit_callbacks, T0 + timedelta(days=9)) == 0


def test_the_email_is_in_the_customers_language(agent, mailbox, settings,
                                                django_capture_on_commit_callbacks):
    conversation = solved_conversation(agent, language="fr")
    conversation.person.language = "fr"
    conversation.person.save()
    run_beat(django_capture_on_commit_callbacks, T0 + timedelta(days=1))
    assert Survey.objects.get().language == "fr"
    [raw] = outbox(settings)
    assert email.message_from_bytes(raw, policy=email.policy.default)["Content-Language"] == "fr"


def test_chat_gets_the_survey_inline_and_it_is_not_a_reply(
    agent, django_capture_on_commit_callbacks,
):
    conversation = solved_conversation(agent, channel="chat", identity_kind="chat",
                                       identity_value="visitor-42")
    run_beat(django_capture_on_commit_callbacks, T0 + timedelta(days=1))
    survey = Survey.objects.get()
    assert survey.state == SurveyState.SENT and survey.recipient == ""
    posted = Message.objects.filter(conversation=conversation, kind=MessageKind.REPLY).get()
    assert posted.author is None
    assert set(links(posted.body_text)) == {"good", "bad"}
    conversation.refresh_from_db()
    assert conversation.status == "solved"
    # the survey message is no agent reply: first reply time and reply counts ignore it
    reports.rebuild()
    facts = ConversationFacts.objects.get(conversation=conversation)
    assert facts.replies == 0 and facts.first_reply_at is None
    # a second attempt (a redelivered job) posts nothing more
    Survey.objects.filter(pk=survey.pk).update(state=SurveyState.PENDING, next_attempt_at=None)
    services.send(survey.pk)
    assert Message.objects.filter(conversation=conversation, kind=MessageKind.REPLY).count() == 1


def test_offering_is_idempotent(agent, mailbox):
    conversation = solved_conversation(agent)
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        assert services.offer(conversation.pk, T0) is not None
        assert services.offer(conversation.pk, T0) is None
    assert Survey.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_make_one_survey():
    from comptoir.accounts.models import Role
    from comptoir.email.models import Mailbox

    from ..factories import make_user

    Mailbox.objects.create(address="support@acme.test", name="Acme Support")
    agent = make_user(Role.ADVOCATE)
    conversation = make_conversation()
    conversations.update(conversation, agent, status="solved")
    barrier = threading.Barrier(4)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(services.offer(conversation.pk, timezone.now()))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len([r for r in results if r is not None]) == 1
    assert Survey.objects.filter(conversation=conversation).count() == 1


def test_more_than_a_batch_due_is_offered_over_several_runs(
    agent, mailbox, monkeypatch, django_capture_on_commit_callbacks,
):
    monkeypatch.setattr(services, "OFFER_BATCH", 2)
    solved = [solved_conversation(agent, T0 + timedelta(minutes=n)) for n in range(3)]
    at = T0 + timedelta(days=1, hours=1)
    assert run_beat(django_capture_on_commit_callbacks, at) == 2
    assert run_beat(django_capture_on_commit_callbacks, at) == 1
    assert run_beat(django_capture_on_commit_callbacks, at) == 0
    assert sorted(Survey.objects.values_list("conversation_id", flat=True)) == [
        c.pk for c in solved]


def test_a_run_looks_only_at_what_was_solved_since_the_last_one(
    agent, mailbox, django_capture_on_commit_callbacks,
):
    run_beat(django_capture_on_commit_callbacks, T0 + timedelta(days=1))
    # solved (a backdated import) well before what the last run covered: not looked at
    solved_conversation(agent, T0 - timedelta(hours=2))
    solved_conversation(agent, T0 + timedelta(hours=3))
    assert run_beat(django_capture_on_commit_callbacks, T0 + timedelta(days=1, hours=3)) == 1
