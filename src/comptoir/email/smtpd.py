"""Inbound SMTP (aiosmtpd): mail for our mailboxes, stored raw and committed before ``250``.

* ``RCPT``: only an active ``Mailbox`` address, or its ``local+tag@`` subaddress (reply
  addresses carry a token there), is accepted; any other address is refused with 550, so
  the server never relays.
* Size: ``settings.MAX_MESSAGE_BYTES`` is advertised (``SIZE`` in EHLO) and enforced, both
  for the size a client declares in ``MAIL FROM`` and for the data it sends (552).
* ``DATA``: the message is stored once (``store_raw``), whatever the number of recipients,
  then ``process_inbound`` is queued. A store failure answers 451 so the sender retries;
  a queueing failure still answers 250: the row is kept, ``comptoir replay`` processes it.

SMTP replies are protocol text that other mail servers read and quote in their bounces:
they stay in English, untranslated.
The ORM never runs in the event loop: every database call goes to one worker thread of the
handler's, whose connection ``SmtpController.stop`` closes.
"""

import logging
from concurrent.futures import ThreadPoolExecutor

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone

from comptoir.conversations.services import store_raw
from comptoir.conversations.tasks import process_inbound

from .models import Mailbox

logger = logging.getLogger(__name__)

TEMPORARY_FAILURE = "451 4.3.0 Temporary failure, please try again later"


def check_recipient(address: str) -> tuple[str, str]:
    """``(mailbox address, "")`` when ``RCPT TO:<address>`` is ours: an active mailbox or
    ``local+tag@domain`` of one; else ``("", the SMTP refusal)``."""
    wanted = address.strip().lower()
    local, _at, domain = wanted.rpartition("@")
    base = f"{local.partition('+')[0]}@{domain}"
    active = Mailbox.objects.filter(is_active=True)
    found = set(active.filter(address__in={wanted, base}).values_list("address", flat=True))
    for candidate in (wanted, base):
        if candidate in found:
            return candidate, ""
    if domain and active.filter(address__endswith=f"@{domain}").exists():
        return "", f"550 5.1.1 <{address}>: no such mailbox here"
    return "", (f"550 5.7.1 <{address}>: relaying denied, this server only accepts mail "
                "for its own mailboxes")


def intake(payload: bytes, meta: dict) -> int:
    """Store the message raw (committed), then queue its processing; the raw row's id.

    Raises only if storing failed. Once the row is stored, a queueing failure is logged and
    swallowed: the message is safe, ``comptoir replay --include-received`` processes it.
    """
    raw = store_raw("email", payload, meta)
    try:
        process_inbound.delay(raw.pk)
    except Exception:
        logger.exception("Raw inbound #%s stored but not queued; `comptoir replay "
                         "--include-received` processes it", raw.pk)
    return raw.pk


class Handler:
    """aiosmtpd hooks: RCPT for our mailboxes only, DATA stored raw then queued."""

    def __init__(self):
        self.db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="smtpd-db")

    async def orm(self, func, *args):
        """``func(*args)`` in the database thread, on a usable connection (as Django does
        at the start of each request)."""
        def call():
            close_old_connections()
            return func(*args)

        return await sync_to_async(call, thread_sensitive=False, executor=self.db)()

    def close(self) -> None:
        self.db.submit(connections.close_all).result()
        self.db.shutdown()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        mailbox, refusal = await self.orm(check_recipient, address)
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        if not getattr(envelope, "mailbox", ""):
            envelope.mailbox = mailbox  # the first of our mailboxes it goes to, without +tag
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        meta = {
            "source": "smtp",
            "mailbox": envelope.mailbox,
            "rcpt_to": list(envelope.rcpt_tos),
            "mail_from": envelope.mail_from,
            "peer": session.peer[0] if session.peer else "",
            "received_at": timezone.now().isoformat(),
        }
        try:
            raw_id = await self.orm(intake, envelope.original_content, meta)
        except Exception:
            logger.exception("Could not store a message from %s for %s", envelope.mail_from,
                             ", ".join(envelope.rcpt_tos))
            return TEMPORARY_FAILURE
        logger.info("Stored a message for %s as raw inbound #%s", envelope.mailbox, raw_id)
        return f"250 2.0.0 OK: stored as #{raw_id}"

    async def handle_exception(self, error):
        logger.exception("SMTP session error", exc_info=error)
        return TEMPORARY_FAILURE


class _SMTP(SMTP):
    """aiosmtpd's session, saying what the size limit is when a message is over it."""

    async def push(self, status):
        if isinstance(status, str) and status.startswith("552 Error:"):  # aiosmtpd's size
            status = (f"552 5.3.4 Message too big: this server accepts at most "
                      f"{self.data_size_limit} bytes")
        await super().push(status)


class SmtpController(Controller):
    """aiosmtpd's threaded server with our session and handler."""

    def factory(self):
        return _SMTP(self.handler, **self.SMTP_kwargs)

    def stop(self, no_assert: bool = False) -> None:
        super().stop(no_assert=no_assert)
        self.handler.close()


def build_controller(host: str | None = None, port: int | None = None) -> SmtpController:
    """The inbound SMTP server on ``host:port`` (default ``SMTPD_HOST:SMTPD_PORT``);
    ``start()`` it, ``stop()`` it."""
    return SmtpController(
        Handler(),
        hostname=settings.SMTPD_HOST if host is None else host,
        port=settings.SMTPD_PORT if port is None else port,
        data_size_limit=settings.MAX_MESSAGE_BYTES,
    )
