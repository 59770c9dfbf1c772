"""Bytes from mail to text, whatever charset a sender declared (or got wrong).

Pure functions, no Django: the parser and its fuzz tests call them on hostile input, so
nothing here raises. Mailers routinely declare the wrong charset (Latin-1 sent as "utf-8",
UTF-8 sent as "us-ascii"), so a declared charset is a hint that is checked, never trusted.
"""

import codecs
import re

# Wider charsets that every byte sequence of the declared one decodes the same in: mail
# labelled "iso-8859-1" is really Windows-1252 (smart quotes in 0x80-0x9F), "shift_jis" is
# Microsoft's cp932, "gb2312" is a subset of gb18030 (the WHATWG encoding standard does the same).
SUPERSETS = {
    "ascii": "cp1252",
    "iso8859_1": "cp1252",
    "iso8859_9": "cp1254",
    "iso8859_11": "cp874",
    "tis_620": "cp874",
    "shift_jis": "cp932",
    "euc_jp": "euc_jis_2004",
    "iso2022_jp": "iso2022_jp_ext",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "big5": "big5hkscs",
}
# Labels Python does not know, seen in real mail.
ALIASES = {
    "windows-874": "cp874",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "windows-31j": "cp932",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "unicode-1-1-utf-7": "utf-7",
    "x-unknown": "",
    "unknown-8bit": "",
    "x-user-defined": "",
    "default": "",
    "charset": "",
}
# One byte per character and ASCII-compatible: pure ASCII bytes mean the same in all of them.
SINGLE_BYTE = re.compile(r"^(ascii|iso8859_\d+|cp125\d|cp874|tis_620|mac_\w+|koi8_\w)$")
# Replacement characters tolerated before a declared multi-byte charset is given up on.
REPLACEMENT_BUDGET = 0.01

_SURROGATES = re.compile("[\udc80-\udcff]+")
_LONE_SURROGATES = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00]")


def codec_name(label: str | None) -> str:
    """Python's codec for a MIME charset label, or "" when unknown or meaningless."""
    if not label:
        return ""
    label = label.strip().strip("\"'").lower()
    if label in ALIASES:
        label = ALIASES[label]
        if not label:
            return ""
    try:
        return codecs.lookup(label).name.replace("-", "_")
    except (LookupError, ValueError):
        return ""


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Decode ``data`` as ``declared`` if it really is that, else UTF-8, else Windows-1252.

    Never raises. Undecodable bytes become U+FFFD only as a last resort, or when a few broken
    bytes sit in otherwise good text (a truncated character, a damaged transfer).
    """
    if not data:
        return ""
    codec = codec_name(declared)
    superset = SUPERSETS.get(codec, codec)
    attempts: list[tuple[str, str]] = []
    if data.isascii():
        if codec in ("", "utf_8") or SINGLE_BYTE.match(codec):
            return data.decode("ascii")
        attempts += [(superset, "strict"), (codec, "strict"), (superset, "replace")]  # 7-bit
    else:
        if not codec.startswith(("utf_16", "utf_32")):
            # valid UTF-8 wins over any label: other charsets' text is almost never valid UTF-8
            attempts.append(("utf_8", "strict"))
        if codec and codec != "utf_8":
            attempts += [(superset, "strict"), (codec, "strict"), (superset, "replace")]
    attempts += [("utf_8", "replace"), ("cp1252", "strict")]
    for candidate, errors in dict.fromkeys(attempts):
        try:
            text = data.decode(candidate, errors=errors)
        except (UnicodeDecodeError, LookupError):
            continue
        if errors == "strict" or _few_replacements(text, utf8=candidate == "utf_8"):
            return text
    return data.decode("cp1252", errors="replace")


def _few_replacements(text: str, *, utf8: bool) -> bool:
    bad = text.count("\ufffd")
    if bad > max(2, len(text) * REPLACEMENT_BUDGET):
        return False
    # UTF-8 with damage has more well-formed multi-byte characters than broken bytes;
    # Latin-1 prose read as UTF-8 has none.
    return not utf8 or sum(1 for char in text if ord(char) > 127 and char != "\ufffd") > bad


def recover(text: str) -> str:
    """Undo the surrogate escapes the stdlib leaves for raw 8-bit bytes in headers.

    Each run of escaped bytes is decoded on its own (UTF-8, else Windows-1252): a Subject can
    mix correct encoded words with a raw Latin-1 byte.
    """
    if not _SURROGATES.search(text):
        return text
    return _SURROGATES.sub(
        lambda run: decode_bytes(run.group().encode("utf-8", "surrogateescape")), text,
    )


def clean(text: str) -> str:
    """Text safe for any database column: no NUL (PostgreSQL refuses it), no lone surrogate."""
    text = recover(text)
    if "\x00" in text:
        text = text.replace("\x00", "")
    if _LONE_SURROGATES.search(text):
        text = _LONE_SURROGATES.sub("\ufffd", text)
    return text


def unflow(text: str, *, delsp: bool = False) -> str:
    """Join the soft line breaks of ``format=flowed`` text (RFC 3676).

    A line ending in a space continues on the next line of the same quote depth; the
    signature separator ``-- `` never flows; one leading space (space-stuffing) is removed.
    """
    out: list[str] = []
    pending: str | None = None
    pending_depth = 0
    for line in text.split("\n"):
        line = line.removesuffix("\r")
        depth = len(line) - len(line.lstrip(">"))
        body = line[depth:]
        body = body.removeprefix(" ")
        if pending is not None and depth != pending_depth:
            out.append(">" * pending_depth + (" " if pending_depth else "") + pending)
            pending = None
        flowed = body.endswith(" ") and body != "-- "
        if flowed and delsp:
            body = body[:-1]
        pending = body if pending is None else pending + body
        pending_depth = depth
        if not flowed:
            out.append(">" * depth + (" " if depth and pending else "") + pending)
            pending = None
    if pending is not None:
        out.append(">" * pending_depth + (" " if pending_depth else "") + pending)
    return "\n".join(out)
