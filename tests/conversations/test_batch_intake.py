"""Batch intake (``process_raw_many``): the same conversations, messages and events as
``process_raw`` one message after the other, one bad message isolated, nothing twice."""

import threading
from unittest import mock

import pytest
from django.db import connection

from comptoir.conversations import intake, tasks
from comptoir.conversations import services as conversations
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import (
    Attachment,
    Blob,
    Conversation,
    Event,
    Message,
    Participant,
    Priority,
    RawInbound,
    RawStatus,
    Status,
)
from comptoir.email.models import Delivery, Mailbox
from comptoir.people.models import Identity, Person
from comptoir.routing.models import RoutingDecision, WorkingHours
from comptoir.sla.models import Metric, SlaClock

from ..email.mail import build
from ..factories import make_team, make_user
from ..sla.conftest import make_policy

ALWAYS = {str(day): [["00:00", "24:00"]] for day in range(7)}
SUPPORT = "support@comptoir.test"


@pytest.fixture
def desk(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    team = make_team(is_support=True)
    agent = make_user()
    agent.teams.add(team)
    WorkingHours.objects.create(user=agent, weekly_hours=ALWAYS)
    Mailbox.objects.create(address=SUPPORT, name="Support", team=team, auto_ack=True)
    make_policy("Email", business_hours=False, targets={Metric.FIRST_REPLY: 60},
                priority=Priority.NORMAL, plans=("free",))
    return agent


PDF = ("terms.pdf", "application/pdf", b"%PDF-1.4 the same file twice")


def corpus() -> list[bytes]:
    """Replies within the batch, a new sender writing twice, a copied colleague answering,
    a stranger answering, a duplicate delivery, the same attachment twice, not-mail, a loop,
    and a reply into a solved conversation stored before."""
    first = build(subject="Invoice", text="Where is my invoice for March?",
                  message_id="<a1@example.com>")
    mails = [
        first,
        build(subject="Re: Invoice", text="Any news about the invoice?",
              message_id="<a2@example.com>", in_reply_to="<a1@example.com>"),
        build(sender="Bo <bo@example.com>", subject="Login", text="I cannot log in at all.",
              message_id="<b1@example.com>"),
        build(sender="Bo <bo@example.com>", subject="Login",
              text="Still cannot log in, please help.", message_id="<b2@example.com>"),
        first,  # delivered twice
        build(sender="Cara <cara@example.com>", to=f"{SUPPORT}, Dan <dan@example.com>",
              subject="Shipping", text="Where is our parcel? Dan is in copy.",
              message_id="<c1@example.com>"),
        build(sender="Dan <dan@example.com>", subject="Re: Shipping",
              text="Adding the tracking number here.", message_id="<d1@example.com>",
              in_reply_to="<c1@example.com>"),
        build(sender="Eve <eve@example.com>", subject="Re: Invoice",
              text="I am not part of this, but hello.", message_id="<e1@example.com>",
              in_reply_to="<a1@example.com>"),
        build(sender="Fay <fay@example.com>", subject="Terms", text="Please read the terms.",
              message_id="<f1@example.com>", attachments=(PDF,)),
        build(sender="Gus <gus@example.com>", subject="Terms too",
              text="The same terms, attached again.", message_id="<g1@example.com>",
              attachments=(PDF,)),
        build(sender=f"Support <{SUPPORT}>", subject="Loop", text="From ourselves.",
              message_id="<l1@example.com>"),
        build(subject="Re: Invoice", text="Oh, and one more thing about the invoice.",
              message_id="<a4@example.com>"),  # no refs: by subject
        build(sender="Zed <zed@example.com>", subject="Re: Old question",
              text="It broke again, sorry.", message_id="<z2@example.com>",
              in_reply_to="<z1@example.com>"),
    ]
    return [mail.as_bytes() for mail in mails[:10]] + [b"not a mail at all"] + [
        mail.as_bytes() for mail in mails[10:]]


def store_all() -> list[int]:
    old = conversations.receive(conversations.Inbound(
        channel="email", identity_kind="email", identity_value="zed@example.com",
        sender_name="Zed", subject="Old question", text="How do I export?",
        external_id="<z1@example.com>", mailbox=SUPPORT))
    Conversation.objects.filter(pk=old.conversation_id).update(status=Status.SOLVED)
    return [conversations.store_raw("email", payload, {"mailbox": SUPPORT}).pk
            for payload in corpus()]


def snapshot() -> dict:
    """What a user sees, by natural keys (ids differ between runs)."""
    by_id = {m.pk: m.external_id for m in Message.objects.all()}
    people = {i.person_id: i.value for i in Identity.objects.all()}
    result = []
    for c in Conversation.objects.order_by("pk"):
        events = []
        for e in Event.objects.filter(conversation=c).order_by("created_at", "pk"):
            data = dict(e.data)
            if "message_id" in data:
                data["message_id"] = by_id.get(data["message_id"])
            if "person_id" in data:
                data["person_id"] = people.get(data["person_id"], "?")
            events.append((e.kind, sorted(data.items(), key=str)))
        result.append({
            "subject": c.subject, "customer": people.get(c.person_id, "(untrusted)"),
            "status": c.status, "count": c.message_count, "preview": c.preview,
            "language": c.language, "team": c.team_id, "assignee": c.assignee_id,
            "version": c.version, "last": c.last_activity_at == max(
                m.created_at for m in c.messages.all()),
            "messages": [(m.external_id, m.body_text, people.get(m.person_id), m.language,
                          sorted(m.meta)) for m in c.messages.order_by("created_at", "pk")],
            "participants": sorted(people.get(p.person_id) for p in c.participants.all()),
            "events": sorted(events, key=str),
            "clocks": sorted((k.metric, k.state) for k in SlaClock.objects.filter(conversation=c)),
            "routed": RoutingDecision.objects.filter(conversation=c).count(),
            "acks": Delivery.objects.filter(conversation=c).count(),
        })
    return {
        "conversations": result,
        "raw": [(r.status, r.error[:40], by_id.get(r.message_id))
                for r in RawInbound.objects.order_by("pk")],
        "people": Person.objects.count(),
        "identities": sorted(people.values()),
        "attachments": sorted((a.message.external_id, a.filename, a.blob.sha256)
                              for a in Attachment.objects.select_related("message", "blob")),
        "blobs": Blob.objects.count(),
        "failures": Event.objects.filter(kind=EventKind.RAW_FAILED).count(),
    }


def wipe() -> None:
    Attachment.objects.all().delete()
    Blob.objects.all().delete()
    Delivery.objects.all().delete()
    Event.objects.all().delete()
    RawInbound.objects.update(message=None)
    RawInbound.objects.all().delete()
    Conversation.objects.all().delete()
    Person.objects.all().delete()


@pytest.mark.django_db
def test_batch_gives_what_one_by_one_gives(desk):
    ids = store_all()
    for pk in ids:
        conversations.process_raw(pk)
    one_by_one = snapshot()
    wipe()
    ids = store_all()
    with mock.patch.object(conversations, "process_raw", wraps=conversations.process_raw) as solo:
        conversations.process_raw_many(ids)
    assert not solo.called  # no fallback: everything went through the batch
    batch = snapshot()
    assert batch == one_by_one
    # and the corpus did what it says
    subjects = {c["subject"]: c for c in batch["conversations"]}
    assert subjects["Invoice"]["count"] == 3
    assert subjects["Login"]["count"] == 2
    assert subjects["Shipping"]["participants"] == ["dan@example.com"]
    assert subjects["Shipping"]["count"] == 2
    assert subjects["Re: Invoice"]["customer"] == "eve@example.com"
    assert subjects["Old question"]["status"] == Status.OPEN
    assert batch["blobs"] == 1 and len(batch["attachments"]) == 2
    statuses = [status for status, _error, _message in batch["raw"]]
    assert statuses.count(RawStatus.FAILED) == 1 and statuses.count(RawStatus.IGNORED) == 1


@pytest.mark.django_db
def test_one_poison_message_fails_alone_and_replays(desk):
    ids = store_all()
    real = intake.detect_language

    def poison(text):
        if "Oh, and one more thing" in text:
            raise RuntimeError("poison")
        return real(text)

    with mock.patch.object(intake, "detect_language", side_effect=poison), \
            mock.patch.object(conversations, "detect_language", side_effect=poison):
        results = conversations.process_raw_many(ids)
    bad = RawInbound.objects.get(error__contains="poison")
    assert bad.status == RawStatus.FAILED and results[bad.pk] is None
    assert RawInbound.objects.filter(status=RawStatus.PROCESSED).count() == len(ids) - 3
    assert Message.objects.filter(external_id="<c1@example.com>").count() == 1
    # replayed once the cause is gone
    assert conversations.process_raw(bad.pk) is not None
    assert Message.objects.filter(external_id="<a4@example.com>").count() == 1


@pytest.mark.django_db
def test_running_a_batch_again_makes_nothing_twice(desk):
    ids = store_all()
    first = conversations.process_raw_many(ids)

    def counts():  # (a failed row is tried again, as process_raw does: its failure is logged)
        return (Message.objects.count(), Conversation.objects.count(),
                Event.objects.exclude(kind=EventKind.RAW_FAILED).count(),
                Participant.objects.count(), Delivery.objects.count(),
                RoutingDecision.objects.count(), SlaClock.objects.count())

    before = counts()
    again = conversations.process_raw_many(ids)
    assert again == first
    assert counts() == before
    assert RawInbound.objects.get(pk=ids[0]).attempts == 1


@pytest.mark.django_db
def test_acknowledged_once_per_new_conversation(desk):
    ids = store_all()
    conversations.process_raw_many(ids)
    # new conversations of trusted senders, not the loop nor the replies
    acked = set(Delivery.objects.values_list("conversation__subject", flat=True))
    assert acked == {"Invoice", "Login", "Shipping", "Re: Invoice", "Terms", "Terms too"}
    assert Delivery.objects.count() == len(acked)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_on_the_same_rows_store_each_message_once(desk):
    ids = store_all()
    errors: list[Exception] = []
    start = threading.Barrier(2)

    def worker():
        try:
            start.wait(5)
            conversations.process_raw_many(ids)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    external = list(Message.objects.values_list("external_id", flat=True))
    assert len(external) == len(set(external))
    assert not RawInbound.objects.filter(status=RawStatus.RECEIVED).exists()
    assert Conversation.objects.filter(subject="Invoice").get().message_count == 3


API = b'{"from": {"value": "%s@example.com"}, "text": "hello from %s"}'


def stored_api(name: bytes) -> RawInbound:
    return conversations.store_raw("api", API % (name, name), {"channel": "api"})


@pytest.mark.django_db
def test_a_worker_takes_the_waiting_burst_with_its_own_message(monkeypatch):
    monkeypatch.setattr(tasks, "BURST", 2)
    crashed = stored_api(b"crash")  # attempted once already (its worker died): left alone
    RawInbound.objects.filter(pk=crashed.pk).update(attempts=1)
    rows = [stored_api(name) for name in (b"ana", b"bo", b"cy")]
    assert tasks.process_inbound(rows[1].pk) is not None
    statuses = dict(RawInbound.objects.values_list("pk", "status"))
    assert [statuses[row.pk] for row in rows] == [RawStatus.PROCESSED] * 3
    assert statuses[crashed.pk] == RawStatus.RECEIVED
    # their own jobs come later and find them done: same message, nothing twice
    assert tasks.process_inbound(rows[0].pk) == RawInbound.objects.get(pk=rows[0].pk).message_id
    assert Message.objects.count() == 3


@pytest.mark.django_db
def test_a_message_with_few_waiting_goes_through_process_raw_at_once():
    stored_api(b"other")
    row = stored_api(b"solo")
    with mock.patch.object(conversations, "process_raw_many") as many:
        assert tasks.process_inbound(row.pk) is not None
    assert not many.called


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_job_whose_row_another_batch_holds_waits_and_does_it_if_that_worker_dies(
        monkeypatch):
    """Worker A's batch holds row X; worker B's job for X runs meanwhile and finds it
    taken. A dies (its transaction rolls back). B's job was X's only job: it must not end
    before X is a message."""
    from django.db import connections

    monkeypatch.setattr(tasks, "BURST", 2)
    rows = [stored_api(name) for name in (b"ana", b"bo", b"cy", b"dee")]
    held = rows[1]
    dying = connections.create_connection("default")  # worker A's own connection
    dying.set_autocommit(False)
    with dying.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {RawInbound._meta.db_table} "  # noqa: S608
                       "WHERE id = %s FOR UPDATE", [held.pk])
    result: list[int | None] = []

    def job_b():
        try:
            result.append(tasks.process_inbound(held.pk))
        finally:
            connection.close()

    thread = threading.Thread(target=job_b)
    thread.start()
    thread.join(3)
    assert thread.is_alive(), "B's job ended while A still held its row"
    dying.rollback()  # A dies
    dying.close()
    thread.join(30)
    assert not thread.is_alive()
    held.refresh_from_db()
    assert held.status == RawStatus.PROCESSED
    assert result == [held.message_id]
    assert not RawInbound.objects.filter(status=RawStatus.RECEIVED).exists()
    assert Message.objects.count() == 4


@pytest.mark.postgres
@pytest.mark.django_db
def test_raw_mail_and_message_bodies_are_compressed_with_lz4_on_postgresql():
    """Large values (a raw email, a message's text and HTML) are compressed with lz4, several
    times faster to write and read than PostgreSQL's default: checked on a stored value."""
    payload = build(sender="Ana <ana@example.com>", subject="Logs",
                    text="The sync log follows.\n" + "ERROR 429 Too Many Requests\n" * 2000,
                    message_id="<lz4@example.com>").as_bytes()
    message = conversations.process_raw(conversations.store_raw("email", payload).pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_column_compression(payload) FROM conversations_rawinbound"
                       " WHERE id = %s", [message.raw_id])
        assert cursor.fetchone() == ("lz4",)
        cursor.execute("SELECT pg_column_compression(body_text) FROM conversations_message"
                       " WHERE id = %s", [message.pk])
        assert cursor.fetchone() == ("lz4",)
