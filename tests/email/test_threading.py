"""Which conversation an email continues, who else is in it, when it was received and which
mailbox it came to: real messages through the raw-first intake."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from comptoir.accounts.models import Role
from comptoir.conversations import services
from comptoir.conversations.models import (
    Conversation,
    Message,
    Participant,
    RawInbound,
    RawStatus,
    Status,
)
from comptoir.email.models import Mailbox
from comptoir.email.outbound import reply_address, reply_token
from comptoir.people import services as people
from comptoir.people.models import Identity, IdentityKind, Person, Proof

from ..factories import make_team, make_user
from .conftest import CORPUS
from .mail import build

pytestmark = pytest.mark.django_db

SUPPORT = "support@acme.test"
ANA = "Ana Lima <ana@example.com>"
LIVE = {"source": "smtp", "mailbox": SUPPORT}


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


@pytest.fixture
def agent():
    return make_user(Role.ADVOCATE)


# --- references -----------------------------------------------------------------------------


def test_in_reply_to_one_of_our_replies_continues_the_conversation(mailbox, agent):
    first = writes(subject="Broken")
    reply = services.reply(first.conversation, agent, "Try again?")
    assert reply.external_id  # the Message-ID our email carries
    answer = writes(subject="Different words", in_reply_to=reply.external_id)
    assert answer.conversation_id == first.conversation_id


def test_references_alone_thread_by_any_known_id_in_the_chain(mailbox):
    first = writes(subject="Export", message_id="<first@example.com>")
    answer = writes(subject="Something else", headers={
        "References": "<root@elsewhere.example> <first@example.com> <other@elsewhere.example>",
    })
    assert answer.conversation_id == first.conversation_id
    assert Conversation.objects.get().message_count == 2


def test_a_reference_never_reopens_a_closed_conversation(mailbox):
    first = writes(subject="Old", message_id="<old@example.com>")
    services.update(first.conversation, None, status=Status.CLOSED)
    again = writes(subject="Other", in_reply_to="<old@example.com>")
    assert again.conversation_id != first.conversation_id


def test_an_imported_corpus_reply_joins_by_in_reply_to_and_keeps_the_latest_activity(mailbox):
    first = writes(sender="Adam Renberg <adam@tictail.com>", subject="Hello there",
                   message_id="<CABzQGhkMXDxUt_tSVQcg=43aniUhtsVfCZVzu-PG0kwS_uzqMw@mail.gmail.com>")
    path = CORPUS / "talon-apple_mail_2.eml"
    raw = services.store_raw("email", path.read_bytes(), {"source": str(path)})
    reply = services.process_raw(raw.pk)
    assert reply.conversation_id == first.conversation_id
    assert reply.created_at.year == 2015  # its Date: imported history
    conversation = Conversation.objects.get(pk=first.conversation_id)
    assert conversation.last_activity_at == first.created_at  # the 2015 reply is not newer


def test_a_stranger_joins_by_our_replys_message_id_as_a_participant(mailbox, agent):
    first = writes(subject="Invoice")
    reply = services.reply(first.conversation, agent, "Here it is.")
    colleague = writes(sender="Bo <bo@example.com>", subject="Re: Invoice",
                       in_reply_to=reply.external_id)
    assert colleague.conversation_id == first.conversation_id
    [participant] = Participant.objects.filter(conversation=first.conversation)
    assert participant.person == colleague.person
    assert participant.identity.value == "bo@example.com"


def test_a_stranger_does_not_join_by_a_customers_message_id(mailbox):
    first = writes(subject="Invoice", message_id="<ana-1@example.com>")
    other = writes(sender="Eve <eve@example.net>", subject="Re: Invoice",
                   in_reply_to="<ana-1@example.com>")
    assert other.conversation_id != first.conversation_id
    assert not Participant.objects.exists()


def test_a_reply_from_another_verified_address_of_the_same_person(mailbox, agent):
    first = writes(subject="Account")
    people.link_identity(first.person, IdentityKind.EMAIL, "ana@work.example",
                         proof=Proof.EMAIL_LINK)
    reply = services.reply(first.conversation, agent, "Which plan?")
    answer = writes(sender="Ana <ana@work.example>", subject="Re: Account",
                    in_reply_to=reply.external_id)
    assert answer.conversation_id == first.conversation_id
    assert answer.person == first.person and answer.identity.value == "ana@work.example"
    assert not Participant.objects.exists()  # the customer, not a guest


# --- the reply address ----------------------------------------------------------------------


def test_signed_reply_address_threads_without_references(mailbox):
    first = writes(subject="Login")
    answer = writes(subject="A new subject", to=reply_address(mailbox, first.conversation_id))
    assert answer.conversation_id == first.conversation_id
    assert answer.meta["mailbox"] == SUPPORT
    assert not Participant.objects.exists()  # the reply address is ours, not a guest


def test_the_envelopes_reply_address_threads_too(mailbox):
    first = writes(subject="Login")
    token_address = reply_address(mailbox, first.conversation_id)
    answer = writes(meta={**LIVE, "rcpt_to": [token_address]}, subject="Also", to=SUPPORT)
    assert answer.conversation_id == first.conversation_id


def test_a_forged_or_foreign_token_threads_nothing(mailbox):
    first = writes(subject="Login")
    number = reply_token(first.conversation_id).partition("-")[0]
    forged = f"support+{number}-{'0' * 16}@acme.test"
    assert writes(subject="x", to=forged).conversation_id != first.conversation_id
    stranger = writes(sender="eve@example.net", subject="y",
                      to=reply_address(mailbox, first.conversation_id))
    assert stranger.conversation_id != first.conversation_id


# --- subject and sender ---------------------------------------------------------------------


def test_same_sender_and_subject_within_the_window_continue(mailbox):
    first = writes(subject="Invoice 42")
    for subject in ("RE: Invoice 42", "AW: Re[2]: invoice 42", "返信： Invoice 42"):
        assert writes(subject=subject).conversation_id == first.conversation_id


def test_subject_threading_ends_with_the_window(mailbox, settings):
    settings.THREAD_WINDOW_DAYS = 14
    first = writes(subject="Invoice")
    with time_machine.travel(timezone.now() + timedelta(days=13)):
        assert writes(subject="Re: Invoice").conversation_id == first.conversation_id
    with time_machine.travel(timezone.now() + timedelta(days=28)):
        later = writes(subject="Re: Invoice")
    assert later.conversation_id != first.conversation_id


def test_same_subject_from_another_person_is_another_conversation(mailbox):
    first = writes(subject="Help")
    other = writes(sender="Bo <bo@example.com>", subject="Help")
    assert other.conversation_id != first.conversation_id


def test_subject_threading_skips_closed_conversations_and_other_subjects(mailbox):
    first = writes(subject="Refund")
    services.update(first.conversation, None, status=Status.CLOSED)
    assert writes(subject="Re: Refund").conversation_id != first.conversation_id
    assert writes(subject="Refund, again").conversation_id != first.conversation_id


@pytest.mark.parametrize("subject,expected", [
    ("Re: Fwd: FW: invoice", "invoice"),
    ("SV: VS: TR: R: RIF: Antw: WG: Invoice", "invoice"),
    ("転送: 請求書", "請求書"),
    ("[Acme] Re: Invoice", "[acme] invoice"),
    ("Re:   Invoice   42 ", "invoice 42"),
    ("Regarding invoices", "regarding invoices"),
    ("Re:", ""),
])
def test_thread_subject(subject, expected):
    assert services.thread_subject(subject) == expected


# --- participants ---------------------------------------------------------------------------


def test_everyone_copied_becomes_a_participant_but_us_and_the_sender(mailbox):
    Mailbox.objects.create(address="billing@acme.test", name="Billing")
    message = writes(
        subject="Team access",
        to=f"Support <{SUPPORT}>, Carl <carl@example.com>",
        headers={"Cc": "Dee <dee@example.com>, billing@acme.test, ana@example.com, "
                       "Support <support+x@acme.test>"},
    )
    copied = Participant.objects.filter(conversation=message.conversation)
    assert sorted(p.identity.value for p in copied) == ["carl@example.com", "dee@example.com"]
    assert sorted(p.person.name for p in copied) == ["Carl", "Dee"]
    # copied again in the next message: still once each
    writes(subject="Re: Team access", to=SUPPORT, headers={"Cc": "carl@example.com"})
    assert copied.count() == 2
    assert not Identity.objects.filter(value__endswith="@acme.test").exists()


def test_a_known_person_copied_is_not_merged_with_anyone(mailbox):
    bo = writes(sender="Bo <bo@example.com>", subject="Mine").person
    message = writes(subject="Ours", headers={"Cc": "Someone Else <bo@example.com>"})
    [participant] = message.conversation.participants.all()
    assert participant.person == bo and participant.person.name == "Bo"
    assert Person.objects.count() == 2


def test_a_mailing_list_copies_nobody(mailbox):
    message = writes(subject="Digest", to="dev-list@lists.example",
                     headers={"List-Id": "<dev.lists.example>", "Cc": "carl@example.com"})
    assert not message.conversation.participants.exists()


# --- time and mailbox -----------------------------------------------------------------------


def test_imported_mail_is_dated_by_its_date_header():
    imported = writes(meta={"source": "/archive/2025/01.eml"}, subject="Old one")
    sent = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)  # Mon, 06 Jan 2025 10:00:00 +0100
    assert imported.created_at == sent == imported.conversation.created_at
    assert imported.meta["date"] == "2025-01-06T10:00:00+01:00"


def test_live_mail_is_dated_when_we_received_it():
    raw, message = intake(build(sender=ANA, subject="Now"), {"source": "smtp"})
    assert message.created_at == raw.received_at
    assert message.meta["date"] == "2025-01-06T10:00:00+01:00"  # kept, not trusted
    at = "2026-03-01T08:30:00+00:00"
    _, relayed = intake(build(sender=ANA, subject="Then"), {"source": "imap", "received_at": at})
    assert relayed.created_at == datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize("date", ["Mon, 06 Jan 2098 10:00:00 +0000",
                                  "Thu, 01 Jan 1970 00:00:00 +0000"])
def test_an_imported_date_from_a_broken_clock_is_not_used(date):
    message = build(sender=ANA, subject="Clock")
    message.replace_header("Date", date)
    raw, stored = intake(message, {"source": "mbox#1"})
    assert stored.created_at == raw.received_at
    assert stored.meta["date"].startswith(date[12:16])


def test_the_mailbox_gives_a_new_conversation_its_team_and_language():
    team = make_team("Billing")
    Mailbox.objects.create(address="factures@acme.test", name="Factures", team=team,
                           language="fr")
    # "Bonjour" alone is too little to detect a language: the mailbox's is the default
    message = writes(meta={"source": "/export/1.eml"}, to="Factures <factures@acme.test>",
                     subject="Facture", text="Bonjour")
    conversation = message.conversation
    assert (conversation.team, conversation.language) == (team, "fr")
    assert message.meta["mailbox"] == "factures@acme.test"
    # a person who has a language keeps it
    Person.objects.filter(pk=message.person_id).update(language="de")
    other = writes(meta={"mailbox": "factures+x@acme.test"}, to="factures@acme.test",
                   subject="Rechnung", text="Hallo")
    assert (other.conversation.team, other.conversation.language) == (team, "de")


def test_an_inactive_mailbox_gives_nothing():
    Mailbox.objects.create(address="old@acme.test", name="Old", team=make_team(),
                           language="es", is_active=False)
    message = writes(meta={"source": "x.eml"}, to="old@acme.test", text="Hola")
    assert message.conversation.team is None and message.conversation.language == ""
    assert "mailbox" not in message.meta


def test_the_language_the_customer_wrote_in_wins_over_defaults():
    Mailbox.objects.create(address="factures@acme.test", name="Factures", language="fr")
    message = writes(to="factures@acme.test", subject="Invoice",
                     text="Hallo, meine Rechnung ist falsch. Können Sie sie bitte korrigieren?")
    assert (message.language, message.conversation.language) == ("de", "de")


# --- duplicates -----------------------------------------------------------------------------


def test_duplicate_delivery_is_one_message_and_two_raw_rows(mailbox):
    payload = build(sender=ANA, message_id="<twice@example.com>").as_bytes()
    first = services.store_raw("email", payload, LIVE)
    again = services.store_raw("email", b"Received: from mx2 by mx1\r\n" + payload, LIVE)
    assert services.process_raw(first.pk) == services.process_raw(again.pk)
    assert Message.objects.count() == 1
    assert list(RawInbound.objects.values_list("status", flat=True)) == [
        RawStatus.PROCESSED, RawStatus.PROCESSED]


def test_two_messages_sharing_a_message_id_are_both_kept(mailbox):
    writes(message_id="<same@example.com>", subject="One", text="First")
    writes(message_id="<same@example.com>", subject="Two", text="Second")
    assert sorted(Message.objects.values_list("body_text", flat=True)) == [
        "First", "Second"]
