"""Replies leave as real SMTP: aiosmtpd is the receiving server, and every assertion reads
what it received, parsed by the stdlib. Jobs run eagerly when the reply commits."""

import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from comptoir import realtime
from comptoir.accounts.models import Role
from comptoir.conversations import services
from comptoir.conversations.inbound import InboundAttachment
from comptoir.conversations.models import Message, MessageKind, Participant
from comptoir.email.delivery import MAX_ATTEMPTS, backoff, parse_smtp_url
from comptoir.email.models import Delivery, DeliveryStatus, Mailbox
from comptoir.email.outbound import (
    compose,
    read_reply_token,
    reply_mailbox,
    reply_subject,
    reply_token,
    retry_due_deliveries,
    send_delivery,
)
from comptoir.people import services as people
from comptoir.people.models import Identity, IdentityKind, Proof

from ..factories import make_conversation, make_team, make_user
from .mail import build

pytestmark = pytest.mark.django_db

SUPPORT = "support@acme.test"


class Recorder:
    """An MTA that answers DATA with the queued ``answers`` first (e.g. 451), then accepts,
    and refuses RCPT for the addresses in ``refuse``."""

    def __init__(self):
        self.answers: list[str] = []
        self.refuse: set[str] = set()
        self.envelopes = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.answers:
            return self.answers.pop(0)
        self.envelopes.append(envelope)
        return f"250 2.0.0 Ok: queued as Q{len(self.envelopes)}"

    @property
    def messages(self) -> list[EmailMessage]:
        return [message_from_bytes(e.content, policy=policy.default) for e in self.envelopes]


def plain_text(email: EmailMessage) -> str:
    return email.get_body(("plain",)).get_content().replace("\r\n", "\n")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_mta(settings) -> Iterator[Recorder]:
    """A real SMTP server on loopback, that outbound mail is relayed to."""
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.SMTP_URL = f"smtp://127.0.0.1:{controller.port}"
    settings.SMTP_TIMEOUT = 5
    try:
        yield recorder
    finally:
        controller.stop()


@pytest.fixture
def mta(settings):
    with running_mta(settings) as recorder:
        yield recorder


@pytest.fixture(autouse=True)
def _jobs_run_now(eager_tasks, settings, tmp_path):
    settings.VAR_DIR = tmp_path  # the file backend's outbox


@pytest.fixture
def mailbox():
    return Mailbox.objects.create(address=SUPPORT, name="Acme Support", language="en")


def customer_writes(subject="Help", text="Hello, I need help.", *, in_reply_to=None,
                    sender="Ana Lima <ana@example.com>", **kwargs) -> Message:
    """A customer's email, through the raw-first intake, delivered to the support mailbox."""
    raw_bytes = build(sender=sender, to=SUPPORT, subject=subject, text=text,
                      in_reply_to=in_reply_to, **kwargs).as_bytes()
    raw = services.store_raw("email", raw_bytes, {"mailbox": SUPPORT})
    message = services.process_raw(raw.pk)
    assert message is not None, raw.error
    return message


def agent_replies(conversation, agent, text, capture, **kwargs) -> Message:
    with capture(execute=True):
        return services.reply(conversation, agent, text, **kwargs)


def test_a_reply_arrives_as_a_threaded_multipart_email(
    mta, mailbox, django_capture_on_commit_callbacks,
):
    first = customer_writes(subject="Facture en retard — où est-elle ?")
    agent = make_user(Role.ADVOCATE, first_name="Zoë", last_name="Ångström")
    reply = agent_replies(first.conversation, agent, "Bonjour Ana,\nIt is on its way.",
                          django_capture_on_commit_callbacks)

    [envelope] = mta.envelopes
    assert envelope.mail_from == SUPPORT
    assert envelope.rcpt_tos == ["ana@example.com"]
    raw_head = envelope.content.split(b"\r\n\r\n")[0]
    assert raw_head.isascii() and b"=?utf-8?" in raw_head  # RFC 2047 names and subject
    [email] = mta.messages
    assert email["From"].addresses[0].display_name == "Zoë Ångström at Acme Support"
    assert email["From"].addresses[0].addr_spec == SUPPORT
    assert email["To"].addresses[0].addr_spec == "ana@example.com"
    assert email["To"].addresses[0].display_name == "Ana Lima"
    assert email["Subject"] == "Re: Facture en retard — où est-elle ?"
    reply.refresh_from_db()
    assert email["Message-ID"] == reply.external_id == reply.delivery.rfc_message_id
    assert reply.external_id.endswith("@acme.test>")
    assert email["In-Reply-To"] == first.external_id
    assert email["References"] == first.external_id
    reply_to = email["Reply-To"].addresses[0].addr_spec
    assert reply_to.startswith("support+") and reply_to.endswith("@acme.test")
    assert read_reply_token(reply_to) == first.conversation_id
    assert email["Date"].datetime == reply.created_at.replace(microsecond=0)
    assert email["Auto-Submitted"] is None
    assert email["Content-Language"] == "en"
    assert email.get_content_type() == "multipart/alternative"
    assert plain_text(email) == "Bonjour Ana,\nIt is on its way.\n"
    assert "Bonjour Ana,<br>" in email.get_body(("html",)).get_content()

    delivery = reply.delivery
    assert delivery.status == DeliveryStatus.SENT and delivery.sent_at is not None
    assert delivery.kind == "reply" and delivery.attempts == 1 and delivery.error == ""
    [attempt] = delivery.log.all()
    assert attempt.ok and attempt.code == 250 and "queued as Q1" in attempt.response


def test_a_three_message_exchange_threads_both_ways(
    mta, mailbox, django_capture_on_commit_callbacks,
):
    first = customer_writes(subject="Login broken")
    agent = make_user()
    ours = agent_replies(first.conversation, agent, "Which browser?",
                         django_capture_on_commit_callbacks)
    ours.refresh_from_db()
    # the customer's client answers our Message-ID: it threads into the same conversation
    second = customer_writes(subject="Re: Login broken", text="Firefox.",
                             in_reply_to=ours.external_id)
    assert second.conversation_id == first.conversation_id
    agent_replies(first.conversation, agent, "Fixed, thanks!",
                  django_capture_on_commit_callbacks)

    last = mta.messages[-1]
    assert last["Subject"] == "Re: Login broken"
    assert last["In-Reply-To"] == second.external_id
    assert last["References"].split() == [first.external_id, ours.external_id,
                                          second.external_id]


def test_references_keep_the_first_and_the_latest_ids(mailbox, django_capture_on_commit_callbacks):
    first = customer_writes()
    conversation = first.conversation
    start = timezone.now() - timedelta(hours=1)
    Message.objects.filter(pk=first.pk).update(created_at=start)
    for n in range(30):
        Message.objects.create(conversation=conversation, kind=MessageKind.INBOUND,
                               channel="email", external_id=f"<m{n}@example.com>",
                               created_at=start + timedelta(seconds=n + 1))
    reply = services.reply(conversation, make_user(), "Answer")
    references = compose(reply.delivery)["References"].split()
    assert len(references) == 20
    assert references[0] == first.external_id
    assert references[-1] == "<m29@example.com>"
    assert compose(reply.delivery)["In-Reply-To"] == "<m29@example.com>"


def test_html_body_and_attachments_arrive_intact(
    mta, mailbox, django_capture_on_commit_callbacks,
):
    first = customer_writes()
    pdf = bytes(range(256)) * 40
    files = [InboundAttachment("facture-été.pdf", "application/pdf", pdf),
             InboundAttachment("notes.txt", "text/plain", "première ligne\r\nseconde\n".encode())]
    agent_replies(first.conversation, make_user(), "See the invoice.",
                  django_capture_on_commit_callbacks,
                  html="<p>See the <b>invoice</b>.</p>", attachments=files)

    [email] = mta.messages
    assert email.get_content_type() == "multipart/mixed"
    assert plain_text(email) == "See the invoice.\n"
    assert "<b>invoice</b>" in email.get_body(("html",)).get_content()
    received = {part.get_filename(): part for part in email.iter_attachments()}
    assert received["facture-été.pdf"].get_content() == pdf
    assert received["facture-été.pdf"].get_content_type() == "application/pdf"
    assert received["notes.txt"].get_payload(decode=True) == "première ligne\r\nseconde\n".encode()


def test_reply_all_copies_participants_but_not_bounced_ones_nor_us(
    mta, mailbox, django_capture_on_commit_callbacks,
):
    first = customer_writes()
    conversation = first.conversation
    bob = people.resolve_identity("email", "bob@example.com", name="Bob Ünal")
    gone = people.resolve_identity("email", "gone@example.com", name="Gone")
    gone.bounced_at = timezone.now()
    gone.save()
    us = people.resolve_identity("email", SUPPORT, name="Us")
    for identity in (bob, gone, us):
        Participant.objects.create(conversation=conversation, person=identity.person,
                                   identity=identity)
    reply = agent_replies(conversation, make_user(), "Hello both",
                          django_capture_on_commit_callbacks)

    [envelope] = mta.envelopes
    assert envelope.rcpt_tos == ["ana@example.com", "bob@example.com"]
    [email] = mta.messages
    assert [a.addr_spec for a in email["To"].addresses] == ["ana@example.com"]
    assert [(a.display_name, a.addr_spec) for a in email["Cc"].addresses] == [
        ("Bob Ünal", "bob@example.com")]
    reply.refresh_from_db()
    assert reply.meta["skipped_recipients"] == ["gone@example.com"]


def test_the_customer_is_answered_where_they_last_wrote_from(mailbox):
    first = customer_writes()
    Identity.objects.create(person=first.person, kind=IdentityKind.EMAIL,
                            value="ana@work.example", proof=Proof.AGENT)
    customer_writes(sender="Ana <ana@work.example>", in_reply_to=first.external_id)
    customer_writes(sender="Eve <eve@example.net>", in_reply_to=first.external_id)
    reply = services.reply(first.conversation, make_user(), "Hi Ana")
    assert reply.delivery.recipients == ["ana@work.example"]  # never Eve, who threaded in


def test_a_second_run_never_sends_twice(mta, mailbox):
    first = customer_writes()
    reply = services.reply(first.conversation, make_user(), "Once")  # job not run yet
    assert send_delivery(reply.delivery.pk) == DeliveryStatus.SENT
    assert send_delivery(reply.delivery.pk) is None
    assert len(mta.envelopes) == 1
    assert Delivery.objects.get(pk=reply.delivery.pk).attempts == 1


def test_a_delivery_being_sent_is_left_to_its_worker(mta, mailbox):
    first = customer_writes()
    reply = services.reply(first.conversation, make_user(), "Leased")
    leased_until = timezone.now() + timedelta(minutes=5)
    Delivery.objects.filter(pk=reply.delivery.pk).update(attempts=1,
                                                         next_attempt_at=leased_until)
    assert send_delivery(reply.delivery.pk) is None
    assert retry_due_deliveries() == 0
    assert mta.envelopes == []
    # the worker died: once the lease is over, the sweep sends it
    Delivery.objects.filter(pk=reply.delivery.pk).update(next_attempt_at=timezone.now())
    assert retry_due_deliveries() == 1
    assert len(mta.envelopes) == 1


def test_a_temporary_failure_is_retried_with_backoff(mta, mailbox):
    mta.answers = ["451 4.3.0 Greylisted, try again later"]
    first = customer_writes()
    reply = services.reply(first.conversation, make_user(), "Retry me")
    before = timezone.now()
    assert send_delivery(reply.delivery.pk) == DeliveryStatus.DEFERRED
    delivery = Delivery.objects.get(pk=reply.delivery.pk)
    assert "Greylisted" in delivery.error and delivery.attempts == 1
    assert before + timedelta(minutes=1) <= delivery.next_attempt_at
    assert delivery.next_attempt_at <= timezone.now() + timedelta(minutes=1)
    assert retry_due_deliveries() == 0  # not due yet
    assert mta.envelopes == []

    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert retry_due_deliveries() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 2
    assert delivery.error == "" and delivery.next_attempt_at is None
    assert [(a.ok, a.code) for a in delivery.log.all()] == [(False, 451), (True, 250)]
    assert len(mta.envelopes) == 1


def test_backoff_doubles_up_to_an_hour():
    assert [backoff(n) for n in range(1, MAX_ATTEMPTS)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60)]


def test_retries_stop_after_the_last_attempt(mta, mailbox):
    mta.answers = ["421 4.7.0 Too busy"]
    first = customer_writes()
    reply = services.reply(first.conversation, make_user(), "Busy")
    Delivery.objects.filter(pk=reply.delivery.pk).update(attempts=MAX_ATTEMPTS - 1)
    assert send_delivery(reply.delivery.pk) == DeliveryStatus.FAILED
    assert "Too busy" in Delivery.objects.get(pk=reply.delivery.pk).error


def test_a_permanent_failure_fails_with_the_server_text(mta, mailbox):
    mta.answers = ["550 5.7.1 Message rejected as spam"]
    first = customer_writes()
    reply = services.reply(first.conversation, make_user(), "Rejected")
    assert send_delivery(reply.delivery.pk) == DeliveryStatus.FAILED
    delivery = Delivery.objects.get(pk=reply.delivery.pk)
    assert delivery.error == "5.7.1 Message rejected as spam"
    assert delivery.next_attempt_at is None and delivery.sent_at is None
    [attempt] = delivery.log.all()
    assert not attempt.ok and attempt.code == 550
    assert retry_due_deliveries() == 0


def test_every_recipient_refused_is_permanent(mta, mailbox):
    mta.refuse = {"ana@example.com"}
    first = customer_writes()
    reply = services.reply(first.conversation, make_user(), "Nobody there")
    assert send_delivery(reply.delivery.pk) == DeliveryStatus.FAILED
    assert Delivery.objects.get(pk=reply.delivery.pk).error == (
        "ana@example.com: 550 5.1.1 No such user here")


def test_an_unreachable_relay_is_a_temporary_failure(settings, mailbox):
    settings.SMTP_URL = f"smtp://127.0.0.1:{free_port()}"  # nobody listens
    first = customer_writes()
    reply = services.reply(first.conversation, make_user(), "Anyone?")
    assert send_delivery(reply.delivery.pk) == DeliveryStatus.DEFERRED
    [attempt] = Delivery.objects.get(pk=reply.delivery.pk).log.all()
    assert attempt.code is None and "ConnectionRefusedError" in attempt.response


def test_a_crash_between_commit_and_queue_is_swept_up(mta, mailbox):
    first = customer_writes()
    reply = services.reply(first.conversation, make_user(), "Lost job")  # never queued
    assert retry_due_deliveries() == 0  # a job may still be on its way
    Delivery.objects.filter(pk=reply.delivery.pk).update(
        created_at=timezone.now() - timedelta(minutes=2))
    assert retry_due_deliveries() == 1
    assert Delivery.objects.get(pk=reply.delivery.pk).status == DeliveryStatus.SENT
    assert len(mta.envelopes) == 1


def test_without_a_mailbox_the_delivery_fails_with_why(django_capture_on_commit_callbacks):
    conversation = make_conversation()
    with django_capture_on_commit_callbacks() as callbacks:
        reply = services.reply(conversation, make_user(), "Hello")
    # nothing to send: no delivery job is queued (only the live-update announcement)
    assert [c for c in callbacks if getattr(c, "func", None) is not realtime.publish] == []
    delivery = reply.delivery
    assert delivery.status == DeliveryStatus.FAILED
    assert "No mailbox to send from" in delivery.error
    assert reply.external_id == ""


def test_the_reply_leaves_from_the_mailbox_the_customer_wrote_to(mailbox):
    team = make_team()
    billing = Mailbox.objects.create(address="billing@acme.test", name="Billing", team=team)
    first = customer_writes()
    assert reply_mailbox(first.conversation) == mailbox
    other = make_conversation()  # no envelope: the team's mailbox, else the first active one
    assert reply_mailbox(other) == billing  # "billing@" sorts first
    services.update(other, None, team=team)
    other.refresh_from_db()
    Mailbox.objects.filter(pk=billing.pk).update(address="zz-billing@acme.test")
    assert reply_mailbox(other) == billing
    Mailbox.objects.filter(pk=mailbox.pk).update(is_active=False)
    assert reply_mailbox(first.conversation) == billing


def test_without_smtp_url_the_email_is_written_to_the_outbox(
    settings, tmp_path, mailbox, django_capture_on_commit_callbacks,
):
    settings.SMTP_URL = ""
    first = customer_writes()
    reply = agent_replies(first.conversation, make_user(), "To the outbox",
                          django_capture_on_commit_callbacks)
    [path] = (tmp_path / "outbox").glob("*.eml")
    assert path.name.endswith(f"-{reply.delivery.pk}.eml")
    email = message_from_bytes(path.read_bytes(), policy=policy.default)
    reply.refresh_from_db()
    assert email["Message-ID"] == reply.external_id
    assert plain_text(email) == "To the outbox\n"
    assert reply.delivery.status == DeliveryStatus.SENT
    assert reply.delivery.log.get().response == f"written to outbox: {path.name}"


def test_reply_tokens_round_trip_and_resist_tampering():
    token = reply_token(123456)
    assert re.fullmatch(r"[0-9a-z]+-[0-9a-f]{16}", token)  # safe in a local part, any case
    assert read_reply_token(token) == 123456
    assert read_reply_token(token.upper()) == 123456  # a server lower-cased it... or not
    assert read_reply_token(f"Support+{token}@acme.test") == 123456
    forged = f"{token.split('-')[0]}-{'0' * 16}"
    assert read_reply_token(forged) is None
    assert read_reply_token(reply_token(8).replace("8-", "9-")) is None
    assert read_reply_token("support@acme.test") is None
    assert read_reply_token("") is None


def test_reply_subjects_never_stack_prefixes():
    conversation = make_conversation(subject="RE: Re:  AW: Invoice")
    assert reply_subject(conversation) == "Re: Invoice"
    untitled = make_conversation(subject="", text="")
    assert reply_subject(untitled) == f"Re: Your request #{untitled.pk}"


def test_smtp_urls():
    relay = parse_smtp_url("smtps://ada%40acme.test:p%3Ass@mail.acme.test")
    assert (relay.host, relay.port, relay.tls, relay.starttls) == ("mail.acme.test", 465,
                                                                    True, False)
    assert (relay.username, relay.password) == ("ada@acme.test", "p:ss")
    assert "p:ss" not in repr(relay)
    relay = parse_smtp_url("smtp://relay:587?starttls=1")
    assert (relay.port, relay.tls, relay.starttls, relay.username) == (587, False, True, "")
    assert parse_smtp_url("smtp://relay").port == 25
    with pytest.raises(ValueError, match="SMTP_URL"):
        parse_smtp_url("http://relay")
