"""Test mail built the way mail clients build it (stdlib), or byte by byte where a test needs
bytes no well-behaved client would write (wrong charsets, NUL, broken structure)."""

from email.message import EmailMessage
from email.utils import make_msgid

CRLF = b"\r\n"


def build(
    *, sender: str = "Ana Lima <ana@example.com>", to: str = "support@comptoir.test",
    subject: str = "Help", text: str | None = "Hello, I need help.", html: str | None = None,
    message_id: str | None = None, in_reply_to: str | None = None,
    attachments: tuple[tuple[str, str, bytes], ...] = (), headers: dict | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Mon, 06 Jan 2025 10:00:00 +0100"
    message["Message-ID"] = message_id or make_msgid(domain="example.com")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    for name, value in (headers or {}).items():
        message[name] = value
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    for filename, content_type, content in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message


def raw(
    body: bytes, *, content_type: bytes = b"text/plain; charset=utf-8",
    subject: bytes = b"Help", sender: bytes = b"Ana <ana@example.com>",
    message_id: bytes = b"<raw-1@example.com>", transfer_encoding: bytes = b"8bit",
    extra: bytes = b"",
) -> bytes:
    """A single-part message exactly as these bytes say, right or wrong."""
    head = [
        b"From: " + sender, b"To: support@comptoir.test", b"Subject: " + subject,
        b"Date: Mon, 06 Jan 2025 10:00:00 +0100", b"Message-ID: " + message_id,
        b"MIME-Version: 1.0", b"Content-Type: " + content_type,
        b"Content-Transfer-Encoding: " + transfer_encoding,
    ]
    return CRLF.join(head) + CRLF + extra + CRLF + body
