"""HTML from customers is hostile until cleaned: nh3 keeps formatting, drops everything else."""

import re

import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "small", "span", "strong", "sub",
    "sup", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
# nh3 writes every attribute double-quoted with its value escaped, so this only ever sees the
# sanitiser's own output.
_REMOTE_SRC = re.compile(r'(<img\b[^>]*?) src="(https?://[^"]*)"', re.IGNORECASE)


def sanitize_html(html: str) -> str:
    """Return ``html`` without scripts, event handlers, styles or remote-loading tricks.

    Images keep ``cid:`` sources (the message's own attachments). A remote image keeps its
    address in ``data-remote-src`` and loads nothing until an agent asks for it (senders
    track opens with remote images).
    """
    if not html:
        return ""
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "cid"},
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_image_sources,
    )
    return _REMOTE_SRC.sub(r'\1 data-remote-src="\2"', cleaned)


def _image_sources(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not value.startswith(("cid:", "http://",
                                                                     "https://")):
        return None
    return value
