"""Batch intake: many stored raw payloads become messages in one transaction.

``process_raw_many`` is what a worker runs on a burst and what ``import-mail`` runs: the
same decisions as ``services.process_raw`` one message after the other, in order, but what
those decisions read is fetched once for the batch (identities, mailboxes, duplicates,
parents, the senders' recent conversations, their recent messages for loop screening) and
what they write is written once for the batch (``bulk_create`` of people, identities,
conversations, messages, blobs, attachments, participants and events; ``bulk_update`` of
the conversations continued and the raw rows). Messages that depend on each other in one
batch (a reply to a message just before it, a new sender writing twice) come out as if
processed one by one: each decision sees the batch's own pending objects through the
in-memory indexes it keeps up to date.

Guarantees kept from ``process_raw``: the payloads were committed raw before (the callers
store them); the attempt is counted and committed before anything else; processed and
ignored rows are skipped; the rows are locked (``skip_locked`` on PostgreSQL: another
worker's rows are left to it), so running a batch twice or concurrently stores nothing
twice. A payload that cannot be read is marked FAILED with its error, the others go on; if
anything else fails in the batch, it is rolled back and each message goes through
``process_raw`` on its own (one bad message is then FAILED, replayable, the others stored).
Delivery reports and unauthenticated senders claiming a known address (rare, with writes
of their own) also go through ``process_raw``, after the batch.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from comptoir.email import outbound as email_outbound
from comptoir.email import safety
from comptoir.email.models import Mailbox
from comptoir.people import services as people
from comptoir.people.models import Identity, IdentityKind, Person, Plan
from comptoir.routing import services as routing
from comptoir.routing.language import detect as detect_language
from comptoir.sla import services as sla

from . import services
from .events import EventKind
from .inbound import Inbound, normalise
from .models import (
    Attachment,
    Blob,
    Channel,
    Conversation,
    Event,
    Message,
    MessageKind,
    Participant,
    RawInbound,
    RawStatus,
    Status,
)
from .sanitize import sanitize_html

logger = logging.getLogger(__name__)

BATCH_SIZE = services.INTAKE_BATCH  # raw rows per transaction
_DONE = (RawStatus.PROCESSED, RawStatus.IGNORED)
_LATER = 1 << 62  # pending rows sort after stored ones (their ids will be larger)


class _Solo(Exception):
    """This message goes through ``process_raw`` on its own, after the batch."""


def process_raw_many(raw_ids: Iterable[int], *, batch_size: int = BATCH_SIZE,
                     ) -> dict[int, Message | None]:
    """``process_raw`` for many raw rows, in the given order, ``batch_size`` per transaction.
    Returns each row's message (None: failed, ignored, or another worker's), as
    ``process_raw`` would."""
    ids = list(dict.fromkeys(raw_ids))
    results: dict[int, Message | None] = {}
    for start in range(0, len(ids), batch_size):
        results.update(_process_chunk(ids[start:start + batch_size]))
    return results


def _process_chunk(ids: list[int]) -> dict[int, Message | None]:
    # The attempt is counted and committed first (as process_raw), on the rows nobody else
    # is processing right now.
    with transaction.atomic():
        mine = list(RawInbound.objects.select_for_update(skip_locked=True)
                    .filter(pk__in=ids).exclude(status__in=_DONE).values_list("pk", flat=True))
        if mine:
            RawInbound.objects.filter(pk__in=mine).update(attempts=F("attempts") + 1)
    results: dict[int, Message | None] = {}
    solo: list[int] = []
    if mine:
        try:
            with transaction.atomic():
                batch = _Batch(sorted(mine, key=ids.index))
                results, solo = batch.run()
        except Exception:  # a bulk step failed: one by one, each message isolated
            logger.exception("Intake of a batch of %s raw rows failed; one by one now",
                             len(mine))
            results, solo = {}, [pk for pk in ids if pk in set(mine)]
    for pk in solo:
        results[pk] = services.process_raw(pk)
    rest = [pk for pk in ids if pk not in results]
    if rest:  # done before, or by another worker meanwhile
        done = dict(RawInbound.objects.filter(pk__in=rest, status=RawStatus.PROCESSED)
                    .values_list("pk", "message_id"))
        messages = Message.objects.in_bulk([m for m in done.values() if m is not None])
        for pk in rest:
            results[pk] = messages.get(done.get(pk))
    return {pk: results.get(pk) for pk in ids}


def _key(obj) -> int:
    """A stored object's id, else a number of its own (negative) while it is pending."""
    return obj.pk if obj.pk is not None else -id(obj)


def _owner(conversation: Conversation) -> int:
    """The key of a conversation's customer, without a query."""
    cached = conversation._state.fields_cache.get("person")
    return _key(cached) if cached is not None else conversation.person_id


class _Batch:
    """One transaction's raw rows: read, decide in order, write in bulk."""

    def __init__(self, ids: list[int]):
        self.ids = ids
        self.now = timezone.now()
        self.results: dict[int, Message | None] = {}
        self.solo: list[int] = []
        self.sequence = 0
        # writes, in the order one by one would make them
        self.persons: list[Person] = []
        self.identities_new: list[Identity] = []
        self.conversations_new: list[Conversation] = []
        self.messages: list[Message] = []
        self.attachments: list[tuple[Message, str, str, str]] = []  # message, sha, name, type
        self.blob_content: dict[str, bytes] = {}
        self.participants: list[Participant] = []
        self.events: list[tuple[Event, Message | None, Person | None]] = []
        self.touched: dict[int, Conversation] = {}  # stored conversations continued
        self.opened: list[Conversation] = []
        self.processed: list[tuple[RawInbound, Message]] = []
        self.ignored: list[tuple[RawInbound, str]] = []
        self.failed: list[tuple[RawInbound, BaseException]] = []

    # --- reading -------------------------------------------------------------------------

    def run(self) -> tuple[dict[int, Message | None], list[int]]:
        rows = {row.pk: row for row in RawInbound.objects.select_for_update(skip_locked=True)
                .filter(pk__in=self.ids).exclude(status__in=_DONE)}
        work: list[tuple[RawInbound, Inbound]] = []
        for pk in self.ids:
            row = rows.get(pk)
            if row is None:
                continue
            try:
                inbound = normalise(row.channel, bytes(row.payload), row.meta)
            except Exception as exc:  # noqa: BLE001 - kept raw with its error
                self.failed.append((row, exc))
                continue
            if row.channel == Channel.EMAIL and inbound.meta.get("report") is not None:
                self.solo.append(pk)  # a delivery report: applied by process_raw
                continue
            if not inbound.language:
                inbound = replace(inbound, language=detect_language(inbound.text))
            work.append((row, inbound))
        self._prefetch([inbound for _row, inbound in work])
        for row, inbound in work:
            try:
                self._one(row, inbound)
            except _Solo:
                self.solo.append(row.pk)
        self._flush()
        for row, message in self.processed:
            self.results[row.pk] = message
        for row, _reason in self.ignored:
            self.results[row.pk] = None
        for row, _exc in self.failed:
            self.results[row.pk] = None
        return self.results, self.solo

    def _prefetch(self, inbounds: list[Inbound]) -> None:
        self.mailboxes = {m.address: m for m in Mailbox.objects.all()}
        # identities of every sender and everyone copied
        keys = {(i.identity_kind, i.network, people.normalise(i.identity_kind, i.identity_value))
                for i in inbounds}
        keys |= {(IdentityKind.EMAIL, "", people.normalise(IdentityKind.EMAIL, address))
                 for i in inbounds for _name, address in i.cc}
        self.identities: dict[tuple[str, str, str], Identity] = {}
        values = sorted({value for _kind, _network, value in keys})
        for start in range(0, len(values), 500):
            for identity in (Identity.objects.select_related("person")
                             .filter(value__in=values[start:start + 500])):
                key = (identity.kind, identity.network, identity.value)
                if key in keys:
                    self.identities[key] = identity
        # loop screening: the senders' messages of the last hour
        self.since_hour = self.now - timedelta(hours=1)
        senders = sorted({i.identity_value for i in inbounds if i.channel == Channel.EMAIL})
        self.recent: dict[str, int] = defaultdict(int)
        if senders:
            self.recent.update(
                Message.objects.filter(identity__kind=IdentityKind.EMAIL, identity__network="",
                                       identity__value__in=senders,
                                       created_at__gte=self.since_hour)
                .values_list("identity__value").annotate(n=Count("pk")).values_list(
                    "identity__value", "n"))
        # duplicates: stored messages with the same external ids
        external = sorted({i.external_id for i in inbounds if i.external_id})
        self.stored_by_external: dict[tuple[str, str, str], Message] = {}
        if external:
            for message in (Message.objects.filter(external_id__in=external)
                            .order_by("created_at", "id")):
                self.stored_by_external.setdefault(
                    (message.channel, message.external_id, message.body_text), message)
        # parents of replies: stored messages by external id, in open conversations
        refs = sorted({ref for i in inbounds for ref in i.thread_refs})
        self.parents: dict[str, list[tuple]] = defaultdict(list)  # ext id -> entries
        wanted: set[int] = set()
        if refs:
            for ext, conversation_id, owner_id, kind, created_at, pk in (
                    Message.objects.filter(external_id__in=refs)
                    .exclude(conversation__status=Status.CLOSED)
                    .values_list("external_id", "conversation_id", "conversation__person_id",
                                 "kind", "created_at", "id")):
                self.parents[ext].append((created_at, pk, conversation_id, owner_id, kind))
                wanted.add(conversation_id)
        wanted |= {i.conversation_id for i in inbounds if i.conversation_id is not None}
        # the senders' recent conversations (subject threading)
        self.since_window = self.now - timedelta(days=settings.THREAD_WINDOW_DAYS)
        person_ids = sorted({identity.person_id for identity in self.identities.values()})
        subjects = defaultdict(set)
        for i in inbounds:
            if i.thread_by_subject:
                identity = self.identities.get(
                    (i.identity_kind, i.network, people.normalise(i.identity_kind,
                                                                  i.identity_value)))
                if identity is not None:
                    subjects[identity.person_id].add(services.thread_subject(i.subject))
        self.recent_conversations: dict[tuple[int, str], list[list]] = defaultdict(list)
        if person_ids and subjects:
            for pk, subject, person_id, channel, last in (
                    Conversation.objects.filter(person_id__in=list(subjects),
                                                last_activity_at__gte=self.since_window)
                    .exclude(status=Status.CLOSED)
                    .values_list("pk", "subject", "person_id", "channel", "last_activity_at")):
                folded = services.thread_subject(subject)
                self.recent_conversations[(person_id, channel)].append(
                    [last, pk, pk, folded])
                if folded in subjects[person_id]:
                    wanted.add(pk)
        # the conversations this batch may continue, locked (in id order: no deadlocks)
        self.conversations: dict[int, Conversation] = {
            c.pk: c for c in Conversation.objects.select_for_update()
            .filter(pk__in=sorted(wanted)).order_by("pk")} if wanted else {}
        self.taking_part: set[tuple[int, int]] = set(
            Participant.objects.filter(conversation_id__in=list(self.conversations))
            .values_list("conversation_id", "person_id")) if self.conversations else set()
        self.plans: dict[str, bool] = {}

    # --- deciding, one message after the other ------------------------------------------

    def _one(self, raw: RawInbound, inbound: Inbound) -> None:
        if raw.channel == Channel.EMAIL:
            inbound, ignored = self._screen(inbound, raw)
            if ignored:
                self.ignored.append((raw, ignored))
                return
        message = self._receive(inbound, raw)
        self.processed.append((raw, message))

    def _screen(self, inbound: Inbound, raw: RawInbound) -> tuple[Inbound, str]:
        """``safety.screen`` with the batch's mailboxes and recent-message counts."""
        base = safety._base
        sender = base(inbound.identity_value)
        bases = [base(address) for _name, address in inbound.cc]
        ours = {address: self.mailboxes[address].is_active
                for address in {sender, base(inbound.mailbox), *bases} - {""}
                if address in self.mailboxes}
        mailbox = base(inbound.mailbox) or next((b for b in bases if ours.get(b)), "")
        cc = tuple(pair for pair, b in zip(inbound.cc, bases, strict=True)
                   if b not in ours) if mailbox else ()
        loop = ""
        if sender in ours:
            loop = "mail loop: from our own mailbox"
        elif (not safety.imported(raw.meta)
              and self.recent[inbound.identity_value] >= settings.LOOP_MAX_PER_HOUR):
            loop = (f"mail loop: more than {settings.LOOP_MAX_PER_HOUR} messages from "
                    f"{inbound.identity_value} in an hour")
        return replace(inbound, mailbox=mailbox, cc=cc), loop

    def _receive(self, inbound: Inbound, raw: RawInbound) -> Message:
        """``services._receive`` on the batch's indexes; writes are kept for ``_flush``."""
        if inbound.external_id:
            key = (inbound.channel, inbound.external_id, inbound.text)
            duplicate = self.stored_by_external.get(key)
            if duplicate is not None:
                return duplicate
        identity, person = self._sender(inbound)
        now = inbound.received_at or raw.received_at
        conversation = self._thread(inbound, person) if inbound.trusted_sender else None
        opened = conversation is None
        self.sequence += 1
        if opened:
            conversation, created = self._open(inbound, person, now)
        meta = {**inbound.meta, "mailbox": inbound.mailbox} if inbound.mailbox else inbound.meta
        if (inbound.channel == Channel.EMAIL and person.plan is not None
                and not self._may_email(person.plan)):
            meta = {**meta, email_outbound.OUTSIDE_PLAN: Channel.EMAIL}
        message = Message(
            conversation=conversation, kind=MessageKind.INBOUND, channel=inbound.channel,
            person=person, identity=identity, body_text=inbound.text,
            body_html=sanitize_html(inbound.html), language=inbound.language,
            external_id=inbound.external_id[:500], raw=raw, meta=meta, created_at=now,
        )
        self.messages.append(message)
        if inbound.external_id:
            self.stored_by_external.setdefault(
                (inbound.channel, inbound.external_id, inbound.text), message)
            self.parents[message.external_id].append(
                (now, _LATER + self.sequence, conversation, person, MessageKind.INBOUND))
        if identity is not None and now >= self.since_hour:
            self.recent[identity.value] += 1
        for item in inbound.attachments:
            digest = hashlib.sha256(item.content).hexdigest()
            self.blob_content.setdefault(digest, item.content)
            self.attachments.append((message, digest, item.filename[:255],
                                     item.content_type[:127] or "application/octet-stream"))
        if inbound.trusted_sender:
            self._add_participants(conversation, inbound, person, identity, now)
        received = self._event(conversation, EventKind.MESSAGE_RECEIVED, now, message,
                               message_id=None, channel=inbound.channel)
        if opened:
            self.events.append(created)
            self.events.append(received)
            self.opened.append(conversation)
        else:
            self.events.append(received)
            out_of_office = inbound.meta.get("auto") == safety.AUTO_REPLY
            if conversation.status == Status.SOLVED and not out_of_office:
                self.events.append(self._event(conversation, EventKind.REOPENED, now,
                                               **{"from": Status.SOLVED}))
                self._set_status(conversation, Status.OPEN, now)
            elif conversation.status == Status.PENDING and not out_of_office:
                self._set_status(conversation, Status.OPEN, now)
            at = max(now, conversation.last_activity_at)
            conversation.last_activity_at = at
            conversation.message_count += 1
            conversation.preview = " ".join(message.body_text.split())[:services.PREVIEW_LENGTH]
            conversation.updated_at = at
            conversation.version += 1
            if conversation.pk is not None:
                self.touched[conversation.pk] = conversation
            self._moved(conversation)
        return message

    def _may_email(self, plan: str) -> bool:
        if plan not in self.plans:
            self.plans[plan] = sla.may_open(plan, Channel.EMAIL)
        return self.plans[plan]

    def _set_status(self, conversation: Conversation, status: str, now) -> None:
        before = conversation.status
        if before == status:
            return
        conversation.status = status
        self.events.append(self._event(conversation, EventKind.STATUS_CHANGED, now,
                                       **{"from": before, "to": status}))

    def _event(self, conversation: Conversation, kind: str, at, message: Message | None = None,
               person: Person | None = None, **data) -> tuple[Event, Message | None,
                                                             Person | None]:
        event = Event(conversation=conversation, person_id=conversation.person_id, kind=kind,
                      actor=None, created_at=at, data=data)
        owner = conversation._state.fields_cache.get("person")
        if conversation.pk is None and owner is not None:
            event.person = owner  # pending: its id once stored
        return event, message, person

    def _sender(self, inbound: Inbound) -> tuple[Identity | None, Person]:
        key = (inbound.identity_kind, inbound.network,
               people.normalise(inbound.identity_kind, inbound.identity_value))
        known = self.identities.get(key)
        if not inbound.trusted_sender and known is not None:
            raise _Solo  # a new person of its own, with its event: process_raw does it
        if known is not None:
            return known, known.person
        return self._new_identity(key, inbound.identity_value, inbound.sender_name,
                                  inbound.language)

    def _new_identity(self, key, value: str, name: str, language: str = ""):
        kind, network, normalised = key
        person = Person(name=name[:200], language=language, plan=Plan.FREE)
        identity = Identity(person=person, kind=kind, network=network, value=normalised,
                            display=value.strip()[:320])
        self.persons.append(person)
        self.identities_new.append(identity)
        self.identities[key] = identity
        return identity, person

    def _takes_part(self, conversation, person) -> bool:
        return (_key(conversation), _key(person)) in self.taking_part

    def _thread(self, inbound: Inbound, person: Person) -> Conversation | None:
        """``services._thread`` on the batch's indexes."""
        if inbound.conversation_id is not None:
            found = self.conversations.get(inbound.conversation_id)
            if found is not None and found.status != Status.CLOSED and (
                    found.person_id == person.pk or self._takes_part(found, person)):
                return found
        if inbound.thread_refs:
            entries = [entry for ref in dict.fromkeys(inbound.thread_refs)
                       for entry in self.parents.get(ref, ())]
            entries.sort(key=lambda entry: (entry[0], entry[1]), reverse=True)
            seen = 0
            for _created, _order_key, conversation, owner, kind in entries:
                if seen >= services.MAX_PARENTS:
                    break
                seen += 1
                if isinstance(conversation, int):
                    conversation = self.conversations.get(conversation)
                    if conversation is None:  # gone since (deleted): as not found
                        continue
                owner_key = owner if isinstance(owner, int) else _key(owner)
                if (owner_key == _key(person) or kind == MessageKind.REPLY
                        or self._takes_part(conversation, person)):
                    return conversation
        subject = services.thread_subject(inbound.subject)
        if inbound.thread_by_subject and subject:
            candidates = self.recent_conversations.get((_key(person), inbound.channel), [])
            ranked = sorted(candidates, key=lambda entry: (entry[0], entry[1]), reverse=True)
            ranked = [entry for entry in ranked if entry[0] >= self.since_window]
            for _last, _order_key, conversation, their_subject in (
                    ranked[:services.MAX_SUBJECT_CANDIDATES]):
                if their_subject == subject:
                    if isinstance(conversation, int):
                        conversation = self.conversations.get(conversation)
                        if conversation is None:
                            continue
                    return conversation
        return None

    def _moved(self, conversation: Conversation) -> None:
        """A conversation's last activity changed: its place among its customer's."""
        entries = self.recent_conversations.get((_owner(conversation), conversation.channel), ())
        for entry in entries:
            target = entry[2]
            if (target if isinstance(target, int) else _key(target)) == _key(conversation):
                entry[0] = conversation.last_activity_at
                entry[2] = conversation

    def _open(self, inbound: Inbound, person: Person, now):
        mailbox = self.mailboxes.get(inbound.mailbox) if inbound.mailbox else None
        if mailbox is not None and not mailbox.is_active:
            mailbox = None
        conversation = Conversation(
            subject=(inbound.subject or services._first_line(inbound.text))[:300],
            channel=inbound.channel,
            language=inbound.language or person.language or (mailbox.language if mailbox
                                                             else ""),
            plan=person.plan, person=person, team_id=mailbox.team_id if mailbox else None,
            created_at=now, updated_at=now, last_activity_at=now, message_count=1,
            preview=" ".join(inbound.text.split())[:services.PREVIEW_LENGTH],
            version=Conversation._meta.get_field("version").default + 1,
        )
        self.conversations_new.append(conversation)
        data = {"channel": inbound.channel, "plan": person.plan, "person_id": None,
                "language": conversation.language}
        if conversation.team_id:
            data["team_id"] = conversation.team_id
        if not inbound.trusted_sender:
            data.update(auth="fail", claimed=inbound.identity_value)
        created = self._event(conversation, EventKind.CONVERSATION_CREATED, now, None, person,
                              **data)
        if inbound.channel:
            self.recent_conversations[(_key(person), inbound.channel)].append(
                [now, _LATER + self.sequence, conversation,
                 services.thread_subject(conversation.subject)])
        return conversation, created

    def _add_participants(self, conversation, inbound, person, identity, now) -> None:
        members: dict[int, tuple[Person, Identity | None]] = {}
        owner = _owner(conversation)
        if _key(person) != owner:
            members[_key(person)] = (person, identity)
        for name, address in inbound.cc:
            key = (IdentityKind.EMAIL, "", people.normalise(IdentityKind.EMAIL, address))
            copied = self.identities.get(key)
            if copied is None:
                copied, _person = self._new_identity(key, address, name)
            if _key(copied.person) != owner:
                members.setdefault(_key(copied.person), (copied.person, copied))
        for person_key, (member, member_identity) in members.items():
            pair = (_key(conversation), person_key)
            if pair in self.taking_part:
                continue  # ignore_conflicts in the one-by-one path
            self.taking_part.add(pair)
            self.participants.append(Participant(conversation=conversation, person=member,
                                                 identity=member_identity, added_at=now))

    # --- writing -------------------------------------------------------------------------

    def _flush(self) -> None:
        if self.persons:
            Person.objects.bulk_create(self.persons)
        if self.identities_new:
            with transaction.atomic():  # a concurrent intake created one: one by one
                Identity.objects.bulk_create(self.identities_new)
        if self.conversations_new:
            Conversation.objects.bulk_create(self.conversations_new)
        if self.messages:
            Message.objects.bulk_create(self.messages)
        if self.attachments:
            self._attach()
        if self.participants:
            Participant.objects.bulk_create(self.participants, ignore_conflicts=True)
        events = []
        for event, message, person in self.events:
            if message is not None:
                event.data["message_id"] = message.pk
            if person is not None:
                event.data["person_id"] = person.pk
            events.append(event)
        if events:
            Event.objects.bulk_create(events)
        if self.touched:
            _update_many(Conversation, list(self.touched.values()),
                         ["status", "last_activity_at", "message_count", "preview",
                          "updated_at", "version"])
        self._write_rows()
        announced: set[int] = set()
        if self.opened:
            teams = {c.pk: c.team_id for c in self.opened}
            try:
                with transaction.atomic():
                    decisions = routing.route_many([c.pk for c in self.opened],
                                                   trigger=routing.Trigger.INTAKE)
                # routing announces the conversations it changed (with their final state)
                announced = {d.conversation_id for d in decisions
                             if d.assignee_id is not None or d.team_id != teams.get(
                                 d.conversation_id)}
            except Exception as exc:  # as route_new: routing never costs a customer's message
                logger.exception("routing %s new conversations failed", len(self.opened))
                Event.objects.bulk_create([
                    Event(conversation_id=c.pk, person_id=c.person_id,
                          kind=EventKind.ASSIGNMENT_QUEUED,
                          data={"team_id": c.team_id, "reason": routing.rules.Reason.ERROR,
                                "error": f"{type(exc).__name__}: {exc}"[:500]})
                    for c in self.opened])
        services.announce([conversation for conversation
                           in [*self.conversations_new, *self.touched.values()]
                           if conversation.pk not in announced])
        clocks = [c.pk for c in self.conversations_new] + list(self.touched)
        if clocks:
            sla.refresh_many(clocks)
        email_outbound.acknowledge_many(
            [message for raw, message in self.processed
             if message.raw_id == raw.pk and message.channel == Channel.EMAIL],
            opened={c.pk for c in self.conversations_new})

    def _attach(self) -> None:
        digests = sorted(self.blob_content)
        blobs = {blob.sha256: blob for blob in Blob.objects.filter(sha256__in=digests)}
        new = []
        for digest in digests:
            if digest in blobs:
                continue
            content = self.blob_content[digest]
            blob = Blob(sha256=digest, size=len(content))
            blob.file.save(digest, ContentFile(content), save=False)
            new.append(blob)
        if new:
            Blob.objects.bulk_create(new, ignore_conflicts=True)  # one stored meanwhile: theirs
            blobs = {blob.sha256: blob for blob in Blob.objects.filter(sha256__in=digests)}
        Attachment.objects.bulk_create([
            Attachment(message=message, blob=blobs[digest], filename=name, content_type=kind)
            for message, digest, name, kind in self.attachments])

    def _write_rows(self) -> None:
        at = timezone.now()
        rows = []
        for raw, message in self.processed:
            raw.status, raw.processed_at, raw.error, raw.message = (
                RawStatus.PROCESSED, at, "", message)
            rows.append(raw)
        for raw, reason in self.ignored:
            raw.status, raw.processed_at, raw.error = RawStatus.IGNORED, at, reason[:5000]
            rows.append(raw)
        for raw, exc in self.failed:
            raw.status, raw.error = RawStatus.FAILED, f"{type(exc).__name__}: {exc}"[:5000]
            rows.append(raw)
        if rows:
            _update_many(RawInbound, rows, ["status", "processed_at", "error", "message"])
        if self.failed:
            Event.objects.bulk_create([
                Event(kind=EventKind.RAW_FAILED, data={"raw_id": raw.pk, "error": str(exc)})
                for raw, exc in self.failed])



def _update_many(model, objects: list, fields: list[str]) -> None:
    """``bulk_update`` in one ``UPDATE ... FROM`` a list of values (PostgreSQL and SQLite
    3.33+): Django's ``bulk_update`` builds a CASE per field and row, slow to compile."""
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    columns = [model._meta.pk, *(model._meta.get_field(name) for name in fields)]
    postgres = connection.vendor == "postgresql"
    casts = [f"::{column.cast_db_type(connection)}" if postgres else "" for column in columns]
    row = "(" + ", ".join(f"%s{cast}" for cast in casts) + ")"
    names = ["id", *(f"v{number}" for number in range(len(fields)))]
    table = quote(model._meta.db_table)
    for start in range(0, len(objects), 500):
        part = objects[start:start + 500]
        params = []
        for obj in part:
            params.extend(column.get_db_prep_save(getattr(obj, column.attname), connection)
                          for column in columns)
        assignments = ", ".join(f"{quote(column.column)} = v.{name}"
                                for column, name in zip(columns[1:], names[1:], strict=True))
        # names are the model's own, quoted; values are bound parameters
        sql = (f"WITH v({', '.join(names)}) AS (VALUES {', '.join([row] * len(part))}) "  # noqa: S608
               f"UPDATE {table} SET {assignments} FROM v "
               f"WHERE {table}.{quote(model._meta.pk.column)} = v.id")
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
