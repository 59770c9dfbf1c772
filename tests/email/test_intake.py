"""Mail through the real intake: store_raw (committed raw bytes) then process_raw."""

import random

import pytest

from comptoir.conversations import services
from comptoir.conversations.models import (
    Attachment,
    Blob,
    Conversation,
    Message,
    RawInbound,
    RawStatus,
)
from comptoir.email.quoting import split_reply
from comptoir.people.models import Identity, Person

from .conftest import CORPUS_FILES
from .mail import build, raw

pytestmark = pytest.mark.django_db


def intake(payload: bytes) -> tuple[RawInbound, Message | None]:
    stored = services.store_raw("email", payload, {"source": "test"})
    message = services.process_raw(stored.pk)
    stored.refresh_from_db()
    return stored, message


def test_corpus_files_are_in_the_test_data():
    assert len(CORPUS_FILES) == 19


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda path: path.name)
def test_every_corpus_message_goes_through_intake_without_loss(path):
    payload = path.read_bytes()
    stored, message = intake(payload)
    assert stored.status == RawStatus.PROCESSED, stored.error
    assert bytes(stored.payload) == payload
    assert stored.sha256 and stored.message == message and message.raw == stored
    assert message.channel == "email" and message.identity.kind == "email"
    assert message.external_id.startswith("<") and message.external_id.endswith(">")
    assert message.conversation.subject
    if path.name != "blank-body-with-attachment.eml":
        assert message.body_text.strip()
    else:
        assert [a.filename for a in message.attachments.all()] == ["baf"]
        assert message.attachments.get().blob.file.read() == b"You shouldn't see this.\n"
    if path.name.startswith("talon-"):
        new_text, quoted = split_reply(message.body_text)
        assert new_text.startswith(("Hello", "Hi Katharine."))
        assert quoted


def test_corpus_text_matches_what_was_sent():
    by_name = {path.name: path for path in CORPUS_FILES}
    _, special = intake(by_name["all-special-chars.eml"].read_bytes())
    assert special.body_text == "íářčšáíéřášč"
    assert special.conversation.subject == "Testovácí email"
    _, czech = intake(by_name["quoted_printable.eml"].read_bytes())
    assert czech.body_text == "Tohle je test českých písmen odeslaných z gmailu."
    assert czech.body_html == "<div>Tohle je test českých písmen odeslaných z gmailu.</div>\n"
    _, forwarded = intake(by_name["utf-nondecodable.eml"].read_bytes())
    assert "Cyklozaměstnavatel" in forwarded.body_text
    assert forwarded.person.name == "John Smith"
    assert forwarded.identity.value == "john.smith@example.cz"


def test_html_is_sanitised_on_the_way_in():
    _, message = intake(build(text="x", html='<p onclick="evil()">Hi<script>alert(1)</script>'
                                             '<img src="https://tracker.example/p.gif"></p>')
                        .as_bytes())
    assert "onclick" not in message.body_html and "script" not in message.body_html
    assert ' src="https://tracker.example' not in message.body_html  # loads only on request


def test_inline_image_is_stored_and_referenced_by_name():
    message = build(text="See", html='<p>Look: <img src="cid:shot@ex" alt="shot"></p>')
    message.get_payload()[1].add_related(b"\x89PNG-fake", "image", "png", cid="<shot@ex>",
                                         filename="screen.png")
    _, stored = intake(message.as_bytes())
    attachment = stored.attachments.get()
    assert (attachment.filename, attachment.content_type) == ("screen.png", "image/png")
    assert attachment.blob.file.read() == b"\x89PNG-fake"
    assert 'src="cid:screen.png"' in stored.body_html


def test_same_attachment_in_two_mails_is_one_blob():
    pdf = b"%PDF-1.4 the same invoice" * 50
    for n in range(2):
        intake(build(subject=f"Invoice {n}", attachments=(
            (f"invoice-{n}.pdf", "application/pdf", pdf),)).as_bytes())
    assert Attachment.objects.count() == 2
    assert Blob.objects.count() == 1
    assert Blob.objects.get().file.read() == pdf


def test_nested_message_winmail_and_invite_are_kept():
    inner = build(sender="Bob <bob@example.org>", subject="Complaint", text="It broke.")
    outer = build(text="See the attached mail.",
                  attachments=(("winmail.dat", "application/ms-tnef", b"\x78\x9f\x3e\x22tnef"),))
    outer.add_attachment(inner)
    outer.add_attachment(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", maintype="text",
                         subtype="calendar", filename="meeting.ics")
    _, message = intake(outer.as_bytes())
    assert "> It broke." in message.body_text
    assert sorted(message.attachments.values_list("filename", "content_type")) == [
        ("Complaint.eml", "message/rfc822"),
        ("meeting.ics", "text/calendar"),
        ("winmail.dat", "application/ms-tnef"),
    ]


def test_reply_to_a_stored_message_id_lands_in_the_same_conversation():
    _, first = intake(build(message_id="<first@example.com>", subject="Broken").as_bytes())
    _, reply = intake(build(message_id="<second@example.com>", subject="Re: Broken",
                            in_reply_to="<first@example.com>", text="Any news?").as_bytes())
    _, other = intake(build(message_id="<third@example.com>", subject="Broken").as_bytes())
    assert reply.conversation_id == first.conversation_id
    assert other.conversation_id != first.conversation_id
    assert Conversation.objects.get(pk=first.conversation_id).message_count == 2


def test_duplicate_delivery_is_one_message_and_two_raw_rows():
    payload = build(message_id="<once@example.com>").as_bytes()
    first_raw, first = intake(payload)
    again = b"Received: from mx2.example.net by mx.comptoir.test; Mon, 6 Jan 2025\r\n" + payload
    second_raw, second = intake(again)
    assert second.pk == first.pk
    assert Message.objects.count() == 1
    assert RawInbound.objects.count() == 2
    assert second_raw.status == RawStatus.PROCESSED and second_raw.message == first
    assert bytes(second_raw.payload) == again
    assert second.raw_id == first_raw.pk != second_raw.pk  # how import-mail counts duplicates


def test_different_messages_sharing_a_message_id_are_both_kept():
    intake(build(message_id="<broken-mailer@example.com>", text="First question").as_bytes())
    intake(build(message_id="<broken-mailer@example.com>", text="Another question").as_bytes())
    assert sorted(Message.objects.values_list("body_text", flat=True)) == [
        "Another question", "First question"]


def test_message_without_message_id_is_deduplicated_by_content():
    payload = raw(b"no id here", message_id=b"")
    intake(payload)
    intake(b"Received: by mx2\r\n" + payload)
    assert Message.objects.count() == 1
    assert Message.objects.get().external_id.endswith("@no-message-id.invalid>")


NOT_MAIL = {
    "empty": b"",
    "random binary": random.Random(7).randbytes(3000),
    "outlook msg": bytes.fromhex("d0cf11e0a1b11ae1") + bytes(1000),
    "headers without From": b"To: support@comptoir.test\r\nSubject: hello\r\n\r\nbody\r\n",
}


@pytest.mark.parametrize("payload", NOT_MAIL.values(), ids=NOT_MAIL.keys())
def test_not_mail_stays_raw_with_a_clear_error_and_creates_nothing(payload):
    stored, message = intake(payload)
    assert message is None
    assert stored.status == RawStatus.FAILED
    assert stored.error.startswith("NormaliseError: ")
    assert any(words in stored.error for words in (
        "Empty payload", "No mail headers", "Outlook .msg", "no usable sender"))
    assert bytes(stored.payload) == payload
    assert not Message.objects.exists() and not Conversation.objects.exists()
    assert not Person.objects.exists() and not Identity.objects.exists()
    assert not Blob.objects.exists()


def test_nul_characters_never_reach_the_database():
    payload = raw(b"before\x00after", subject=b"=?utf-8?q?nul=00here?=",
                  sender=b"=?utf-8?q?Zero=00Name?= <zero@example.com>")
    stored, message = intake(payload)
    assert stored.status == RawStatus.PROCESSED, stored.error
    assert message.body_text == "beforeafter"
    assert message.conversation.subject == "nulhere"
    assert message.person.name == "ZeroName"
    assert b"\x00" in bytes(stored.payload)  # the raw bytes stay exactly as received
