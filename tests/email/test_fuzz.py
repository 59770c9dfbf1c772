"""Mutated real mail: no exception escapes the parser, every raw message stays stored."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comptoir.conversations import services
from comptoir.conversations.inbound import NormaliseError
from comptoir.conversations.models import RawInbound, RawStatus
from comptoir.email.parsing import ParsedEmail, normalise_email, parse

from .conftest import CORPUS_FILES
from .mail import build


def _built_samples() -> list[bytes]:
    """MIME shapes the corpus lacks: nested message, inline image, invite, attachments."""
    inner = build(subject="=?utf-8?q?Inn=C3=A9r?=", text="inner text")
    outer = build(text="outer", html='<img src="cid:i@x">',
                  attachments=(("a.pdf", "application/pdf", b"%PDF"),))
    outer.add_attachment(inner)
    outer.add_attachment(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR", maintype="text",
                         subtype="calendar", filename="i.ics")
    return [outer.as_bytes()]


SAMPLES = [path.read_bytes() for path in CORPUS_FILES] + _built_samples()
HEADERS = ["From", "To", "Subject", "Message-ID", "Content-Type", "Content-Transfer-Encoding",
           "MIME-Version", "Date", "References", "In-Reply-To"]
INSERTS = [
    b"\x00", b"\xff\xfe\x00", b"=?", b"=?utf-8?q?=FF=00?=", b"=?x-unknown?b?////?=", b"\r\n",
    b"\r\n\r\n", b"\r\n--", b"<", b'"', b"\\", b"\r\n\t", b";charset=x-bogus",
    b"\r\nContent-Type: multipart/mixed; boundary=zz\r\n",
    b"\r\nContent-Transfer-Encoding: base64\r\n", b"\r\nContent-Type: message/rfc822\r\n",
    b"\r\nFrom: =?utf-8?b?AA==?= <\x00@x>\r\n", b"\xe2\x80", b"\x1b$B",
]


@st.composite
def mutated_mail(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "delete_header"]))
        if kind == "delete_header":
            name = draw(st.sampled_from(HEADERS)).encode()
            pattern = rb"(?im)^" + name + rb":.*(?:\r?\n[ \t].*)*\r?\n"
            data = bytearray(re.sub(pattern, b"", bytes(data), count=1))
            continue
        if not data:
            break
        index = draw(st.integers(min_value=0, max_value=len(data) - 1))
        if kind == "flip":
            data[index] ^= 1 << draw(st.integers(min_value=0, max_value=7))
        elif kind == "truncate":
            del data[index:]
        else:
            data[index:index] = draw(st.sampled_from(INSERTS) | st.binary(min_size=1, max_size=40))
    return bytes(data)


@settings(max_examples=400, deadline=None)
@given(mutated_mail())
def test_parser_never_raises(payload):
    parsed = parse(payload)
    assert isinstance(parsed, ParsedEmail)
    try:
        inbound = normalise_email(payload, {})
    except NormaliseError:
        return
    assert inbound.identity_value and "@" in inbound.identity_value
    assert inbound.external_id.startswith("<")
    for text in (inbound.identity_value, inbound.sender_name, inbound.subject, inbound.text,
                 inbound.html, inbound.external_id, *inbound.thread_refs,
                 *(a.filename for a in inbound.attachments),
                 *(a.content_type for a in inbound.attachments)):
        assert "\x00" not in text  # PostgreSQL refuses NUL in text columns
        text.encode("utf-8")  # no lone surrogate: every database can store it


@pytest.mark.django_db
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(mutated_mail())
def test_intake_keeps_every_raw_message(payload):
    stored = services.store_raw("email", payload, {"source": "fuzz"})
    services.process_raw(stored.pk)  # never raises: failures are recorded on the row
    stored = RawInbound.objects.get(pk=stored.pk)
    assert bytes(stored.payload) == payload
    assert stored.status in (RawStatus.PROCESSED, RawStatus.FAILED)
    if stored.status == RawStatus.FAILED:
        # refused as not-mail with a reason, never a crash in parsing or storing
        assert stored.error.startswith("NormaliseError: "), stored.error
    else:
        assert stored.message is not None
