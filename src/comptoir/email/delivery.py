"""Sending one ``Delivery``: a locked claim, one attempt, its log row, and the next state.

The database is the truth. ``send()`` may run twice, or on two workers at once: a sent (or
failed) delivery is left alone, and a claim is a lease (``next_attempt_at`` pushed past the
longest an attempt can take) during which nobody else sends it. A worker that dies mid-send
leaves the delivery to the sweep (``due_ids()``), which retries it when the lease is over; if
the relay had already accepted the message, the retry sends it again under the same
Message-ID (mail clients show it once).

Temporary failures (4xx, refused connection, timeout) are retried with exponential backoff,
``MAX_ATTEMPTS`` times in all; permanent ones (5xx, every recipient refused) fail with the
server's text. With ``SMTP_URL`` empty, messages are written to ``VAR_DIR/outbox`` as .eml
files instead, so the embedded demo runs with no mail server.
"""

import contextlib
import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import Delivery, DeliveryAttempt, DeliveryStatus

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)  # then 2, 4, 8... minutes
LONGEST_WAIT = timedelta(hours=1)
LEASE = timedelta(minutes=10)  # an attempt's connection, commands and data, with room to spare
STRANDED_AFTER = timedelta(minutes=1)  # queued but never picked up (no job: crash, broker down)
SWEEP_BATCH = 500
PENDING = (DeliveryStatus.QUEUED, DeliveryStatus.DEFERRED)
TRUE = {"1", "true", "yes", "on"}


class Undeliverable(Exception):
    """A delivery that can never be sent as it stands (e.g. its mailbox was deleted)."""


@dataclass(frozen=True)
class Relay:
    """Where outbound mail goes, read from ``SMTP_URL``."""

    host: str
    port: int
    tls: bool  # smtps://: TLS from the first byte
    starttls: bool  # smtp://...?starttls=1: upgrade a plain connection
    username: str = ""
    password: str = field(default="", repr=False)


def parse_smtp_url(url: str) -> Relay:
    """``smtp://[user:pass@]host[:port][?starttls=1]`` or ``smtps://...`` as a ``Relay``."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("SMTP_URL must look like smtp://host:port or smtps://host:port.")
    tls = parts.scheme == "smtps"
    starttls = parse_qs(parts.query).get("starttls", ["0"])[-1].lower() in TRUE
    return Relay(
        host=parts.hostname, port=parts.port or (465 if tls else 25), tls=tls,
        starttls=starttls and not tls, username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


@dataclass(frozen=True)
class Outcome:
    ok: bool
    permanent: bool = False
    code: int | None = None
    response: str = ""


def send(delivery_id: int, compose: Callable[[Delivery], EmailMessage]) -> str | None:
    """One attempt at a delivery that is due; returns its status after, or None when there
    was nothing to do (already sent or failed, not due yet, or another worker's lease)."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    try:
        outcome = _transmit(delivery, compose(delivery))
    except Exception as exc:  # noqa: BLE001 - every failure is logged on the delivery
        outcome = _failure(exc)
    return _record(delivery, outcome)


def due_ids() -> list[int]:
    """Deliveries the sweep should queue: their retry (or a dead worker's lease) is due, or
    they were queued over a minute ago and never picked up."""
    now = timezone.now()
    due = Q(status__in=PENDING, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.QUEUED, next_attempt_at__isnull=True,
        created_at__lte=now - STRANDED_AFTER,
    )
    return list(Delivery.objects.filter(due).order_by("pk").values_list("pk", flat=True)
                [:SWEEP_BATCH])


def backoff(attempts: int) -> timedelta:
    """How long to wait after ``attempts`` failed attempts: 1, 2, 4... minutes, at most an hour."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_WAIT)


def _claim(delivery_id: int) -> Delivery | None:
    now = timezone.now()
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().filter(
            pk=delivery_id, status__in=PENDING,
        ).first()
        if delivery is None or (delivery.next_attempt_at and delivery.next_attempt_at > now):
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = now + LEASE
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    return delivery


def _record(delivery: Delivery, outcome: Outcome) -> str:
    now = timezone.now()
    if outcome.ok:
        status, retry_at = DeliveryStatus.SENT, None
    elif outcome.permanent or delivery.attempts >= MAX_ATTEMPTS:
        status, retry_at = DeliveryStatus.FAILED, None
    else:
        status, retry_at = DeliveryStatus.DEFERRED, now + backoff(delivery.attempts)
    with transaction.atomic():
        DeliveryAttempt.objects.create(delivery=delivery, at=now, ok=outcome.ok,
                                       code=outcome.code, response=outcome.response)
        Delivery.objects.filter(pk=delivery.pk).update(
            status=status, next_attempt_at=retry_at, sent_at=now if outcome.ok else None,
            error="" if outcome.ok else outcome.response,
        )
    return status


def _transmit(delivery: Delivery, email: EmailMessage) -> Outcome:
    return transmit(delivery.sender, delivery.recipients, email, name=str(delivery.pk))


def transmit(sender: str, recipients: list[str], email: EmailMessage, *, name: str) -> Outcome:
    """Send ``email`` through ``COMPTOIR_SMTP_URL`` or, when it is empty, write it to
    ``VAR_DIR/outbox/<time>-<name>.eml``. Every outgoing mail goes through here (replies,
    acknowledgements, surveys, calendar invites); SMTP errors are raised for the caller's
    retry rules."""
    if not settings.SMTP_URL:
        outbox = Path(settings.VAR_DIR) / "outbox"
        outbox.mkdir(parents=True, exist_ok=True)
        path = outbox / f"{timezone.now():%Y%m%dT%H%M%S}-{name}.eml"
        path.write_bytes(_serialise(email, [sender, *recipients]))
        return Outcome(ok=True, response=f"written to outbox: {path.name}")
    return _smtp(parse_smtp_url(settings.SMTP_URL), sender, recipients, email)


def _serialise(email: EmailMessage, addresses: list[str]) -> bytes:
    # an internationalised address (SMTPUTF8) cannot be written in ASCII headers
    utf8 = not all(address.isascii() for address in addresses)
    # CRLF line ends, as SMTP carries them, whatever policy composed the message
    return email.as_bytes(policy=email.policy.clone(utf8=utf8, linesep="\r\n"))


def _smtp(relay: Relay, sender: str, recipients: list[str], email: EmailMessage) -> Outcome:
    """MAIL, RCPT and DATA by hand rather than ``sendmail()``, to log what the server said
    to each recipient and to the data (its queue id)."""
    timeout = settings.SMTP_TIMEOUT
    context = ssl.create_default_context()
    if relay.tls:
        client = smtplib.SMTP_SSL(relay.host, relay.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(relay.host, relay.port, timeout=timeout)
    try:
        client.ehlo_or_helo_if_needed()
        if relay.starttls:
            client.starttls(context=context)
        if relay.username:
            client.login(relay.username, relay.password)
        utf8 = not all(address.isascii() for address in [sender, *recipients])
        code, reply = client.mail(sender, ["SMTPUTF8", "BODY=8BITMIME"] if utf8 else [])
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        refused = {}
        for recipient in recipients:
            code, reply = client.rcpt(recipient)
            if code not in (250, 251):
                refused[recipient] = (code, reply)
        if len(refused) == len(recipients):
            raise smtplib.SMTPRecipientsRefused(refused)
        code, reply = client.data(_serialise(email, [sender, *recipients]))
        if code != 250:
            raise smtplib.SMTPDataError(code, reply)
    finally:
        # after DATA was accepted, nothing the server says (or fails to say) un-sends it
        with contextlib.suppress(smtplib.SMTPException, OSError):
            client.quit()
        client.close()
    # a recipient refused while others accepted is not retried: the log keeps what it was
    response = " ".join([f"{code} {_text(reply)}", *(
        f"| refused {address}: {c} {_text(r)}" for address, (c, r) in refused.items()
    )])
    return Outcome(ok=True, code=code, response=response)


def _failure(exc: Exception) -> Outcome:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = exc.recipients.values()
        return Outcome(
            ok=False, permanent=all(code >= 500 for code, _reply in answers),
            code=min(code for code, _reply in answers),
            response="; ".join(f"{address}: {code} {_text(reply)}"
                               for address, (code, reply) in exc.recipients.items()),
        )
    if isinstance(exc, smtplib.SMTPAuthenticationError):  # configuration: fixed, it goes on
        return Outcome(ok=False, code=exc.smtp_code, response=_text(exc.smtp_error))
    if isinstance(exc, smtplib.SMTPResponseException):
        return Outcome(ok=False, permanent=500 <= exc.smtp_code < 600, code=exc.smtp_code,
                       response=_text(exc.smtp_error))
    if isinstance(exc, smtplib.SMTPNotSupportedError | Undeliverable):
        return Outcome(ok=False, permanent=True, response=str(exc))
    if isinstance(exc, OSError):  # refused connection, timeout, TLS, disconnection, storage
        return Outcome(ok=False, response=f"{type(exc).__name__}: {exc}")
    logger.exception("Could not build or send an outbound message")
    return Outcome(ok=False, permanent=True, response=f"{type(exc).__name__}: {exc}")


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
