"""IMAP polling: a mailbox's folder read by UID, each new message stored raw first.

New messages are read in groups (``GROUP`` messages, ``GROUP_BYTES`` at most, from the
sizes the server announces): one FETCH, one commit of their raw rows, one batch of
processing (``process_raw_many``), one command to flag or move them. A mailbox with a
backlog of thousands (the first poll of an old support address) flows at the batch rate;
a quiet one makes groups of one or two.

The mailbox's ``ImapCursor`` says how far the folder has been read (``uidvalidity`` and
``last_uid``). Storing a group's raw rows and advancing the cursor past its last UID commit
together, so a poll that dies midway resumes right after the last stored group and no
UID is stored twice for one UIDVALIDITY, whatever the server's flags say. A new
UIDVALIDITY starts over from UID 1: every delivery is stored raw again and ``receive()``
recognises the messages it already has.

Lock: ``polled_at`` doubles as a lease. A poll claims the cursor with one conditional
UPDATE (``polled_at`` empty or past -> now + ``LEASE``), renews it with each group and
sets it back to the finishing time at the end; meanwhile another poll of the same mailbox
finds ``polled_at`` in the future and skips. Every write is fenced by the lease it holds,
so a poll that outlived its lease stops instead of racing its successor. A plain UPDATE
works alike on SQLite and PostgreSQL, across processes and hosts, and the lease of a
crashed poller simply expires.
"""

import imaplib
import logging
import re
import ssl
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from comptoir.conversations import services as conversations
from comptoir.conversations.models import RawInbound, RawStatus

from .models import ImapCursor, Mailbox

logger = logging.getLogger(__name__)

TIMEOUT = 60  # seconds, for every socket operation
LEASE = timedelta(minutes=5)  # renewed after each group of messages
GROUP = 50  # messages fetched, stored (one commit) and processed (one batch) together
GROUP_BYTES = 32 * 1024 * 1024  # and at most this much mail in memory at once
UID_RE = re.compile(rb"\bUID (\d+)", re.IGNORECASE)
SIZE_RE = re.compile(rb"\bRFC822\.SIZE (\d+)", re.IGNORECASE)


@dataclass
class PollSummary:
    fetched: int = 0  # messages stored raw by this poll
    duplicates: int = 0  # of those, messages receive() already had
    ignored: int = 0  # of those, bounce reports and loops kept raw on purpose
    failed: int = 0  # of those, messages that stay raw with their error
    busy: bool = False  # another poll holds the mailbox: nothing done
    error: str = ""  # why the poll stopped early; the next one retries


class LeaseLost(Exception):
    """This poll outlived its lease and another poll took the mailbox over."""


def pollable_mailboxes() -> QuerySet[Mailbox]:
    return Mailbox.objects.filter(is_active=True).exclude(imap_host="")


def poll_mailbox(mailbox: Mailbox) -> PollSummary:
    """Store and process the folder's new messages; IMAP trouble is recorded, never raised.

    Each message is stored raw, processed (a failure stays raw with its error), then
    flagged ``\\Seen`` or moved to ``imap_done_folder``. An error (connection dropped,
    login refused...) ends the poll: it is logged and kept on the cursor's ``error``.
    """
    summary = PollSummary()
    cursor, _ = ImapCursor.objects.get_or_create(mailbox=mailbox, folder=mailbox.imap_folder)
    if not _claim(cursor):
        summary.busy = True
        return summary
    try:
        with _connect(mailbox) as conn:
            _poll(conn, mailbox, cursor, summary)
    except Exception as exc:  # one mailbox's trouble never stops the others
        summary.error = f"{type(exc).__name__}: {exc}"
        expected = isinstance(exc, imaplib.IMAP4.error | OSError | LeaseLost)
        logger.warning("IMAP poll of %s failed: %s", mailbox.address, summary.error,
                       exc_info=not expected)
    ImapCursor.objects.filter(pk=cursor.pk, polled_at=cursor.polled_at).update(
        uidvalidity=cursor.uidvalidity, last_uid=cursor.last_uid,
        polled_at=timezone.now(), error=summary.error,
    )
    return summary


def _claim(cursor: ImapCursor) -> bool:
    now = timezone.now()
    claimed = (ImapCursor.objects.filter(pk=cursor.pk)
               .filter(Q(polled_at__isnull=True) | Q(polled_at__lte=now))
               .update(polled_at=now + LEASE))
    if claimed:
        cursor.refresh_from_db()  # a poll that just ended may have moved it on
    return bool(claimed)


def _advance(cursor: ImapCursor, uid: int) -> None:
    lease = timezone.now() + LEASE
    advanced = ImapCursor.objects.filter(pk=cursor.pk, polled_at=cursor.polled_at).update(
        uidvalidity=cursor.uidvalidity, last_uid=uid, polled_at=lease,
    )
    if not advanced:
        raise LeaseLost(cursor)
    cursor.last_uid, cursor.polled_at = uid, lease


def _connect(mailbox: Mailbox) -> imaplib.IMAP4:
    if mailbox.imap_ssl:
        return imaplib.IMAP4_SSL(mailbox.imap_host, mailbox.imap_port, timeout=TIMEOUT,
                                 ssl_context=ssl.create_default_context())
    return imaplib.IMAP4(mailbox.imap_host, mailbox.imap_port, timeout=TIMEOUT)


def _poll(conn: imaplib.IMAP4, mailbox: Mailbox, cursor: ImapCursor,
          summary: PollSummary) -> None:
    conn.login(mailbox.imap_username, mailbox.imap_password)
    _ok(conn.select(_quote(cursor.folder)))
    uidvalidity = int(conn.response("UIDVALIDITY")[1][0])
    if uidvalidity != cursor.uidvalidity:
        cursor.uidvalidity, cursor.last_uid = uidvalidity, 0
    done_folder = mailbox.imap_done_folder
    if done_folder:
        conn.create(_quote(done_folder))  # NO [ALREADYEXISTS] is fine
    capabilities = set(_ok(conn.capability())[0].decode().upper().split())
    meta = {"source": "imap", "mailbox": mailbox.address, "folder": cursor.folder,
            "uidvalidity": uidvalidity}
    for group in _groups(conn, _new_uids(conn, cursor.last_uid)):
        fetched = _fetch_many(conn, group)  # a UID expunged meanwhile by another client: absent
        with transaction.atomic():
            rows = conversations.store_raw_many(
                "email", [(fetched[uid], {**meta, "uid": uid}) for uid in group if uid in fetched])
            _advance(cursor, group[-1])
        results = conversations.process_raw_many([raw.pk for raw in rows])
        _count(summary, rows, results)
        if fetched:
            _mark_done(conn, sorted(fetched), done_folder, capabilities)


def _groups(conn: imaplib.IMAP4, uids: list[int]) -> list[list[int]]:
    """The new UIDs in groups of at most ``GROUP`` messages and ``GROUP_BYTES`` (a message
    larger than that makes a group of its own), from the sizes the server announces."""
    if not uids:
        return []
    sizes = {}
    for item in _ok(conn.uid("FETCH", f"{uids[0]}:{uids[-1]}", "(RFC822.SIZE)")):
        line = item[0] if isinstance(item, tuple) else item
        uid, size = UID_RE.search(line or b""), SIZE_RE.search(line or b"")
        if uid and size:
            sizes[int(uid.group(1))] = int(size.group(1))
    groups: list[list[int]] = []
    group: list[int] = []
    total = 0
    for uid in uids:
        size = sizes.get(uid, 0)
        if group and (len(group) >= GROUP or total + size > GROUP_BYTES):
            groups.append(group)
            group, total = [], 0
        group.append(uid)
        total += size
    groups.append(group)
    return groups


def _count(summary: PollSummary, rows: list[RawInbound], results: dict) -> None:
    summary.fetched += len(rows)
    statuses = dict(RawInbound.objects.filter(
        pk__in=[raw.pk for raw in rows if results.get(raw.pk) is None],
    ).values_list("pk", "status"))
    for raw in rows:
        message = results.get(raw.pk)
        if message is not None:
            summary.duplicates += message.raw_id != raw.pk
        elif statuses.get(raw.pk) == RawStatus.IGNORED:
            summary.ignored += 1
        elif statuses.get(raw.pk) == RawStatus.FAILED:
            summary.failed += 1


def _new_uids(conn: imaplib.IMAP4, last_uid: int) -> list[int]:
    # "n:*" also matches the highest UID when it is below n: keep only the new ones.
    found = _ok(conn.uid("SEARCH", None, f"UID {last_uid + 1}:*"))[0].split()
    return sorted(uid for uid in map(int, found) if uid > last_uid)


def _fetch_many(conn: imaplib.IMAP4, uids: list[int]) -> dict[int, bytes]:
    """The raw messages of ``uids`` by UID, in one command (``BODY.PEEK``: not flagged)."""
    data = _ok(conn.uid("FETCH", ",".join(map(str, uids)), "(UID BODY.PEEK[])"))
    found: dict[int, bytes] = {}
    pending: bytes | None = None  # a literal whose UID the server sends after it
    for item in data:
        if isinstance(item, tuple):
            header, payload = item
            uid = UID_RE.search(header)
            if uid:
                found[int(uid.group(1))] = payload
            else:
                pending = payload
        elif pending is not None and item:
            uid = UID_RE.search(item)
            if uid:
                found[int(uid.group(1))] = pending
            pending = None
    wanted = set(uids)
    return {uid: payload for uid, payload in found.items() if uid in wanted}


def _mark_done(conn: imaplib.IMAP4, uids: list[int], folder: str,
               capabilities: set[str]) -> None:
    """Flag the messages ``\\Seen``, or move them to ``folder`` (MOVE, else COPY and EXPUNGE)."""
    uid_set = ",".join(map(str, uids))
    if not folder:
        _ok(conn.uid("STORE", uid_set, "+FLAGS", r"(\Seen)"))
    elif "MOVE" in capabilities:
        _ok(conn.uid("MOVE", uid_set, _quote(folder)))
    else:
        _ok(conn.uid("COPY", uid_set, _quote(folder)))
        _ok(conn.uid("STORE", uid_set, "+FLAGS", r"(\Deleted)"))
        # UID EXPUNGE (UIDPLUS) spares messages someone else flagged \Deleted
        _ok(conn.uid("EXPUNGE", uid_set) if "UIDPLUS" in capabilities else conn.expunge())


def _ok(response: tuple[str, list]) -> list:
    typ, data = response
    if typ != "OK":
        raise imaplib.IMAP4.error(f"{typ} {data}")
    return data


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
