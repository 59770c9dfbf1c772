"""What the customer just wrote, apart from the history their mail client quoted.

The full text is always stored; ``split_reply`` only tells the UI what to fold away. When
in doubt it folds nothing: a reply written between quoted lines (inline answers) or a message
that is all forward stays whole. Reply headers per language ("On … wrote:", "Le … a écrit :",
"Am … schrieb …:", Outlook's "From:/Sent:" blocks) come from mail-parser-reply; the rest
(generic attributions in any language, bottom-posting, separators) is decided here, on the
original lines, so nothing of the customer's text is rewritten.
"""

import re
from functools import lru_cache

from mailparser_reply.constants import GENERIC_MAIL_SEPARATOR, MAIL_LANGUAGES

# The product's languages: their reply headers are looked for whatever the hint says.
REPLY_LANGUAGES = ("en", "fr", "de", "es", "ja")
# Header patterns run on lines cut to this length, and on this many lines at most: their
# lazy quantifiers are quadratic in a line's length, and a reply header is a short line.
PROBE_LINE_LENGTH = 200
PROBE_MAX_LINES = 2000

# Reply headers mail-parser-reply misses (checked against real clients' output).
EXTRA_HEADERS = (
    r"^[ \t]*-{2,}[ \t]*On\s.+\swrote:[ \t]*$",  # Yahoo: "--- On Wed, 4/4/12, x wrote:"
    r"^(?:> ?)*El\s.+\sescribió:[ \t]*$",
    r"^(?:> ?)*Le\s.+\sa\s+écrit\s*:[ \t]*$",  # with a no-break space before the colon
    r"^(?:> ?)*-{3,}[ \t]*(?:Original Message|Message d'origine|Ursprüngliche Nachricht"
    r"|Mensaje original|元のメッセージ)[ \t]*-{3,}[ \t]*$",
)
_QUOTED = re.compile(r"^[ \t]*>")
# Outlook's line of underscores; banners such as "-------- Forwarded Message --------"
_SEPARATOR = re.compile(r"^[ \t]*(?:[_\-=*]{10,}|-{2,}[^\n]{1,60}?-{2,})[ \t]*$")
_ATTRIBUTION_END = re.compile(r"[:：][ \t]*$")


@lru_cache(maxsize=32)
def _headers(languages: tuple[str, ...]) -> re.Pattern[str]:
    patterns = [
        MAIL_LANGUAGES[language][key]
        for language in languages
        for key in ("wrote_header", "from_header")
        if MAIL_LANGUAGES[language].get(key)
    ]
    patterns += [GENERIC_MAIL_SEPARATOR, *EXTRA_HEADERS]
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.MULTILINE | re.IGNORECASE)


def _languages(hint: str) -> tuple[str, ...]:
    primary = (hint or "").split("-")[0].split("_")[0].lower()
    wanted = [primary, *REPLY_LANGUAGES] if primary else list(REPLY_LANGUAGES)
    return tuple(lang for lang in dict.fromkeys(wanted) if lang in MAIL_LANGUAGES)


def split_reply(text: str, language_hint: str = "") -> tuple[str, str]:
    """Return ``(new_text, quoted)``: what the sender wrote, and the history under (or above)
    it. ``quoted`` is "" when there is nothing to fold. Pure; never raises.

    ``language_hint`` (a conversation's or the message's language) adds that language's
    reply headers to the product's five.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    found = _quote_start(lines, _languages(language_hint))
    if found is None:
        return text.strip(), ""
    start, body_start = found
    start = _include_separators(lines, start)
    new_lines, region = lines[:start], lines[start:]
    has_new = any(line.strip() and not _SEPARATOR.match(line) for line in new_lines)

    body = lines[body_start:]
    first = next((line for line in body if line.strip()), "")
    if _QUOTED.match(first):
        # a ">" block: what follows it decides between top-posting, bottom-posting and
        # inline answers
        last = max(i for i, line in enumerate(body) if _QUOTED.match(line))
        first_index = next(i for i, line in enumerate(body) if line.strip())
        interleaved = any(
            line.strip() and not _QUOTED.match(line) for line in body[first_index:last]
        )
        after = body[last + 1:]
        if interleaved:
            return text.strip(), ""
        if any(line.strip() for line in after):
            if has_new:
                return text.strip(), ""
            quoted_end = body_start + last + 1  # bottom-posted: the quote is above
            return "\n".join(after).strip(), "\n".join(lines[:quoted_end]).strip()
    if not has_new:
        return text.strip(), ""  # all of it is a forward or a quote: nothing is "history"
    return "\n".join(new_lines).strip(), "\n".join(region).strip()


def _quote_start(lines: list[str], languages: tuple[str, ...]) -> tuple[int, int] | None:
    """The first line of quoted history and the first line after its header, or None."""
    candidates: list[tuple[int, int]] = []
    probe = "\n".join(line[:PROBE_LINE_LENGTH] for line in lines[:PROBE_MAX_LINES])
    match = _headers(languages).search(probe)
    if match is not None:
        matched = match.group()
        begin = match.start() + len(matched) - len(matched.lstrip("\n"))
        first = probe.count("\n", 0, begin)
        last = probe.count("\n", 0, max(begin, match.end() - 1))
        # a From:/Sent: block is the quote itself; "On … wrote:" heads what follows
        candidates.append((first, first if _QUOTED.match(lines[first]) else last + 1))
    for index, line in enumerate(lines[:PROBE_MAX_LINES]):
        if _QUOTED.match(line):
            candidates.append((index, index))
            break
        if _ATTRIBUTION_END.search(line) and _next_is_quoted(lines, index + 1):
            start = _attribution_start(lines, index)
            if start is not None:
                candidates.append((start, index + 1))
                break
    return min(candidates) if candidates else None


def _next_is_quoted(lines: list[str], index: int) -> bool:
    following = next((line for line in lines[index:index + 3] if line.strip()), "")
    return bool(_QUOTED.match(following))


def _attribution_start(lines: list[str], end: int) -> int | None:
    """First line of an attribution ending at ``end``, however the client wrapped it
    ("02.04.2012 14:20 пользователь "bob@x.org" <" / "bob@x.org> написал:"), or None when
    the lines name no date or address ("You said:" is the customer's own text).
    """
    for start in range(end, max(-1, end - 3), -1):
        if start < end and not lines[start].strip():
            return None
        block = " ".join(lines[start:end + 1])
        balanced = block.count("<") == block.count(">") and block.count('"') % 2 == 0
        if balanced and re.search(r"\d|@", block):
            return start
    return None


def _include_separators(lines: list[str], start: int) -> int:
    """Pull a separator or banner line just above the quote (and the blank lines between)
    into it."""
    index = start - 1
    while index >= 0 and not lines[index].strip():
        index -= 1
    if index >= 0 and _SEPARATOR.match(lines[index]):
        return index
    return start


# "-- " (RFC 3676), and the lines phones add under every message.
_SIGNATURE_DELIMITER = re.compile(r"^-- ?$")
_DEVICE_SIGNATURE = re.compile(
    r"^(?:Sent from my \w+|Sent from (?:Mail|Outlook) for \w+|Get Outlook for \w+"
    r"|Envoyé de mon \w+|Envoyé depuis mon \w+|Von meinem \w+ gesendet"
    r"|Enviado desde mi \w+|\w+から送信)\b.{0,40}$",
    re.IGNORECASE,
)
SIGNATURE_MAX_LINES = 12


def split_signature(text: str) -> tuple[str, str]:
    """Return ``(text, signature)``: the sender's signature block at the end, if there is
    one ("-- " and what follows, at most a dozen lines, or a "Sent from my iPhone" line).
    Pure; folds nothing when unsure."""
    lines = text.rstrip().split("\n")
    for index in range(len(lines) - 1, max(-1, len(lines) - 1 - SIGNATURE_MAX_LINES), -1):
        line = lines[index].rstrip("\r")
        if _SIGNATURE_DELIMITER.match(line) or (
            index == len(lines) - 1 and _DEVICE_SIGNATURE.match(line.strip())
        ):
            body = "\n".join(lines[:index]).rstrip()
            if not body.strip():
                return text.strip(), ""
            return body, "\n".join(lines[index:]).strip()
    return text.strip(), ""
