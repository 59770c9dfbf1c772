"""How a message's body is shown: what the sender wrote first, their quoted history and
signature folded away with the full original one click away, inline images from the
message's own attachments, remote images held back until an agent asks."""

import re
from dataclasses import dataclass
from urllib.parse import unquote

from django.urls import reverse
from django.utils.html import escape, linebreaks

from comptoir.email.quoting import split_reply, split_signature

from .models import Message, MessageKind

INLINE_IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
_CID_SRC = re.compile(r'src="cid:([^"]*)"')


@dataclass(frozen=True)
class Body:
    html: str  # safe: sanitised on the way in, or escaped here
    original: str = ""  # the whole message when ``html`` is only its new part
    remote_images: bool = False


def message_body(message: Message) -> Body:
    """The body to show for ``message`` (its attachments should be prefetched)."""
    full = _full_html(message)
    remote = "data-remote-src=" in full
    if message.kind != MessageKind.INBOUND or not message.body_text:
        return Body(full, "", remote)
    new, quoted = split_reply(message.body_text, message.language)
    new, signature = split_signature(new)
    if not (quoted or signature) or not new.strip():
        return Body(full, "", remote)
    return Body(linebreaks(escape(new)), full, remote)


def _full_html(message: Message) -> str:
    if not message.body_html:
        return linebreaks(escape(message.body_text))
    if "cid:" not in message.body_html:
        return message.body_html
    inline = {
        a.filename: reverse("attachment_inline", args=[a.pk])
        for a in message.attachments.all() if a.content_type in INLINE_IMAGE_TYPES
    }

    def to_url(match: re.Match[str]) -> str:
        url = inline.get(unquote(match.group(1)))
        return f'src="{url}"' if url else 'src=""'

    return _CID_SRC.sub(to_url, message.body_html)
