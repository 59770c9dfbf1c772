"""Conversations' public API. ``receive()`` is the one door every channel comes in by;
``reply()``, ``add_note()`` and ``update()`` are what agents do. Each call is one
transaction that writes its ``Event`` rows; nothing here hides behind signals or ``save()``.
"""

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.accounts.models import Team, User
from comptoir.people import services as people
from comptoir.people.models import Person

from . import outbound
from .events import EventKind
from .inbound import Inbound, InboundAttachment, normalise
from .models import (
    Attachment,
    Blob,
    Conversation,
    Event,
    Macro,
    Message,
    MessageKind,
    Priority,
    RawInbound,
    RawStatus,
    Reaction,
    Status,
    Tag,
)
from .sanitize import sanitize_html

PREVIEW_LENGTH = 200


class ConversationError(ValueError):
    """A change that cannot be made; the message is shown to the user as is."""


class IdempotencyConflict(ConversationError):
    """An idempotency key that already names a different message."""


# --- intake ---------------------------------------------------------------------------------


def store_raw(channel: str, payload: bytes, meta: dict | None = None) -> RawInbound:
    """Keep a channel's payload exactly as received and commit it, before any parsing.

    Must run outside any transaction the caller may roll back: once this returns, the
    payload survives whatever happens next.
    """
    return RawInbound.objects.create(
        channel=channel, payload=payload, meta=meta or {},
        sha256=hashlib.sha256(payload).hexdigest(),
    )


def process_raw(raw_id: int) -> Message | None:
    """Turn a stored raw payload into a message. Idempotent: processed rows are skipped.

    On failure the row keeps its error and attempt count and the exception is not raised:
    one bad payload never blocks a channel. ``comptoir replay`` calls this again.
    """
    with transaction.atomic():
        raw = RawInbound.objects.select_for_update().get(pk=raw_id)
        if raw.status == RawStatus.PROCESSED:
            return raw.message
        raw.attempts += 1
        raw.save(update_fields=["attempts"])
    try:
        with transaction.atomic():
            inbound = normalise(raw.channel, bytes(raw.payload), raw.meta)
            message = receive(inbound, raw=raw)
            RawInbound.objects.filter(pk=raw.pk).update(
                status=RawStatus.PROCESSED, processed_at=timezone.now(), error="", message=message,
            )
        return message
    except Exception as exc:  # noqa: BLE001 - any crash must leave the raw row replayable
        _mark_failed(raw, exc)
    return None


def _mark_failed(raw: RawInbound, exc: BaseException) -> None:
    RawInbound.objects.filter(pk=raw.pk).update(
        status=RawStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:5000],
    )
    Event.objects.create(kind=EventKind.RAW_FAILED, data={"raw_id": raw.pk, "error": str(exc)})


def receive(inbound: Inbound, *, raw: RawInbound | None = None) -> Message:
    """Store what a customer wrote: find the person, thread it, append the message.

    Threading, in order: an adapter's proven conversation id; then a reply to one of our
    messages (``thread_refs`` against external ids); otherwise a new conversation. A
    duplicate delivery (same channel, external id and text) returns the message already
    stored. A reply into a solved conversation reopens it; a closed one starts a new one.
    """
    with transaction.atomic():
        if inbound.external_id:
            duplicate = Message.objects.filter(
                channel=inbound.channel, external_id=inbound.external_id,
                body_text=inbound.text,
            ).first()
            if duplicate is not None:
                return duplicate

        identity = people.resolve_identity(
            inbound.identity_kind, inbound.identity_value, network=inbound.network,
            name=inbound.sender_name, language=inbound.language,
        )
        person = identity.person
        now = inbound.received_at or timezone.now()
        conversation = _thread(inbound, person)
        if conversation is None:
            conversation = Conversation.objects.create(
                subject=(inbound.subject or _first_line(inbound.text))[:300],
                channel=inbound.channel,
                language=inbound.language or person.language,
                plan=person.plan,
                person=person,
                created_at=now, updated_at=now, last_activity_at=now,
            )
            _event(conversation, EventKind.CONVERSATION_CREATED, None, now,
                   channel=inbound.channel, plan=person.plan, person_id=person.pk,
                   language=conversation.language)
        message = Message.objects.create(
            conversation=conversation, kind=MessageKind.INBOUND, channel=inbound.channel,
            person=person, identity=identity, body_text=inbound.text,
            body_html=sanitize_html(inbound.html), language=inbound.language,
            external_id=inbound.external_id[:500], raw=raw, created_at=now,
        )
        _attach(message, inbound.attachments)
        _event(conversation, EventKind.MESSAGE_RECEIVED, None, now, message_id=message.pk,
               channel=inbound.channel)
        if conversation.status == Status.SOLVED:
            _event(conversation, EventKind.REOPENED, None, now, **{"from": Status.SOLVED})
            _set_status(conversation, Status.OPEN, None, now)
        elif conversation.status == Status.PENDING:
            _set_status(conversation, Status.OPEN, None, now)
        _touch(conversation, message, now)
    return message


def _thread(inbound: Inbound, person: Person) -> Conversation | None:
    if inbound.conversation_id is not None:
        found = Conversation.objects.select_for_update().filter(
            pk=inbound.conversation_id, person=person
        ).first()
        if found is not None and found.status != Status.CLOSED:
            return found
    if inbound.thread_refs:
        parent = (
            Message.objects.filter(external_id__in=list(inbound.thread_refs))
            .exclude(conversation__status=Status.CLOSED)
            .order_by("-created_at").only("conversation_id").first()
        )
        if parent is not None:
            return Conversation.objects.select_for_update().get(pk=parent.conversation_id)
    return None


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _attach(message: Message, attachments: Iterable[InboundAttachment]) -> None:
    for item in attachments:
        Attachment.objects.create(
            message=message, blob=store_blob(item.content), filename=item.filename[:255],
            content_type=item.content_type[:127] or "application/octet-stream",
        )


def store_blob(content: bytes) -> Blob:
    """The stored file with these bytes, written once however often it arrives."""
    digest = hashlib.sha256(content).hexdigest()
    blob = Blob.objects.filter(sha256=digest).first()
    if blob is not None:
        return blob
    blob = Blob(sha256=digest, size=len(content))
    blob.file.save(digest, ContentFile(content), save=False)
    try:
        with transaction.atomic():
            blob.save()
    except IntegrityError:  # stored meanwhile by a concurrent intake
        blob = Blob.objects.get(sha256=digest)
    return blob


# --- what agents do -------------------------------------------------------------------------


def reply(
    conversation: Conversation, author: User, text: str, *, html: str = "",
    idempotency_key: str | None = None, status: str | None = None,
    attachments: Iterable[InboundAttachment] = (),
) -> Message:
    """A public reply to the customer. With ``status`` (e.g. pending, solved) it is set too.

    A second call with the same ``idempotency_key`` (a double-clicked Send) returns the first
    reply instead of storing another.
    """
    return _post(conversation, author, MessageKind.REPLY, text, html, idempotency_key, status,
                 attachments)


def add_note(
    conversation: Conversation, author: User, text: str, *, idempotency_key: str | None = None,
    attachments: Iterable[InboundAttachment] = (),
) -> Message:
    """An internal note, never shown to the customer."""
    return _post(conversation, author, MessageKind.NOTE, text, "", idempotency_key, None,
                 attachments)


def _post(conversation, author, kind, text, html, idempotency_key, status, attachments):
    text = text.strip()
    if not text:
        raise ConversationError(_("Write something first."))
    if idempotency_key:
        existing = Message.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return _same_post(existing, conversation, kind)
    try:
        with transaction.atomic():
            conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
            now = timezone.now()
            message = Message.objects.create(
                conversation=conversation, kind=kind, channel=conversation.channel, author=author,
                body_text=text, body_html=sanitize_html(html), idempotency_key=idempotency_key,
                language=conversation.language, created_at=now,
            )
            _attach(message, attachments)
            if kind == MessageKind.REPLY:
                _event(conversation, EventKind.REPLY_SENT, author, now, message_id=message.pk,
                       channel=conversation.channel)
                outbound.prepare(message)
                if conversation.assignee_id is None:
                    _set_field(conversation, "assignee", author, author, now)
                if status is None and conversation.status == Status.NEW:
                    status = Status.OPEN
            else:
                _event(conversation, EventKind.NOTE_ADDED, author, now, message_id=message.pk)
            if status and status != conversation.status:
                _set_status(conversation, status, author, now)
            _touch(conversation, message, now)
    except IntegrityError:
        # the same idempotency key won a race in another request: that one is the reply
        existing = Message.objects.filter(idempotency_key=idempotency_key).first()
        if idempotency_key and existing is not None:
            return _same_post(existing, conversation, kind)
        raise
    return message


def _same_post(existing: Message, conversation: Conversation, kind: str) -> Message:
    if existing.conversation_id != conversation.pk or existing.kind != kind:
        raise IdempotencyConflict(_("This idempotency key was already used for another message."))
    return existing


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any


_UNSET: Any = object()


def update(
    conversation: Conversation, actor: User | None, *, status: str = _UNSET,
    priority: int = _UNSET, assignee: User | None = _UNSET, team: Team | None = _UNSET,
    language: str = _UNSET, subject: str = _UNSET,
) -> list[Change]:
    """Change some properties of a conversation; each real change becomes one event.

    The row is locked while it changes, so two agents changing different properties at once
    both keep their change (a form only sends the fields its user touched).
    """
    requested = {
        "status": status, "priority": priority, "assignee": assignee, "team": team,
        "language": language, "subject": subject,
    }
    requested = {k: v for k, v in requested.items() if v is not _UNSET}
    if "status" in requested and requested["status"] not in Status.values:
        raise ConversationError(_("Unknown status."))
    if "priority" in requested and requested["priority"] not in Priority.values:
        raise ConversationError(_("Unknown priority."))
    new_assignee = requested.get("assignee")
    if new_assignee is not None and not new_assignee.is_active:
        raise ConversationError(_("This person cannot be assigned."))
    changes: list[Change] = []
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        now = timezone.now()
        for name, value in requested.items():
            change = (
                _set_status(conversation, value, actor, now) if name == "status"
                else _set_field(conversation, name, value, actor, now)
            )
            if change is not None:
                changes.append(change)
        if changes:
            _save(conversation, now)
    return changes


_FIELD_EVENTS = {
    "priority": EventKind.PRIORITY_CHANGED,
    "assignee": EventKind.ASSIGNEE_CHANGED,
    "team": EventKind.TEAM_CHANGED,
    "language": EventKind.LANGUAGE_CHANGED,
    "subject": None,
}


def _set_field(conversation, name, value, actor, now) -> Change | None:
    attname = conversation._meta.get_field(name).attname
    before = getattr(conversation, attname)
    after = value.pk if hasattr(value, "pk") else value
    if before == after:
        return None
    setattr(conversation, name, value)
    if _FIELD_EVENTS[name] is not None:
        _event(conversation, _FIELD_EVENTS[name], actor, now, **{"from": before, "to": after})
    return Change(name, before, after)


def _set_status(conversation, status, actor, now) -> Change | None:
    before = conversation.status
    if before == status:
        return None
    conversation.status = status
    _event(conversation, EventKind.STATUS_CHANGED, actor, now, **{"from": before, "to": status})
    return Change("status", before, status)


def _save(conversation: Conversation, now) -> None:
    conversation.updated_at = now
    conversation.version += 1
    conversation.save()


def _touch(conversation: Conversation, message: Message, now) -> None:
    conversation.last_activity_at = now
    conversation.message_count += 1
    if not message.is_note:
        conversation.preview = " ".join(message.body_text.split())[:PREVIEW_LENGTH]
    _save(conversation, now)


def _event(conversation: Conversation, kind: str, actor: User | None, at, **data) -> Event:
    return Event.objects.create(
        conversation=conversation, person_id=conversation.person_id, kind=kind, actor=actor,
        created_at=at, data=data,
    )


TAG_RE = re.compile(r"^[\w][\w\-.:/]{0,49}$")


def clean_tag(name: str) -> str:
    name = name.strip().lower().replace(" ", "-")
    if not TAG_RE.match(name):
        raise ConversationError(_("A tag is one word of letters, digits and dashes."))
    return name


def add_tags(conversation: Conversation, actor: User | None, names: Iterable[str]) -> list[str]:
    """Add tags (created on first use). Returns the ones that were not there yet."""
    cleaned = sorted({clean_tag(n) for n in names if n.strip()})
    added: list[str] = []
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        present = set(conversation.tags.values_list("name", flat=True))
        now = timezone.now()
        for name in cleaned:
            if name in present:
                continue
            tag, _created = Tag.objects.get_or_create(name=name)
            conversation.tags.add(tag)
            _event(conversation, EventKind.TAG_ADDED, actor, now, tag=name)
            added.append(name)
        if added:
            _save(conversation, now)
    return added


def remove_tag(conversation: Conversation, actor: User | None, name: str) -> bool:
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        tag = conversation.tags.filter(name=name).first()
        if tag is None:
            return False
        conversation.tags.remove(tag)
        now = timezone.now()
        _event(conversation, EventKind.TAG_REMOVED, actor, now, tag=name)
        _save(conversation, now)
    return True


MAX_EMOJI_LENGTH = 32


def toggle_reaction(message: Message, user: User, emoji: str) -> bool:
    """React with ``emoji``, or take the reaction back if it was there. True when added."""
    emoji = emoji.strip()
    if not emoji or len(emoji) > MAX_EMOJI_LENGTH or any(c.isalnum() for c in emoji):
        raise ConversationError(_("A reaction is one emoji."))
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=message.conversation_id)
        now = timezone.now()
        deleted, _rows = Reaction.objects.filter(message=message, user=user, emoji=emoji).delete()
        if deleted:
            _event(conversation, EventKind.REACTION_REMOVED, user, now, message_id=message.pk,
                   emoji=emoji)
            return False
        Reaction.objects.create(message=message, user=user, emoji=emoji, created_at=now)
        _event(conversation, EventKind.REACTION_ADDED, user, now, message_id=message.pk,
               emoji=emoji)
    return True


PLACEHOLDER_RE = re.compile(r"\{\{\s*([a-z_]+)\.([a-z_]+)\s*\}\}")


def render_macro(macro: Macro, conversation: Conversation, agent: User) -> str:
    """The macro's text with its placeholders filled in. Unknown placeholders stay visible
    so the agent sees them before sending; nothing is evaluated as a template."""
    person = conversation.person
    values = {
        ("customer", "name"): person.name,
        ("customer", "first_name"): person.first_name,
        ("agent", "name"): agent.display_name,
        ("agent", "first_name"): agent.first_name or agent.display_name,
        ("conversation", "id"): str(conversation.pk),
        ("conversation", "subject"): conversation.subject,
    }

    def fill(match: re.Match) -> str:
        return values.get((match.group(1), match.group(2)), match.group(0))

    return PLACEHOLDER_RE.sub(fill, macro.body)
