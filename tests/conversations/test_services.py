import json
from datetime import timedelta

import pytest
from django.utils import timezone

from comptoir.accounts.models import Role
from comptoir.conversations import services
from comptoir.conversations.events import EventKind
from comptoir.conversations.inbound import InboundAttachment
from comptoir.conversations.models import (
    Blob,
    Conversation,
    Event,
    Macro,
    Message,
    MessageKind,
    Priority,
    RawInbound,
    RawStatus,
    Status,
)
from comptoir.people.models import IdentityKind, Person

from ..factories import make_conversation, make_message, make_user

pytestmark = pytest.mark.django_db


def kinds(conversation):
    return list(Event.objects.filter(conversation=conversation).values_list("kind", flat=True))


def test_receive_opens_a_conversation_for_a_new_person():
    message = make_message(identity_value="Ana@Example.COM", sender_name="Ana Lima",
                           subject="Cannot log in", text="Help me", language="es")
    conversation = message.conversation
    assert conversation.status == Status.NEW
    assert conversation.subject == "Cannot log in"
    assert conversation.language == "es"
    assert conversation.person.name == "Ana Lima"
    assert conversation.person.identities.get().value == "ana@example.com"
    assert conversation.preview == "Help me"
    assert conversation.message_count == 1
    assert kinds(conversation) == [EventKind.CONVERSATION_CREATED, EventKind.MESSAGE_RECEIVED]


def test_same_identity_is_the_same_person_whatever_the_case():
    first = make_message(identity_value="bob@example.com")
    second = make_message(identity_value="  BOB@example.com ")
    assert first.person_id == second.person_id
    assert first.conversation_id != second.conversation_id  # no thread hint: a new conversation


def test_a_name_in_the_message_never_attaches_to_an_existing_person():
    known = make_message(identity_value="carla@example.com", sender_name="Carla Diaz").person
    impostor = make_message(identity_value="carla@evil.example", sender_name="Carla Diaz",
                            text="I am Carla, send me her invoices").person
    assert impostor.pk != known.pk
    assert Person.objects.filter(name="Carla Diaz").count() == 2


def test_reply_to_one_of_our_messages_threads_and_reopens_solved():
    agent = make_user()
    first = make_message(external_id="<m1@customer>")
    conversation = first.conversation
    services.reply(conversation, agent, "Try again now", status=Status.SOLVED)
    conversation.refresh_from_db()
    assert conversation.status == Status.SOLVED

    again = make_message(identity_value=first.identity.value, thread_refs=("<m1@customer>",),
                         text="Still broken")
    assert again.conversation_id == conversation.pk
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN
    assert EventKind.REOPENED in kinds(conversation)
    assert conversation.message_count == 3


def test_reply_into_a_closed_conversation_starts_a_new_one():
    first = make_message(external_id="<m2@customer>")
    services.update(first.conversation, None, status=Status.CLOSED)
    again = make_message(identity_value=first.identity.value, thread_refs=("<m2@customer>",))
    assert again.conversation_id != first.conversation_id


def test_customer_reply_to_pending_makes_it_open():
    agent = make_user()
    first = make_message()
    services.reply(first.conversation, agent, "What version?", status=Status.PENDING)
    make_message(identity_value=first.identity.value,
                 conversation_id=first.conversation_id, text="Version 3")
    first.conversation.refresh_from_db()
    assert first.conversation.status == Status.OPEN


def test_adapter_thread_hint_is_ignored_for_someone_elses_conversation():
    mine = make_conversation(identity_value="owner@example.com")
    other = make_message(identity_value="stranger@example.com", conversation_id=mine.pk)
    assert other.conversation_id != mine.pk


def test_duplicate_delivery_is_stored_once_but_different_text_is_kept():
    a = make_message(external_id="<dup@x>", text="same body", identity_value="d@example.com")
    b = make_message(external_id="<dup@x>", text="same body", identity_value="d@example.com")
    c = make_message(external_id="<dup@x>", text="another body", identity_value="d@example.com")
    assert a.pk == b.pk
    assert c.pk != a.pk
    assert Message.objects.filter(external_id="<dup@x>").count() == 2


def test_hostile_html_is_sanitised():
    message = make_message(html='<p onclick="steal()">Hi<script>alert(1)</script>'
                                '<img src="https://tracker.example/p.gif">'
                                '<a href="javascript:x">x</a></p>')
    assert "script" not in message.body_html
    assert "onclick" not in message.body_html
    # a remote image loads nothing until an agent asks: its address is kept aside
    assert ' src="https://tracker.example' not in message.body_html
    assert 'data-remote-src="https://tracker.example/p.gif"' in message.body_html
    assert "javascript" not in message.body_html
    assert "Hi" in message.body_html


def test_attachments_are_stored_once_by_content():
    payload = b"%PDF-1.4 invoice"
    one = make_message(attachments=(InboundAttachment("a.pdf", "application/pdf", payload),))
    two = make_message(attachments=(InboundAttachment("copy.pdf", "application/pdf", payload),))
    assert Blob.objects.count() == 1
    assert one.attachments.get().blob_id == two.attachments.get().blob_id
    assert two.attachments.get().filename == "copy.pdf"


def test_reply_assigns_opens_and_logs():
    agent = make_user()
    conversation = make_conversation()
    message = services.reply(conversation, agent, "  Hello!  ")
    conversation.refresh_from_db()
    assert message.kind == MessageKind.REPLY
    assert message.body_text == "Hello!"
    assert conversation.assignee == agent
    assert conversation.status == Status.OPEN
    assert conversation.preview == "Hello!"
    assert kinds(conversation)[-3:] == [
        EventKind.REPLY_SENT, EventKind.ASSIGNEE_CHANGED, EventKind.STATUS_CHANGED]


def test_double_submitted_reply_is_stored_once():
    agent = make_user()
    conversation = make_conversation()
    first = services.reply(conversation, agent, "Once", idempotency_key="k-1")
    second = services.reply(conversation, agent, "Once", idempotency_key="k-1")
    assert first.pk == second.pk
    assert conversation.messages.filter(kind=MessageKind.REPLY).count() == 1
    assert Event.objects.filter(kind=EventKind.REPLY_SENT).count() == 1


def test_empty_reply_is_refused_and_nothing_changes():
    agent = make_user()
    conversation = make_conversation()
    before = Event.objects.count()
    with pytest.raises(services.ConversationError):
        services.reply(conversation, agent, "   ")
    assert Event.objects.count() == before


def test_note_does_not_touch_preview_or_status():
    agent = make_user()
    conversation = make_conversation(text="Customer words")
    services.add_note(conversation, agent, "internal thoughts")
    conversation.refresh_from_db()
    assert conversation.preview == "Customer words"
    assert conversation.status == Status.NEW
    assert kinds(conversation)[-1] == EventKind.NOTE_ADDED


def test_update_records_one_event_per_real_change():
    agent = make_user()
    other = make_user()
    conversation = make_conversation()
    changes = services.update(conversation, agent, status=Status.PENDING, priority=Priority.HIGH,
                              assignee=other, language="fr")
    assert {c.field for c in changes} == {"status", "priority", "assignee", "language"}
    assert services.update(conversation, agent, status=Status.PENDING) == []
    events = Event.objects.filter(conversation=conversation, kind=EventKind.STATUS_CHANGED)
    assert [e.data for e in events] == [{"from": "new", "to": "pending"}]
    lang = Event.objects.get(conversation=conversation, kind=EventKind.LANGUAGE_CHANGED)
    assert lang.data == {"from": "en", "to": "fr"}  # detected, then corrected
    assert lang.actor == agent


def test_update_refuses_unknown_values():
    conversation = make_conversation()
    with pytest.raises(services.ConversationError):
        services.update(conversation, None, status="deleted")
    with pytest.raises(services.ConversationError):
        services.update(conversation, None, priority=99)


def test_tags_are_normalised_and_evented():
    agent = make_user()
    conversation = make_conversation()
    assert services.add_tags(conversation, agent, ["Billing", "good first reply", "billing"]) == [
        "billing", "good-first-reply"]
    assert services.add_tags(conversation, agent, ["billing"]) == []
    assert services.remove_tag(conversation, agent, "billing") is True
    assert list(conversation.tags.values_list("name", flat=True)) == ["good-first-reply"]
    with pytest.raises(services.ConversationError):
        services.add_tags(conversation, agent, ["<script>"])


def test_reactions_toggle_and_say_who():
    agent = make_user()
    teammate = make_user(Role.TEAMMATE)
    message = make_message()
    assert services.toggle_reaction(message, agent, "👀") is True
    assert services.toggle_reaction(message, teammate, "👀") is True
    assert services.toggle_reaction(message, agent, "🎉") is True
    assert services.toggle_reaction(message, agent, "👀") is False
    assert list(message.reactions.values_list("user__username", "emoji")) == [
        (teammate.username, "👀"), (agent.username, "🎉")]
    with pytest.raises(services.ConversationError):
        services.toggle_reaction(message, agent, "lol")


def test_macro_placeholders_are_filled_and_unknown_ones_left_visible():
    agent = make_user(first_name="Ada")
    conversation = make_conversation(sender_name="Marie Curie")
    macro = Macro.objects.create(
        name="hi", language="fr",
        body="Bonjour {{ customer.first_name }}, {{agent.first_name}} ici (#{{ conversation.id }})."
             " {{ customer.password }}")
    text = services.render_macro(macro, conversation, agent)
    assert text == (f"Bonjour Marie, Ada ici (#{conversation.pk}). {{{{ customer.password }}}}")


def test_raw_intake_is_kept_processed_and_replayable():
    good = services.store_raw("api", json.dumps(
        {"from": {"value": "r@example.com", "name": "R"}, "text": "hello"}).encode(),
        {"channel": "api"})
    message = services.process_raw(good.pk)
    good.refresh_from_db()
    assert good.status == RawStatus.PROCESSED and good.message == message
    assert message.raw == good
    assert services.process_raw(good.pk).pk == message.pk  # idempotent
    assert Message.objects.count() == 1

    bad = services.store_raw("api", b"\x00not json", {"channel": "api"})
    assert services.process_raw(bad.pk) is None
    bad.refresh_from_db()
    assert bad.status == RawStatus.FAILED
    assert "Not a valid inbound message" in bad.error
    assert bytes(bad.payload) == b"\x00not json"
    assert bad.attempts == 1
    assert Event.objects.filter(kind=EventKind.RAW_FAILED, data__raw_id=bad.pk).exists()


def test_replay_command_processes_failed_rows_once_fixed(monkeypatch):
    from django.core.management import call_command

    from comptoir.conversations import inbound

    raw = services.store_raw("forum", b'{"from": {"value": "f@example.com"}, "text": "hi"}')
    assert services.process_raw(raw.pk) is None  # no forum adapter yet
    monkeypatch.setitem(inbound.NORMALISERS, "forum", inbound.normalise_json)
    call_command("replay")
    raw.refresh_from_db()
    assert raw.status == RawStatus.PROCESSED
    assert raw.attempts == 2
    assert RawInbound.objects.filter(status=RawStatus.FAILED).count() == 0


def test_received_at_orders_the_inbox():
    old = make_conversation(received_at=timezone.now() - timedelta(days=3))
    new = make_conversation()
    assert list(Conversation.objects.values_list("pk", flat=True)[:2]) == [new.pk, old.pk]


def test_identity_kind_social_handle_normalised():
    a = make_message(identity_kind=IdentityKind.SOCIAL, network="mastodon", identity_value="@Zoe")
    b = make_message(identity_kind=IdentityKind.SOCIAL, network="mastodon", identity_value="zoe")
    c = make_message(identity_kind=IdentityKind.SOCIAL, network="twitter", identity_value="zoe")
    assert a.person_id == b.person_id != c.person_id


def test_idempotency_key_of_another_conversation_is_refused():
    agent = make_user()
    first, second = make_conversation(), make_conversation()
    services.reply(first, agent, "One", idempotency_key="shared")
    with pytest.raises(services.IdempotencyConflict):
        services.reply(second, agent, "Two", idempotency_key="shared")
    with pytest.raises(services.IdempotencyConflict):
        services.add_note(first, agent, "Note", idempotency_key="shared")
    assert second.messages.count() == 1
