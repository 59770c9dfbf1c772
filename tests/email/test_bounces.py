"""Delivery reports (RFC 3464) about the email we sent: never a customer's message; a failed
recipient is marked bounced, the reply and its delivery say why, the agents get a note."""

from email import message_from_bytes, policy

import pytest

from comptoir.accounts.models import Role
from comptoir.conversations import services
from comptoir.conversations.models import (
    Conversation,
    Message,
    MessageKind,
    Participant,
    RawInbound,
    RawStatus,
)
from comptoir.email.models import Delivery, DeliveryStatus, Mailbox
from comptoir.email.outbound import compose
from comptoir.email.safety import delivery_report
from comptoir.people.models import Identity, Person

from ..factories import make_user
from .mail import build

pytestmark = pytest.mark.django_db

SUPPORT = "support@acme.test"
LIVE = {"source": "smtp", "mailbox": SUPPORT}
UNKNOWN_USER = "smtp; 550 5.1.1 <ana@example.com>: Recipient address rejected: User unknown"


def dsn(returned: bytes, *, recipient="ana@example.com", action="failed", status="5.1.1",
        diagnostic=UNKNOWN_USER, headers_only=False, number=1) -> bytes:
    """A delivery report as Postfix writes it, returning ``returned`` (or its headers)."""
    if headers_only:
        returned = returned.split(b"\r\n\r\n", 1)[0] + b"\r\n"
    kind = b"text/rfc822-headers" if headers_only else b"message/rfc822"
    return b"\r\n".join([
        b"From: MAILER-DAEMON@mx.example.com (Mail Delivery System)",
        b"To: " + SUPPORT.encode(),
        b"Subject: Undelivered Mail Returned to Sender",
        b"Date: Mon, 06 Jan 2025 10:05:00 +0100",
        b"Message-ID: <dsn-%d@mx.example.com>" % number,
        b"Auto-Submitted: auto-replied",
        b"MIME-Version: 1.0",
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
        b"",
        b"--B",
        b"Content-Description: Notification",
        b"Content-Type: text/plain; charset=us-ascii",
        b"",
        b"This is the mail system at host mx.example.com.",
        b"I'm sorry to have to inform you that your message could not be delivered.",
        b"",
        b"--B",
        b"Content-Description: Delivery report",
        b"Content-Type: message/delivery-status",
        b"",
        b"Reporting-MTA: dns; mx.example.com",
        b"Arrival-Date: Mon,  6 Jan 2025 10:00:01 +0100",
        b"",
        b"Final-Recipient: rfc822; " + recipient.encode(),
        b"Original-Recipient: rfc822;" + recipient.encode(),
        b"Action: " + action.encode(),
        b"Status: " + status.encode(),
        b"Remote-MTA: dns; mail.example.com",
        b"Diagnostic-Code: " + diagnostic.encode(),
        b"",
        b"--B",
        b"Content-Description: Undelivered Message",
        b"Content-Type: " + kind,
        b"",
        returned,
        b"--B--",
        b"",
    ])


def intake(payload: bytes) -> tuple[RawInbound, Message | None]:
    raw = services.store_raw("email", payload, LIVE)
    message = services.process_raw(raw.pk)
    raw.refresh_from_db()
    return raw, message


@pytest.fixture
def sent():
    """A customer's email, our reply to it, and the email that reply became."""
    Mailbox.objects.create(address=SUPPORT, name="Acme Support")
    _raw, first = intake(build(sender="Ana Lima <ana@example.com>", to=SUPPORT,
                               subject="Invoice", headers={"Cc": "Bo <bo@example.com>"})
                         .as_bytes())
    reply = services.reply(first.conversation, make_user(Role.ADVOCATE), "Attached.")
    delivery = Delivery.objects.get(message=reply)
    assert delivery.recipients == ["ana@example.com", "bo@example.com"]
    return reply, compose(delivery).as_bytes()


def notes(conversation_id):
    return list(Message.objects.filter(conversation_id=conversation_id, kind=MessageKind.NOTE)
                .values_list("body_text", flat=True))


def test_a_failed_delivery_marks_the_address_the_reply_and_its_delivery(sent):
    reply, email = sent
    raw, message = intake(dsn(email))
    assert message is None
    assert (raw.status, raw.error) == (RawStatus.IGNORED,
                                       "delivery report for ana@example.com: failed 5.1.1")
    ana = Identity.objects.get(value="ana@example.com")
    assert ana.bounced_at is not None and ana.bounce_reason.startswith("5.1.1 550 5.1.1")
    assert Identity.objects.get(value="bo@example.com").bounced_at is None
    reply.refresh_from_db()
    assert reply.meta["bounce"]["ana@example.com"]["status"] == "5.1.1"
    assert "User unknown" in reply.meta["bounce"]["ana@example.com"]["diagnostic"]
    delivery = Delivery.objects.get(message=reply)
    assert delivery.status == DeliveryStatus.BOUNCED and "ana@example.com" in delivery.error
    [note] = notes(reply.conversation_id)
    assert note.startswith("Delivery to ana@example.com failed: 5.1.1 550 5.1.1")
    assert Message.objects.get(body_text=note).author is None
    # nobody wrote to us: no conversation, no person for the mail system
    assert Conversation.objects.count() == 1
    assert not Person.objects.filter(identities__value__startswith="mailer-daemon").exists()
    # the same report delivered again: one note still
    intake(b"Received: from relay\r\n" + dsn(email))
    assert len(notes(reply.conversation_id)) == 1
    assert RawInbound.objects.filter(status=RawStatus.IGNORED).count() == 2


def test_a_report_with_the_returned_headers_only(sent):
    reply, email = sent
    raw, _ = intake(dsn(email, headers_only=True, recipient="bo@example.com"))
    assert raw.error == "delivery report for bo@example.com: failed 5.1.1"
    assert Identity.objects.get(value="bo@example.com").bounced_at is not None
    assert Identity.objects.get(value="ana@example.com").bounced_at is None
    reply.refresh_from_db()
    assert list(reply.meta["bounce"]) == ["bo@example.com"]


def test_a_delayed_delivery_is_only_told(sent):
    reply, email = sent
    raw, _ = intake(dsn(email, action="delayed", status="4.4.1",
                        diagnostic="X-Postfix; connect to mail.example.com: timed out"))
    assert raw.error == "delivery report for ana@example.com: delayed 4.4.1"
    assert not Identity.objects.filter(bounced_at__isnull=False).exists()
    reply.refresh_from_db()
    assert "bounce" not in reply.meta
    assert Delivery.objects.get(message=reply).status == DeliveryStatus.QUEUED
    [note] = notes(reply.conversation_id)
    assert note.startswith("Delivery to ana@example.com is delayed (4.4.1")


def test_a_report_about_mail_we_did_not_send_is_ignored_with_why(sent):
    _reply, _email = sent
    stranger = build(sender=SUPPORT, to="ana@example.com", message_id="<not-ours@x.example>")
    raw, message = intake(dsn(stranger.as_bytes()))
    assert message is None and raw.status == RawStatus.IGNORED
    assert raw.error == ("delivery report for ana@example.com: failed 5.1.1 "
                         "(not about an email we sent)")
    assert not Identity.objects.filter(bounced_at__isnull=False).exists()
    assert not Message.objects.filter(kind=MessageKind.NOTE).exists()


def test_a_report_cannot_mark_someone_we_did_not_send_to(sent):
    reply, email = sent
    Identity.objects.create(person=Person.objects.create(name="Cy"), kind="email",
                            value="cy@example.com")
    intake(dsn(email, recipient="cy@example.com"))
    assert Identity.objects.get(value="cy@example.com").bounced_at is None
    assert Delivery.objects.get(message=reply).status == DeliveryStatus.QUEUED


def test_a_bounced_acknowledgement(sent):
    reply, _email = sent
    ack = Delivery.objects.create(conversation=reply.conversation, kind="ack",
                                  rfc_message_id="<ack-1@acme.test>", sender=SUPPORT,
                                  recipients=["ana@example.com"])
    returned = build(sender=SUPPORT, to="ana@example.com", message_id="<ack-1@acme.test>")
    intake(dsn(returned.as_bytes()))
    ack.refresh_from_db()
    assert ack.status == DeliveryStatus.BOUNCED
    assert Identity.objects.get(value="ana@example.com").bounced_at is not None
    assert len(notes(reply.conversation_id)) == 1


def test_a_customer_forwarding_a_bounce_is_a_customers_message(sent):
    _reply, email = sent
    forward = build(sender="Ana Lima <ana@example.com>", to=SUPPORT, subject="Fwd: bounce",
                    text="Why did this bounce?")
    forward.add_attachment(message_from_bytes(dsn(email), policy=policy.default))
    raw, message = intake(forward.as_bytes())
    assert raw.status == RawStatus.PROCESSED and message.body_text.startswith("Why")
    assert "report" not in message.meta
    assert not Identity.objects.filter(bounced_at__isnull=False).exists()


def test_a_report_replayed_by_a_person_becomes_a_message(sent):
    reply, email = sent
    raw, _ = intake(dsn(email))
    message = services.process_raw(raw.pk, force=True)
    assert message.meta["auto"] == "auto-submitted: auto-replied"
    assert message.meta["report"]["recipients"][0]["status"] == "5.1.1"
    assert message.meta["report"]["message_id"] == reply.external_id
    assert len(notes(reply.conversation_id)) == 1  # not applied twice
    assert not Participant.objects.filter(person=message.person).exists()


def test_delivery_report_reader():
    assert delivery_report(build().as_bytes()) is None
    assert delivery_report(b"\xff\x00 junk") is None
    returned = build(message_id="<orig@acme.test>").as_bytes()
    report = delivery_report(dsn(returned, recipient="Ana@Example.com"))
    assert report == {"message_id": "<orig@acme.test>", "recipients": [{
        "recipient": "ana@example.com", "original": "ana@example.com", "action": "failed",
        "status": "5.1.1",
        "diagnostic": "550 5.1.1 <ana@example.com>: Recipient address rejected: User unknown",
    }]}
