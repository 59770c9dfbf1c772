"""A message a teammate forwarded to a support mailbox: who wrote the original, and what.

Read from the forward block mail clients write ("---------- Forwarded message ---------",
"Begin forwarded message:", Outlook's "-----Original Message-----" or underscore line, their
French, German, Spanish and Japanese versions, and the parser's own banner for an attached
message). Nothing is opened for the original sender until the teammate asks
(``services.open_forwarded``).
"""

import re
from dataclasses import dataclass
from email.utils import parseaddr

_BANNER = re.compile(
    r"^[ \t>]*(?:-{2,}[ \t]*(?:Forwarded message|Original Message|Message transféré"
    r"|Message d'origine|Weitergeleitete Nachricht|Ursprüngliche Nachricht"
    r"|Mensaje reenviado|Mensaje original|転送されたメッセージ|元のメッセージ"
    r"|Attached message)[ \t]*-{2,}"
    r"|Begin forwarded message:|Début du message réexpédié\s?:|_{20,})[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_FIELD = re.compile(r"^[ \t>]*([^:：\n]{1,20}?)[ \t]*[:：][ \t]*(.*)$")
FROM_LABELS = {"from", "de", "von", "差出人", "送信者"}
SUBJECT_LABELS = {"subject", "objet", "betreff", "asunto", "件名"}
HEADER_LINES = 12


@dataclass(frozen=True)
class Forwarded:
    name: str
    address: str
    subject: str
    text: str


def find_forwarded(text: str) -> Forwarded | None:
    """The first forwarded message in ``text`` with a usable sender address, or None."""
    for banner in _BANNER.finditer(text):
        lines = text[banner.end():].lstrip("\n").split("\n")
        fields: dict[str, str] = {}
        body_start = None
        for index, line in enumerate(lines[:HEADER_LINES]):
            if not line.strip(" \t>"):
                if fields:
                    body_start = index + 1
                    break
                continue
            match = _FIELD.match(line)
            if match is None:
                break
            fields[match.group(1).strip().lower()] = match.group(2).strip()
        sender = next((v for k, v in fields.items() if k in FROM_LABELS), "")
        name, address = parseaddr(sender.replace("[mailto:", "<").replace("]", ">"))
        if "@" not in address or body_start is None:
            continue
        body = "\n".join(line[2:] if line.startswith("> ") else line.lstrip(">")
                         if line.startswith(">") else line for line in lines[body_start:])
        subject = next((v for k, v in fields.items() if k in SUBJECT_LABELS), "")
        return Forwarded(name=name, address=address.lower(), subject=subject,
                         text=body.strip())
    return None
