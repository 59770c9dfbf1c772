"""Automatic acknowledgements: once per sender and window, in the customer's language, never
to machines, loops, untrusted senders or ourselves; read from what a real SMTP server got."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from comptoir.conversations import services
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import Event, Message
from comptoir.email.models import Delivery, DeliveryStatus, Mailbox
from comptoir.email.outbound import (
    acknowledgement_text,
    maybe_acknowledge,
    read_reply_token,
)
from comptoir.people.models import Identity

from .mail import build
from .test_outbound import SUPPORT, plain_text, running_mta
from .test_outbound import customer_writes as intake

pytestmark = pytest.mark.django_db


@pytest.fixture
def mta(settings):
    with running_mta(settings) as recorder:
        yield recorder


@pytest.fixture(autouse=True)
def _jobs_run_now(eager_tasks, settings, tmp_path):
    settings.VAR_DIR = tmp_path  # the file backend's outbox


@pytest.fixture
def mailbox():
    return Mailbox.objects.create(address=SUPPORT, name="Acme Support", language="en",
                                  auto_ack=True, auto_ack_hours=24)


def customer_writes(*args, **kwargs) -> Message:
    """A customer's email stored by the intake without its acknowledgement, so each test
    below decides when (and after what change) ``maybe_acknowledge`` runs."""
    acks = list(Mailbox.objects.filter(auto_ack=True).values_list("pk", flat=True))
    Mailbox.objects.filter(pk__in=acks).update(auto_ack=False)
    message = intake(*args, **kwargs)
    Mailbox.objects.filter(pk__in=acks).update(auto_ack=True)
    return message


def acknowledge(message, capture):
    with capture(execute=True):
        return maybe_acknowledge(Message.objects.get(pk=message.pk))


def test_the_intake_acknowledges_new_conversations_only(
    mta, mailbox, django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        first = intake(subject="Invoice")
    with django_capture_on_commit_callbacks(execute=True):
        intake(subject="Re: Invoice", text="Also this.", in_reply_to=first.external_id)
        intake(subject="Away", sender="Bo <bo@example.com>",
               headers={"Auto-Submitted": "auto-replied"})
    [email] = mta.messages
    assert email["In-Reply-To"] == first.external_id
    assert Delivery.objects.get().conversation_id == first.conversation_id


def test_a_new_conversation_is_acknowledged_once(
    mta, mailbox, django_capture_on_commit_callbacks,
):
    message = customer_writes(subject="Invoice")
    conversation = message.conversation
    delivery = acknowledge(message, django_capture_on_commit_callbacks)

    [envelope] = mta.envelopes
    assert envelope.mail_from == SUPPORT and envelope.rcpt_tos == ["ana@example.com"]
    [email] = mta.messages
    assert email["Auto-Submitted"] == "auto-replied"
    assert email["X-Auto-Response-Suppress"] == "All"
    assert email["From"].addresses[0].display_name == "Acme Support"
    assert email["Subject"] == "Re: Invoice"
    assert email["In-Reply-To"] == email["References"] == message.external_id
    assert email["Message-ID"] == delivery.rfc_message_id
    assert read_reply_token(email["Reply-To"].addresses[0].addr_spec) == conversation.pk
    assert email["Content-Language"] == "en"
    assert f"#{conversation.pk}" in plain_text(email)
    assert f"#{conversation.pk}" in email.get_body(("html",)).get_content()

    delivery.refresh_from_db()
    assert (delivery.kind, delivery.message, delivery.conversation) == ("ack", None, conversation)
    assert delivery.status == DeliveryStatus.SENT
    # not a message, not a reply: metrics never count it as a first reply
    assert list(conversation.messages.all()) == [message]
    assert not Event.objects.filter(kind=EventKind.REPLY_SENT).exists()
    # asked again (a replayed intake): nothing more
    assert acknowledge(message, django_capture_on_commit_callbacks) is None
    assert len(mta.envelopes) == 1


def test_one_acknowledgement_per_sender_per_window(mailbox, django_capture_on_commit_callbacks):
    first = customer_writes(subject="One")
    assert acknowledge(first, django_capture_on_commit_callbacks) is not None
    second = customer_writes(subject="Two")  # a new conversation, same sender
    assert second.conversation_id != first.conversation_id
    assert acknowledge(second, django_capture_on_commit_callbacks) is None
    other = customer_writes(subject="Three", sender="Bo <bo@example.com>")
    assert acknowledge(other, django_capture_on_commit_callbacks) is not None

    Delivery.objects.filter(recipients=["ana@example.com"]).update(
        created_at=timezone.now() - timedelta(hours=25))
    later = customer_writes(subject="Four")
    assert acknowledge(later, django_capture_on_commit_callbacks) is not None
    assert Delivery.objects.filter(kind="ack").count() == 3


def test_the_acknowledgement_is_in_the_conversation_language(
    mta, mailbox, django_capture_on_commit_callbacks,
):
    english = customer_writes(subject="Invoice")
    french = customer_writes(subject="Facture", sender="Élise <elise@example.fr>")
    services.update(french.conversation, None, language="fr")
    acknowledge(english, django_capture_on_commit_callbacks)
    acknowledge(french, django_capture_on_commit_callbacks)

    sent_en, sent_fr = mta.messages
    assert (sent_en["Content-Language"], sent_fr["Content-Language"]) == ("en", "fr")
    french.conversation.refresh_from_db()
    with translation.override("fr"):
        expected = acknowledgement_text(french.conversation, mailbox)
    assert plain_text(sent_fr) == expected
    assert f"#{french.conversation_id}" in plain_text(sent_fr)
    assert f"#{english.conversation_id}" in plain_text(sent_en)
    assert "Élise" in plain_text(sent_fr)


def _meta(**meta):
    def spoil(message):
        Message.objects.filter(pk=message.pk).update(meta=meta)
    return spoil


@pytest.mark.parametrize("spoil", [
    pytest.param(_meta(auto="auto-submitted"), id="Auto-Submitted"),
    pytest.param(_meta(auto="precedence: bulk"), id="bulk"),
    pytest.param(_meta(loop="too many from this sender"), id="mail loop"),
    pytest.param(_meta(auth={"verdict": "fail"}), id="failed authentication"),
    pytest.param(lambda m: Identity.objects.filter(pk=m.identity_id).update(
        bounced_at=timezone.now()), id="bounced address"),
    pytest.param(lambda m: Mailbox.objects.update(auto_ack=False), id="mailbox without acks"),
    pytest.param(lambda m: Message.objects.filter(pk=m.pk).update(
        created_at=timezone.now() - timedelta(days=2)), id="old mail"),
])
def test_never_acknowledged(spoil, mailbox, django_capture_on_commit_callbacks):
    message = customer_writes()
    spoil(message)
    assert acknowledge(message, django_capture_on_commit_callbacks) is None
    assert not Delivery.objects.exists()


@pytest.mark.parametrize("sender", [
    SUPPORT, "Support <support+2n9c-0123456789abcdef@acme.test>", "billing@acme.test",
    "MAILER-DAEMON@mx.example.com", "no-reply@shop.example", "list-request@lists.example",
])
def test_never_acknowledged_to_us_or_machines(sender, mailbox,
                                              django_capture_on_commit_callbacks):
    Mailbox.objects.create(address="billing@acme.test", name="Billing")
    raw = services.store_raw("email", build(sender=sender, to=SUPPORT).as_bytes(),
                             {"mailbox": SUPPORT})
    message = services.process_raw(raw.pk)  # intake may already drop mail from ourselves
    assert message is None or acknowledge(message, django_capture_on_commit_callbacks) is None
    assert not Delivery.objects.exists()


def test_only_a_new_conversation_is_acknowledged(mailbox, django_capture_on_commit_callbacks):
    first = customer_writes(subject="Help")
    follow_up = customer_writes(subject="Re: Help", text="Also this.",
                                in_reply_to=first.external_id)
    assert follow_up.conversation_id == first.conversation_id
    assert acknowledge(follow_up, django_capture_on_commit_callbacks) is None


def test_mail_not_delivered_to_a_mailbox_is_not_acknowledged(
    mailbox, django_capture_on_commit_callbacks,
):
    message = customer_writes()
    message.raw.meta = {"source": "archive.mbox#1"}  # imported, not delivered to us
    message.raw.save()
    assert acknowledge(message, django_capture_on_commit_callbacks) is None


def test_the_acknowledgement_is_queued_on_commit(mailbox, django_capture_on_commit_callbacks):
    message = customer_writes()
    with django_capture_on_commit_callbacks() as callbacks:
        delivery = maybe_acknowledge(message)
    assert len(callbacks) == 1
    assert Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.QUEUED
