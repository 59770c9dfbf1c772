"""`comptoir smtpd`: real SMTP conversations (smtplib) with the real server on a loopback port.

The server's database thread must see what the test wrote, and the test what it stored:
every test runs with committed transactions."""

import smtplib
import socket
from types import SimpleNamespace

import pytest
from django.db import OperationalError

from comptoir.conversations import services
from comptoir.conversations.models import Conversation, RawInbound, RawStatus
from comptoir.email import smtpd
from comptoir.email.models import Mailbox
from comptoir.email.outbound import reply_address

from ..factories import make_team
from .mail import build

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_tasks")]

SUPPORT = "support@comptoir.test"
BILLING = "facturation@comptoir.test"
LIMIT = 50_000  # bytes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(settings):
    settings.MAX_MESSAGE_BYTES = LIMIT
    controller = smtpd.build_controller("127.0.0.1", free_port())
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def support():
    return Mailbox.objects.create(address=SUPPORT, name="Brioche Support", language="en",
                                  team=make_team("Support"))


@pytest.fixture
def smtp(server, support):
    with smtplib.SMTP(server.hostname, server.port, timeout=10) as client:
        client.ehlo("mx.example.com")
        yield client


def test_accepted_mail_is_stored_raw_then_becomes_a_conversation(smtp, support):
    message = build(subject="Where is my invoice?", text="Hello, where is my invoice?")
    assert smtp.esmtp_features["size"] == str(LIMIT)
    assert smtp.send_message(message) == {}  # every recipient accepted

    raw = RawInbound.objects.get()
    assert raw.channel == "email" and raw.status == RawStatus.PROCESSED, raw.error
    # exactly the bytes sent (smtplib ends lines with CRLF)
    assert bytes(raw.payload) == message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    meta = raw.meta
    assert meta.pop("received_at")
    assert meta == {"source": "smtp", "mailbox": SUPPORT, "rcpt_to": [SUPPORT],
                    "mail_from": "ana@example.com", "peer": "127.0.0.1"}
    conversation = raw.message.conversation
    assert conversation.subject == "Where is my invoice?"
    assert conversation.team == support.team
    assert "where is my invoice?" in raw.message.body_text


def test_an_unknown_or_inactive_mailbox_is_refused_at_rcpt(smtp):
    Mailbox.objects.create(address="old@comptoir.test", name="Old", is_active=False)
    smtp.mail("ana@example.com")
    assert smtp.rcpt("nobody@comptoir.test") == (
        550, b"5.1.1 <nobody@comptoir.test>: no such mailbox here")
    assert smtp.rcpt("old@comptoir.test")[0] == 550
    assert smtp.docmd("DATA")[0] == 503  # no recipient: nothing to send
    assert not RawInbound.objects.exists()


def test_the_server_never_relays(smtp):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        smtp.sendmail("ana@example.com", ["victim@elsewhere.example"], b"Subject: hi\r\n\r\nhi")
    code, text = refused.value.recipients["victim@elsewhere.example"]
    assert code == 550 and text.startswith(b"5.7.1 <victim@elsewhere.example>: relaying denied")
    # a relay recipient next to ours is refused alone, and left out of what is stored
    refusals = smtp.sendmail("ana@example.com", [SUPPORT, "victim@elsewhere.example"],
                             build().as_string())
    assert refusals["victim@elsewhere.example"][0] == 550
    assert RawInbound.objects.get().meta["rcpt_to"] == [SUPPORT]


def test_data_over_the_size_limit_is_refused_and_nothing_stored(smtp):
    smtp.mail("ana@example.com")  # declares no size
    smtp.rcpt(SUPPORT)
    code, text = smtp.data(build(text="Lots of detail.\n" * (LIMIT // 16)).as_string())
    assert (code, text) == (552, f"5.3.4 Message too big: this server accepts at most "
                                 f"{LIMIT} bytes".encode())
    assert not RawInbound.objects.exists()
    assert smtp.send_message(build()) == {}  # the session goes on
    assert RawInbound.objects.count() == 1


def test_a_declared_size_over_the_limit_is_refused_at_mail_from(smtp):
    code, text = smtp.mail("ana@example.com", [f"SIZE={LIMIT + 1}"])
    assert (code, text) == (552, f"5.3.4 Message too big: this server accepts at most "
                                 f"{LIMIT} bytes".encode())
    assert smtp.mail("ana@example.com", [f"SIZE={LIMIT}"])[0] == 250


def test_a_subaddress_is_delivered_to_its_mailbox_and_threads_by_its_token(smtp):
    assert smtp.send_message(build(subject="Invoice", message_id="<first@example.com>")) == {}
    first = RawInbound.objects.get().message
    token_address = reply_address(Mailbox.objects.get(), first.conversation_id)
    # a reply to the signed address, without References and under another subject
    reply = build(to=token_address, subject="Something else", text="Thanks, got it.")
    assert smtp.send_message(reply) == {}
    raw = RawInbound.objects.latest("pk")
    assert raw.meta["mailbox"] == SUPPORT and raw.meta["rcpt_to"] == [token_address]
    assert raw.message.conversation_id == first.conversation_id
    smtp.mail("ana@example.com")
    assert smtp.rcpt("Support+Anything@Comptoir.test")[0] == 250


def test_mail_for_two_of_our_mailboxes_is_stored_once(smtp):
    Mailbox.objects.create(address=BILLING, name="Facturation", language="fr")
    message = build(to=f"{BILLING}, {SUPPORT}")
    assert smtp.send_message(message) == {}
    raw = RawInbound.objects.get()
    assert raw.meta["mailbox"] == BILLING
    assert raw.meta["rcpt_to"] == [BILLING, SUPPORT]
    assert Conversation.objects.count() == 1


def test_a_bounce_with_the_null_sender_is_accepted(smtp):
    bounce = build(sender="MAILER-DAEMON@example.com", subject="Undelivered Mail")
    assert smtp.sendmail("", [SUPPORT], bounce.as_string()) == {}
    assert RawInbound.objects.get().meta["mail_from"] == "<>"


def test_a_database_failure_answers_451_so_the_sender_retries(smtp, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("database is down")

    with monkeypatch.context() as patch, pytest.raises(smtplib.SMTPDataError) as failed:
        patch.setattr(smtpd, "store_raw", down)
        smtp.send_message(build())
    assert failed.value.smtp_code == 451
    assert failed.value.smtp_error.startswith(b"4.3.0")
    assert not RawInbound.objects.exists() and not Conversation.objects.exists()
    with monkeypatch.context() as patch:  # down while looking the recipient up
        patch.setattr(smtpd, "check_recipient", down)
        smtp.mail("ana@example.com")
        assert smtp.rcpt(SUPPORT) == (451, smtpd.TEMPORARY_FAILURE[4:].encode())
        smtp.rset()
    # the database is back: the sender's retry is stored
    assert smtp.send_message(build()) == {}
    assert RawInbound.objects.count() == 1


def test_the_raw_row_is_committed_before_processing(smtp, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("receive() crashed")

    monkeypatch.setattr(services, "receive", crash)
    assert smtp.send_message(build()) == {}  # accepted: the message is safe
    raw = RawInbound.objects.get()
    assert raw.status == RawStatus.FAILED and "receive() crashed" in raw.error
    assert not Conversation.objects.exists()


def test_a_queueing_failure_still_answers_250(smtp, monkeypatch):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(smtpd, "process_inbound", SimpleNamespace(delay=broker_down))
    assert smtp.send_message(build()) == {}
    assert RawInbound.objects.get().status == RawStatus.RECEIVED  # replayable


def test_a_mailbox_added_in_the_admin_is_served_at_once(smtp, admin_client):
    smtp.mail("ana@example.com")
    assert smtp.rcpt("ventas@comptoir.test")[0] == 550
    response = admin_client.post("/admin/comptoir_email/mailbox/add/", {
        "address": "Ventas@Comptoir.test", "name": "Ventas", "language": "es",
        "is_active": "on", "auto_ack_hours": "24", "imap_port": "993", "imap_folder": "INBOX",
    })
    assert response.status_code == 302, response.content
    assert admin_client.get("/admin/comptoir_email/mailbox/").status_code == 200
    assert smtp.rcpt("ventas@comptoir.test")[0] == 250
