"""Raw RFC 5322 bytes to a ``ParsedEmail``, and the "email" channel's normaliser.

``parse()`` reads whatever arrives — wrong charsets, broken MIME, binary junk — and never
raises: the stdlib parser does the MIME work with its ``compat32`` policy (headers kept as
the raw strings they came as: three times faster than ``policy.default``, which would build
a header object for every Content-Type it is asked about), and the headers the help desk
reads are parsed one by one with ``policy.default``'s header classes; every place where
that can choke on hostile input (it has crashed on malformed values) falls back to the raw
header or part. Text and HTML come out without NUL characters, which
PostgreSQL refuses in text columns.

What the body becomes:

* ``multipart/alternative``: ``text`` from the text/plain alternative, ``html`` from the
  (last) HTML one; with only HTML, ``text`` is derived from it with inscriptis.
* ``multipart/mixed``/``related``/``signed``: inline text and HTML parts in order make the
  body; every other part is an attachment (inline images keep their Content-ID).
* ``message/rfc822``: the nested message is quoted in the text (and in a blockquote in the
  HTML) and also listed as an ``.eml`` attachment, with its own attachments.
* ``winmail.dat`` (TNEF), ``text/calendar`` invites, delivery reports: attachments.
"""

import base64
import binascii
import contextlib
import hashlib
import html as html_lib
import logging
import mimetypes
import quopri
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parsedate_to_datetime
from urllib.parse import quote, unquote

from django.conf import settings
from django.utils import timezone
from inscriptis import get_text

from comptoir.conversations.inbound import (
    MAX_IDENTITY_LENGTH,
    Inbound,
    InboundAttachment,
    NormaliseError,
    register,
)
from comptoir.people.models import IdentityKind

from .charsets import clean, codec_name, decode_bytes, recover, unflow

logger = logging.getLogger(__name__)

MAX_DEPTH = 20  # MIME nesting deeper than this is an attack or a loop, not a message
MAX_THREAD_REFS = 30  # the parent and the most recent ancestors are what threads a reply
MAX_ID_LENGTH = 500  # Message.external_id's length: a longer id could not be matched again
MAX_COPIED = 20  # To/Cc addresses that become participants: a mass mailing is not a thread
CLOCK_SKEW = timedelta(minutes=5)  # an imported Date later than now by more is a wrong clock
OLDEST_DATE = datetime(1990, 1, 1, tzinfo=UTC)  # earlier: a broken clock (often 1970)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an Outlook .msg is an OLE compound file
AUTOMATIC_PRECEDENCE = frozenset({"bulk", "list", "junk"})
NO_AUTO_REPLY = ("all", "autoreply", "oof")  # X-Auto-Response-Suppress values (Exchange)

_MSG_ID = re.compile(r"<([^<>\s]+)>")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_FOLDING = re.compile(r"\r?\n[ \t]*")
_META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([qQbB])\?([^?\s]*)\?=")
_MIME_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}")
_CID = re.compile(r"""(?i)\bcid:([^"'\s>)]+)""")


@dataclass(frozen=True)
class Address:
    name: str
    address: str


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str  # unique within the message, safe (no path)
    content_type: str
    content: bytes
    content_id: str = ""  # without the angle brackets; what ``cid:`` URLs in the HTML name
    inline: bool = False


@dataclass(frozen=True)
class ParsedEmail:
    """One mail message as the help desk needs it. Strings are clean (no NUL) and decoded."""

    has_headers: bool = False
    message_id: str = ""  # "<id@host>", or "" when missing
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    subject: str = ""
    from_name: str = ""
    from_address: str = ""
    reply_to: tuple[Address, ...] = ()
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    date: datetime | None = None
    text: str = ""
    html: str = ""  # as sent: not sanitised (``receive()`` does that)
    attachments: tuple[ParsedAttachment, ...] = ()
    # loop protection reads these (issue 4): values lower-cased, "" when absent
    auto_submitted: str = ""
    precedence: str = ""
    auto_response_suppress: str = ""
    list_id: str = ""
    authentication_results: tuple[str, ...] = ()  # raw header values, newest first
    defects: tuple[str, ...] = ()

    @property
    def is_automatic(self) -> bool:
        """Sent by a machine (auto-reply, list, bulk) or asking for no auto-reply: never
        auto-answered."""
        return (
            self.auto_submitted not in ("", "no")
            or self.precedence in AUTOMATIC_PRECEDENCE
            or bool(self.list_id)
            or any(value in self.auto_response_suppress for value in NO_AUTO_REPLY)
        )

    @property
    def thread_refs(self) -> tuple[str, ...]:
        """Message-IDs this one answers: the parent first, then the nearest ancestors."""
        refs = [*self.in_reply_to, *reversed(self.references)]
        unique = dict.fromkeys(ref for ref in refs if ref != self.message_id)
        return tuple(unique)[:MAX_THREAD_REFS]


def parse(raw: bytes) -> ParsedEmail:
    """Read one message. Never raises: the worst input gives a result with ``defects``.

    When the MIME structure defeats the stdlib (nesting deep enough to exhaust recursion),
    the headers are still read and the body is kept as raw text.
    """
    try:
        return _from_message(message_from_bytes(raw, policy=policy.compat32), depth=0)
    except Exception as exc:  # noqa: BLE001 - hostile bytes must not escape as a crash
        defect = f"unparseable MIME structure: {exc!r}"
        logger.warning("Mail parser failed, reading the headers only: %r", exc)
    try:
        headers_only = BytesHeaderParser(policy=policy.default).parsebytes(raw)
        parsed = _from_message(headers_only, depth=0)
        return replace(parsed, defects=(*parsed.defects, defect))
    except Exception as exc:  # noqa: BLE001 - see above
        return ParsedEmail(text=clean(decode_bytes(raw)), defects=(defect, repr(exc)))


def _from_message(message: Message, depth: int) -> ParsedEmail:
    body = _Body()
    _walk(message, body, depth)
    # From only: Sender is often a list or a relay, never the customer to attach this to
    senders = _addresses(message, "From")
    sender = senders[0] if senders else Address("", "")
    return ParsedEmail(
        has_headers=bool(message.keys()),
        message_id=next(iter(_ids(_header(message, "Message-ID"))), ""),
        in_reply_to=_ids(_header(message, "In-Reply-To")),
        references=_ids(_header(message, "References")),
        subject=_one_line(_header(message, "Subject")),
        from_name=_one_line(sender.name),
        from_address=sender.address,
        reply_to=tuple(_addresses(message, "Reply-To")),
        to=tuple(_addresses(message, "To")),
        cc=tuple(_addresses(message, "Cc")),
        date=_date(message),
        text=body.text(),
        html=body.html(),
        attachments=_unique_names(body.attachments),
        auto_submitted=_header(message, "Auto-Submitted").lower(),
        precedence=_header(message, "Precedence").lower(),
        auto_response_suppress=_header(message, "X-Auto-Response-Suppress").lower(),
        list_id=_header(message, "List-Id"),
        authentication_results=tuple(_headers(message, "Authentication-Results")),
        defects=tuple(type(defect).__name__ for defect in _defects(message)),
    )


# --- the MIME tree --------------------------------------------------------------------------


@dataclass
class _Segment:
    text: str = ""
    html: str = ""


@dataclass
class _Body:
    segments: list[_Segment] = field(default_factory=list)
    attachments: list[ParsedAttachment] = field(default_factory=list)

    def text(self) -> str:
        parts = [
            seg.text if seg.text.strip() or not seg.html else html_to_text(seg.html)
            for seg in self.segments
        ]
        return clean("\n\n".join(part.strip("\n") for part in parts if part.strip()))

    def html(self) -> str:
        if not any(seg.html for seg in self.segments):
            return ""
        parts = [seg.html or text_to_html(seg.text) for seg in self.segments]
        return clean("\n".join(part for part in parts if part.strip()))


def _walk(part: Message, body: _Body, depth: int) -> None:
    content_type = _content_type(part)
    if depth > MAX_DEPTH:  # kept whole as a file rather than walked further
        body.attachments.append(_attachment(part, content_type, _serialise(part)))
        return
    if content_type in ("message/rfc822", "message/global"):
        _nested_message(part, body, depth)
        return
    payload = part.get_payload()
    if isinstance(payload, list):
        if content_type == "multipart/alternative":
            _alternative(payload, body, depth)
        elif content_type.startswith("message/"):  # delivery-status and other header blocks
            body.attachments.append(_attachment(part, content_type, _serialise_parts(payload)))
        else:
            for child in payload:
                if isinstance(child, Message):
                    _walk(child, body, depth + 1)
        return
    if content_type.startswith("multipart/"):  # a multipart without a boundary: read as text
        body.segments.append(_Segment(text=_text_content(part, "text/plain")))
        return
    if content_type in ("text/plain", "text/html") and _is_body(part):
        text = _text_content(part, content_type)
        body.segments.append(
            _Segment(html=text) if content_type == "text/html" else _Segment(text=text)
        )
        return
    body.attachments.append(_attachment(part, content_type, _bytes(part)))


def _alternative(children: list, body: _Body, depth: int) -> None:
    """One segment: the plain-text alternative's text and the richest alternative's HTML."""
    plain: _Body | None = None
    rich: _Body | None = None
    for child in children:
        if not isinstance(child, Message):
            continue
        sub = _Body()
        _walk(child, sub, depth + 1)
        body.attachments += sub.attachments  # calendar invites, related images
        if plain is None and any(seg.text.strip() for seg in sub.segments):
            plain = sub
        if any(seg.html for seg in sub.segments):
            rich = sub
    segment = _Segment(
        text=plain.text() if plain is not None else "",
        html=rich.html() if rich is not None else "",
    )
    if segment.text or segment.html:
        body.segments.append(segment)


def _nested_message(part: Message, body: _Body, depth: int) -> None:
    payload = part.get_payload()
    inner_message = payload[0] if isinstance(payload, list) and payload else None
    if not isinstance(inner_message, Message):
        body.attachments.append(_attachment(part, "message/rfc822", _bytes(part)))
        return
    inner = _from_message(inner_message, depth + 1)
    header_lines = [
        f"{label}: {value}" for label, value in (
            ("From", _format_address(inner.from_name, inner.from_address)),
            ("Date", _header(inner_message, "Date")),
            ("Subject", inner.subject),
            ("To", ", ".join(_format_address(a.name, a.address) for a in inner.to)),
        ) if value
    ]
    quoted_text = "\n".join(f"> {line}" if line else ">" for line in inner.text.split("\n"))
    body.segments.append(_Segment(
        text="-------- Attached message --------\n" + "\n".join(header_lines)
             + "\n\n" + quoted_text,
        html='<blockquote type="cite"><div>'
             + "<br>".join(html_lib.escape(line) for line in header_lines) + "</div>"
             + (inner.html or text_to_html(inner.text)) + "</blockquote>",
    ))
    name = _safe_filename(inner.subject)[:80] or "message"
    body.attachments.append(ParsedAttachment(
        filename=f"{name}.eml", content_type="message/rfc822",
        content=_serialise(inner_message),
    ))
    body.attachments += inner.attachments


def _is_body(part: Message) -> bool:
    try:
        disposition = part.get_content_disposition()
    except Exception:  # noqa: BLE001 - a malformed header is read as "no disposition"
        disposition = None
    return disposition != "attachment" and not _filename(part)


def _text_content(part: Message, content_type: str) -> str:
    data = _bytes(part)
    charset = _param(part, "charset")
    if not charset and content_type == "text/html":
        declared = _META_CHARSET.search(data[:4096])
        charset = declared.group(1).decode("ascii", "replace") if declared else ""
    text = decode_bytes(data, charset).replace("\r\n", "\n")
    if content_type == "text/plain" and _param(part, "format").lower() == "flowed":
        text = unflow(text, delsp=_param(part, "delsp").lower() == "yes")
    return clean(text)


def _attachment(part: Message, content_type: str, content: bytes) -> ParsedAttachment:
    content_id = _header(part, "Content-ID").strip().strip("<>").strip()
    try:
        inline = part.get_content_disposition() == "inline" or bool(content_id)
    except Exception:  # noqa: BLE001 - a malformed header is read as "no disposition"
        inline = bool(content_id)
    return ParsedAttachment(
        filename=_safe_filename(_filename(part)) or _default_filename(content_type),
        content_type=content_type,
        content=content,
        content_id=content_id[:500],
        inline=inline,
    )


def _bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - a transfer encoding the stdlib cannot undo
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    return b""


def _serialise(message: Message) -> bytes:
    """The nested message's bytes, for its ``.eml`` attachment."""
    for writer in (policy.compat32, policy.default):  # compat32 keeps headers as they came
        with contextlib.suppress(Exception):  # a header one writer refuses: try the next
            return message.as_bytes(policy=writer)
    return _bytes(message)


def _serialise_parts(parts: list) -> bytes:
    return b"\n".join(_serialise(p) for p in parts if isinstance(p, Message))


# --- headers --------------------------------------------------------------------------------


# Headers the stdlib parses with a class of its own (addresses, dates, MIME...); any other is
# unstructured: its value is the raw one unfolded, with encoded words decoded.
_STRUCTURED = frozenset(policy.default.header_factory.registry)


# Read like unstructured headers when plain ASCII (what the stdlib's classes give then).
_PLAIN = frozenset({"subject", "message-id"})
# One address as most clients write it: "Name <local@domain>" or "local@domain", no quotes,
# comments, groups, routes or encoded words; anything else goes to the stdlib's parser.
_SIMPLE_ADDRESS = re.compile(
    r"\s*(?:([A-Za-z0-9!#$%&'*+/=?^_`{|}~.\- ]*?)\s*<([^<>\s\"(),:;@\\\[\]]+@"
    r"[A-Za-z0-9.\-]+)>|([^<>\s\"(),:;@\\\[\]]+@[A-Za-z0-9.\-]+))\s*")


def _header(message: Message, name: str) -> str:
    """A header's decoded value ("" when absent), from the raw value if parsing it fails."""
    lower = name.lower()
    if lower not in _STRUCTURED or (lower in _PLAIN and not _needs_parser(message, name)):
        raw = _raw_header(message, name)
        if raw is None:
            return ""
        if raw.isascii() and "=?" not in raw:  # what the unstructured header would give
            return clean(_FOLDING.sub(" ", raw)).strip()
    try:
        value = _parsed_header(message, name)
        text = "" if value is None else str(value)
    except Exception:  # noqa: BLE001 - the stdlib's lazy header parser crashes on some input
        text = _decode_raw(_raw_header(message, name) or "")
    return clean(text).strip()


def _needs_parser(message: Message, name: str) -> bool:
    raw = _raw_header(message, name)
    return raw is not None and not (raw.isascii() and "=?" not in raw and "(" not in raw)


def _simple_addresses(raw: str) -> list[tuple[str, str]] | None:
    """(name, address) pairs of a plain ASCII address list, or None when the stdlib's
    parser must read it (see ``_SIMPLE_ADDRESS``)."""
    if not raw.isascii() or "=?" in raw or '"' in raw or "(" in raw:
        return None
    pairs = []
    for item in _FOLDING.sub(" ", raw).split(","):
        if not item.strip():
            continue
        match = _SIMPLE_ADDRESS.fullmatch(item)
        if match is None:
            return None
        name, bracketed, bare = match.groups()
        pairs.append((" ".join((name or "").split()), bracketed or bare))
    return pairs


def _parsed_header(message: Message, name: str):
    """The stdlib's header object for the first ``name`` header, or None when absent.

    Parsed from a repaired raw value: the stdlib turns raw 8-bit bytes and encoded words in
    an unknown or wrong charset into U+FFFD, where ``decode_bytes`` can still read them.
    """
    raw = _raw_header(message, name)
    return None if raw is None else policy.default.header_factory(name, _repair(raw))


def _repair(value: str) -> str:
    value = recover(_FOLDING.sub(" ", value))
    return _ENCODED_WORD.sub(_utf8_word, value) if "=?" in value else value


def _utf8_word(match: re.Match[str]) -> str:
    """The encoded word as is when its charset reads it, else re-encoded as UTF-8."""
    charset, encoding, payload = match.groups()
    data = _word_bytes(encoding, payload)
    if data is None:
        return match.group()
    codec = codec_name(charset.split("*")[0])
    if codec:
        try:
            data.decode(codec)
        except UnicodeDecodeError:
            pass
        else:
            return match.group()
    text = decode_bytes(data, charset.split("*")[0])
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode("ascii") + "?="


def _word_bytes(encoding: str, payload: str) -> bytes | None:
    data = payload.encode("utf-8")
    try:
        if encoding in "bB":
            return base64.b64decode(data + b"=" * (-len(data) % 4))
        return quopri.decodestring(data, header=True)
    except (binascii.Error, ValueError):
        return None


def _headers(message: Message, name: str) -> list[str]:
    values = [value for key, value in message.raw_items() if key.lower() == name.lower()]
    found = []
    plain = name.lower() not in _STRUCTURED
    for raw in values:
        if plain and raw.isascii() and "=?" not in raw:  # as in _header
            found.append(clean(_FOLDING.sub(" ", raw)).strip())
            continue
        try:
            text = str(policy.default.header_factory(name, _repair(raw)))
        except Exception:  # noqa: BLE001 - see _header
            text = _decode_raw(raw)
        found.append(clean(text).strip())
    return found


def _raw_header(message: Message, name: str) -> str | None:
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return None


def _decode_raw(value: str) -> str:
    """Encoded words (RFC 2047) decoded one by one in any charset, raw 8-bit text decoded
    too: the forgiving reading used when the stdlib's parser gives up."""
    value = recover(_FOLDING.sub(" ", value))
    pieces: list[str] = []
    last = 0
    for match in _ENCODED_WORD.finditer(value):
        between = value[last:match.start()]
        if last == 0 or between.strip():  # whitespace between two encoded words is dropped
            pieces.append(between)
        pieces.append(_decode_word(match))
        last = match.end()
    pieces.append(value[last:])
    return "".join(pieces)


def _decode_word(match: re.Match[str]) -> str:
    charset, encoding, payload = match.groups()
    data = _word_bytes(encoding, payload)
    return match.group() if data is None else decode_bytes(data, charset.split("*")[0])


def _addresses(message: Message, name: str) -> list[Address]:
    raw = _raw_header(message, name)
    if raw is None:
        return []
    pairs = _simple_addresses(raw)
    if pairs is None:
        try:
            pairs = [(address.display_name, address.addr_spec)
                     for address in _parsed_header(message, name).addresses]
        except Exception:  # noqa: BLE001 - fall back to the forgiving compat parser
            pairs = getaddresses([raw])
            pairs = [(_decode_raw(display_name), spec) for display_name, spec in pairs]
    found = []
    for display_name, spec in pairs:
        address = clean(spec).strip().strip("<>").strip()
        if "@" in address and not _CONTROL.search(address) and " " not in address:
            found.append(Address(_one_line(clean(display_name)), address))
    return found


def _ids(value: str) -> tuple[str, ...]:
    """Message-IDs in a header, as "<id>"; bare ids (no brackets) from broken mailers too."""
    found = _MSG_ID.findall(value) or [
        token.strip("<>,;") for token in value.split() if "@" in token
    ]
    ids = (f"<{token}>" for token in found if token and len(token) + 2 <= MAX_ID_LENGTH)
    return tuple(dict.fromkeys(ids))


def _date(message: Message) -> datetime | None:
    raw = _raw_header(message, "Date")
    try:  # what the stdlib's DateHeader does with the repaired value
        value = None if raw is None else parsedate_to_datetime(_repair(raw))
    except Exception:  # noqa: BLE001 - unreadable date: try the forgiving parser below
        value = None
    if value is None:
        try:
            value = parsedate_to_datetime(_raw_header(message, "Date") or "")
        except Exception:  # noqa: BLE001 - no usable date
            return None
    if value.tzinfo is None:  # "-0000": the sender's zone is unknown, the instant is UTC
        value = value.replace(tzinfo=UTC)
    return value


def _content_type(part: Message) -> str:
    """The part's type, lower-case ``type/subtype``; RFC 2045: unreadable means text/plain."""
    try:
        value = part.get_content_type()
    except Exception:  # noqa: BLE001 - a header the stdlib cannot parse
        return "text/plain"
    value = re.sub(r"[\x00-\x20\x7f]", "", value).lower()
    return value if _MIME_TYPE.fullmatch(value) else "text/plain"


def _param(part: Message, name: str) -> str:
    try:
        value = part.get_param(name)
    except Exception:  # noqa: BLE001 - a malformed Content-Type has no usable parameter
        return ""
    if isinstance(value, tuple):  # RFC 2231 (charset, language, value)
        value = value[2]
    return clean(str(value or "")).strip()


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or part.get_param("name") or ""
    except Exception:  # noqa: BLE001 - a malformed Content-Disposition names nothing
        name = ""
    if isinstance(name, tuple):
        name = name[2]
    return _decode_raw(str(name))


def _defects(message: Message) -> list:
    try:
        return list(message.defects)
    except Exception:  # noqa: BLE001 - defects are informative only
        return []


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _format_address(name: str, address: str) -> str:
    return f"{name} <{address}>" if name and address else name or address


# --- attachments ----------------------------------------------------------------------------


def _safe_filename(name: str) -> str:
    """A file name to show and download: no directories, no control characters."""
    name = clean(name).replace("\\", "/").rsplit("/", 1)[-1]
    name = _CONTROL.sub("", name).strip().strip(".")
    if len(name) > 255:
        stem, dot, extension = name.rpartition(".")
        name = (stem[: 250 - len(extension)] + dot + extension) if dot else name[:255]
    return name


def _default_filename(content_type: str) -> str:
    if content_type == "text/calendar":
        return "invite.ics"
    if content_type == "application/ms-tnef":
        return "winmail.dat"
    if content_type in ("message/rfc822", "message/global"):
        return "message.eml"
    if content_type == "message/delivery-status":
        return "delivery-status.txt"
    extension = mimetypes.guess_extension(content_type) or ".bin"
    stem = "image" if content_type.startswith("image/") else "attachment"
    return stem + extension


def _unique_names(attachments: list[ParsedAttachment]) -> tuple[ParsedAttachment, ...]:
    """Suffix repeated names ("image.png", "image (2).png"): the HTML's inline images are
    matched to attachments by name once stored."""
    seen: set[str] = set()
    next_number: dict[str, int] = {}
    unique = []
    for item in attachments:
        name = item.filename
        stem, dot, extension = name.rpartition(".")
        if not dot:
            stem, extension = name, ""
        while name.lower() in seen:
            number = next_number.get(item.filename.lower(), 2)
            next_number[item.filename.lower()] = number + 1
            name = f"{stem} ({number}){dot}{extension}"
        seen.add(name.lower())
        unique.append(item if name == item.filename else ParsedAttachment(
            name, item.content_type, item.content, item.content_id, item.inline,
        ))
    return tuple(unique)


def link_inline_images(html: str, attachments: tuple[ParsedAttachment, ...]) -> str:
    """Point ``cid:<content-id>`` URLs at the attachment's file name (``cid:<name>``).

    The stored attachment has no Content-ID; its name is unique within the message, so the
    conversation view can swap ``cid:<name>`` for the attachment's URL.
    """
    by_id = {item.content_id: item.filename for item in attachments if item.content_id}
    if not by_id or "cid:" not in html.lower():
        return html

    def to_name(match: re.Match[str]) -> str:
        name = by_id.get(unquote(match.group(1))) or by_id.get(match.group(1))
        return f"cid:{quote(name)}" if name else match.group()

    return _CID.sub(to_name, html)


# --- text and HTML --------------------------------------------------------------------------


def html_to_text(html: str) -> str:
    """The readable text of an HTML body (layout-aware: tables, lists, line breaks)."""
    if not html.strip():
        return ""
    try:
        return get_text(html).strip("\n")
    except Exception:  # noqa: BLE001 - lxml refuses some documents: strip tags instead
        text = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", "", html)
        text = re.sub(r"(?i)<br\s*/?>|</p\s*>|</div\s*>", "\n", text)
        return html_lib.unescape(re.sub(r"<[^>]*>", "", text)).strip("\n")


def text_to_html(text: str) -> str:
    return "<div>" + html_lib.escape(text).replace("\n", "<br>\n") + "</div>"


# --- the "email" channel's normaliser --------------------------------------------------------


@register("email")
def normalise_email(payload: bytes, meta: dict) -> Inbound:
    """A raw message (RFC 5322 bytes) as an ``Inbound``; not-mail raises ``NormaliseError``.

    ``text`` is the whole text, quoted history included (``quoting.split_reply`` folds it
    for display); ``html`` is sanitised later by ``receive()``. No database here:
    ``safety.screen`` resolves the mailbox and our own addresses before ``receive()``.

    ``Inbound.meta`` (kept on the message) holds the Date header (``date``), our MTA's
    authentication results (``auth``), why a machine sent it (``auto``) and, for a delivery
    report, what it reports (``report``). A failed authentication makes the sender untrusted.
    """
    from . import safety  # safety imports this module

    if not payload.strip():
        raise NormaliseError("Empty payload: there is no message to read.")
    if payload.startswith(OLE_MAGIC):
        raise NormaliseError(
            "This is an Outlook .msg file (an OLE compound document), not an RFC 5322 "
            "message: save or export it as .eml."
        )
    parsed = parse(payload)
    if not parsed.has_headers:
        raise NormaliseError("No mail headers: this is not an email message.")
    if not parsed.from_address:
        raise NormaliseError("The message has no usable sender: no address in From.")
    address = parsed.from_address.lower()
    if len(address) > MAX_IDENTITY_LENGTH:
        raise NormaliseError("The From address is longer than any real address.")
    info: dict = {}
    if parsed.date is not None:
        info["date"] = parsed.date.isoformat()
    auth = safety.authentication(parsed.authentication_results, address.rpartition("@")[2],
                                 settings.AUTHSERV_IDS)
    if auth:
        info["auth"] = auth
    auto = safety.automated(parsed)
    if auto:
        info["auto"] = auto
    if any(item.content_type in safety.REPORT_TYPES for item in parsed.attachments):
        report = safety.delivery_report(payload)
        if report is not None:
            info["report"] = report
    envelope = str(meta.get("mailbox") or "").strip().lower()
    rcpt_to = meta.get("rcpt_to") or []
    conversation_id, cc = _recipients(parsed, address, [envelope, *map(str, rcpt_to)])
    return Inbound(
        channel="email",
        identity_kind=IdentityKind.EMAIL,
        identity_value=address,
        sender_name=parsed.from_name,
        subject=parsed.subject,
        text=parsed.text,
        html=link_inline_images(parsed.html, parsed.attachments),
        external_id=parsed.message_id or synthetic_message_id(parsed),
        thread_refs=parsed.thread_refs,
        conversation_id=conversation_id,
        received_at=_received_at(parsed, meta, imported=safety.imported(meta)),
        attachments=tuple(
            InboundAttachment(item.filename, item.content_type, item.content)
            for item in parsed.attachments
        ),
        cc=() if safety.is_mass_mail(parsed) else cc,
        mailbox=envelope,
        trusted_sender=auth.get("verdict") != "fail",
        thread_by_subject=True,
        meta=info,
    )


def _recipients(
    parsed: ParsedEmail, sender: str, envelope: list[str],
) -> tuple[int | None, tuple[tuple[str, str], ...]]:
    """The conversation a signed reply address names (``support+<token>@``, see
    ``outbound.reply_token``) among the envelope's and the headers' recipients; and the
    others the message went to: To then Cc, without the sender, the envelope's addresses and
    reply addresses, at most ``MAX_COPIED``. Our own mailboxes among them are taken out by
    ``safety.screen``, which knows them."""
    from .outbound import read_reply_token  # outbound imports this module

    conversation_id = None
    copied: dict[str, str] = {}
    envelope = [address.strip().lower() for address in envelope]
    headers = [(item.name, item.address.lower()) for item in (*parsed.to, *parsed.cc)]
    for name, address in [*(("", address) for address in envelope), *headers]:
        if "+" in address.rpartition("@")[0]:
            token_id = read_reply_token(address)
            if token_id is not None:
                conversation_id = conversation_id or token_id
                continue
        if address and address not in envelope and address != sender and (
                len(address) <= MAX_IDENTITY_LENGTH):
            copied.setdefault(address, name)
    pairs = tuple((name, address) for address, name in copied.items())
    return conversation_id, pairs[:MAX_COPIED]


def _received_at(parsed: ParsedEmail, meta: dict, *, imported: bool) -> datetime | None:
    """When we got the message. Live mail: the intake's ``meta["received_at"]`` (ISO 8601),
    else None (``receive()`` takes the raw row's time). Imported mail: its Date, unless
    missing, older than ``OLDEST_DATE`` or later than now plus ``CLOCK_SKEW`` (then None too)."""
    if not imported:
        try:
            value = datetime.fromisoformat(str(meta["received_at"]))
        except (KeyError, ValueError):
            return None
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    date = parsed.date
    if date is None or date < OLDEST_DATE or date > timezone.now() + CLOCK_SKEW:
        return None
    return date


def synthetic_message_id(parsed: ParsedEmail) -> str:
    """A stable id for a message sent without Message-ID, from what the sender wrote: the
    same message delivered twice (different Received headers) gets the same id."""
    digest = hashlib.sha256()
    for part in (parsed.from_address, str(parsed.date), parsed.subject, parsed.text,
                 parsed.html, *(hashlib.sha256(a.content).hexdigest() for a in parsed.attachments)):
        digest.update(part.encode("utf-8", "replace") + b"\x00")
    return f"<{digest.hexdigest()[:40]}@no-message-id.invalid>"
