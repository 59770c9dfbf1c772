"""What an inbound email means beyond its words: who really sent it, whether a machine did,
whether it is a mail loop, and whether it is a delivery report about an email we sent.

Readers without the database, used by the normaliser (``parsing.normalise_email``):
``authentication`` (RFC 8601 Authentication-Results), ``automated`` and ``delivery_report``
(RFC 3464). With the database, called by ``conversations.services.process_raw`` before a
message is stored: ``screen`` (mailbox, our own addresses, loops) and ``record_report``.

Decisions:

* Only our own MTA's Authentication-Results count: the ids in ``AUTHSERV_IDS``, or with none
  configured the topmost header (the receiving MTA adds it above whatever the sender wrote).
* Automated mail is stored like any other (nothing a customer says is lost) and flagged
  ``meta["auto"]``: it is never acknowledged, and an out-of-office answer
  (``Auto-Submitted: auto-replied``) never changes a conversation's status.
* A loop is mail from one of our own mailboxes, or live mail from a sender who already has
  ``LOOP_MAX_PER_HOUR`` messages in the last hour. Imported mail (import-mail names a file as
  its source) is history, never a loop. A loop is kept raw, IGNORED with its reason; an agent's
  replay makes the message anyway, marked ``meta["loop"]`` so it is never acknowledged.
* A delivery report is never a customer's message: the raw row is IGNORED with what it says;
  when it is about an email we sent, a failed recipient's address is marked bounced, the
  reply's ``meta["bounce"]`` and its ``Delivery`` say so, and a note tells the agents. Only
  recipients its ``Delivery`` says we sent it to are marked: a forged report cannot mark
  anyone else. A delayed delivery only gets the note.
"""

import hashlib
import re
from dataclasses import replace
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import Message as MimeMessage
from email.parser import HeaderParser

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.conversations.inbound import Inbound
from comptoir.conversations.models import Conversation, Message, MessageKind, RawInbound
from comptoir.people import services as people
from comptoir.people.models import IdentityKind

from .models import Delivery, DeliveryStatus, Mailbox
from .parsing import AUTOMATIC_PRECEDENCE, NO_AUTO_REPLY, ParsedEmail

LIVE_SOURCES = ("smtp", "imap")
AUTO_REPLY = "auto-submitted: auto-replied"  # RFC 3834: a vacation or out-of-office answer
FAILING_SPF = frozenset({"fail", "softfail", "hardfail"})
REPORT_TYPES = ("message/delivery-status", "message/global-delivery-status")
RETURNED_TYPES = ("message/rfc822", "message/global", "text/rfc822-headers",
                  "message/global-headers")
MAX_DIAGNOSTIC = 300

# RFC 3834 section 2 and common practice: addresses only machines write from
_MACHINE_SENDER = re.compile(
    r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?|owner-.+|.+-request"
    r"|.+-bounces?)$", re.IGNORECASE,
)
_PAIR = re.compile(r'([\w.\-/]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s";]+)')
_MSG_ID = re.compile(r"<[^<>\s]+>")


# --- sender authentication ------------------------------------------------------------------


def authentication(headers: tuple[str, ...], from_domain: str,
                   trusted_ids: list[str]) -> dict:
    """SPF, DKIM and DMARC results from our MTA's Authentication-Results, with a verdict.

    ``headers`` are the header values, topmost first. Returns ``{}`` when no header counts,
    else the results found (``spf``, ``dkim``, ``dmarc``) and ``verdict``:

    * "fail": dmarc=fail; or, without a DMARC pass, SPF failed (fail, softfail) and no DKIM
      signature passed;
    * "pass": dmarc=pass, a passing DKIM signature of the From domain (or a parent or child
      of it), or spf=pass;
    * "none": anything else.
    """
    trusted = {name.lower() for name in trusted_ids}
    parsed = [_auth_results(value) for value in headers]
    chosen = [p for p in parsed if p and p[0] in trusted] if trusted else parsed[:1]
    found: dict[str, list[tuple[str, dict]]] = {}
    for item in chosen:
        if item is None:
            continue
        for method, result, props in item[1]:
            found.setdefault(method, []).append((result, props))
    if not found:
        return {}
    first = {method: found[method][0][0] for method in ("spf", "dmarc") if method in found}
    dkim = found.get("dkim", [])
    dkim_pass = any(result == "pass" for result, _props in dkim)
    aligned = any(result == "pass" and _aligned(_signing_domain(props), from_domain)
                  for result, props in dkim)
    spf, dmarc = first.get("spf", ""), first.get("dmarc", "")
    if dmarc == "fail" or (dmarc != "pass" and spf in FAILING_SPF and not dkim_pass):
        verdict = "fail"
    elif dmarc == "pass" or aligned or spf == "pass":
        verdict = "pass"
    else:
        verdict = "none"
    results = dict(first)
    if dkim:
        results["dkim"] = "pass" if dkim_pass else dkim[0][0]
    return {**results, "verdict": verdict}


def _auth_results(value: str) -> tuple[str, list[tuple[str, str, dict]]] | None:
    """(authserv-id, [(method, result, properties)]) of one header, None when unreadable."""
    segments = _segments(value)
    head = segments[0].split() if segments else []
    if not head:
        return None
    results = []
    for segment in segments[1:]:
        pairs = _PAIR.findall(segment)
        if not pairs:
            continue  # "none": no authentication was done
        method, result = pairs[0]
        props = {key.lower(): val.strip('"') for key, val in pairs[1:]}
        results.append((method.split("/")[0].lower(), result.strip('"').lower(), props))
    return head[0].lower(), results


def _segments(value: str) -> list[str]:
    """The header split at semicolons, comments removed, quoted strings kept whole."""
    segments: list[str] = []
    current: list[str] = []
    depth, quoted, escaped = 0, False, False
    for char in value:
        if escaped:
            escaped = False
            if not depth:
                current.append(char)
        elif char == "\\" and (quoted or depth):
            escaped = True
            if not depth:
                current.append(char)
        elif quoted:
            current.append(char)
            quoted = char != '"'
        elif char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif depth:
            continue
        elif char == ";":
            segments.append("".join(current).strip())
            current = []
        else:
            quoted = char == '"'
            current.append(char)
    segments.append("".join(current).strip())
    return segments


def _signing_domain(props: dict) -> str:
    return (props.get("header.d") or props.get("header.i", "").rpartition("@")[2]).lower()


def _aligned(domain: str, from_domain: str) -> bool:
    """Relaxed alignment without a public-suffix list: the same domain, a parent or a child.
    A result that names no domain is taken as aligned (nothing says otherwise)."""
    if not domain:
        return True
    from_domain = from_domain.lower()
    return (domain == from_domain or from_domain.endswith("." + domain)
            or domain.endswith("." + from_domain))


# --- automated mail -------------------------------------------------------------------------


def automated(parsed: ParsedEmail) -> str:
    """Why a machine sent this message ("" when a person did): Auto-Submitted
    other than "no", Precedence bulk/list/junk, a List-Id, X-Auto-Response-Suppress asking
    for no auto-reply, or a daemon or no-reply sender address."""
    if parsed.auto_submitted not in ("", "no"):
        return "auto-submitted: " + parsed.auto_submitted.partition(";")[0].strip()
    if parsed.precedence in AUTOMATIC_PRECEDENCE:
        return f"precedence: {parsed.precedence}"
    if parsed.list_id:
        return f"list-id: {parsed.list_id}"[:200]
    if any(value in parsed.auto_response_suppress for value in NO_AUTO_REPLY):
        return f"x-auto-response-suppress: {parsed.auto_response_suppress}"[:200]
    local = parsed.from_address.rpartition("@")[0].partition("+")[0]
    if _MACHINE_SENDER.match(local):
        return f"sender: {local.lower()}"
    return ""


def is_mass_mail(parsed: ParsedEmail) -> bool:
    """A list or bulk message: its recipients are a list, never people to copy replies to."""
    return bool(parsed.list_id) or parsed.precedence in AUTOMATIC_PRECEDENCE


def imported(meta: dict) -> bool:
    """Mail read from a file (import-mail names it as ``meta["source"]``), not delivered to
    us now (SMTP, IMAP, or an intake that names no source)."""
    source = str(meta.get("source") or "")
    return bool(source) and source not in LIVE_SOURCES


# --- delivery reports (RFC 3464) ------------------------------------------------------------


def delivery_report(payload: bytes) -> dict | None:
    """The delivery status notification in ``payload``, or None when it is not one.

    Only a ``multipart/report; report-type=delivery-status`` message counts (a customer
    forwarding a bounce is a customer's message). Returns ``{"message_id": the returned
    original's Message-ID ("" when left out), "recipients": [{"recipient", "original",
    "action", "status", "diagnostic"}]}``.
    """
    try:
        message = message_from_bytes(payload, policy=policy.compat32)
        report_type = str(message.get_param("report-type") or "").lower()
        if (message.get_content_type() != "multipart/report"
                or report_type not in ("delivery-status", "global-delivery-status")):
            return None
        parts = [p for p in message.get_payload() if isinstance(p, MimeMessage)]
        status = next((p for p in parts if p.get_content_type() in REPORT_TYPES), None)
        if status is None:
            return None
        returned = next((p for p in parts if p.get_content_type() in RETURNED_TYPES), None)
        recipients = [_recipient(block) for block in _blocks(status)[1:]]
        return {"message_id": _returned_id(returned),
                "recipients": [r for r in recipients if r["recipient"] or r["original"]]}
    except Exception:  # noqa: BLE001 - an unreadable report is read as a plain message
        return None


def _blocks(part: MimeMessage) -> list[MimeMessage]:
    """The header blocks of a delivery-status part: per message, then one per recipient."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, MimeMessage)]
    data = part.get_payload(decode=True) or b""
    text = data.decode("utf-8", "replace").replace("\r\n", "\n")
    return [HeaderParser().parsestr(block) for block in re.split(r"\n\s*\n", text)
            if block.strip()]


def _recipient(block: MimeMessage) -> dict:
    def field(name: str) -> str:
        return " ".join(str(block.get(name) or "").split())

    def address(name: str) -> str:
        return field(name).rpartition(";")[2].strip().strip("<>").lower()

    return {
        "recipient": address("Final-Recipient"),
        "original": address("Original-Recipient"),
        "action": field("Action").lower(),
        "status": field("Status").split(" ")[0],
        "diagnostic": field("Diagnostic-Code").partition(";")[2].strip()[:MAX_DIAGNOSTIC],
    }


def _returned_id(part: MimeMessage | None) -> str:
    if part is None:
        return ""
    payload = part.get_payload()
    if isinstance(payload, list):  # message/rfc822: the returned message itself
        headers = payload[0] if payload and isinstance(payload[0], MimeMessage) else None
    else:  # text/rfc822-headers: its headers as text
        data = part.get_payload(decode=True) or b""
        headers = HeaderParser().parsestr(data.decode("utf-8", "replace"), headersonly=True)
    found = _MSG_ID.search(str(headers.get("Message-ID") or "")) if headers else None
    return found.group() if found else ""


def record_report(report: dict) -> str:
    """Apply a delivery report to the email it is about; returns why the raw row is ignored.

    For each failed recipient we sent that email to: the address is marked bounced, the
    reply's ``meta["bounce"][address]`` and its ``Delivery`` (status bounced) say why. Failed
    and delayed recipients are told to the agents in one note on the conversation (stored
    once however often the report arrives).
    """
    from comptoir.conversations.services import add_note  # that module calls this one

    summary = "; ".join(f"{r['original'] or r['recipient']}: {r['action']} {r['status']}"
                        for r in report["recipients"]) or "no recipient"
    reason = f"delivery report for {summary}"
    message_id = report["message_id"]
    delivery = sent = None
    if message_id:
        delivery = (Delivery.objects.select_related("message")
                    .filter(rfc_message_id=message_id).first())
        sent = delivery.message if delivery else (
            Message.objects.filter(external_id=message_id, kind=MessageKind.REPLY).first())
    conversation_id = (delivery.conversation_id if delivery
                       else sent.conversation_id if sent else None)
    if conversation_id is None:
        return f"{reason} (not about an email we sent)"
    lines, bounces = [], {}
    for item in report["recipients"]:
        address = item["original"] or item["recipient"]
        values = {"address": address, "status": item["status"],
                  "diagnostic": item["diagnostic"]}
        if item["action"] == "failed":
            lines.append((_("Delivery to %(address)s failed: %(status)s %(diagnostic)s")
                          % values).strip())
            if delivery is None or address in delivery.recipients:
                bounces[address] = item
        elif item["action"] == "delayed":
            lines.append(_("Delivery to %(address)s is delayed (%(status)s %(diagnostic)s); "
                           "the receiving server keeps trying.") % values)
    now = timezone.now()
    for address, item in bounces.items():
        people.mark_bounced(address, f"{item['status']} {item['diagnostic']}".strip())
    if bounces and sent is not None:
        sent.meta = {**sent.meta, "bounce": {**sent.meta.get("bounce", {}), **{
            address: {"status": item["status"], "diagnostic": item["diagnostic"],
                      "at": now.isoformat()} for address, item in bounces.items()}}}
        sent.save(update_fields=["meta"])
    if bounces and delivery is not None:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.BOUNCED, error="\n".join(lines))
    if lines:
        key = hashlib.sha256(repr((message_id, report["recipients"])).encode()).hexdigest()
        add_note(Conversation.objects.get(pk=conversation_id), None, "\n".join(lines),
                 idempotency_key=f"dsn-{key[:40]}")
    return reason


# --- before a message is stored -------------------------------------------------------------


def screen(inbound: Inbound, raw: RawInbound, *, force: bool = False) -> tuple[Inbound, str]:
    """What the email channel decides before ``receive()``, with the database.

    Returns the inbound with its mailbox resolved (the envelope's, else the first To/Cc
    address that is an active mailbox; ``support+anything@`` is ``support@``) and our own
    addresses taken out of ``cc`` (with no mailbox known, one of the recipients is us under
    an address we do not know: nobody is copied); and why it must not become a message
    ("" when it must): a delivery report (applied here, see ``record_report``) or a mail
    loop. With ``force`` (an agent replays an ignored row) it always becomes one: a report
    is not applied again and a loop is only marked ``meta["loop"]``.
    """
    report = inbound.meta.get("report")
    if report is not None and not force:
        return inbound, record_report(report)
    sender = _base(inbound.identity_value)
    bases = [_base(address) for _name, address in inbound.cc]
    wanted = {sender, _base(inbound.mailbox), *bases} - {""}
    ours = dict(Mailbox.objects.filter(address__in=wanted).values_list("address", "is_active"))
    mailbox = _base(inbound.mailbox) or next((base for base in bases if ours.get(base)), "")
    cc = tuple(pair for pair, base in zip(inbound.cc, bases, strict=True)
               if base not in ours) if mailbox else ()
    loop = ""
    if sender in ours:
        loop = "mail loop: from our own mailbox"
    elif not imported(raw.meta) and _recent_messages(inbound) >= settings.LOOP_MAX_PER_HOUR:
        loop = (f"mail loop: more than {settings.LOOP_MAX_PER_HOUR} messages from "
                f"{inbound.identity_value} in an hour")
    meta = inbound.meta
    if loop and force:
        meta, loop = {**meta, "loop": loop}, ""
    return replace(inbound, mailbox=mailbox, cc=cc, meta=meta), loop


def _base(address: str) -> str:
    """The address without its ``+detail`` (``support+token@x`` is ``support@x``)."""
    local, at, domain = address.strip().lower().rpartition("@")
    return f"{local.partition('+')[0]}{at}{domain}" if at else ""


def _recent_messages(inbound: Inbound) -> int:
    """The sender's messages stored in the last hour, counted up to the limit: one query,
    the identity by its unique key, then its messages by the identity index."""
    since = timezone.now() - timedelta(hours=1)
    return Message.objects.filter(
        identity__kind=IdentityKind.EMAIL, identity__network="",
        identity__value=inbound.identity_value, created_at__gte=since,
    ).values("pk")[:settings.LOOP_MAX_PER_HOUR].count()
