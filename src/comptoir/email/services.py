"""Mail import: .eml files, directories of them, Maildir and mbox, through the raw-first intake.

Messages go in batches of ``IMPORT_BATCH`` (in the order they are read): the batch is stored
raw and committed (``conversations.services.store_raw_many``) before any of it is parsed,
then processed together by ``process_raw_many`` (read and written in bulk, routing and
service-level clocks done once for the batch). A message that fails stays raw with its
error, replayable with ``comptoir replay``, and the import goes on; if the batch's
transaction itself fails, its messages are processed again one by one.
"""

import logging
import mailbox
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

from comptoir.accounts.models import User
from comptoir.conversations import services as conversations
from comptoir.conversations.inbound import Inbound
from comptoir.conversations.models import MessageKind, RawInbound, RawStatus
from comptoir.people.models import IdentityKind

from .forwards import Forwarded, find_forwarded

EML_SUFFIXES = (".eml",)
MBOX_SUFFIXES = (".mbox", ".mbx")
MAILDIR_PARTS = ("cur", "new", "tmp")
IMPORT_BATCH = 200  # messages stored, then processed, per transaction

logger = logging.getLogger(__name__)


class ImportOutcome:
    IMPORTED = "imported"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"  # kept raw on purpose: a bounce report, a mail loop
    FAILED = "failed"


@dataclass(frozen=True)
class ImportFailure:
    source: str
    raw_id: int | None  # None when the source could not even be read
    error: str


@dataclass
class ImportSummary:
    imported: int = 0
    duplicates: int = 0
    ignored: int = 0
    failures: list[ImportFailure] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.failures)

    @property
    def total(self) -> int:
        return self.imported + self.duplicates + self.ignored + self.failed


Progress = Callable[[str, str], None]  # (source, outcome) after each message


class Unreadable(Exception):
    """A source that yields no message (missing file, unreadable mailbox)."""


def is_maildir(path: Path) -> bool:
    return path.is_dir() and all((path / part).is_dir() for part in ("cur", "new"))


def is_mbox(path: Path) -> bool:
    if path.suffix.lower() in MBOX_SUFFIXES or path.name.lower() == "mbox":
        return True
    with path.open("rb") as handle:
        return handle.read(5) == b"From "


def iter_messages(path: str | Path) -> Iterator[tuple[str, bytes]]:
    """``(source, raw bytes)`` for every message under ``path``, in a stable order.

    A file is one message, or an mbox when it is named so or starts with an mbox "From "
    line; a directory is a Maildir (``cur``/``new``), or else its ``.eml`` files, mbox files
    and sub-directories, sorted by name. Raises ``Unreadable`` for a path that is not there.
    """
    path = Path(path)
    if not path.exists():
        raise Unreadable("no such file or directory")
    if is_maildir(path):
        yield from _maildir(path)
    elif path.is_dir():
        for child in sorted(path.iterdir()):
            if child.name.startswith(".") or child.name in MAILDIR_PARTS:
                continue
            if child.is_dir() or child.suffix.lower() in EML_SUFFIXES or _looks_like_mbox(child):
                yield from iter_messages(child)
    elif is_mbox(path):
        yield from _mbox(path)
    else:
        yield str(path), path.read_bytes()


def _looks_like_mbox(path: Path) -> bool:
    return path.is_file() and (path.suffix.lower() in MBOX_SUFFIXES or path.name == "mbox")


def _maildir(path: Path) -> Iterator[tuple[str, bytes]]:
    box = mailbox.Maildir(path, factory=None, create=False)
    for key in sorted(box.keys()):
        yield f"{path}/{key}", box.get_bytes(key)


def _mbox(path: Path) -> Iterator[tuple[str, bytes]]:
    box = mailbox.mbox(path, factory=None, create=False)
    try:
        for number, key in enumerate(box.keys(), start=1):
            yield f"{path}#{number}", box.get_bytes(key)
    finally:
        box.close()


def count_messages(paths: Iterable[str | Path]) -> int:
    """How many messages ``import_paths`` will see (for a progress bar); unreadable paths
    count as one failure each."""
    total = 0
    for path in paths:
        path = Path(path)
        try:
            if is_maildir(path):
                total += len(mailbox.Maildir(path, factory=None, create=False))
            elif path.is_file() and is_mbox(path):
                box = mailbox.mbox(path, factory=None, create=False)
                total += len(box)
                box.close()
            elif path.is_dir():
                total += count_messages(
                    child for child in sorted(path.iterdir())
                    if not child.name.startswith(".") and child.name not in MAILDIR_PARTS
                    and (child.is_dir() or child.suffix.lower() in EML_SUFFIXES
                         or _looks_like_mbox(child))
                )
            else:
                total += 1
        except OSError:
            total += 1
    return total


def import_message(raw_bytes: bytes, source: str) -> tuple[str, RawInbound]:
    """Store one message raw, then process it. Returns the outcome and the raw row.

    A duplicate is a delivery that ``receive()`` recognised as a message already stored (same
    Message-ID and text): the raw row is kept and points at that earlier message.
    """
    raw = conversations.store_raw("email", raw_bytes, {"source": source})
    message = conversations.process_raw(raw.pk)
    if message is None:
        raw.refresh_from_db(fields=["status", "error"])
        if raw.status == RawStatus.IGNORED:
            return ImportOutcome.IGNORED, raw
        return ImportOutcome.FAILED, raw
    if message.raw_id != raw.pk:
        return ImportOutcome.DUPLICATE, raw
    return ImportOutcome.IMPORTED, raw


def import_paths(paths: Iterable[str | Path], progress: Progress | None = None) -> ImportSummary:
    """Import every message under ``paths``; one bad message or path never stops the rest."""
    summary = ImportSummary()
    for path in paths:
        import_path(path, progress, summary=summary)
    return summary


def import_path(
    path: str | Path, progress: Progress | None = None, *, summary: ImportSummary | None = None,
    batch_size: int = IMPORT_BATCH,
) -> ImportSummary:
    summary = summary if summary is not None else ImportSummary()
    messages = iter_messages(path)
    batch: list[tuple[str, bytes]] = []
    while True:
        try:
            source, raw_bytes = next(messages)
        except StopIteration:
            break
        except (Unreadable, OSError, mailbox.Error) as exc:
            _import_batch(batch, progress, summary)
            batch = []
            summary.failures.append(ImportFailure(str(path), None, str(exc)))
            _report(progress, str(path), ImportOutcome.FAILED)
            break
        batch.append((source, raw_bytes))
        if len(batch) >= batch_size:
            _import_batch(batch, progress, summary)
            batch = []
    _import_batch(batch, progress, summary)
    return summary


def _import_batch(batch: list[tuple[str, bytes]], progress: Progress | None,
                  summary: ImportSummary) -> None:
    """Store ``batch`` raw (committed), then process it (see the module's docstring)."""
    if not batch:
        return
    rows = conversations.store_raw_many(
        "email", [(raw_bytes, {"source": source}) for source, raw_bytes in batch])
    processed = conversations.process_raw_many([row.pk for row in rows])
    messages = [processed.get(row.pk) for row in rows]
    states = {pk: (status, error) for pk, status, error in RawInbound.objects.filter(
        pk__in=[row.pk for row, message in zip(rows, messages, strict=True) if message is None]
    ).values_list("pk", "status", "error")}
    for (source, _raw_bytes), row, message in zip(batch, rows, messages, strict=True):
        if message is None:
            status, error = states.get(row.pk, (RawStatus.FAILED, ""))
            if status == RawStatus.IGNORED:
                outcome = ImportOutcome.IGNORED
                summary.ignored += 1
            else:
                outcome = ImportOutcome.FAILED
                summary.failures.append(ImportFailure(source, row.pk, error))
        elif message.raw_id != row.pk:
            outcome = ImportOutcome.DUPLICATE
            summary.duplicates += 1
        else:
            outcome = ImportOutcome.IMPORTED
            summary.imported += 1
        _report(progress, source, outcome)


def _report(progress: Progress | None, source: str, outcome: str) -> None:
    if progress is not None:
        progress(source, outcome)


# --- forwarded mail -------------------------------------------------------------------------


def forwarded_by_teammate(message) -> Forwarded | None:
    """The message a teammate forwarded in ``message``, or None when ``message`` is not a
    forward or its sender is not one of us (a customer's forward stays theirs)."""
    if message.kind != MessageKind.INBOUND or message.identity is None:
        return None
    forwarded = find_forwarded(message.body_text)
    if forwarded is None:
        return None
    is_teammate = User.objects.filter(email__iexact=message.identity.value,
                                      is_active=True).exists()
    return forwarded if is_teammate else None


def open_forwarded(message, actor):
    """Open a conversation for the original sender of a message a teammate forwarded, and
    note it on the teammate's conversation. Asking twice opens it once."""
    forwarded = forwarded_by_teammate(message)
    if forwarded is None:
        raise conversations.ConversationError(_("This message is not a teammate's forward."))
    opened = conversations.receive(Inbound(
        channel="email", identity_kind=IdentityKind.EMAIL, identity_value=forwarded.address,
        sender_name=forwarded.name, subject=forwarded.subject, text=forwarded.text,
        external_id=f"<forward-{message.pk}@comptoir.invalid>",
        meta={"forwarded_by": actor.pk, "forwarded_in": message.pk},
    ))
    note = _("Opened conversation #%(id)s for %(address)s from this forward.") % {
        "id": opened.conversation_id, "address": forwarded.address}
    conversations.add_note(message.conversation, actor, note,
                           idempotency_key=f"forward-{message.pk}")
    return opened.conversation
