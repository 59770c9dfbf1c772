"""Who really sent a message (Authentication-Results), whether a machine did, and mail loops:
kept raw and ignored, replayable by a person."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from comptoir.accounts.models import Role
from comptoir.conversations import services
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import Event, Message, Participant, RawInbound, RawStatus, Status
from comptoir.email.models import Mailbox
from comptoir.email.outbound import reply_address
from comptoir.email.parsing import parse
from comptoir.email.safety import authentication

from ..factories import make_user
from .conftest import CORPUS
from .mail import build

pytestmark = pytest.mark.django_db

SUPPORT = "support@acme.test"
ANA = "Ana Lima <ana@example.com>"
LIVE = {"source": "smtp", "mailbox": SUPPORT}
SPOOFED = "mx.acme.test; spf=fail smtp.mailfrom=example.com; dmarc=fail header.from=example.com"


def intake(message, meta=None) -> tuple[RawInbound, Message | None]:
    raw = services.store_raw("email", message.as_bytes(), LIVE if meta is None else meta)
    stored = services.process_raw(raw.pk)
    raw.refresh_from_db()
    return raw, stored


def writes(meta=None, **fields) -> Message:
    fields.setdefault("sender", ANA)
    fields.setdefault("to", SUPPORT)
    raw, message = intake(build(**fields), meta)
    assert message is not None, raw.error
    return message


@pytest.fixture
def mailbox():
    return Mailbox.objects.create(address=SUPPORT, name="Acme Support")


# --- Authentication-Results -----------------------------------------------------------------


@pytest.mark.parametrize("header,expected", [
    ("mx.acme.test; spf=pass smtp.mailfrom=example.com; dkim=pass header.d=example.com; "
     "dmarc=pass header.from=example.com",
     {"spf": "pass", "dkim": "pass", "dmarc": "pass", "verdict": "pass"}),
    ("mx.acme.test; dmarc=fail (p=reject dis=none) header.from=example.com; spf=pass",
     {"spf": "pass", "dmarc": "fail", "verdict": "fail"}),
    ("mx.acme.test; spf=softfail smtp.mailfrom=example.com",
     {"spf": "softfail", "verdict": "fail"}),
    ("mx.acme.test; spf=fail; dkim=pass header.d=mail.example.com",
     {"spf": "fail", "dkim": "pass", "verdict": "pass"}),
    ("mx.acme.test; spf=fail; dkim=pass header.d=esp.example",  # signed, not by the sender
     {"spf": "fail", "dkim": "pass", "verdict": "none"}),
    ("mx.acme.test; dkim=fail header.i=@example.com; dkim=pass header.i=@example.com",
     {"dkim": "pass", "verdict": "pass"}),
    ("mx.acme.test; spf=neutral smtp.mailfrom=example.com", {"spf": "neutral", "verdict": "none"}),
    ("mx.acme.test 1; dmarc = pass", {"dmarc": "pass", "verdict": "pass"}),
    ('mx.acme.test (our MX; trusted); spf=fail (sender "IP; not allowed") '
     'smtp.mailfrom="a;b@example.com"; dmarc=none', {"spf": "fail", "dmarc": "none",
                                                      "verdict": "fail"}),
    ("mx.acme.test; none", {}),
    ("", {}),
])
def test_authentication_results_are_read(header, expected):
    assert authentication((header,), "example.com", []) == expected


def test_a_real_receiving_mta_header_from_the_corpus(settings):
    path = CORPUS / "pgp.eml"  # Gmail's: DKIM by gmail.com, SPF and DMARC pass
    raw = services.store_raw("email", path.read_bytes(), {"source": str(path)})
    message = services.process_raw(raw.pk)
    assert message.meta["auth"] == {"spf": "pass", "dkim": "pass", "dmarc": "pass",
                                    "verdict": "pass"}
    headers = parse(path.read_bytes()).authentication_results
    assert authentication(headers, "example.com", ["mx.acme.test"]) == {}


def test_only_our_own_authserv_ids_count():
    forged = "mx.acme.test; dmarc=pass; dkim=pass header.d=example.com"
    ours = ("mx.acme.test; spf=fail smtp.mailfrom=example.com", "spf.acme.test; dkim=none")
    # without configured ids, only the topmost header counts: the one our MTA added
    assert authentication((ours[0], forged), "example.com", []) == {
        "spf": "fail", "verdict": "fail"}
    # with ids, every header of ours counts, the sender's own never
    headers = ("evil.example; dmarc=pass", ours[0], "evil.example; dkim=pass", ours[1])
    assert authentication(headers, "example.com", ["MX.acme.test", "spf.acme.test"]) == {
        "spf": "fail", "dkim": "none", "verdict": "fail"}
    assert authentication(("evil.example; dmarc=pass",), "example.com", ["mx.acme.test"]) == {}


def test_the_verdict_is_kept_on_the_message(mailbox, settings):
    settings.AUTHSERV_IDS = ["mx.acme.test"]
    passed = writes(headers={"Authentication-Results": "mx.acme.test; dmarc=pass"})
    assert passed.meta["auth"] == {"dmarc": "pass", "verdict": "pass"}
    assert passed.identity.value == "ana@example.com"
    unknown = writes(subject="Other", headers={"Authentication-Results": "else; dmarc=pass"})
    assert "auth" not in unknown.meta


def test_a_failing_message_never_lands_in_an_existing_customers_history(mailbox, settings):
    settings.AUTHSERV_IDS = ["mx.acme.test"]
    first = writes(subject="Invoice", message_id="<real@example.com>")
    customer = first.person
    spoof = writes(subject="Re: Invoice", in_reply_to="<real@example.com>",
                   to=reply_address(mailbox, first.conversation_id),
                   headers={"Authentication-Results": SPOOFED, "Cc": "boss@example.com"})
    assert spoof.conversation_id != first.conversation_id  # no refs, token or subject
    assert spoof.person != customer and spoof.person.name == "Ana Lima"
    assert spoof.identity is None
    assert spoof.meta["auth"] == {"spf": "fail", "dmarc": "fail", "verdict": "fail"}
    assert list(customer.conversations.all()) == [first.conversation]
    assert not customer.messages.filter(pk=spoof.pk).exists()
    assert not Participant.objects.exists()
    created = Event.objects.get(conversation=spoof.conversation,
                                kind=EventKind.CONVERSATION_CREATED)
    assert (created.data["auth"], created.data["claimed"]) == ("fail", "ana@example.com")
    # the real customer writing again still threads
    again = writes(subject="Re: Invoice", in_reply_to="<real@example.com>")
    assert again.conversation_id == first.conversation_id


def test_a_failing_message_from_an_unknown_address_gets_an_unverified_identity(mailbox):
    message = writes(sender="Zoe <zoe@example.org>",
                     headers={"Authentication-Results": "mx; spf=softfail"})
    assert message.identity.value == "zoe@example.org" and not message.identity.is_verified
    assert message.meta["auth"]["verdict"] == "fail"


# --- automated mail -------------------------------------------------------------------------


@pytest.mark.parametrize("sender,headers,reason", [
    (ANA, {"Auto-Submitted": "auto-replied"}, "auto-submitted: auto-replied"),
    (ANA, {"Auto-Submitted": 'auto-generated; owner-email="x@example.com"'},
     "auto-submitted: auto-generated"),
    (ANA, {"Precedence": "Bulk"}, "precedence: bulk"),
    (ANA, {"X-Auto-Response-Suppress": "OOF, AutoReply"},
     "x-auto-response-suppress: oof, autoreply"),
    (ANA, {"List-Id": "News <news.example.com>"}, "list-id: News <news.example.com>"),
    ("MAILER-DAEMON@mx.example.com", {}, "sender: mailer-daemon"),
    ("Shop <no-reply+42@shop.example>", {}, "sender: no-reply"),
    (ANA, {"Auto-Submitted": "no"}, None),
    (ANA, {}, None),
])
def test_automated_mail_is_stored_and_flagged(mailbox, sender, headers, reason):
    message = writes(sender=sender, headers=headers)
    assert message.meta.get("auto") == reason
    assert message.conversation.status == Status.NEW


def test_an_out_of_office_answer_does_not_reopen_or_open(mailbox):
    agent = make_user(Role.ADVOCATE)
    first = writes(subject="Crash")
    solved = services.reply(first.conversation, agent, "Fixed.", status=Status.SOLVED)
    away = writes(subject="Automatic reply: Re: Crash", in_reply_to=solved.external_id,
                  headers={"Auto-Submitted": "auto-replied"})
    conversation = away.conversation
    assert conversation.pk == first.conversation_id and conversation.status == Status.SOLVED
    assert not Event.objects.filter(kind=EventKind.REOPENED).exists()
    asked = services.reply(conversation, agent, "One more thing?", status=Status.PENDING)
    writes(subject="Out of office", in_reply_to=asked.external_id,
           headers={"Auto-Submitted": "auto-replied"})
    conversation.refresh_from_db()
    assert conversation.status == Status.PENDING and conversation.message_count == 5
    writes(subject="Re: Crash", in_reply_to=asked.external_id, text="Here you go.")
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN


# --- loops ----------------------------------------------------------------------------------


@pytest.mark.parametrize("sender", [SUPPORT, "Acme <SUPPORT+x@acme.test>",
                                    "billing@acme.test"])
def test_mail_from_our_own_mailbox_is_kept_raw_and_ignored(mailbox, sender):
    Mailbox.objects.create(address="billing@acme.test", name="Billing", is_active=False)
    payload = build(sender=sender, to=SUPPORT).as_bytes()
    raw = services.store_raw("email", payload, LIVE)
    assert services.process_raw(raw.pk) is None
    raw.refresh_from_db()
    assert (raw.status, raw.error) == (RawStatus.IGNORED, "mail loop: from our own mailbox")
    assert bytes(raw.payload) == payload and raw.processed_at is not None
    assert not Message.objects.exists()
    # processing again (a task delivered twice) leaves it alone
    assert services.process_raw(raw.pk) is None
    raw.refresh_from_db()
    assert (raw.status, raw.attempts) == (RawStatus.IGNORED, 1)


def test_an_ignored_row_replayed_by_id_becomes_a_message(mailbox):
    raw, _ = intake(build(sender=SUPPORT, to=SUPPORT))
    failed = services.store_raw("email", b"not mail", LIVE)
    services.process_raw(failed.pk)
    call_command("replay", stdout=StringIO())  # the failed ones only
    assert RawInbound.objects.get(pk=raw.pk).status == RawStatus.IGNORED

    out = StringIO()
    call_command("replay", str(raw.pk), stdout=out)
    assert out.getvalue().startswith("replayed 1: 1 processed, 0 ignored, 0 still failing")
    raw.refresh_from_db()
    assert raw.status == RawStatus.PROCESSED
    assert raw.message.meta["loop"] == "mail loop: from our own mailbox"


def test_the_intake_page_replays_an_ignored_row(mailbox):
    raw, _ = intake(build(sender=SUPPORT, to=SUPPORT))
    client = Client()
    client.force_login(make_user(Role.LEAD))
    response = client.post(reverse("raw_replay", args=[raw.pk]))
    assert response.status_code == 302
    raw.refresh_from_db()
    assert raw.status == RawStatus.PROCESSED and raw.message.meta["loop"]


def test_too_many_messages_from_one_sender_in_an_hour_is_a_loop(mailbox, settings):
    settings.LOOP_MAX_PER_HOUR = 3
    for n in range(3):
        writes(subject=f"Ticket {n}")
    raw, message = intake(build(sender=ANA, subject="Ticket 3"))
    assert message is None and raw.status == RawStatus.IGNORED
    assert raw.error == "mail loop: more than 3 messages from ana@example.com in an hour"
    assert writes(sender="bo@example.com").pk  # other senders flow
    # imported history is never a loop
    assert writes(meta={"source": "/archive/ana.mbox#7"}, subject="Old").pk
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        assert writes(subject="Next hour").pk
    forced = services.process_raw(raw.pk, force=True)
    assert forced.meta["loop"] == raw.error


def test_every_raw_row_is_kept_whatever_happens(mailbox, settings):
    settings.LOOP_MAX_PER_HOUR = 1
    writes(subject="One")
    intake(build(sender=ANA, subject="Two"))
    intake(build(sender=SUPPORT))
    assert sorted(RawInbound.objects.values_list("status", flat=True)) == [
        RawStatus.IGNORED, RawStatus.IGNORED, RawStatus.PROCESSED]
    assert Message.objects.count() == 1
