"""Outbound email: what a reply or an acknowledgement becomes, and the jobs that send it.

* ``prepare_reply``, the "email" sender of ``conversations.outbound``, runs inside the
  reply's transaction: it picks the mailbox and the recipients, gives the reply its
  Message-ID (stored as its ``external_id``, so the customer's answer threads back) and
  stores a queued ``Delivery``; the ``send_delivery`` job is queued when that commits.
* ``maybe_acknowledge`` does the same for the automatic answer to a new conversation: "we
  got your message", or, for a customer whose plan does not include email, one polite
  pointer to the self-service options (knowledge base, community forum).
* ``compose`` builds the MIME message at send time, from what is stored: every retry sends
  the same message.
* ``reply_token`` / ``read_reply_token``: the signed conversation id in the Reply-To address
  (``support+<token>@…``).

Tasks: ``email.send_delivery`` (one attempt, see ``delivery.send``) and
``email.retry_due_deliveries`` (beat, every minute).
"""

import html as html_lib
import re
from datetime import timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import base36_to_int, int_to_base36
from django.utils.translation import gettext as _

from comptoir.conversations.models import Channel, Conversation, Message, MessageKind, RawInbound
from comptoir.conversations.outbound import register
from comptoir.people.models import Identity, IdentityKind

from .delivery import Undeliverable, due_ids, send
from .models import AUTOMATIC_KINDS, Delivery, DeliveryKind, DeliveryStatus, Mailbox
from .parsing import text_to_html

REPLY = DeliveryKind.REPLY
ACK = DeliveryKind.ACK
SELF_SERVICE = DeliveryKind.SELF_SERVICE
OUTSIDE_PLAN = "outside_plan"  # Message.meta key: the channel the sender's plan lacks
REPLY_ADDRESS_SALT = "comptoir.reply-address"
MAX_REFERENCES = 20  # the first message and the latest ones: what clients thread by
ACK_MAX_AGE = timedelta(days=1)  # older mail (an IMAP backlog, an import) is never answered
# bodies in quoted-printable or base64, so any relay takes them; lines end in CRLF
POLICY = policy.SMTP.clone(cte_type="7bit")

_TOKEN = re.compile(r"([0-9a-z]{1,13})-([0-9a-f]{16})")
_REPLY_PREFIX = re.compile(r"^(\s*(re|aw|sv|antw)(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
# RFC 3834 section 2: addresses an automatic answer must never go to
_NO_AUTO_REPLY = re.compile(
    r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|owner-.*|.*-request|bounces?)$",
    re.IGNORECASE,
)


# --- the Reply-To token ---------------------------------------------------------------------


def reply_token(conversation_id: int) -> str:
    """A short signed token naming a conversation, e.g. ``2n9c-9f86d081884c7d65``.

    Lower-case letters, digits and one dash: it survives in an address's local part, even
    through servers that lower-case it (which a base64 ``django.core.signing`` signature
    would not).
    """
    number = int_to_base36(conversation_id)
    return f"{number}-{_mac(number, settings.SECRET_KEY)}"


def read_reply_token(token: str) -> int | None:
    """The conversation id in a ``reply_token`` (or in an address carrying one,
    ``support+<token>@…``), or None when it is not a token we signed."""
    local = token.strip().lower()
    if "@" in local:
        local = local.rpartition("@")[0]
    match = _TOKEN.fullmatch(local.rpartition("+")[2])
    if match is None:
        return None
    number, mac = match.groups()
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    if not any(constant_time_compare(mac, _mac(number, key)) for key in keys):
        return None
    return base36_to_int(number)


def _mac(number: str, key: str) -> str:
    return salted_hmac(REPLY_ADDRESS_SALT, number, secret=key, algorithm="sha256").hexdigest()[:16]


def reply_address(mailbox: Mailbox, conversation_id: int) -> str:
    local, _at, domain = mailbox.address.rpartition("@")
    return f"{local}+{reply_token(conversation_id)}@{domain}"


# --- replies --------------------------------------------------------------------------------


@register(Channel.EMAIL)
def prepare_reply(message: Message) -> Delivery:
    """Record the email a reply becomes and queue it (inside the reply's transaction).

    Recipients (reply-all): the customer, at the address they last wrote from, then the
    conversation's CC'd participants. Our own mailboxes are never among them. A CC'd address
    known to bounce is left out (listed in ``message.meta["skipped_recipients"]``); the
    customer's is kept, bounced or not: the reply is theirs, and an address that bounced
    (a full mailbox) often works again. With no mailbox or no address the delivery is
    stored as failed, with why.
    """
    conversation = message.conversation
    mailbox = reply_mailbox(conversation)
    if mailbox is None:
        return _failed(message, None, _("No mailbox to send from: add one under Email, "
                                         "Mailboxes in the admin."))
    recipients, skipped = reply_recipients(conversation)
    if not recipients:
        return _failed(message, mailbox, _("The customer has no email address to reply to."))
    message.external_id = make_msgid(domain=_domain(mailbox.address))
    if skipped:
        message.meta = {**message.meta, "skipped_recipients": skipped}
    message.save(update_fields=["external_id", "meta"])
    delivery = Delivery.objects.create(
        message=message, conversation=conversation, mailbox=mailbox, kind=REPLY,
        rfc_message_id=message.external_id, sender=mailbox.address, recipients=recipients,
    )
    _queue(delivery)
    return delivery


def reply_mailbox(conversation: Conversation) -> Mailbox | None:
    """The active mailbox a reply leaves from: the one the customer first wrote to, else one
    of the conversation's team, else the first one."""
    first = (conversation.messages.filter(kind=MessageKind.INBOUND, raw__isnull=False)
             .order_by("created_at", "id").first())
    mailbox = delivered_to(first) if first is not None else None
    active = Mailbox.objects.filter(is_active=True)
    if mailbox is None and conversation.team_id is not None:
        mailbox = active.filter(team_id=conversation.team_id).first()
    return mailbox or active.first()


def delivered_to(message: Message) -> Mailbox | None:
    """The active mailbox an inbound message was delivered to (its raw envelope's)."""
    meta = RawInbound.objects.filter(pk=message.raw_id).values_list("meta", flat=True).first()
    address = str((meta or {}).get("mailbox") or "").strip().lower()
    return Mailbox.objects.filter(address=address, is_active=True).first() if address else None


def reply_recipients(conversation: Conversation) -> tuple[list[str], list[str]]:
    """Envelope recipients of a reply, the customer first (at the address they last wrote
    from); and the CC'd addresses left out because mail to them bounced. Someone else who
    wrote into the thread is answered only if they are a participant."""
    latest = (conversation.messages.filter(kind=MessageKind.INBOUND,
                                           identity__kind=IdentityKind.EMAIL,
                                           identity__person_id=conversation.person_id)
              .select_related("identity").order_by("-created_at", "-id").first())
    customer = latest.identity if latest else _email_identity(conversation.person_id)
    ours = _our_addresses()
    recipients = [customer.value] if customer and customer.value not in ours else []
    skipped = []
    for participant in conversation.participants.select_related("identity"):
        identity = participant.identity
        if identity is None or identity.kind != IdentityKind.EMAIL:
            identity = _email_identity(participant.person_id)
        if identity is None or identity.value in ours or identity.value in recipients:
            continue
        if identity.bounced_at is not None:
            skipped.append(identity.value)
        else:
            recipients.append(identity.value)
    return recipients, skipped


def _email_identity(person_id: int) -> Identity | None:
    return (Identity.objects.filter(person_id=person_id, kind=IdentityKind.EMAIL)
            .order_by("created_at", "id").first())


def _our_addresses() -> set[str]:
    return set(Mailbox.objects.values_list("address", flat=True))


def _failed(message: Message, mailbox: Mailbox | None, error: str) -> Delivery:
    return Delivery.objects.create(
        message=message, conversation=message.conversation, mailbox=mailbox, kind=REPLY,
        sender=mailbox.address if mailbox else "", status=DeliveryStatus.FAILED, error=error,
    )


def _queue(delivery: Delivery) -> None:
    # robust: with the broker down the delivery stays queued and the sweep sends it
    transaction.on_commit(lambda: send_delivery.delay(delivery.pk), robust=True)


# --- automatic answers: acknowledgements and self-service replies ---------------------------


def maybe_acknowledge(message: Message) -> Delivery | None:
    """Queue the automatic answer to an email that opened a new conversation; returns the
    delivery, or None.

    Which answer: when the sender's plan does not include email (``sla.services.may_open``)
    the message is marked ``meta["outside_plan"] = "email"`` (agents see a badge; nothing
    else changes: it is kept, threaded and routed as usual) and, if its mailbox has
    ``self_service_reply``, the answer is the self-service one (kind ``self_service``)
    instead of the acknowledgement; otherwise the acknowledgement (kind ``ack``) if the
    mailbox has ``auto_ack``.

    Never to automated mail (``meta["auto"]``, ``meta["loop"]``), a sender that failed
    authentication, a bounced address, our own mailboxes, daemon and list addresses, or mail
    older than a day; at most one automatic answer (of either kind) per sender and mailbox
    every ``auto_ack_hours``, and one per conversation. An automatic answer is a
    ``Delivery`` only, never a ``Message``: it is not a reply. Call it once the message is
    stored; in a transaction, the job is queued when it commits.
    """
    if message.channel != Channel.EMAIL or message.kind != MessageKind.INBOUND:
        return None
    outside_plan = _mark_outside_plan(message)
    identity = message.identity
    if (
        message.meta.get("auto") or message.meta.get("loop")
        or (message.meta.get("auth") or {}).get("verdict") == "fail"
        or identity is None or identity.kind != IdentityKind.EMAIL
        or identity.bounced_at is not None
        or message.created_at < timezone.now() - ACK_MAX_AGE
    ):
        return None
    address = identity.value
    mailbox = delivered_to(message)
    if mailbox is None or _is_ours_or_daemon(address):
        return None
    if outside_plan and mailbox.self_service_reply:
        kind = SELF_SERVICE
    elif mailbox.auto_ack:
        kind = ACK
    else:
        return None
    conversation = message.conversation
    messages = conversation.messages.order_by("created_at", "id")
    if messages.values_list("pk", flat=True).first() != message.pk:
        return None
    return _automatic_answer(message, mailbox, kind, address)


def acknowledge_many(messages: list[Message], *, opened: set[int] | frozenset = frozenset(),
                     ) -> list[Delivery]:
    """``maybe_acknowledge`` for the messages a batch intake stored
    (``conversations.intake``), the same rules with the mailboxes read once. The batch marked
    ``meta["outside_plan"]`` before storing them; ``opened`` are the conversations it
    opened, whose first message is one of ``messages`` (no query to tell which)."""
    if not messages:
        return []
    everything = list(Mailbox.objects.all())
    ours = {mailbox.address for mailbox in everything}
    active = {mailbox.address: mailbox for mailbox in everything if mailbox.is_active}
    first: dict[int, Message] = {}
    for message in messages:
        current = first.get(message.conversation_id)
        if message.conversation_id in opened and (
                current is None or (message.created_at, message.pk)
                < (current.created_at, current.pk)):
            first[message.conversation_id] = message
    oldest = timezone.now() - ACK_MAX_AGE
    deliveries = []
    for message in messages:
        if message.channel != Channel.EMAIL or message.kind != MessageKind.INBOUND:
            continue
        identity = message.identity
        if (
            message.meta.get("auto") or message.meta.get("loop")
            or (message.meta.get("auth") or {}).get("verdict") == "fail"
            or identity is None or identity.kind != IdentityKind.EMAIL
            or identity.bounced_at is not None or message.created_at < oldest
        ):
            continue
        address = identity.value
        raw = message._state.fields_cache.get("raw")
        meta = raw.meta if raw is not None else {}
        mailbox = active.get(str((meta or {}).get("mailbox") or "").strip().lower())
        local, _at, domain = address.rpartition("@")
        if mailbox is None or f"{local.partition('+')[0]}@{domain}" in ours or (
                _NO_AUTO_REPLY.match(local.partition("+")[0])):
            continue
        if message.meta.get(OUTSIDE_PLAN) == Channel.EMAIL and mailbox.self_service_reply:
            kind = SELF_SERVICE
        elif mailbox.auto_ack:
            kind = ACK
        else:
            continue
        if message.conversation_id in opened:
            if first.get(message.conversation_id) is not message:
                continue
        elif (message.conversation.messages.order_by("created_at", "id")
              .values_list("pk", flat=True).first() != message.pk):
            continue
        delivery = _automatic_answer(message, mailbox, kind, address)
        if delivery is not None:
            deliveries.append(delivery)
    return deliveries


def _automatic_answer(message: Message, mailbox: Mailbox, kind: str,
                      address: str) -> Delivery | None:
    conversation = message.conversation
    with transaction.atomic():
        Mailbox.objects.select_for_update().filter(pk=mailbox.pk).first()  # one at a time
        since = timezone.now() - timedelta(hours=mailbox.auto_ack_hours)
        if Delivery.objects.filter(
            Q(conversation=conversation)
            | Q(mailbox=mailbox, recipients=[address], created_at__gte=since),
            kind__in=AUTOMATIC_KINDS,
        ).exists():
            return None
        delivery = Delivery.objects.create(
            conversation=conversation, mailbox=mailbox, kind=kind,
            rfc_message_id=make_msgid(domain=_domain(mailbox.address)),
            sender=mailbox.address, recipients=[address],
        )
        _queue(delivery)
    return delivery


def _mark_outside_plan(message: Message) -> bool:
    """Whether the sender's plan does not include email; if so, say it on the message (once)
    so that agents see it. The plan is the person's as the message arrives."""
    # imported here: sla.services imports conversations, whose services import this module
    from comptoir.sla.services import may_open

    if message.person_id is None or may_open(message.person.plan, Channel.EMAIL):
        return False
    if message.meta.get(OUTSIDE_PLAN) != Channel.EMAIL:
        message.meta = {**message.meta, OUTSIDE_PLAN: Channel.EMAIL}
        Message.objects.filter(pk=message.pk).update(meta=message.meta)
    return True


def _is_ours_or_daemon(address: str) -> bool:
    local, _at, domain = address.rpartition("@")
    local = local.partition("+")[0]
    return f"{local}@{domain}" in _our_addresses() or bool(_NO_AUTO_REPLY.match(local))


def acknowledgement_text(conversation: Conversation, mailbox: Mailbox) -> str:
    """The acknowledgement's text, in the active language."""
    name = conversation.person.first_name
    return "\n\n".join([
        _("Hello %(name)s,") % {"name": name} if name else _("Hello,"),
        _("Thank you for writing to us. We have received your message and will answer "
          "as soon as we can."),
        _("Your reference number is #%(number)s. To add anything, simply reply to this "
          "email.") % {"number": conversation.pk},
        mailbox.name,
    ]) + "\n"


def self_service_links(mailbox: Mailbox, language: str) -> list[tuple[str, str]]:
    """The mailbox's self-service links as (label, url), ``{language}`` filled in; labels
    in the active language."""
    links = [(_("Knowledge base"), mailbox.self_service_kb_url),
             (_("Community forum"), mailbox.self_service_forum_url)]
    return [(label, url.replace("{language}", language)) for label, url in links if url]


def self_service_text(conversation: Conversation, mailbox: Mailbox,
                      language: str) -> tuple[str, str]:
    """The self-service answer as (text, html), in the active language: the message is
    kept, email is not part of the customer's plan, where answers are found instead."""
    name = conversation.person.first_name
    links = self_service_links(mailbox, language)
    before = [
        _("Hello %(name)s,") % {"name": name} if name else _("Hello,"),
        _("Thank you for writing to us. Your message has reached us and is kept with your "
          "reference number #%(number)s.") % {"number": conversation.pk},
        _("Support by email is not part of your current plan, so we may not be able to "
          "answer you personally. Most questions are answered quickly here:")
        if links else
        _("Support by email is not part of your current plan, so we may not be able to "
          "answer you personally. Most questions are answered quickly in our knowledge "
          "base and community forum."),
    ]
    # the mailbox's own words, as written
    extra = mailbox.self_service_text.replace("\r\n", "\n").strip()
    after = [p for p in (extra, _("Thank you for your understanding."), mailbox.name) if p]
    text_links = "\n".join(f"- {label}: {url}" for label, url in links)
    text = "\n\n".join([*before, *([text_links] if links else []), *after]) + "\n"
    html_links = "".join(
        f'<li><a href="{html_lib.escape(url)}">{html_lib.escape(label)}</a></li>'
        for label, url in links)
    html = "".join([
        *(f"<p>{html_lib.escape(p)}</p>" for p in before),
        f"<ul>{html_links}</ul>" if links else "",
        *(f"<p>{html_lib.escape(p)}</p>".replace("\n", "<br>\n") for p in after),
    ])
    return text, f"<div>{html}</div>"


# --- the MIME message -----------------------------------------------------------------------


def compose(delivery: Delivery) -> EmailMessage:
    """The message a delivery sends, built from what is stored (the same on every retry)."""
    mailbox, conversation = delivery.mailbox, delivery.conversation
    if mailbox is None or conversation is None:
        raise Undeliverable(_("The mailbox or the conversation of this email was deleted."))
    message = delivery.message
    language = _language(message.language if message else "", conversation.language,
                         mailbox.language)
    email = EmailMessage(policy=POLICY)
    with translation.override(language):
        if delivery.kind in AUTOMATIC_KINDS:
            sender_name = mailbox.name
            if delivery.kind == SELF_SERVICE:
                text, html = self_service_text(conversation, mailbox, language)
            else:
                text = acknowledgement_text(conversation, mailbox)
                html = text_to_html(text)
            first = (conversation.messages.filter(kind=MessageKind.INBOUND)
                     .order_by("created_at", "id").first())
            in_reply_to = first.external_id if first and _is_message_id(first.external_id) else ""
            references = [in_reply_to]
            email["Auto-Submitted"] = "auto-replied"  # RFC 3834
            email["X-Auto-Response-Suppress"] = "All"  # Exchange: no out-of-office back
            date, attachments = delivery.created_at, []
        else:
            author = message.author.display_name if message.author else ""
            sender_name = (_("%(agent)s at %(mailbox)s") % {"agent": author,
                                                             "mailbox": mailbox.name}
                           if author else mailbox.name)
            text, html = message.body_text, message.body_html or text_to_html(message.body_text)
            in_reply_to, references = _thread(message)
            date, attachments = message.created_at, list(message.attachments.all())
        subject = reply_subject(conversation)
    names = _names(delivery.recipients)
    to, *cc = [Address(_one_line(names.get(a, "")), addr_spec=a) for a in delivery.recipients]
    email["From"] = Address(_one_line(sender_name), addr_spec=mailbox.address)
    email["Reply-To"] = Address(_one_line(mailbox.name),
                                addr_spec=reply_address(mailbox, conversation.pk))
    email["To"] = to
    if cc:
        email["Cc"] = cc
    email["Subject"] = subject
    email["Date"] = date
    email["Message-ID"] = delivery.rfc_message_id
    if in_reply_to:
        email["In-Reply-To"] = in_reply_to
        email["References"] = " ".join(references)
    email.set_content(text)
    email.add_alternative(html, subtype="html")
    for attachment in attachments:
        with attachment.blob.file.open("rb") as handle:
            content = handle.read()
        maintype, _slash, subtype = attachment.content_type.lower().partition("/")
        if maintype in ("", "multipart", "message") or not subtype:
            maintype, subtype = "application", "octet-stream"
        email.add_attachment(content, maintype=maintype, subtype=subtype,
                             filename=attachment.filename)
    email["Content-Language"] = language  # last: building the body moves Content-* headers
    return email


def reply_subject(conversation: Conversation) -> str:
    """``Re: <subject>``, however many "Re:" (or "AW:", "SV:"...) it had already."""
    subject = _REPLY_PREFIX.sub("", _one_line(conversation.subject))
    return f"Re: {subject or _('Your request #%(number)s') % {'number': conversation.pk}}"


def _thread(message: Message) -> tuple[str, list[str]]:
    """In-Reply-To (the customer's latest message before this reply) and References (every
    earlier message id, oldest first; the first and the latest when there are too many)."""
    earlier = (
        message.conversation.messages.exclude(kind=MessageKind.NOTE).exclude(external_id="")
        .filter(Q(created_at__lt=message.created_at)
                | Q(created_at=message.created_at, pk__lt=message.pk))
        .order_by("created_at", "id").values_list("kind", "external_id")
    )
    rows = [(kind, ref) for kind, ref in earlier if _is_message_id(ref)]
    inbound = [ref for kind, ref in rows if kind == MessageKind.INBOUND]
    references = list(dict.fromkeys(ref for _kind, ref in rows))
    if len(references) > MAX_REFERENCES:
        references = [references[0], *references[-(MAX_REFERENCES - 1):]]
    return (inbound[-1] if inbound else ""), references


def _is_message_id(value: str) -> bool:
    """An external id that is a real Message-ID (not a synthetic ``….invalid`` one)."""
    return (value.startswith("<") and value.endswith(">") and value.isascii()
            and " " not in value and not value.endswith(".invalid>"))


def _names(addresses: list[str]) -> dict[str, str]:
    identities = Identity.objects.filter(kind=IdentityKind.EMAIL, value__in=addresses)
    return {i.value: i.person.name for i in identities.select_related("person")}


def _language(*candidates: str) -> str:
    supported = dict(settings.LANGUAGES)
    for code in candidates:
        code = (code or "").lower().split("-")[0]
        if code in supported:
            return code
    return settings.LANGUAGE_CODE


def _domain(address: str) -> str:
    return address.rpartition("@")[2]


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- jobs -----------------------------------------------------------------------------------


@shared_task(acks_late=True, name="email.send_delivery")
def send_delivery(delivery_id: int) -> str | None:
    """One attempt at a delivery; safe to run twice (``delivery.send``)."""
    return send(delivery_id, compose)


@shared_task(acks_late=True, name="email.retry_due_deliveries")
def retry_due_deliveries() -> int:
    """Beat, every minute: queue the deliveries whose retry is due, or that a crash or a
    broker outage left queued without a job."""
    ids = due_ids()
    for delivery_id in ids:
        send_delivery.delay(delivery_id)
    return len(ids)
