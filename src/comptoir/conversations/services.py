"""Conversations' public API. ``receive()`` is the one door every channel comes in by;
``reply()``, ``add_note()`` and ``update()`` are what agents do. Each call is one
transaction that writes its ``Event`` rows; nothing here hides behind signals or ``save()``.
"""

import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir import realtime
from comptoir.accounts.models import Team, User
from comptoir.email import outbound as email_outbound
from comptoir.email import safety
from comptoir.email.models import Mailbox
from comptoir.people import services as people
from comptoir.people.models import Identity, IdentityKind, Person
from comptoir.routing import services as routing
from comptoir.routing.language import detect as detect_language
from comptoir.sla import services as sla

from . import outbound
from .events import EventKind
from .inbound import Inbound, InboundAttachment, normalise
from .models import (
    Attachment,
    Blob,
    Channel,
    Conversation,
    Event,
    Macro,
    Message,
    MessageKind,
    Participant,
    Priority,
    RawInbound,
    RawStatus,
    Reaction,
    Status,
    Tag,
)
from .sanitize import sanitize_html

PREVIEW_LENGTH = 200

logger = logging.getLogger(__name__)


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


def store_raw_many(channel: str, items: Iterable[tuple[bytes, dict]]) -> list[RawInbound]:
    """``store_raw`` for many payloads (an import), in one statement and one transaction,
    committed before any of them is parsed. Returns the rows, in order."""
    rows = [RawInbound(channel=channel, payload=payload, meta=meta or {},
                       sha256=hashlib.sha256(payload).hexdigest()) for payload, meta in items]
    with transaction.atomic():
        created = RawInbound.objects.bulk_create(rows)
    if any(row.pk is None for row in created):  # a database that returns no ids
        raise RuntimeError("bulk insert returned no ids")
    return created


def process_raw(raw_id: int, *, force: bool = False) -> Message | None:
    """Turn a stored raw payload into a message. Idempotent: processed rows are skipped.

    The email channel screens a message first (``email.safety.screen``): a mail loop or a
    delivery report is kept raw, IGNORED with why, and makes no message; ignored rows are
    skipped too. ``force`` (an agent replaying an ignored row) makes the message anyway.

    On failure the row keeps its error and attempt count and the exception is not raised:
    one bad payload never blocks a channel. ``comptoir replay`` calls this again.
    """
    # The attempt is counted (and committed) before anything else: a payload that kills its
    # worker outright still shows how often it was tried. One statement, no transaction.
    done = [RawStatus.PROCESSED] if force else [RawStatus.PROCESSED, RawStatus.IGNORED]
    counted = (RawInbound.objects.filter(pk=raw_id).exclude(status__in=done)
               .update(attempts=F("attempts") + 1))
    if not counted:  # processed or ignored already (DoesNotExist when there is no such row)
        row = RawInbound.objects.only("status", "message").get(pk=raw_id)
        return row.message if row.status == RawStatus.PROCESSED else None
    try:
        with transaction.atomic():
            # Locked until processed: the same job run twice at once (a broker handing a slow
            # worker's unacknowledged message to another) waits here, then finds it done.
            raw = RawInbound.objects.select_for_update().get(pk=raw_id)
            if raw.status == RawStatus.PROCESSED or (
                    raw.status == RawStatus.IGNORED and not force):
                return raw.message
            inbound = normalise(raw.channel, bytes(raw.payload), raw.meta)
            ignored = ""
            if raw.channel == Channel.EMAIL:
                inbound, ignored = safety.screen(inbound, raw, force=force)
            if ignored:
                RawInbound.objects.filter(pk=raw.pk).update(
                    status=RawStatus.IGNORED, processed_at=timezone.now(), error=ignored[:5000],
                )
                return None
            message = receive(inbound, raw=raw, savepoint=False)  # in this transaction
            routing.route_new(message, raw_id=raw.pk)  # a conversation it opened
            if raw.channel == Channel.EMAIL:
                email_outbound.maybe_acknowledge(message)
            RawInbound.objects.filter(pk=raw.pk).update(
                status=RawStatus.PROCESSED, processed_at=timezone.now(), error="", message=message,
            )
        return message
    except Exception as exc:  # noqa: BLE001 - any crash must leave the raw row replayable
        _mark_failed(raw_id, exc)
    return None


INTAKE_BATCH = 200  # raw rows processed together (``process_raw_many``), per transaction


def waiting_raw_ids(*, exclude: int | None = None, limit: int = INTAKE_BATCH - 1) -> list[int]:
    """Stored raw rows no job has started on yet (received, never attempted), oldest
    first: a burst a worker may take in one batch. A row that was attempted (and maybe
    killed its worker) is never taken along: only its own job retries it."""
    rows = RawInbound.objects.filter(status=RawStatus.RECEIVED, attempts=0)
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    return list(rows.order_by("pk").values_list("pk", flat=True)[:limit])


def process_raw_many(raw_ids: Iterable[int]) -> dict[int, Message | None]:
    """``process_raw`` for many stored raw rows at once, in the given order: a burst in a
    worker, an import. Reads and writes in bulk (``conversations.intake``), with the same
    results, failures kept per row. Returns each row's message, or None."""
    from .intake import process_raw_many as process_in_bulk  # intake imports this module

    return process_in_bulk(raw_ids)


def _mark_failed(raw_id: int, exc: BaseException) -> None:
    RawInbound.objects.filter(pk=raw_id).update(
        status=RawStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:5000],
    )
    Event.objects.create(kind=EventKind.RAW_FAILED, data={"raw_id": raw_id, "error": str(exc)})


MAX_PARENTS = 10  # referenced messages looked at to find the conversation a reply continues
MAX_SUBJECT_CANDIDATES = 20  # the sender's recent conversations compared by subject
# Reply and forward prefixes of the mail clients of our five languages and their neighbours,
# "Re[2]:" counters and full-width colons included; "[tags]" before them are kept.
_SUBJECT_PREFIX = re.compile(
    r"^((?:\s*\[[^\]]*\])*)\s*(?:re|fwd?|aw|wg|sv|vs|tr|r|rif|antw|返信|転送)"
    r"\s*(?:\[\d+\]|\(\d+\))?\s*[:：]", re.IGNORECASE,
)


def receive(inbound: Inbound, *, raw: RawInbound | None = None,
            savepoint: bool = True) -> Message:
    """Store what a customer wrote: find the person, thread it, append the message.

    Threading is ``_thread``'s. A duplicate delivery (same channel, external id and text)
    returns the message already stored. A reply into a solved conversation reopens it (an
    out-of-office answer never changes the status); a closed one starts a new one. Everyone
    else the message went to (``inbound.cc``) and a sender who is not the conversation's
    customer become its participants.

    A sender who failed authentication (``trusted_sender`` False) writes into a conversation
    of their own, never threaded, without participants; if their address is already known,
    the message goes to a new person without that identity, so it never lands in an existing
    customer's history (an agent merges them after checking). An unknown address gets its
    person and (unverified) identity as usual, so that a reply can be sent.

    The message's language is the channel's, else detected from what the customer wrote
    (``routing.language``: one of the five, "other", or unknown). The time is
    ``inbound.received_at``, else when the raw payload was stored, else now. A
    new conversation takes the mailbox's team, and its default language when neither the
    message nor the person has one.

    ``savepoint=False`` (``process_raw``): inside the caller's transaction without a
    savepoint of its own, so an exception aborts that whole transaction.
    """
    with transaction.atomic(savepoint=savepoint):
        return _receive(inbound, raw=raw)


def _receive(inbound: Inbound, *, raw: RawInbound | None = None) -> Message:
    """``receive()``'s work, in its transaction. A new conversation is inserted as it will be
    once this message is in (count, preview, activity), its first two events in one
    statement."""
    if inbound.external_id:
        duplicate = Message.objects.filter(
            channel=inbound.channel, external_id=inbound.external_id,
            body_text=inbound.text,
        ).first()
        if duplicate is not None:
            return duplicate

    if not inbound.language:
        inbound = replace(inbound, language=detect_language(inbound.text))
    identity, person = _sender(inbound)
    now = inbound.received_at or (raw.received_at if raw is not None else timezone.now())
    conversation = _thread(inbound, person) if inbound.trusted_sender else None
    opened = conversation is None
    if opened:
        conversation, created_event = _open(inbound, person, now)
    meta = {**inbound.meta, "mailbox": inbound.mailbox} if inbound.mailbox else inbound.meta
    message = Message.objects.create(
        conversation=conversation, kind=MessageKind.INBOUND, channel=inbound.channel,
        person=person, identity=identity, body_text=inbound.text,
        body_html=sanitize_html(inbound.html), language=inbound.language,
        external_id=inbound.external_id[:500], raw=raw, meta=meta, created_at=now,
    )
    _attach(message, inbound.attachments)
    if inbound.trusted_sender:
        _add_participants(conversation, inbound, person, identity, now)
    received = _event_row(conversation, EventKind.MESSAGE_RECEIVED, None, now,
                          message_id=message.pk, channel=inbound.channel)
    if opened:  # created with this message counted in (``_open``): announce it as it is
        Event.objects.bulk_create([created_event, received])
        announce([conversation])
    else:
        received.save()
        out_of_office = inbound.meta.get("auto") == safety.AUTO_REPLY  # says nothing new
        if conversation.status == Status.SOLVED and not out_of_office:
            _event(conversation, EventKind.REOPENED, None, now, **{"from": Status.SOLVED})
            _set_status(conversation, Status.OPEN, None, now)
        elif conversation.status == Status.PENDING and not out_of_office:
            _set_status(conversation, Status.OPEN, None, now)
        _touch(conversation, message, max(now, conversation.last_activity_at))
    sla.refresh(conversation.pk)
    return message


def _sender(inbound: Inbound) -> tuple[Identity | None, Person]:
    """The sender's identity and person. An untrusted sender (failed authentication) whose
    address is known gets a new person and no identity: the address is only a claim."""
    if not inbound.trusted_sender and people.find_identity(
        inbound.identity_kind, inbound.identity_value, inbound.network,
    ) is not None:
        return None, people.create_person(actor=None, name=inbound.sender_name[:200],
                                          language=inbound.language)
    identity = people.resolve_identity(
        inbound.identity_kind, inbound.identity_value, network=inbound.network,
        name=inbound.sender_name, language=inbound.language,
    )
    return identity, identity.person


def _open(inbound: Inbound, person: Person, now) -> tuple[Conversation, Event]:
    """A new conversation for ``inbound``'s message, stored as it is once that message is in
    (``_touch`` done: one message, its preview, its time), and its ``conversation.created``
    event, not saved yet (``_receive`` writes it with the message's)."""
    mailbox = (Mailbox.objects.filter(address=inbound.mailbox, is_active=True)
               .values("team_id", "language").first() if inbound.mailbox else None) or {}
    conversation = Conversation.objects.create(
        subject=(inbound.subject or _first_line(inbound.text))[:300],
        channel=inbound.channel,
        language=inbound.language or person.language or mailbox.get("language", ""),
        plan=person.plan,
        person=person,
        team_id=mailbox.get("team_id"),
        created_at=now, updated_at=now, last_activity_at=now,
        message_count=1, preview=" ".join(inbound.text.split())[:PREVIEW_LENGTH],
        version=Conversation._meta.get_field("version").default + 1,
    )
    data = {"channel": inbound.channel, "plan": person.plan, "person_id": person.pk,
            "language": conversation.language}
    if conversation.team_id:
        data["team_id"] = conversation.team_id
    if not inbound.trusted_sender:
        data.update(auth="fail", claimed=inbound.identity_value)
    return conversation, _event_row(conversation, EventKind.CONVERSATION_CREATED, None, now,
                                    **data)


def _thread(inbound: Inbound, person: Person) -> Conversation | None:
    """The conversation this message continues, locked; None to open a new one.

    In order, never into a closed conversation:

    1. the adapter's proven conversation (a signed reply address, a chat session), when the
       sender is its customer or one of its participants;
    2. a reply (``thread_refs`` against external ids): into the sender's own conversation or
       one they take part in, by any of its messages' ids; anyone else only by the
       Message-ID of one of our replies, which only its recipients have seen (the customer
       forwarded it to a colleague who answers): they join as a participant;
    3. with ``thread_by_subject`` (email), the sender's latest conversation on the channel
       with the same subject once "Re:", "Fwd:", "AW:"... are removed, active within
       ``THREAD_WINDOW_DAYS`` of now. A generic subject ("Help") only ever matches the same
       person's own conversations; an empty one matches nothing.
    """
    if inbound.conversation_id is not None:
        found = Conversation.objects.select_for_update().filter(
            pk=inbound.conversation_id).exclude(status=Status.CLOSED).first()
        if found is not None and (found.person_id == person.pk or _takes_part(found.pk, person)):
            return found
    if inbound.thread_refs:
        parents = (
            Message.objects.filter(external_id__in=list(inbound.thread_refs))
            .exclude(conversation__status=Status.CLOSED).order_by("-created_at", "-id")
            .values_list("conversation_id", "conversation__person_id", "kind")[:MAX_PARENTS]
        )
        for conversation_id, owner_id, kind in parents:
            if (owner_id == person.pk or kind == MessageKind.REPLY
                    or _takes_part(conversation_id, person)):
                return Conversation.objects.select_for_update().get(pk=conversation_id)
    subject = thread_subject(inbound.subject)
    if inbound.thread_by_subject and subject:
        since = timezone.now() - timedelta(days=settings.THREAD_WINDOW_DAYS)
        recent = (
            Conversation.objects.filter(person=person, channel=inbound.channel,
                                        last_activity_at__gte=since)
            .exclude(status=Status.CLOSED).order_by("-last_activity_at", "-id")
            .values_list("pk", "subject")[:MAX_SUBJECT_CANDIDATES]
        )
        for pk, their_subject in recent:
            if thread_subject(their_subject) == subject:
                return Conversation.objects.select_for_update().get(pk=pk)
    return None


def thread_subject(subject: str) -> str:
    """A subject as threads compare it: reply and forward prefixes removed (also after
    leading "[tags]", which stay), spaces collapsed, case folded."""
    previous = None
    while previous != subject:
        previous, subject = subject, _SUBJECT_PREFIX.sub(r"\1", subject, count=1)
    return " ".join(subject.split()).casefold()


def _takes_part(conversation_id: int, person: Person) -> bool:
    return Participant.objects.filter(conversation_id=conversation_id, person=person).exists()


def _add_participants(conversation: Conversation, inbound: Inbound, person: Person,
                      identity: Identity | None, now) -> None:
    """The sender when not the conversation's customer, and everyone copied (our own
    mailboxes were already taken out by the channel), as participants: once each, never the
    customer, never merging anyone (each address is its own identity and person if new)."""
    members: dict[int, Identity | None] = {}
    if person.pk != conversation.person_id:
        members[person.pk] = identity
    for name, address in inbound.cc:
        copied = people.resolve_identity(IdentityKind.EMAIL, address, name=name)
        if copied.person_id != conversation.person_id:
            members.setdefault(copied.person_id, copied)
    if members:
        Participant.objects.bulk_create(
            [Participant(conversation=conversation, person_id=person_id, identity=member,
                         added_at=now) for person_id, member in members.items()],
            ignore_conflicts=True,
        )


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
            if kind == MessageKind.REPLY or status:
                sla.refresh(conversation.pk)
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
            if {c.field for c in changes} & {"status", "priority", "team"}:
                sla.refresh(conversation.pk)
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
    announce([conversation])


def _touch(conversation: Conversation, message: Message, now) -> None:
    conversation.last_activity_at = now
    conversation.message_count += 1
    if not message.is_note:
        conversation.preview = " ".join(message.body_text.split())[:PREVIEW_LENGTH]
    _save(conversation, now)


def _event(conversation: Conversation, kind: str, actor: User | None, at, **data) -> Event:
    event = _event_row(conversation, kind, actor, at, **data)
    event.save(force_insert=True)
    return event


def _event_row(conversation: Conversation, kind: str, actor: User | None, at, **data) -> Event:
    """An event, not saved yet."""
    return Event(conversation=conversation, person_id=conversation.person_id, kind=kind,
                 actor=actor, created_at=at, data=data)


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


# --- live updates (comptoir.realtime) ---------------------------------------------------------


def announce(conversations: Iterable[Conversation]) -> None:
    """Once the transaction commits, tell the staff's open pages that these conversations
    changed (their inbox rows, their pages), in one go. Values are taken now, as this
    transaction leaves them; nothing is sent if it rolls back, and a failure to send is only
    logged."""
    payloads = [{
        "id": conversation.pk, "version": conversation.version, "status": conversation.status,
        "priority": conversation.priority, "assignee_id": conversation.assignee_id,
        "team_id": conversation.team_id, "message_count": conversation.message_count,
        "last_activity_at": conversation.last_activity_at,
    } for conversation in conversations]
    if len(payloads) == 1:
        transaction.on_commit(partial(realtime.publish, "conversation.changed", payloads[0]))
    elif payloads:
        transaction.on_commit(partial(realtime.publish_many, "conversation.changed", payloads))
