"""IMAP polling against a real (private) Dovecot: each UID stored once, flags or moves after,
malformed mail kept raw, a dropped connection resumed, a new UIDVALIDITY read again."""

import imaplib
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from comptoir.conversations import services as conversations
from comptoir.conversations.models import Conversation, Message, RawInbound, RawStatus
from comptoir.email import imap
from comptoir.email.models import ImapCursor, Mailbox
from comptoir.email.tasks import poll_imap_mailboxes

from .dovecot import PASSWORD, USER, free_port
from .mail import build

pytestmark = pytest.mark.django_db


def mail(n: int) -> bytes:
    # one sender and subject each: same-subject mail from one sender would share a thread
    return build(sender=f"Customer {n} <customer{n}@example.com>", subject=f"Question {n}",
                 text=f"Question number {n}", message_id=f"<imap-{n}@example.com>").as_bytes()


def imap_mailbox(port: int, address: str = "support@comptoir.test", **fields) -> Mailbox:
    return Mailbox.objects.create(
        address=address, name="Support", imap_host="127.0.0.1", imap_port=port, imap_ssl=False,
        imap_username=USER, imap_password=PASSWORD, **fields,
    )


def stored_uids() -> list[int]:
    return sorted(RawInbound.objects.values_list("meta__uid", flat=True))


def test_poll_stores_new_messages_once_and_flags_them_seen(dovecot):
    uids = dovecot.append("INBOX", mail(1), mail(2), mail(3))
    mailbox = imap_mailbox(dovecot.port)

    assert imap.poll_mailbox(mailbox) == imap.PollSummary(fetched=3)
    assert Conversation.objects.count() == 3
    cursor = ImapCursor.objects.get(mailbox=mailbox, folder="INBOX")
    assert (cursor.last_uid, cursor.error) == (uids[-1], "")
    assert cursor.uidvalidity > 0 and cursor.polled_at <= timezone.now()
    assert dovecot.search("INBOX", "SEEN") == uids
    raw = RawInbound.objects.get(meta__uid=uids[0])
    assert raw.meta == {"source": "imap", "mailbox": "support@comptoir.test",
                        "folder": "INBOX", "uidvalidity": cursor.uidvalidity, "uid": uids[0]}

    assert imap.poll_mailbox(mailbox) == imap.PollSummary()
    assert RawInbound.objects.count() == 3

    [new] = dovecot.append("INBOX", mail(4))
    assert imap.poll_mailbox(mailbox) == imap.PollSummary(fetched=1)
    assert stored_uids() == [*uids, new]
    assert Conversation.objects.count() == 4


@pytest.mark.parametrize("move", [True, False], ids=["MOVE", "COPY+EXPUNGE"])
def test_processed_mail_moves_to_the_done_folder(dovecot, monkeypatch, move):
    if not move:  # a server without MOVE (RFC 6851)
        capability = imaplib.IMAP4.capability

        def capability_without_move(conn):
            typ, data = capability(conn)
            return typ, [data[0].replace(b" MOVE", b"")]

        monkeypatch.setattr(imaplib.IMAP4, "capability", capability_without_move)
    dovecot.append("INBOX", mail(1), mail(2), mail(3))
    mailbox = imap_mailbox(dovecot.port, imap_done_folder="Done mail")

    assert imap.poll_mailbox(mailbox).fetched == 3
    assert dovecot.search("INBOX") == []
    assert len(dovecot.search('"Done mail"')) == 3
    assert Message.objects.count() == 3


def test_malformed_message_stays_raw_and_the_others_flow(dovecot):
    junk = b"\xff\xfe\x89PNG binary junk without any header\r\n\x01\x02\x03\xfe\r\n" * 10
    uids = dovecot.append("INBOX", mail(1), junk, mail(2))
    mailbox = imap_mailbox(dovecot.port)

    assert imap.poll_mailbox(mailbox) == imap.PollSummary(fetched=3, failed=1)
    broken = RawInbound.objects.get(meta__uid=uids[1])
    assert broken.status == RawStatus.FAILED
    assert broken.error.startswith("NormaliseError: ")
    assert Message.objects.count() == 2
    assert ImapCursor.objects.get(mailbox=mailbox).last_uid == uids[-1]
    assert dovecot.search("INBOX", "SEEN") == uids


def test_dropped_connection_resumes_after_the_last_stored_group(dovecot, monkeypatch):
    uids = dovecot.append("INBOX", mail(1), mail(2), mail(3))
    mailbox = imap_mailbox(dovecot.port)
    monkeypatch.setattr(imap, "GROUP", 2)
    process_raw_many = conversations.process_raw_many

    def process_then_server_goes_away(raw_ids):
        results = process_raw_many(raw_ids)
        dovecot.stop()
        return results

    monkeypatch.setattr(conversations, "process_raw_many", process_then_server_goes_away)
    summary = imap.poll_mailbox(mailbox)
    assert summary.fetched == 2 and summary.error
    cursor = ImapCursor.objects.get(mailbox=mailbox)
    assert (cursor.last_uid, cursor.error) == (uids[1], summary.error)

    monkeypatch.setattr(conversations, "process_raw_many", process_raw_many)
    assert imap.poll_mailbox(mailbox).error.startswith("ConnectionRefusedError")
    dovecot.start()
    assert imap.poll_mailbox(mailbox) == imap.PollSummary(fetched=1)
    assert stored_uids() == uids
    assert Message.objects.count() == 3
    assert ImapCursor.objects.get(mailbox=mailbox).error == ""
    # the first group was never flagged (the connection died first): the cursor decides
    assert dovecot.search("INBOX", "SEEN") == uids[2:]


def test_a_backlog_is_read_in_groups_by_count_and_by_size(dovecot, monkeypatch):
    """A mailbox's backlog flows in groups: one fetch, one commit, one batch, one flag command
    for each; big messages make smaller groups so that memory stays bounded."""
    big = build(sender="Big <big@example.com>", subject="Logs", text="log line\n" * 30_000,
                message_id="<imap-big@example.com>").as_bytes()
    uids = dovecot.append("INBOX", *(mail(n) for n in range(1, 8)), big, mail(8))
    mailbox = imap_mailbox(dovecot.port)
    monkeypatch.setattr(imap, "GROUP", 3)
    monkeypatch.setattr(imap, "GROUP_BYTES", 100_000)  # less than the big one alone
    batches, commands = [], []
    process_raw_many = conversations.process_raw_many
    monkeypatch.setattr(conversations, "process_raw_many",
                        lambda ids: batches.append(len(ids)) or process_raw_many(ids))
    uid_command = imaplib.IMAP4.uid
    monkeypatch.setattr(imaplib.IMAP4, "uid",
                        lambda conn, command, *args: commands.append(command) or
                        uid_command(conn, command, *args))

    assert imap.poll_mailbox(mailbox) == imap.PollSummary(fetched=9)
    assert batches == [3, 3, 1, 1, 1]  # the big message goes alone, between two small groups
    assert commands.count("FETCH") == 1 + len(batches)  # the sizes, then one per group
    assert commands.count("STORE") == len(batches)
    assert dovecot.search("INBOX", "SEEN") == uids
    assert stored_uids() == uids
    [stored] = RawInbound.objects.filter(meta__uid=uids[7]).values_list("payload", flat=True)
    assert bytes(stored).replace(b"\r\n", b"\n") == big  # whole (the server's line ends)
    assert Conversation.objects.count() == 9


def test_new_uidvalidity_reads_the_folder_again_without_duplicate_messages(dovecot):
    dovecot.append("Support", mail(1), mail(2))
    mailbox = imap_mailbox(dovecot.port, imap_folder="Support")
    assert imap.poll_mailbox(mailbox).fetched == 2
    before = ImapCursor.objects.get(mailbox=mailbox).uidvalidity

    with dovecot.client() as conn:  # the folder is recreated: its UIDs start again
        assert conn.delete("Support")[0] == "OK"
    uids = dovecot.append("Support", mail(1), mail(2), mail(3))

    assert imap.poll_mailbox(mailbox) == imap.PollSummary(fetched=3, duplicates=2)
    cursor = ImapCursor.objects.get(mailbox=mailbox)
    assert cursor.uidvalidity != before and cursor.last_uid == uids[-1]
    assert RawInbound.objects.count() == 5  # every delivery is kept raw
    assert Message.objects.count() == 3


def test_a_mailbox_being_polled_is_not_polled_again(dovecot, monkeypatch):
    dovecot.append("INBOX", mail(1))
    mailbox = imap_mailbox(dovecot.port)
    process_raw_many, nested = conversations.process_raw_many, []

    def process_and_poll_again(raw_ids):
        nested.append(imap.poll_mailbox(mailbox))
        return process_raw_many(raw_ids)

    monkeypatch.setattr(conversations, "process_raw_many", process_and_poll_again)
    assert imap.poll_mailbox(mailbox).fetched == 1
    assert nested == [imap.PollSummary(busy=True)]
    monkeypatch.setattr(conversations, "process_raw_many", process_raw_many)

    # a lease left by a crashed poller holds until it expires
    ImapCursor.objects.update(polled_at=timezone.now() + timedelta(minutes=1))
    dovecot.append("INBOX", mail(2))
    assert imap.poll_mailbox(mailbox).busy
    ImapCursor.objects.update(polled_at=timezone.now() - timedelta(seconds=1))
    assert imap.poll_mailbox(mailbox).fetched == 1


def test_celery_task_polls_every_active_imap_mailbox(dovecot):
    dovecot.append("INBOX", mail(1), mail(2))
    dovecot.append("Billing", mail(3))
    dovecot.append("Archive", mail(4))
    imap_mailbox(dovecot.port, "support@comptoir.test")
    imap_mailbox(dovecot.port, "billing@comptoir.test", imap_folder="Billing")
    imap_mailbox(dovecot.port, "old@comptoir.test", imap_folder="Archive", is_active=False)
    Mailbox.objects.create(address="smtp@comptoir.test", name="SMTP only")

    results = poll_imap_mailboxes.apply().get()
    assert {address: result["fetched"] for address, result in results.items()} == {
        "billing@comptoir.test": 1, "support@comptoir.test": 2,
    }
    assert dovecot.search("Archive", "SEEN") == []
    assert settings.CELERY_BEAT_SCHEDULE["poll-imap"]["task"] == poll_imap_mailboxes.name


def test_poll_imap_command_prints_a_summary_per_mailbox(dovecot):
    dovecot.append("INBOX", mail(1), b"no headers at all\r\n")
    imap_mailbox(dovecot.port, "support@comptoir.test")
    imap_mailbox(free_port(), "down@comptoir.test")  # nothing listens there

    out = StringIO()
    call_command("poll_imap", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "down@comptoir.test: fetched 0, duplicates 0, ignored 0, failed 0"
    assert lines[1].startswith("  stopped early: ConnectionRefusedError")
    assert lines[2] == "support@comptoir.test: fetched 2, duplicates 0, ignored 0, failed 1"
    assert ImapCursor.objects.get(mailbox__address="down@comptoir.test").error

    out = StringIO()
    call_command("poll_imap", "--mailbox", "Support@comptoir.test", stdout=out)
    assert out.getvalue() == "support@comptoir.test: fetched 0, duplicates 0, ignored 0, failed 0\n"
    with pytest.raises(CommandError, match=r"nobody@comptoir\.test"):
        call_command("poll_imap", "--mailbox", "nobody@comptoir.test")
