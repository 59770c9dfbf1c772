"""parse() and the normaliser, without the database: charsets, MIME shapes, not-mail."""

import random
from email.message import EmailMessage

import pytest

from comptoir.conversations.inbound import NormaliseError
from comptoir.email.charsets import decode_bytes, unflow
from comptoir.email.parsing import normalise_email, parse, text_to_html
from comptoir.email.quoting import split_reply

from .conftest import CORPUS
from .mail import build, raw

# --- charsets -------------------------------------------------------------------------------


def test_latin1_declared_as_utf8():
    parsed = parse(raw("Café crème, déjà payé.".encode("latin-1")))
    assert parsed.text == "Café crème, déjà payé."


def test_utf8_declared_as_us_ascii():
    body = "Grüße aus Köln – naïve".encode()
    parsed = parse(raw(body, content_type=b"text/plain; charset=us-ascii"))
    assert parsed.text == "Grüße aus Köln – naïve"


def test_cp1252_smart_quotes_declared_as_latin1():
    body = "“It’s broken” – again…".encode("cp1252")
    parsed = parse(raw(body, content_type=b"text/plain; charset=iso-8859-1"))
    assert parsed.text == "“It’s broken” – again…"


def test_cp1252_undeclared():
    parsed = parse(raw("don’t".encode("cp1252"), content_type=b"text/plain"))
    assert parsed.text == "don’t"


def test_iso_2022_jp_body_and_subject():
    text = "お問い合わせありがとうございます。請求書が届きません。"
    message = EmailMessage()
    message["From"] = "=?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>"
    message["To"] = "support@comptoir.test"
    message["Subject"] = "=?ISO-2022-JP?B?GyRCQEE1YT1xGyhC?="  # 請求書
    message["Message-ID"] = "<jp-1@example.jp>"
    message.set_content(text.encode("iso-2022-jp"), maintype="text", subtype="plain",
                        params={"charset": "iso-2022-jp"}, cte="7bit")
    parsed = parse(message.as_bytes())
    assert parsed.text.strip() == text
    assert parsed.subject == "請求書"
    assert parsed.from_name == "山田"


def test_shift_jis_with_microsoft_extensions():
    text = "ご注文①の件で、ご連絡～です。"  # ① and ～ exist only in Microsoft's cp932
    parsed = parse(raw(text.encode("cp932"), content_type=b"text/plain; charset=Shift_JIS"))
    assert parsed.text == text


def test_utf8_japanese_declared_as_shift_jis():
    body = "日本語のメールです".encode()
    parsed = parse(raw(body, content_type=b"text/plain; charset=shift_jis"))
    assert parsed.text == "日本語のメールです"


@pytest.mark.parametrize(("header", "expected"), [
    (b"=?UTF-8?B?44GK5ZWP44GE5ZCI44KP44Gb?=", "お問い合わせ"),
    (b"=?ISO-8859-1?Q?Probl=E8me_de_facturation?=", "Problème de facturation"),
    (b"=?iso-8859-1?q?Gr=FC=DFe_aus_M=FCnchen?=", "Grüße aus München"),
    (b"=?UTF-8?Q?R=C3=A9clamation?= =?UTF-8?Q?_n=C2=B0_42?=", "Réclamation n° 42"),
    (b"=?utf-8?b?w4Rw?=\r\n =?utf-8?b?ZmVs?=", "Äpfel"),  # folded across two lines
    ("Caf\u00e9 raw 8-bit".encode("latin-1"), "Café raw 8-bit"),  # no encoded word at all
    (b"=?x-unknown?q?caf=E9?=", "café"),
    (b"=?utf-8?q?caf=E9?=", "café"),  # declared UTF-8, really Latin-1
])
def test_encoded_word_subjects(header, expected):
    assert parse(raw(b"hi", subject=header)).subject == expected


def test_encoded_sender_name():
    parsed = parse(raw(b"hi", sender=b"=?utf-8?q?Ren=C3=A9e_M=C3=BCller?= <Renee@Example.COM>"))
    assert (parsed.from_name, parsed.from_address) == ("Renée Müller", "Renee@Example.COM")


def test_decode_bytes_never_raises_and_keeps_damaged_utf8():
    assert decode_bytes("ça marche très bien".encode() + b"\xff", "utf-8") == (
        "ça marche très bien\ufffd")
    assert decode_bytes(b"\x81\x8d\x8f", "no-such-charset")
    assert decode_bytes("hello".encode("utf-16"), "utf-16") == "hello"


def test_format_flowed_is_unwrapped():
    assert unflow("A long line \nthat flows.\n> quoted \n> too\n-- \nsig") == (
        "A long line that flows.\n> quoted too\n-- \nsig")
    flowed = b"text/plain; charset=utf-8; format=flowed"
    message = raw(b"One long \nparagraph.", content_type=flowed)
    assert parse(message).text == "One long paragraph."


# --- NUL characters -------------------------------------------------------------------------


def test_nul_characters_are_removed_from_everything_stored_as_text():
    message = raw(b"bad\x00 byte", subject=b"=?utf-8?q?a=00b?=",
                  sender=b"=?utf-8?q?N=00ame?= <nul@example.com>")
    parsed = parse(message)
    assert (parsed.text, parsed.subject, parsed.from_name) == ("bad byte", "ab", "Name")
    html = parse(raw(b"<p>x\x00y</p>", content_type=b"text/html; charset=utf-8"))
    assert "\x00" not in html.html and "\x00" not in html.text


# --- MIME shapes ----------------------------------------------------------------------------


def test_alternative_prefers_plain_for_text_and_html_for_html():
    parsed = parse(build(text="Plain words", html="<p>Rich <b>words</b></p>").as_bytes())
    assert parsed.text.strip() == "Plain words"
    assert "<b>words</b>" in parsed.html


def test_html_only_gets_a_text_view():
    html = "<html><body><p>First line</p><ul><li>one</li><li>two</li></ul>" \
           "<script>alert(1)</script></body></html>"
    parsed = parse(build(text=None, html=html).as_bytes())
    assert "First line" in parsed.text and "one" in parsed.text and "two" in parsed.text
    assert "alert" not in parsed.text
    assert parsed.html.startswith("<html>")


def test_inline_cid_images_are_attachments_with_their_content_id():
    message = build(text="See the screenshot", html='<p>Look: <img src="cid:shot@ex"></p>')
    png = b"\x89PNG\r\n\x1a\nfake-image"
    message.get_payload()[1].add_related(png, "image", "png", cid="<shot@ex>",
                                         filename="screen.png")
    parsed = parse(message.as_bytes())
    image = next(a for a in parsed.attachments if a.content_type == "image/png")
    assert (image.filename, image.content_id, image.content, image.inline) == (
        "screen.png", "shot@ex", png, True)
    inbound = normalise_email(message.as_bytes(), {})
    assert 'src="cid:screen.png"' in inbound.html


def test_attachments_keep_names_and_bytes_and_get_unique_names():
    message = build(attachments=(
        ("report.pdf", "application/pdf", b"%PDF-1.4 one"),
        ("report.pdf", "application/pdf", b"%PDF-1.4 two"),
        ("../../etc/passwd", "text/plain", b"not a path"),
    ))
    names = [(a.filename, a.content) for a in parse(message.as_bytes()).attachments]
    assert names == [("report.pdf", b"%PDF-1.4 one"), ("report (2).pdf", b"%PDF-1.4 two"),
                     ("passwd", b"not a path")]


def test_rfc2231_and_encoded_word_filenames():
    message = (
        b"From: a@example.com\r\nMessage-ID: <f@x>\r\nContent-Type: multipart/mixed; boundary=b"
        b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\n"
        b"Content-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename*=utf-8''%C3%A9t%C3%A9.pdf\r\n\r\nx\r\n--b\r\n"
        b"Content-Type: application/pdf; name=\"=?utf-8?b?w6ljb2xlLnBkZg==?=\"\r\n\r\ny\r\n--b--"
    )
    assert [a.filename for a in parse(message).attachments] == ["été.pdf", "école.pdf"]


def test_nested_message_is_quoted_and_kept_as_eml():
    inner = build(sender="Bob <bob@example.org>", subject="My order never arrived",
                  text="Order 1234 never arrived.\nPlease check.",
                  attachments=(("receipt.pdf", "application/pdf", b"%PDF receipt"),))
    outer = build(text="Forwarding the customer's mail below.")
    outer.add_attachment(inner)
    parsed = parse(outer.as_bytes())
    assert parsed.text.startswith("Forwarding the customer's mail below.")
    assert "> Order 1234 never arrived.\n> Please check." in parsed.text
    assert "From: Bob <bob@example.org>" in parsed.text
    eml = next(a for a in parsed.attachments if a.content_type == "message/rfc822")
    assert eml.filename == "My order never arrived.eml"
    assert b"Order 1234 never arrived." in eml.content
    assert parse(eml.content).subject == "My order never arrived"
    assert any(a.filename == "receipt.pdf" for a in parsed.attachments)
    new_text, quoted = split_reply(parsed.text)
    assert new_text == "Forwarding the customer's mail below."
    assert "Order 1234" in quoted


def test_winmail_dat_is_listed():
    tnef = b"\x78\x9f\x3e\x22" + bytes(range(256))
    message = build(attachments=(("winmail.dat", "application/ms-tnef", tnef),))
    [attachment] = parse(message.as_bytes()).attachments
    assert (attachment.filename, attachment.content_type, attachment.content) == (
        "winmail.dat", "application/ms-tnef", tnef)


def test_calendar_invite_in_an_alternative_is_kept():
    ics = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:Onboarding\r\n" \
          "END:VEVENT\r\nEND:VCALENDAR\r\n"
    message = build(text="You are invited", html="<p>You are invited</p>")
    message.add_alternative(ics, subtype="calendar", params={"method": "REQUEST"})
    parsed = parse(message.as_bytes())
    assert parsed.text.strip() == "You are invited"
    [invite] = parsed.attachments
    assert invite.filename == "invite.ics" and invite.content_type == "text/calendar"
    assert b"SUMMARY:Onboarding" in invite.content


def test_signed_message_body_and_signature(corpus_pgp=CORPUS / "pgp.eml"):
    parsed = parse(corpus_pgp.read_bytes())
    assert parsed.text.startswith("hi, thanks for looking into this :)")
    assert [a.filename for a in parsed.attachments] == ["signature.asc"]


def test_headers_for_threading_and_loop_protection():
    message = raw(b"hi", extra=(
        b"In-Reply-To: <parent@ex>\r\nReferences: <root@ex>\r\n <parent@ex>\r\n"
        b"Auto-Submitted: auto-replied\r\nPrecedence: Bulk\r\n"
        b"X-Auto-Response-Suppress: All\r\n"
        b"Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=example.com\r\n"
    ))
    parsed = parse(message)
    assert parsed.message_id == "<raw-1@example.com>"
    assert parsed.thread_refs == ("<parent@ex>", "<root@ex>")
    assert (parsed.auto_submitted, parsed.precedence, parsed.auto_response_suppress) == (
        "auto-replied", "bulk", "all")
    assert parsed.is_automatic
    assert parsed.authentication_results == ("mx.example.net; spf=pass smtp.mailfrom=example.com",)
    assert not parse(raw(b"hi")).is_automatic
    assert parse(raw(b"hi", extra=b"X-Auto-Response-Suppress: OOF, AutoReply\r\n")).is_automatic
    assert not parse(raw(b"hi", extra=b"Auto-Submitted: no\r\n")).is_automatic


def test_mime_nested_too_deep_keeps_headers_and_text():
    depth = 3000  # past the stdlib parser's recursion limit
    body = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i)
                    for i in range(depth))
    body += b"Content-Type: text/plain\r\n\r\nthe words\r\n"
    body += b"".join(b"--b%d--\r\n" % i for i in reversed(range(depth)))
    parsed = parse(b"From: deep@example.com\r\nSubject: Deep\r\n" + body)
    assert (parsed.from_address, parsed.subject) == ("deep@example.com", "Deep")
    assert "the words" in parsed.text
    assert any(defect.startswith("unparseable MIME structure") for defect in parsed.defects)


def test_mime_nested_past_the_walk_limit_is_kept_as_a_file():
    body = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i)
                    for i in range(30))
    body += b"Content-Type: text/plain\r\n\r\nvery deep words\r\n"
    body += b"".join(b"--b%d--\r\n" % i for i in reversed(range(30)))
    parsed = parse(b"From: deep@example.com\r\n" + body)
    assert "very deep words" not in parsed.text
    assert any(b"very deep words" in a.content for a in parsed.attachments)


def test_message_id_without_brackets_and_missing():
    assert parse(raw(b"x", message_id=b"bare-id@example.com")).message_id == (
        "<bare-id@example.com>")
    no_id = raw(b"same text", message_id=b"")
    first, second = normalise_email(no_id, {}), normalise_email(b"Received: x\r\n" + no_id, {})
    assert first.external_id.endswith("@no-message-id.invalid>")
    assert first.external_id == second.external_id


def test_text_to_html_escapes():
    assert text_to_html("<b>\nx") == "<div>&lt;b&gt;<br>\nx</div>"


# --- the normaliser -------------------------------------------------------------------------


def test_normalise_email_fields():
    message = build(sender="Ana Lima <Ana.Lima@Example.COM>", subject="Invoice",
                    in_reply_to="<ours@comptoir.test>",
                    attachments=(("a.txt", "text/plain", b"attached"),))
    inbound = normalise_email(message.as_bytes(), {"source": "test"})
    assert inbound.channel == "email" and inbound.identity_kind == "email"
    assert inbound.identity_value == "ana.lima@example.com"
    assert (inbound.sender_name, inbound.subject) == ("Ana Lima", "Invoice")
    assert inbound.external_id == message["Message-ID"]
    assert inbound.thread_refs == ("<ours@comptoir.test>",)
    assert [(a.filename, a.content) for a in inbound.attachments] == [("a.txt", b"attached")]


OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")  # what every Outlook .msg file starts with
NOT_MAIL = {
    "empty": (b"", "Empty payload"),
    "blank": (b"\r\n\r\n  ", "Empty payload"),
    "random binary": (random.Random(4).randbytes(4096), "No mail headers"),
    "outlook msg": (OLE_MAGIC + bytes(504) + b"Subject: x\r\n\r\n", "Outlook .msg"),
    "headers without From": (b"To: a@example.com\r\nSubject: hi\r\n\r\nbody", "no usable sender"),
    "From without address": (b"From: just a name\r\nSubject: hi\r\n\r\nbody", "no usable sender"),
    "Sender but no From": (b"Sender: list@example.com\r\nSubject: hi\r\n\r\nx", "no usable sender"),
    "body only": (b"Hello, this is just text\nwith no headers.\n", "No mail headers"),
}


@pytest.mark.parametrize("payload,expected", NOT_MAIL.values(), ids=NOT_MAIL.keys())
def test_not_mail_is_refused_clearly(payload, expected):
    with pytest.raises(NormaliseError, match=expected):
        normalise_email(payload, {})
