"""Email intake benchmark: raw mail to stored messages, with one worker process.

    python bench/email_intake.py                                # 20,000 messages, both databases
    python bench/email_intake.py --scale 2000 --db sqlite       # quick try
    python bench/email_intake.py --scale 20000 --runs 3         # the issue's size, 3 runs
    python bench/email_intake.py --scale 200000 --mbox-size 0   # growth: rate per 10 % slice
    python bench/email_intake.py --scale 5000 --profile         # cProfile + SQL of each database

It generates a deterministic corpus of raw RFC 5322 messages (five languages, mixed charsets
and transfer encodings, RFC 2047 headers, 60 % replies in threads with quoted history, 30 %
with attachments, 20 % multipart/alternative), then times, on the same bytes:

* bare stdlib parsing (``email.message_from_bytes`` + every part's content), the reference;
* ``comptoir.email.parsing.parse`` alone (the product's parser, no database);
* the product's intake, the way it runs: each message stored raw as it arrives
  (``store_raw``, committed, as ``comptoir smtpd`` does), then a worker processing the stored
  rows 200 at a time (``process_raw_many``: parse -> screen -> person -> thread -> store ->
  events -> routing -> clocks, read and written in bulk), on PostgreSQL and SQLite, each in
  its own process, with the rate of every 10 % slice (does it fall as tables grow?).
  ``*_msgs_per_s`` is the worker's rate (stored rows to messages: the issue's "processing
  with one worker process"), ``*_end_to_end_msgs_per_s`` counts store_raw too;
* ``comptoir import-mail`` of an mbox (10,000 messages by default) as a subprocess.

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import email
import email.base64mime
import email.policy
import email.quoprimime
import html as html_lib
import json
import os
import random
import re
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import textwrap
import time
import unicodedata
import uuid
from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.message import MIMEPart
from email.utils import format_datetime, formataddr
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / "var" / "bench"
WORK_DIR = BENCH_DIR / "email_intake"  # corpus and mbox caches, profiles, the bench's VAR_DIR
MEDIA_DIR = BENCH_DIR / "media-email-intake"  # attachments of the runs, a folder per database
PG_DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/comptoir_bench_email_intake"
SQLITE_DEFAULT_PATH = BENCH_DIR / "email_intake.sqlite3"
CORPUS_VERSION = 2  # bump when the generated messages change: cached corpora are rebuilt
ISSUE_MESSAGES = 20_000  # --scale 1
SENDERS_PER_MESSAGE = 4_000 / 20_000
TARGET_PG_MSGS_PER_S = 250.0
TARGET_RATIO = 0.60
TARGET_IMPORT_S = 60.0
SLICES = 10

# Flags stored per message in the corpus's description.
REPLY, ATTACHMENT, ALTERNATIVE, HTML_ONLY, NEW_SENDER, CC, CRLF = (1 << i for i in range(7))


# --------------------------------------------------------------------------------------------
# command line and environment


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="1 = the issue's 20,000 messages (0.1 = 2,000); a value above 100 "
                             "is a number of messages: --scale 200000")
    parser.add_argument("--db", choices=["both", "postgresql", "sqlite"], default="both")
    parser.add_argument("--runs", type=int, default=1,
                        help="timed runs (each on a fresh database); medians are reported")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (default %(default)s)")
    parser.add_argument("--mbox-size", type=int, default=10_000,
                        help="messages in the mbox given to `comptoir import-mail` (0: skip)")
    parser.add_argument("--parse-limit", type=int, default=20_000,
                        help="messages of the corpus the parse rates are measured on "
                             "(default %(default)s; 0 = all)")
    parser.add_argument("--profile", action="store_true",
                        help="one run under cProfile on each database (and of the parser); "
                             "prints the hotspots and the SQL of typical messages")
    parser.add_argument("--show-sql", action="store_true",
                        help="print the SQL of one batch (store_raw of each message, then "
                             "process_raw_many)")
    parser.add_argument("--regenerate", action="store_true",
                        help="rebuild the cached corpus and mbox even if they exist")
    parser.add_argument("--pg-url", default=os.environ.get("COMPTOIR_BENCH_EMAIL_INTAKE_PG_URL",
                                                           PG_DEFAULT_URL),
                        help="PostgreSQL database to (re)create; default %(default)s")
    parser.add_argument("--sqlite-path", type=Path, default=SQLITE_DEFAULT_PATH)
    # internal: one database's runs, in a process of its own (Django settings are per process)
    parser.add_argument("--worker", choices=["postgresql", "sqlite"], help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--mbox", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scale <= 0 or args.runs < 1 or args.mbox_size < 0 or args.parse_limit < 0:
        parser.error("--scale must be > 0, --runs >= 1, --mbox-size and --parse-limit >= 0")
    args.messages = messages_for_scale(args.scale)
    if args.profile:
        args.runs = 1
    return args


def messages_for_scale(scale: float) -> int:
    return max(50, round(scale * ISSUE_MESSAGES) if scale <= 100 else round(scale))


def configure_environment(args: argparse.Namespace, db: str) -> None:
    """Point comptoir's settings at the bench database before Django starts.

    Everything the intake writes besides the database goes under ``var/bench``: attachments
    into ``var/bench/media-email-intake/<db>``, the broker, outbox and secret key into
    ``var/bench/email_intake/var`` (jobs queued by the intake stay there, unrun).
    """
    var_dir = WORK_DIR / "var"
    var_dir.mkdir(parents=True, exist_ok=True)
    os.environ["COMPTOIR_VAR_DIR"] = str(var_dir)
    os.environ["COMPTOIR_MEDIA_ROOT"] = str(MEDIA_DIR / db)
    os.environ["COMPTOIR_DATABASE_URL"] = (
        args.pg_url if db == "postgresql" else f"sqlite:///{args.sqlite_path.resolve()}"
    )
    os.environ.pop("COMPTOIR_BROKER_URL", None)
    os.environ.pop("COMPTOIR_TASKS_EAGER", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "comptoir.settings"
    os.environ["COMPTOIR_DEBUG"] = "0"


def reset_database(args: argparse.Namespace, db: str) -> None:
    """An empty bench database (never the app's), an empty media folder and broker."""
    if db == "postgresql":
        import psycopg
        from psycopg import sql

        name = args.pg_url.rsplit("/", 1)[1].split("?")[0]
        if not name.startswith("comptoir_bench"):
            raise SystemExit(f"refusing to drop {name!r}: the bench database name must start "
                             "with 'comptoir_bench'")
        admin_url = args.pg_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            # this process has closed its connection: anyone still connected is someone else
            others = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                                  [name]).fetchone()[0]
            if others:
                raise SystemExit(f"{others} other session(s) are connected to {name!r}: "
                                 "another run is using it; give --pg-url another name")
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    else:
        args.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{args.sqlite_path}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(MEDIA_DIR / db, ignore_errors=True)
    (MEDIA_DIR / db).mkdir(parents=True, exist_ok=True)
    for name in ("broker.sqlite3", "broker.sqlite3-wal", "broker.sqlite3-shm"):
        (WORK_DIR / "var" / name).unlink(missing_ok=True)
    shutil.rmtree(WORK_DIR / "var" / "outbox", ignore_errors=True)


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# the corpus

LANGUAGE_SHARES = (("en", 45), ("fr", 17), ("de", 15), ("es", 13), ("ja", 10))
# (charset label as mailers write it, Content-Transfer-Encoding, weight). A text its charset
# cannot encode falls back to windows-1252, then UTF-8, as mailers do.
BODY_ENCODINGS = {
    "en": (("UTF-8", "quoted-printable", 40), ("UTF-8", "8bit", 15), ("UTF-8", "base64", 10),
           ("us-ascii", "7bit", 10), ("windows-1252", "quoted-printable", 15),
           ("iso-8859-1", "quoted-printable", 10)),
    "fr": (("UTF-8", "quoted-printable", 35), ("UTF-8", "8bit", 15), ("UTF-8", "base64", 10),
           ("iso-8859-1", "quoted-printable", 20), ("iso-8859-1", "8bit", 5),
           ("windows-1252", "quoted-printable", 10), ("windows-1252", "8bit", 5)),
    "ja": (("ISO-2022-JP", "7bit", 40), ("Shift_JIS", "base64", 20), ("UTF-8", "base64", 25),
           ("UTF-8", "quoted-printable", 15)),
}
BODY_ENCODINGS["de"] = BODY_ENCODINGS["es"] = BODY_ENCODINGS["fr"]
CLIENTS = (("gmail", 40), ("outlook", 25), ("apple", 20), ("thunderbird", 10), ("mobile", 5))
FREE_MAIL = {
    "en": ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "hotmail.com"),
    "fr": ("gmail.com", "orange.fr", "free.fr", "laposte.net", "yahoo.fr", "outlook.fr"),
    "de": ("gmail.com", "gmx.de", "web.de", "t-online.de", "outlook.de"),
    "es": ("gmail.com", "hotmail.es", "yahoo.es", "outlook.es", "telefonica.net"),
    "ja": ("gmail.com", "yahoo.co.jp", "docomo.ne.jp", "ezweb.ne.jp", "icloud.com"),
}
TLDS = {"en": ".com", "fr": ".fr", "de": ".de", "es": ".es", "ja": ".co.jp"}
ZONES = {"en": (-5, -8, 0), "fr": (1,), "de": (1,), "es": (1,), "ja": (9,)}
REPLY_PREFIX = {"en": "Re: ", "fr": "RE : ", "de": "AW: ", "es": "RE: ", "ja": "Re: "}
QUOTE_HEADER = {
    "en": "On {date}, {who} wrote:",
    "fr": "Le {date}, {who} a écrit :",
    "de": "Am {date} schrieb {who}:",
    "es": "El {date}, {who} escribió:",
    "ja": "{date} {who}:",
}
OUTLOOK_LABELS = {
    "en": ("From", "Sent", "To", "Subject"),
    "fr": ("De", "Envoyé", "À", "Objet"),
    "de": ("Von", "Gesendet", "An", "Betreff"),
    "es": ("De", "Enviado", "Para", "Asunto"),
    "ja": ("差出人", "送信日時", "宛先", "件名"),
}
MOBILE_SIGNATURE = {
    "en": "Sent from my iPhone", "fr": "Envoyé de mon iPhone", "de": "Von meinem iPhone gesendet",
    "es": "Enviado desde mi iPhone", "ja": "iPhoneから送信",
}
MAILERS = {
    "gmail": "",
    "outlook": "X-Mailer: Microsoft Outlook 16.0",
    "apple": "X-Mailer: Apple Mail (2.3774.400.31)",
    "thunderbird": "User-Agent: Mozilla Thunderbird",
    "mobile": "X-Mailer: iPhone Mail (21E236)",
}
SCREENSHOT = {
    "en": "Screenshot {d} at {t}.png", "fr": "Capture d’écran {d} à {t}.png",
    "de": "Bildschirmfoto {d} um {t}.png", "es": "Captura de pantalla {d} a las {t}.png",
    "ja": "スクリーンショット {d} {t}.png",
}
INVOICE_FILE = {"en": "invoice-{n}.pdf", "fr": "facture-{n}.pdf", "de": "Rechnung-{n}.pdf",
                "es": "factura-{n}.pdf", "ja": "請求書-{n}.pdf"}
SHEET_FILE = {"en": "report.xlsx", "fr": "relevé.xlsx", "de": "Übersicht.xlsx",
              "es": "informe.xlsx", "ja": "一覧.xlsx"}
ATTACHMENT_KINDS = (("png", 35), ("pdf", 30), ("jpeg", 18), ("log", 8), ("csv", 5), ("xlsx", 4))
SUPPORT_ADDRESS = "support@brioche.example"
SUPPORT = f"Brioche Support <{SUPPORT_ADDRESS}>"
MX = "mx.brioche.example"
MAX_QUOTED_LINES = 40
MAX_THREAD_MESSAGES = 12
START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
POLICY = email.policy.default.clone(linesep="\n")


def weighted(rng: random.Random, choices):
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights)[0]


def ascii_slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "", text)


class Slots(dict):
    """Placeholder values for the demo's texts; an unknown placeholder stays as written."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def encoded_words(text: str, charset: str, encoding: str) -> str:
    """``text`` as RFC 2047 encoded words of at most 75 characters (ASCII stays plain)."""
    if text.isascii():
        return text

    def word(piece: str) -> str:
        data = piece.encode(charset)
        if encoding == "Q":
            return email.quoprimime.header_encode(data, charset)
        return email.base64mime.header_encode(data, charset)

    words, piece = [], ""
    for char in text:
        if piece and len(word(piece + char)) > 75:
            words.append(word(piece))
            piece = char
        else:
            piece += char
    words.append(word(piece))
    return "\n ".join(words)


def header_text(text: str, charset: str) -> str:
    """How a mailer writing ``charset`` puts a non-ASCII header: B for Japanese, Q else."""
    b = charset.upper() in ("ISO-2022-JP", "SHIFT_JIS") or (charset == "UTF-8" and len(text) > 40)
    return encoded_words(text, charset, "B" if b else "Q")


@dataclass
class Sender:
    lang: str
    name: str  # display name, "" when the mailer sends none
    first: str
    last: str
    address: str
    domain: str
    client: str
    charset: str
    cte: str
    zone: timezone
    subjects: set[str] = field(default_factory=set)


@dataclass
class Thread:
    sender: Sender
    subject: str
    ids: list[str]
    last_text: str
    last_at: datetime
    messages: int = 1


@dataclass
class CorpusStats:
    messages: int = 0
    bytes: int = 0
    senders: int = 0
    threads: int = 0
    flags: Counter = field(default_factory=Counter)
    languages: Counter = field(default_factory=Counter)
    charsets: Counter = field(default_factory=Counter)
    encodings: Counter = field(default_factory=Counter)
    clients: Counter = field(default_factory=Counter)
    attachments: int = 0
    attachment_bytes: int = 0
    per_sender: Counter = field(default_factory=Counter)


class CorpusGenerator:
    """Raw messages in delivery order; the same seed and size give the same bytes."""

    def __init__(self, messages: int, seed: int):
        self.times: array = array("I")  # delivery time of each message, seconds after START
        from comptoir.demo.texts import NAMES, ORG_WORDS, TEXTS

        self.texts, self.names, self.org_words = TEXTS, NAMES, ORG_WORDS
        self.n = messages
        self.rng = random.Random(f"comptoir-email-bench/{seed}/{messages}")
        self.target_senders = max(5, round(messages * SENDERS_PER_MESSAGE))
        self.p_new_sender = min(1.0, self.target_senders / (0.4 * messages))
        self.senders: list[Sender] = []
        self.addresses: set[str] = set()
        self.threads: list[Thread] = []
        self.stats = CorpusStats()
        self.now = START

    # -- who ---------------------------------------------------------------------------------

    def new_sender(self) -> Sender:
        rng = self.rng
        lang = weighted(rng, LANGUAGE_SHARES)
        firsts, lasts = self.names[lang]
        first, last = rng.choice(firsts), rng.choice(lasts)
        if lang == "ja":
            (first, first_ascii), (last, last_ascii) = first, last
            display = f"{last} {first}"
        else:
            first_ascii, last_ascii = ascii_slug(first), ascii_slug(last)
            display = f"{first} {last}"
        if rng.random() < 0.5:
            domain = rng.choice(FREE_MAIL[lang])
        else:
            word = rng.choice(self.org_words[lang][0])
            domain = ascii_slug(word[1] if isinstance(word, tuple) else word) + TLDS[lang]
        local = rng.choice((f"{first_ascii}.{last_ascii}", f"{first_ascii[0]}{last_ascii}",
                            f"{first_ascii}{last_ascii}", f"{last_ascii}.{first_ascii}"))
        address = f"{local}@{domain}"
        number = 2
        while address in self.addresses:
            address = f"{local}{number}@{domain}"
            number += 1
        self.addresses.add(address)
        charset, cte = weighted(rng, [((c, e), w) for c, e, w in BODY_ENCODINGS[lang]])
        sender = Sender(
            lang=lang, name=display if rng.random() < 0.85 else "", first=first, last=last,
            address=address, domain=domain, client=weighted(rng, CLIENTS),
            charset=charset, cte=cte, zone=timezone(timedelta(hours=rng.choice(ZONES[lang]))),
        )
        self.senders.append(sender)
        return sender

    def slots(self, sender: Sender) -> Slots:
        rng = self.rng
        amounts = {"en": "$49", "ja": "5,800円"}.get(sender.lang, "49 €")
        return Slots(
            invoice=f"BR-{rng.randrange(100000, 999999)}", amount=amounts,
            time=rng.choice(("9:00", "12:15", "18:00")), code=f"E{rng.randrange(100, 999)}",
            ticket=str(rng.randrange(1200, 4800)),
            network=rng.choice(("Instagram", "LinkedIn", "Facebook", "TikTok", "Mastodon")),
            integration=rng.choice(("Shopify", "Slack", "Zapier", "HubSpot", "WordPress")),
            plan=rng.choice(("Pro", "Team", "Business")), mention="", first=sender.first,
            agent="Ada", name=sender.first,
        )

    # -- what --------------------------------------------------------------------------------

    def opening(self, sender: Sender) -> tuple[str, str]:
        """(subject, text) of a new conversation, a subject this sender has not used."""
        rng = self.rng
        words = self.texts[sender.lang]
        for _attempt in range(8):
            topic = rng.choice(sorted(words.cases))
            subject, first_message, _answer = rng.choice(words.cases[topic])
            slots = self.slots(sender)
            subject = subject.format_map(slots)
            if subject not in sender.subjects:
                break
        sender.subjects.add(subject)
        greeting = rng.choice(words.greeting + words.first_greeting)
        signoff = rng.choice(words.signoff).format_map(slots)
        return subject, f"{greeting}\n\n{first_message.format_map(slots)}\n\n{signoff}"

    def follow_up(self, sender: Sender) -> str:
        rng = self.rng
        words = self.texts[sender.lang]
        body = rng.choice(rng.choice((words.more, words.nudge, words.thanks)))
        signoff = rng.choice(words.signoff).format_map(self.slots(sender))
        if rng.random() < 0.5:
            return f"{rng.choice(words.greeting)}\n\n{body}\n\n{signoff}"
        return f"{body}\n\n{signoff}"

    def quote(self, sender: Sender, thread: Thread, subject: str) -> tuple[str, str, list[str]]:
        """(separator text, quote header, quoted lines) of the history a reply carries."""
        at = thread.last_at.astimezone(sender.zone)
        who = f"{sender.name} <{sender.address}>" if sender.name else sender.address
        lines = thread.last_text.split("\n")[:MAX_QUOTED_LINES]
        lang = sender.lang
        if sender.client == "outlook":
            labels = OUTLOOK_LABELS[lang]
            header = "\n".join((
                f"{labels[0]}: {who}", f"{labels[1]}: {at:%d/%m/%Y %H:%M}",
                f"{labels[2]}: {SUPPORT}", f"{labels[3]}: {thread.subject}"))
            return "________________________________", header, lines
        if lang == "ja":
            date = f"{at.year}年{at.month}月{at.day}日 {at:%H:%M}"
        elif lang == "en":
            date = f"{at:%a, %b} {at.day}, {at.year} at {at:%H:%M}"
        else:
            date = f"{at:%d/%m/%Y %H:%M}"
        return "", QUOTE_HEADER[lang].format(date=date, who=who), [
            f"> {line}" if line and not line.startswith(">") else f">{line}" for line in lines]

    # -- how ---------------------------------------------------------------------------------

    def message_id(self, sender: Sender) -> str:
        rng = self.rng
        if sender.client == "gmail":
            token = base64.b64encode(rng.randbytes(30)).decode().rstrip("=")
            return f"<CA{token}@mail.gmail.com>"
        if sender.client == "outlook":
            token = rng.randbytes(16).hex().upper()
            return (f"<{token[:20]}@AM{rng.randrange(1, 9)}PR0{rng.randrange(1, 9)}MB"
                    f"{rng.randrange(1000, 9999)}.eurprd0{rng.randrange(1, 9)}.prod.outlook.com>")
        value = uuid.UUID(int=rng.getrandbits(128), version=4)
        if sender.client == "apple":
            return f"<{str(value).upper()}@{sender.domain}>"
        return f"<{value}@{sender.domain}>"

    def boundary(self, sender: Sender) -> str:
        token = self.rng.randbytes(14).hex()
        return {"gmail": f"0000000000{token[:18]}", "outlook": f"_000_{token.upper()}_",
                "apple": f"Apple-Mail={uuid.UUID(token + '0' * 4)}".upper()
                }.get(sender.client, f"------------{token[:24]}")

    def attachment(self, sender: Sender) -> tuple[object, str, str, str]:
        """(content, maintype, subtype, filename); 5 to 50 KB."""
        rng = self.rng
        size = rng.randint(5 * 1024, 50 * 1024)
        kind = weighted(rng, ATTACHMENT_KINDS)
        at = self.now.astimezone(sender.zone)
        if kind == "png":
            name = SCREENSHOT[sender.lang].format(d=f"{at:%Y-%m-%d}", t=f"{at:%H.%M.%S}")
            head = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + struct.pack(">II", 1280, 800)
            return head + rng.randbytes(size) + b"\x00\x00\x00\x00IEND\xaeB`\x82", \
                "image", "png", name
        if kind == "pdf":
            name = INVOICE_FILE[sender.lang].format(n=f"BR-{rng.randrange(100000, 999999)}")
            head = (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\n"
                    b"endobj\n4 0 obj\n<< /Length " + str(size).encode()
                    + b" /Filter /FlateDecode >>\nstream\n")
            return head + rng.randbytes(size) + b"\nendstream\nendobj\n%%EOF\n", \
                "application", "pdf", name
        if kind == "jpeg":
            return (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00H\x00H\x00\x00"
                    + rng.randbytes(size) + b"\xff\xd9", "image", "jpeg",
                    f"IMG_{rng.randrange(1000, 9999)}.jpg")
        if kind == "xlsx":
            return b"PK\x03\x04\x14\x00\x06\x00" + rng.randbytes(size), "application", \
                "vnd.openxmlformats-officedocument.spreadsheetml.sheet", SHEET_FILE[sender.lang]
        lines, total, stamp = [], 0, at
        while total < size:
            stamp += timedelta(milliseconds=rng.randrange(5, 4000))
            if kind == "csv":
                line = (f"{stamp:%Y-%m-%d %H:%M:%S},BR-{rng.randrange(100000, 999999)},"
                        f"{rng.randrange(1, 500)}.{rng.randrange(0, 99):02d},"
                        f"{rng.choice(('paid', 'refunded', 'failed', 'pending'))}")
            else:
                line = (f"{stamp:%Y-%m-%dT%H:%M:%S.%f}Z {rng.choice(('INFO', 'WARN', 'ERROR'))} "
                        f"[worker-{rng.randrange(1, 9)}] request {rng.randbytes(6).hex()} "
                        f"{rng.choice(('ok', 'failed: timeout after 30s', 'retrying (2/5)'))}")
            lines.append(line)
            total += len(line) + 1
        name = "export.csv" if kind == "csv" else rng.choice(("error.log", "console.txt"))
        return "\n".join(lines) + "\n", "text", "csv" if kind == "csv" else "plain", name

    def html(self, sender: Sender, text: str, separator: str, quote_header: str,
             quoted: list[str], charset: str) -> str:
        def paragraphs(body: str, tag: str = "div") -> str:
            return "".join(f"<{tag}>{html_lib.escape(line)}</{tag}>" if line.strip()
                           else f"<{tag}><br></{tag}>" for line in body.split("\n"))

        quoted_text = "\n".join(line.lstrip("> ").rstrip() for line in quoted)
        if sender.client == "outlook":
            history = ""
            if quote_header:
                rows = "<br>".join(
                    f"<b>{html_lib.escape(k)}:</b>{html_lib.escape(v)}"
                    for k, _, v in (row.partition(":") for row in quote_header.split("\n")))
                history = ('<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt '
                           f'0cm 0cm 0cm"><p class="MsoNormal">{rows}</p></div>'
                           + paragraphs(quoted_text, "p"))
            return (f'<html><head><meta http-equiv="Content-Type" content="text/html; '
                    f'charset={charset.lower()}"><style><!-- p.MsoNormal {{margin:0cm;'
                    f'font-size:11.0pt;font-family:"Calibri",sans-serif;}} --></style></head>'
                    f'<body lang="EN-US" link="#0563C1"><div class="WordSection1">'
                    f'{paragraphs(text, "p")}{history}</div></body></html>')
        history = ""
        if quote_header:
            history = ('<br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
                       f'{html_lib.escape(quote_header)}<br></div><blockquote class="gmail_quote" '
                       'style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);'
                       f'padding-left:1ex">{paragraphs(quoted_text)}</blockquote></div>')
        return f'<div dir="ltr">{paragraphs(text)}</div>{history}'

    # -- one message -------------------------------------------------------------------------

    def __iter__(self) -> Iterator[tuple[bytes, int]]:
        for _ in range(self.n):
            yield self.next_message()

    def next_message(self) -> tuple[bytes, int]:
        rng = self.rng
        self.now += timedelta(seconds=rng.expovariate(1 / 45))
        self.times.append(int((self.now - START).total_seconds()))
        flags = 0
        # 60 % replies: a little more often while behind (the first messages have no thread)
        behind = self.stats.flags[FLAG_NAMES[REPLY]] < 0.6 * self.stats.messages
        wants_reply = self.threads and rng.random() < (0.75 if behind else 0.6)
        thread = self.pick_thread() if wants_reply else None
        if thread is not None:
            flags |= REPLY
            sender = thread.sender
            subject = thread.subject
            if not subject.lower().startswith(("re:", "aw:", "re :")):
                subject = REPLY_PREFIX[sender.lang] + subject
            new_text = self.follow_up(sender)
            separator, quote_header, quoted = self.quote(sender, thread, subject)
        else:
            if len(self.senders) < self.target_senders and (
                    not self.senders or rng.random() < self.p_new_sender):
                sender = self.new_sender()
                flags |= NEW_SENDER
            else:
                sender = rng.choice(self.senders)
            subject, new_text = self.opening(sender)
            separator, quote_header, quoted = "", "", []
        if sender.client == "mobile":
            new_text += "\n\n" + MOBILE_SIGNATURE[sender.lang]
        text = new_text
        if quote_header:
            text += "\n\n" + "\n".join(filter(None, (separator, quote_header))) + "\n"
            text += "\n" + "\n".join(quoted) if separator else "\n".join(quoted)

        charset, cte = self.charset_for(sender, text, subject)
        kind = rng.random()
        if kind < 0.02:
            flags |= HTML_ONLY
        elif kind < 0.22:
            flags |= ALTERNATIVE
        attachments = []
        if rng.random() < 0.30:
            flags |= ATTACHMENT
            attachments = [self.attachment(sender) for _ in range(1 + (rng.random() < 0.15))]
        body = MIMEPart(policy=POLICY)
        html = self.html(sender, new_text, separator, quote_header, quoted, charset) \
            if flags & (HTML_ONLY | ALTERNATIVE) else ""
        if flags & HTML_ONLY:
            body.set_content(html, subtype="html", charset=charset, cte=cte)
        else:
            body.set_content(self.flowed(text) if self.is_flowed(sender) else text,
                             charset=charset, cte=cte)
            if self.is_flowed(sender):
                body.set_param("format", "flowed")
            if html:
                body.add_alternative(html, subtype="html", charset=charset, cte=cte)
        for content, maintype, subtype, filename in attachments:
            if isinstance(content, str):
                body.add_attachment(content, subtype=subtype, filename=filename)
            else:
                body.add_attachment(content, maintype=maintype, subtype=subtype,
                                    filename=filename)
            self.stats.attachments += 1
            self.stats.attachment_bytes += len(content)
        for part in body.walk():
            if part.is_multipart():
                part.set_boundary(self.boundary(sender))

        message_id = self.message_id(sender)
        headers = self.headers(sender, subject, message_id, charset, thread)
        if rng.random() < 0.08:
            flags |= CC
            colleague = rng.choice(self.names[sender.lang][0])
            colleague = colleague[1] if isinstance(colleague, tuple) else colleague
            local = ascii_slug(colleague) + "." + ascii_slug(
                sender.last[1] if isinstance(sender.last, tuple) else sender.last)
            headers.append(f"Cc: {local}@{sender.domain}")
        raw = ("\n".join(headers) + "\n").encode("ascii") + body.as_bytes(policy=POLICY)
        if sender.client == "outlook" and rng.random() < 0.8:
            flags |= CRLF
            raw = raw.replace(b"\n", b"\r\n")

        if thread is None:
            self.threads.append(Thread(sender, subject, [message_id], text, self.now))
        else:
            thread.ids.append(message_id)
            thread.last_text, thread.last_at = text, self.now
            thread.messages += 1
        self.count(sender, flags, charset, cte, len(raw))
        return raw, flags

    def pick_thread(self) -> Thread | None:
        """A recent conversation (most replies come within hours), not yet very long."""
        count = len(self.threads)
        for _attempt in range(4):
            back = int(self.rng.expovariate(1 / min(300, 1 + count / 4)))
            if back < count and self.threads[count - 1 - back].messages < MAX_THREAD_MESSAGES:
                return self.threads[count - 1 - back]
        return None

    def charset_for(self, sender: Sender, text: str, subject: str) -> tuple[str, str]:
        for charset in (sender.charset, "windows-1252", "UTF-8"):
            try:
                (text + subject + sender.name).encode(charset)
            except UnicodeEncodeError:
                continue
            cte = sender.cte
            if charset != sender.charset and cte == "7bit":
                cte = "quoted-printable"
            return charset, cte
        raise AssertionError("UTF-8 encodes everything")

    @staticmethod
    def is_flowed(sender: Sender) -> bool:
        return sender.client in ("apple", "thunderbird") and sender.lang != "ja"

    @staticmethod
    def flowed(text: str) -> str:
        """RFC 3676: long lines wrapped at 72 with a trailing space on each soft break."""
        out = []
        for line in text.split("\n"):
            if len(line) <= 76 or line.startswith(">"):
                out.append(line)
            else:
                out.append(" \n".join(textwrap.wrap(line, 72)))
        return "\n".join(out)

    def headers(self, sender: Sender, subject: str, message_id: str, charset: str,
                thread: Thread | None) -> list[str]:
        rng = self.rng
        at = self.now.astimezone(sender.zone)
        relay = f"mail-{rng.choice('abcdefgh')}{rng.randrange(10, 99)}.{sender.domain}"
        ip = f"{rng.choice(('203.0.113', '198.51.100', '192.0.2'))}.{rng.randrange(1, 254)}"
        delivered = format_datetime(self.now + timedelta(seconds=rng.randrange(1, 20)))
        signature = base64.b64encode(rng.randbytes(256)).decode()
        name = header_text(sender.name, charset) if sender.name else ""
        if name and name == sender.name:
            from_ = formataddr((sender.name, sender.address))
        else:
            from_ = f"{name} <{sender.address}>" if name else sender.address
        headers = [
            f"Return-Path: <{sender.address}>",
            "Delivered-To: support@brioche.example",
            f"Received: from {relay} ({relay} [{ip}])\n\tby {MX} (Postfix) with ESMTPS id "
            f"{rng.randbytes(5).hex().upper()}\n\tfor <support@brioche.example>; {delivered}",
            f"Received: by {relay} with SMTP id {rng.randbytes(8).hex()};\n        "
            f"{format_datetime(at)}",
            f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={sender.domain}; s=s1;\n"
            f"\tt={int(self.now.timestamp())}; h=from:to:subject:date:message-id:mime-version;\n"
            f"\tbh={base64.b64encode(rng.randbytes(32)).decode()};\n\tb="
            + "\n\t ".join(textwrap.wrap(signature, 70)),
            f"Authentication-Results: {MX};\n\tdkim=pass header.d={sender.domain};\n"
            f"\tspf=pass (sender IP is {ip}) smtp.mailfrom={sender.domain};\n"
            f"\tdmarc=pass header.from={sender.domain}",
            "MIME-Version: 1.0",
            f"From: {from_}",
            f"Date: {format_datetime(at)}",
            f"Message-ID: {message_id}",
            f"Subject: {header_text(subject, charset)}",
            f"To: {SUPPORT}",
        ]
        if thread is not None:
            references = thread.ids[-10:]
            headers.append(f"In-Reply-To: {thread.ids[-1]}")
            headers.append("References: " + "\n ".join(references))
        if MAILERS[sender.client]:
            headers.append(MAILERS[sender.client])
        return headers

    def count(self, sender: Sender, flags: int, charset: str, cte: str, size: int) -> None:
        stats = self.stats
        stats.messages += 1
        stats.bytes += size
        stats.senders = len(self.senders)
        stats.threads = len(self.threads)
        for bit, name in FLAG_NAMES.items():
            if flags & bit:
                stats.flags[name] += 1
        stats.languages[sender.lang] += 1
        stats.charsets[charset.lower()] += 1
        stats.encodings[cte] += 1
        stats.clients[sender.client] += 1
        stats.per_sender[sender.address] += 1


FLAG_NAMES = {REPLY: "replies", ATTACHMENT: "with attachments",
              ALTERNATIVE: "multipart/alternative", HTML_ONLY: "HTML only",
              NEW_SENDER: "first from a sender", CC: "with Cc", CRLF: "CRLF line ends"}


@dataclass
class Corpus:
    path: Path
    messages: int
    seed: int
    flags: bytes
    times: array  # seconds after START each message was delivered
    stats: dict
    generation_s: float
    reused: bool

    def chunks(self, limit: int = 0, size: int = 500) -> Iterator[list[bytes]]:
        """The raw messages in order, ``size`` at a time (read outside any timing)."""
        limit = limit or self.messages
        batch: list[bytes] = []
        read = 0
        with self.path.open("rb") as handle:
            while read < limit:
                head = handle.read(4)
                if len(head) < 4:
                    break
                batch.append(handle.read(struct.unpack("<I", head)[0]))
                read += 1
                if len(batch) == size:
                    yield batch
                    batch = []
        if batch:
            yield batch


def corpus_paths(messages: int, seed: int) -> tuple[Path, Path]:
    stem = WORK_DIR / f"corpus-s{seed}-n{messages}-v{CORPUS_VERSION}"
    return stem.with_suffix(".bin"), stem.with_suffix(".json")


def load_or_generate(messages: int, seed: int, regenerate: bool) -> Corpus:
    """The corpus, from its cache in ``var/bench/email`` when it was generated before."""
    path, meta_path = corpus_paths(messages, seed)
    if not regenerate and path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        return corpus_from_meta(path, meta, reused=True)
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    log(f"Generating {messages:,} messages (seed {seed})...")
    started = time.perf_counter()
    generator = CorpusGenerator(messages, seed)
    flags = bytearray()
    partial = path.with_suffix(".partial")
    with partial.open("wb") as handle:
        for number, (raw, message_flags) in enumerate(generator, start=1):
            handle.write(struct.pack("<I", len(raw)))
            handle.write(raw)
            flags.append(message_flags)
            if number % max(1, messages // 10) == 0:
                log(f"  {number:,} messages, {time.perf_counter() - started:.0f} s")
    partial.replace(path)
    generation_s = round(time.perf_counter() - started, 1)
    s = generator.stats
    stats = {
        "messages": s.messages, "bytes": s.bytes, "senders": s.senders, "threads": s.threads,
        "flags": dict(s.flags), "languages": dict(s.languages), "charsets": dict(s.charsets),
        "encodings": dict(s.encodings), "clients": dict(s.clients),
        "attachments": s.attachments, "attachment_bytes": s.attachment_bytes,
        "max_per_sender": max(s.per_sender.values()),
    }
    meta = {"version": CORPUS_VERSION, "seed": seed, "messages": messages,
            "generation_s": generation_s, "stats": stats,
            "flags": base64.b64encode(bytes(flags)).decode(),
            "times": base64.b64encode(generator.times.tobytes()).decode()}
    meta_path.write_text(json.dumps(meta))
    return corpus_from_meta(path, meta, reused=False)


def corpus_from_meta(path: Path, meta: dict, *, reused: bool) -> Corpus:
    times = array("I")
    times.frombytes(base64.b64decode(meta["times"]))
    return Corpus(path, meta["messages"], meta["seed"], base64.b64decode(meta["flags"]), times,
                  meta["stats"], meta["generation_s"], reused=reused)


def write_mbox(messages: int, seed: int, regenerate: bool) -> Path:
    """An mbox of the corpus of that size (``From `` lines in bodies get the usual ``>``)."""
    import mailbox

    path = WORK_DIR / f"import-s{seed}-n{messages}-v{CORPUS_VERSION}.mbox"
    if path.exists() and not regenerate:
        return path
    corpus = load_or_generate(messages, seed, regenerate)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    box = mailbox.mbox(partial, create=True)
    box.lock()
    try:
        for chunk in corpus.chunks():
            for raw in chunk:
                box.add(raw)
        box.flush()
    finally:
        box.unlock()
        box.close()
    partial.replace(path)
    return path


# --------------------------------------------------------------------------------------------
# parse rates (no database)

BARE_HEADERS = ("From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To",
                "References")


def bare_parse(raw: bytes) -> int:
    """The stdlib alone: parse, read the headers a help desk needs, decode every part."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    for name in BARE_HEADERS:
        value = message[name]
        if value is not None:
            str(value)
    sender = message["From"]
    if sender is not None:
        _ = sender.addresses
    message.get_body(preferencelist=("plain", "html"))
    size = 0
    for part in message.walk():
        if not part.is_multipart():
            size += len(part.get_content())
    return size


def bare_parse_compat32(raw: bytes) -> int:
    """The stdlib's legacy policy: no header objects, every part's payload decoded. Shown
    for reference: most of ``policy.default``'s cost is its header parser."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    size = 0
    for part in message.walk():
        if not part.is_multipart():
            size += len(part.get_payload(decode=True) or b"")
    return size


def parse_rate(corpus: Corpus, func, limit: int) -> tuple[float, int]:
    """(messages per second, messages) of ``func`` over the corpus, reading untimed."""
    elapsed, count = 0.0, 0
    for chunk in corpus.chunks(limit):
        started = time.perf_counter()
        for raw in chunk:
            func(raw)
        elapsed += time.perf_counter() - started
        count += len(chunk)
    return count / elapsed, count


def profile_call(label: str, func, path: Path, top: int = 30) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        func()
    finally:
        profiler.disable()
    profiler.dump_stats(path)
    print(f"\n=== cProfile: {label} (saved to {path.relative_to(REPO)})")
    for order in ("tottime", "cumulative"):
        print(f"\n--- top {top} by {order}")
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.strip_dirs().sort_stats(order).print_stats(top)
    sys.stdout.flush()


# --------------------------------------------------------------------------------------------
# the intake, in a worker process of its own per database


SQL_SHAPE = re.compile(r'^\s*(\w+)(?:[^"]*?"(\w+)")?')
SQL_WHERE = re.compile(r'WHERE \(*"\w+"\."(\w+)"')


def sql_shape(sql: str) -> str:
    """``SELECT conversations_message (external_id)``: the statement, its first table, the
    first column it filters on."""
    match = SQL_SHAPE.match(sql)
    if not match:
        return sql[:30]
    verb, table = match.groups()
    verb = verb.upper()
    if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT"):
        return verb
    shape = f"{verb} {'COUNT ' if 'COUNT(' in sql[:40] else ''}{table or ''}".strip()
    where = SQL_WHERE.search(sql) if verb in ("SELECT", "UPDATE", "DELETE") else None
    if where:
        shape += f" ({where.group(1)})"
    return shape + (" FOR UPDATE" if sql.rstrip().endswith("FOR UPDATE") else "")


class SqlCounter:
    """Database execute wrapper: how many queries ran, the time spent inside execute(), and
    both per statement shape (statement + first table)."""

    def __init__(self):
        self.queries = 0
        self.seconds = 0.0
        self.shapes: dict[str, list] = {}

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            self.seconds += elapsed
            self.queries += 1
            shape = self.shapes.setdefault(sql_shape(sql), [0, 0.0])
            shape[0] += 1
            shape[1] += elapsed


RETURN_PATH = re.compile(rb"Return-Path: <([^>]*)>")


AGENTS = (("en", "fr"), ("en",), ("fr",), ("de", "en"), ("es", "en"), ("ja", "en"),
          ("en", "es"), ("fr", "de"))


def configure_mailbox() -> str:
    """The installation the mail arrives at, as a real help desk has it: the mailbox the
    corpus writes to (no acknowledgements) belongs to a support team of eight agents (the
    languages of the corpus) who, like the team's calendar, work every hour, so that they
    are on shift whenever the benchmark runs, and every customer's plan
    has service levels, so that each message routes, assigns and runs clocks as in
    production. Intake creates its customers on the plan "free": that tier gets the "paid"
    tier's policy and channels. Returns the mailbox's address."""
    from comptoir.accounts.models import Role, Team, User
    from comptoir.email.models import Mailbox
    from comptoir.routing.models import WorkingHours
    from comptoir.sla.models import Calendar, PlanTier

    around_the_clock = {str(day): [["00:00", "24:00"]] for day in range(7)}

    team, _created = Team.objects.get_or_create(
        slug="support", defaults={"name": "Support", "time_zone": "Europe/Paris",
                                  "is_support": True})
    for number, languages in enumerate(AGENTS, start=1):
        agent, _created = User.objects.get_or_create(
            username=f"agent{number}",
            defaults={"first_name": f"Agent{number}", "role": Role.ADVOCATE,
                      "time_zone": "Europe/Paris", "spoken_languages": list(languages),
                      "password": "!"})
        agent.teams.add(team)
        WorkingHours.objects.update_or_create(user=agent,
                                              defaults={"weekly_hours": around_the_clock})
    Calendar.objects.get_or_create(
        team=team, defaults={"name": "Support (around the clock)", "time_zone": "Europe/Paris",
                             "weekly_hours": around_the_clock})
    paid = PlanTier.objects.get(plan="paid")
    PlanTier.objects.filter(plan="free").update(sla_policy=paid.sla_policy_id,
                                                channels=paid.channels)
    Mailbox.objects.get_or_create(address=SUPPORT_ADDRESS,
                                  defaults={"name": "Brioche Support", "auto_ack": False,
                                            "team": team})
    return SUPPORT_ADDRESS


def typical_indexes(flags: bytes) -> dict[str, int]:
    """In the second half of the corpus: the first new message (plain, no attachment), the
    first reply (plain) and the first new message with an attachment."""
    wanted = {
        "new_message": lambda f: not f & (REPLY | ATTACHMENT | ALTERNATIVE | HTML_ONLY | CC),
        "reply": lambda f: f & REPLY and not f & (ATTACHMENT | ALTERNATIVE | HTML_ONLY | CC),
        "new_with_attachment": lambda f: not f & REPLY and f & ATTACHMENT
        and not f & (ALTERNATIVE | HTML_ONLY | CC),
    }
    found: dict[str, int] = {}
    for index in range(len(flags) // 2, len(flags)):
        for name, test in wanted.items():
            if name not in found and test(flags[index]):
                found[name] = index
    return found


class AutoVacuum:
    """What PostgreSQL's autovacuum does for growing tables, for a server that has it off
    (``autovacuum = off``, as on some test machines), with its default thresholds counted on
    the messages stored: ANALYZE once 50 rows + 10 % more were added since the last one, and
    VACUUM (which lets counts read the index alone) once 1,000 + 20 % were. Without it the
    planner never learns the tables grew: the intake's ``IN (...)`` lookups become sequential
    scans (96 ms instead of 1.6 ms a batch at 130,000 messages) and routing's count of each
    agent's open conversations reads the table: a database no production server runs. Its
    time is kept apart (autovacuum's workers are other processes): ``analyze_s``."""

    def __init__(self):
        from django.db import connection

        self.needed = False
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SHOW autovacuum")
                self.needed = cursor.fetchone()[0] == "off"
        self.analyzed = self.vacuumed = 0  # messages at the last ANALYZE, VACUUM
        self.seconds = 0.0
        self.runs = 0

    def after(self, messages: int) -> None:
        if not self.needed:
            return
        vacuum = messages - self.vacuumed >= 1000 + 0.2 * self.vacuumed
        if not vacuum and messages - self.analyzed < 50 + 0.1 * self.analyzed:
            return
        from django.db import connection

        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)" if vacuum else "ANALYZE")
        self.seconds += time.perf_counter() - started
        self.runs += 1
        self.analyzed = messages
        if vacuum:
            self.vacuumed = messages


def ingest(corpus: Corpus, profile_path: Path | None = None) -> dict:
    """The way the intake now works: each message stored raw as it arrives (``store_raw``,
    committed), then a worker processes the stored rows ``intake.BATCH_SIZE`` at a time
    (``process_raw_many``); a batch's time is shared among its messages."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone as django_timezone

    from comptoir.conversations import intake
    from comptoir.conversations.services import process_raw_many, store_raw

    capture_at = {index: name for name, index in typical_indexes(corpus.flags).items()}
    captured: dict[str, list[str]] = {}
    store_s = array("d")
    process_s = array("d")
    # the worker's own CPU time and the machine's load, per slice: other processes on the
    # machine slow the wall-clock rate down, not the CPU time a message costs this process
    slice_cpu: list[float] = []
    slice_load: list[float] = []
    cpu_mark = time.process_time()
    failed = 0
    counter = SqlCounter()
    step = max(1, corpus.messages // SLICES)
    index = 0
    profiler = None
    if profile_path is not None:
        import cProfile

        profiler = cProfile.Profile()
    # The corpus's weeks of mail arrive in minutes here: each message is recorded as
    # delivered at its place in the corpus's timeline, shifted to end now (live mail's
    # received_at), so a sender's messages are not all "in the last hour" (a mail loop).
    run_start = django_timezone.now()
    started_all = time.perf_counter()
    batch_size = intake.BATCH_SIZE
    autovacuum = AutoVacuum()
    if autovacuum.needed:
        log("  (this PostgreSQL runs without autovacuum: the benchmark vacuums and analyzes "
            "as it would)")
    with connection.execute_wrapper(counter):
        for chunk in corpus.chunks(size=batch_size * 5):
            if profiler is not None:
                profiler.enable()
            for start in range(0, len(chunk), batch_size):
                part = chunk[start:start + batch_size]
                ids = []
                first = index
                capture = next((capture_at[i] for i in range(first, first + len(part))
                                if i in capture_at), None) if not captured else None
                context = CaptureQueriesContext(connection) if capture else contextlib.nullcontext()
                with context as queries:
                    for raw in part:
                        # what `comptoir smtpd` records with a message it accepts, committed
                        # one by one as they arrive
                        envelope_from = RETURN_PATH.match(raw)
                        meta = {"source": "smtp", "mailbox": SUPPORT_ADDRESS,
                                "rcpt_to": [SUPPORT_ADDRESS],
                                "mail_from": envelope_from.group(1).decode() if envelope_from
                                else "",
                                "peer": "203.0.113.7",
                                "received_at": (run_start - timedelta(
                                    seconds=corpus.times[-1] - corpus.times[index])).isoformat()}
                        t0 = time.perf_counter()
                        ids.append(store_raw("email", raw, meta).pk)
                        store_s.append(time.perf_counter() - t0)
                        index += 1
                    # then a worker takes the stored rows, a batch at a time
                    t1 = time.perf_counter()
                    results = process_raw_many(ids)
                    share = (time.perf_counter() - t1) / len(part)
                process_s.extend([share] * len(part))
                failed += sum(1 for pk in ids if results.get(pk) is None)
                if capture:
                    captured[f"batch_of_{len(part)}"] = [q["sql"] for q in queries.captured_queries]
                if profiler is not None:
                    profiler.disable()
                cpu_paused = time.process_time()
                autovacuum.after(index)
                cpu_mark += time.process_time() - cpu_paused  # not the worker's CPU either
                if profiler is not None:
                    profiler.enable()
                while index >= (len(slice_cpu) + 1) * step and len(slice_cpu) < SLICES:
                    slice_cpu.append(time.process_time() - cpu_mark)
                    slice_load.append(os.getloadavg()[0])
                    cpu_mark = time.process_time()
                    log(f"  {index:>9,} messages  worker: slice "
                        f"{step / sum(process_s[-step:]):7.1f} msg/s, total "
                        f"{index / sum(process_s):7.1f} msg/s; with the raw store "
                        f"{index / (sum(store_s) + sum(process_s)):7.1f} msg/s")
            if profiler is not None:
                profiler.disable()
    wall_s = time.perf_counter() - started_all
    if profiler is not None:
        profiler.dump_stats(profile_path)
    return {"store_s": store_s, "process_s": process_s, "failed": failed,
            "queries": counter.queries, "sql_s": counter.seconds, "captured": captured,
            "sql_shapes": counter.shapes,
            "wall_s": wall_s, "slice_cpu_s": slice_cpu, "slice_load": slice_load, "step": step,
            "analyze_s": autovacuum.seconds, "analyze_runs": autovacuum.runs}


def percentile(values: list[float], q: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def summarise_run(result: dict, corpus: Corpus) -> dict:
    total = [s + p for s, p in zip(result["store_s"], result["process_s"], strict=True)]
    process = result["process_s"]
    n = len(total)
    bounds = [round(n * i / SLICES) for i in range(SLICES + 1)]
    # the worker's rate in each tenth (growth of the tables shows in it, not in store_raw)
    slices = [(bounds[i + 1] - bounds[i]) / sum(process[bounds[i]:bounds[i + 1]])
              for i in range(SLICES)]
    replies = [t for t, f in zip(total, corpus.flags, strict=False) if f & REPLY]
    news = [t for t, f in zip(total, corpus.flags, strict=False) if not f & REPLY]
    attached = [t for t, f in zip(total, corpus.flags, strict=False) if f & ATTACHMENT]
    seconds = sum(total)
    return {
        "messages": n,
        "msgs_per_s": n / seconds,
        "seconds": seconds,
        "wall_s": result["wall_s"],
        "ms_p50": percentile(total, 50) * 1000,
        "ms_p95": percentile(total, 95) * 1000,
        "ms_p99": percentile(total, 99) * 1000,
        "worker_msgs_per_s": n / sum(result["process_s"]),
        "store_raw_ms": sum(result["store_s"]) / n * 1000,
        "process_raw_ms": sum(result["process_s"]) / n * 1000,
        "new_ms": statistics.fmean(news) * 1000 if news else None,
        "reply_ms": statistics.fmean(replies) * 1000 if replies else None,
        "attachment_ms": statistics.fmean(attached) * 1000 if attached else None,
        "queries_per_msg": result["queries"] / n,
        "sql_ms_per_msg": result["sql_s"] / n * 1000,
        "slices_msgs_per_s": slices,
        "cpu_ms_per_msg": sum(result["slice_cpu_s"]) / (result["step"] * len(
            result["slice_cpu_s"])) * 1000 if result["slice_cpu_s"] else None,
        "slices_cpu_ms_per_msg": [cpu / result["step"] * 1000 for cpu in result["slice_cpu_s"]],
        "slices_load": result["slice_load"],
        # (shape, queries per message, ms per message), the costliest first
        "sql_top": sorted(([shape, count / n, seconds / n * 1000] for shape, (count, seconds)
                           in result["sql_shapes"].items()), key=lambda row: -row[2])[:15],
        "without_message": result["failed"],
        "analyze_s": result["analyze_s"],
        "analyze_runs": result["analyze_runs"],
    }


def database_counts() -> dict[str, int]:
    from django.db.models import Count

    from comptoir.conversations.models import (
        Attachment,
        Blob,
        Conversation,
        Event,
        Message,
        RawInbound,
    )
    from comptoir.people.models import Identity, Person
    from comptoir.sla.models import SlaClock

    statuses = {f"raw_{row['status']}": row["n"] for row in
                RawInbound.objects.values("status").annotate(n=Count("id")).order_by("status")}
    return {
        "raw": RawInbound.objects.count(),
        **statuses,
        "messages": Message.objects.count(),
        "conversations": Conversation.objects.count(),
        "assigned": Conversation.objects.filter(assignee__isnull=False).count(),
        "sla_clocks": SlaClock.objects.count(),
        "people": Person.objects.count(),
        "identities": Identity.objects.count(),
        "attachments": Attachment.objects.count(),
        "blobs": Blob.objects.count(),
        "events": Event.objects.count(),
    }


def fresh_database(args: argparse.Namespace, db: str) -> float:
    """Reset and migrate; returns the migration's seconds."""
    from django.core.management import call_command
    from django.db import connection

    connection.close()
    reset_database(args, db)
    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    return time.perf_counter() - started


def import_mail(args: argparse.Namespace, db: str, mbox: Path) -> dict:
    """``comptoir import-mail`` of the mbox into a fresh, migrated bench database."""
    from django.db import connection

    from comptoir.conversations.models import Message

    fresh_database(args, db)
    configure_mailbox()
    connection.close()
    command = [str(Path(sys.executable).parent / "comptoir"), "import-mail", str(mbox)]
    log(f"[{db}] {' '.join(command[1:])} ...")
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)  # noqa: S603
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary = [line for line in done.stdout.splitlines() if line.startswith("imported ")]
    if done.returncode != 0:
        log(done.stdout[-2000:] + done.stderr[-2000:])
    match = re.search(r"imported (\d+), duplicates (\d+), failed (\d+)", done.stdout)
    return {
        "seconds": seconds, "cpu_s": cpu_s, "returncode": done.returncode,
        "summary": summary[0] if summary else done.stderr.strip()[-300:],
        "imported": int(match.group(1)) if match else None,
        "failed": int(match.group(3)) if match else None,
        "messages_in_database": Message.objects.count(),
    }


def worker(args: argparse.Namespace) -> int:
    """One database: ``--runs`` timed runs on fresh databases, then import-mail."""
    db = args.worker
    configure_environment(args, db)
    import django

    django.setup()
    from django.db import connection

    meta = json.loads(corpus_paths(args.messages, args.seed)[1].read_text())
    corpus = corpus_from_meta(args.corpus, meta, reused=True)
    output: dict = {"db": db, "runs": [], "counts": {}, "captured": {}, "import_mail": None}
    for run in range(1, args.runs + 1):
        migrate_s = fresh_database(args, db)
        configure_mailbox()
        log(f"[{db}] run {run}/{args.runs}: {corpus.messages:,} messages "
            f"(migrate {migrate_s:.1f} s)")
        profile_path = WORK_DIR / f"profile-{db}-{corpus.messages}.prof" if args.profile else None
        result = ingest(corpus, profile_path)
        summary = summarise_run(result, corpus)
        summary["migrate_s"] = migrate_s
        output["runs"].append(summary)
        output["counts"] = database_counts()
        output["captured"] = result["captured"]
        if profile_path is not None:
            output["profile"] = str(profile_path)
    if args.mbox is not None:
        output["import_mail"] = import_mail(args, db, args.mbox)
    connection.close()
    args.result.write_text(json.dumps(output))
    return 0


def run_worker(args: argparse.Namespace, db: str, corpus: Corpus, mbox: Path | None) -> dict:
    result_path = WORK_DIR / f"result-{db}.json"
    result_path.unlink(missing_ok=True)
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", db,
               "--scale", str(corpus.messages), "--seed", str(corpus.seed),
               "--runs", str(args.runs), "--corpus", str(corpus.path),
               "--result", str(result_path), "--pg-url", args.pg_url,
               "--sqlite-path", str(args.sqlite_path)]
    if mbox is not None:
        command += ["--mbox", str(mbox)]
    if args.profile:
        command.append("--profile")
    done = subprocess.run(command, cwd=REPO, check=False)  # noqa: S603
    if done.returncode != 0 or not result_path.exists():
        log(f"[{db}] worker failed with exit code {done.returncode}")
        return {"db": db, "error": done.returncode}
    return json.loads(result_path.read_text())


# --------------------------------------------------------------------------------------------
# report


def median_run(runs: list[dict]) -> dict:
    """The figures of each key as the median over runs (slices too, slice by slice)."""
    if len(runs) == 1:
        return runs[0]
    merged: dict = {}
    for key, value in runs[0].items():
        if isinstance(value, list) and all(isinstance(x, (int, float)) for x in value):
            merged[key] = [statistics.median(run[key][i] for run in runs)
                           for i in range(len(value))]
        elif isinstance(value, (int, float)) and value is not None:
            merged[key] = statistics.median(run[key] for run in runs)
        else:
            merged[key] = value
    return merged


def fmt(value, spec: str = ".1f", empty: str = "-") -> str:
    return empty if value is None else format(value, spec)


def print_sql(captured: dict[str, list[str]], db: str) -> None:
    for name, queries in captured.items():
        print(f"\n--- {db}: SQL of a {name.replace('_', ' ')} (store_raw of each, then "
              f"process_raw_many): {len(queries)} queries")
        for number, sql in enumerate(queries, start=1):
            print(f"{number:>3}. {sql if len(sql) <= 400 else sql[:400] + ' …'}")


def report(args, corpus: Corpus, parse: dict, results: dict[str, dict]) -> dict:
    stats = corpus.stats
    n = stats["messages"]
    flags = stats["flags"]
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\ncomptoir email intake benchmark — {n:,} messages (seed {corpus.seed}), one worker "
          f"process; {os.cpu_count()} CPUs, load {load}")
    print(f"corpus: {stats['bytes'] / 1e6:,.0f} MB, {stats['senders']:,} senders, "
          f"{stats['threads']:,} threads, at most {stats.get('max_per_sender', '?')} messages "
          "from one sender; "
          + ", ".join(f"{k} {v / n:.0%}" for k, v in flags.items())
          + f"; {stats['attachments']:,} attachments ({stats['attachment_bytes'] / 1e6:,.0f} MB);"
          f" generated in {corpus.generation_s} s{' (cached)' if corpus.reused else ''}")
    print("  languages " + ", ".join(f"{k} {v / n:.0%}" for k, v in stats["languages"].items())
          + "; charsets " + ", ".join(f"{k} {v / n:.0%}" for k, v in
                                      sorted(stats["charsets"].items(), key=lambda x: -x[1]))
          + "; transfer " + ", ".join(f"{k} {v / n:.0%}" for k, v in stats["encodings"].items()))
    bare = parse["bare"]
    header = (f"{'measurement':<34}{'msg/s':>9}{'ms/msg':>8}{'p50':>7}{'p95':>7}{'store':>7}"
              f"{'process':>8}{'queries':>8}{'sql ms':>7}{'cpu ms':>7}{'runs':>5}")
    print()
    print(header)
    print("-" * len(header))
    print(f"{'bare stdlib parse':<34}{bare:>9.0f}{1000 / bare:>8.2f}{'':>56}{args.runs:>5}")
    print(f"{'bare stdlib parse, compat32 policy':<34}{parse['compat32']:>9.0f}"
          f"{1000 / parse['compat32']:>8.2f}{'':>56}{args.runs:>5}")
    print(f"{'comptoir parse()':<34}{parse['comptoir']:>9.0f}{1000 / parse['comptoir']:>8.2f}"
          f"{'':>56}{args.runs:>5}")
    figures: dict = {"scale": n, "seed": corpus.seed, "runs": args.runs,
                     "bare_parse_msgs_per_s": round(bare, 1),
                     "comptoir_parse_msgs_per_s": round(parse["comptoir"], 1),
                     "bare_parse_compat32_msgs_per_s": round(parse["compat32"], 1),
                     "parse_messages": parse["messages"]}
    for db in ("postgresql", "sqlite"):
        figures[f"{db}_msgs_per_s"] = None
        result = results.get(db)
        if not result or "runs" not in result:
            continue
        m = median_run(result["runs"])
        name = "PostgreSQL" if db == "postgresql" else "SQLite"
        label = f"worker, {name}"
        print(f"{label:<34}{m['worker_msgs_per_s']:>9.0f}{m['process_raw_ms']:>8.2f}"
              f"{'':>21}{m['process_raw_ms']:>8.2f}{'':>22}{len(result['runs']):>5}")
        label = f"raw store + worker, {name}"
        print(f"{label:<34}{m['msgs_per_s']:>9.0f}{1000 / m['msgs_per_s']:>8.2f}"
              f"{m['ms_p50']:>7.2f}{m['ms_p95']:>7.2f}{m['store_raw_ms']:>7.2f}"
              f"{m['process_raw_ms']:>8.2f}{m['queries_per_msg']:>8.1f}"
              f"{m['sql_ms_per_msg']:>7.2f}{fmt(m['cpu_ms_per_msg'], '7.2f', '      -')}"
              f"{len(result['runs']):>5}")
        # the issue's figure: processing (parse -> person -> thread -> store -> events) by one
        # worker process, i.e. stored raw rows to messages; the raw store itself is done by
        # the receiving process (smtpd, the IMAP poller) before any worker sees the message
        figures[f"{db}_msgs_per_s"] = round(m["worker_msgs_per_s"], 1)
        figures[f"{db}_msgs_per_s_runs"] = [round(r["worker_msgs_per_s"], 1)
                                            for r in result["runs"]]
        # both sides in one process: each message stored raw and committed, then processed
        figures[f"{db}_end_to_end_msgs_per_s"] = round(m["msgs_per_s"], 1)
        figures[f"{db}_end_to_end_msgs_per_s_runs"] = [round(r["msgs_per_s"], 1)
                                                       for r in result["runs"]]
        for key in ("ms_p50", "ms_p95", "ms_p99", "store_raw_ms", "process_raw_ms", "new_ms",
                    "reply_ms", "attachment_ms", "queries_per_msg", "sql_ms_per_msg",
                    "cpu_ms_per_msg"):
            figures[f"{db}_{key}"] = None if m[key] is None else round(m[key], 3)
        figures[f"growth_first_decile_msgs_per_s_{db}"] = round(m["slices_msgs_per_s"][0], 1)
        figures[f"growth_last_decile_msgs_per_s_{db}"] = round(m["slices_msgs_per_s"][-1], 1)
        figures[f"{db}_slices_msgs_per_s"] = [round(x, 1) for x in m["slices_msgs_per_s"]]
        figures[f"{db}_slices_cpu_ms_per_msg"] = [round(x, 2) for x in m["slices_cpu_ms_per_msg"]]
        figures[f"{db}_slices_load"] = [round(x, 1) for x in m["slices_load"]]
        figures[f"{db}_without_message"] = m["without_message"]
        # the stand-in for autovacuum (PostgreSQL without autovacuum only)
        figures[f"{db}_analyze_s"] = round(m["analyze_s"], 2)
        figures[f"{db}_analyze_runs"] = m["analyze_runs"]
        figures[f"{db}_counts"] = result["counts"]
        for name, queries in result["captured"].items():
            figures[f"{db}_queries_{name}"] = len(queries)
    figures["import_mail_messages"] = args.mbox_size or None
    for db in ("postgresql", "sqlite"):
        imported = (results.get(db) or {}).get("import_mail")
        seconds = round(imported["seconds"], 1) if imported else None
        figures[f"import_mail_s_{db}"] = seconds
        # the import process's own CPU (user + system): what the load does not change
        figures[f"import_mail_cpu_s_{db}"] = round(imported["cpu_s"], 1) if imported else None
        figures[f"import_mail_10k_s_{db}"] = seconds if args.mbox_size == 10_000 else None
        if imported:
            name = "PostgreSQL" if db == "postgresql" else "SQLite"
            label = f"import-mail {args.mbox_size:,} ({name})"
            print(f"{label:<34}{args.mbox_size / imported['seconds']:>9.0f}"
                  f"{1000 * imported['seconds'] / args.mbox_size:>8.2f}   "
                  f"{imported['seconds']:.1f} s ({imported['cpu_s']:.1f} s of CPU): "
                  f"{imported['summary']}")
            figures[f"import_mail_summary_{db}"] = imported["summary"]

    print("\nthe worker's rate per 10 % slice of the messages, in order (msg/s): does it fall as "
          "tables grow?")
    for db in ("postgresql", "sqlite"):
        result = results.get(db)
        if result and "runs" in result:
            m = median_run(result["runs"])
            slices = m["slices_msgs_per_s"]
            print(f"  {db:<11}" + " ".join(f"{x:7.1f}" for x in slices)
                  + f"   last/first {slices[-1] / slices[0]:.2f}")
            cpu = m["slices_cpu_ms_per_msg"]
            if cpu:
                print(f"  {'cpu ms/msg':<11}" + " ".join(f"{x:7.2f}" for x in cpu)
                      + f"   last/first {cpu[-1] / cpu[0]:.2f} (the worker process's CPU)")
                print(f"  {'load 1 min':<11}" + " ".join(f"{x:7.1f}" for x in m["slices_load"]))
            counts = result["counts"]
            expected = n - flags.get("replies", 0)
            print(f"  {'':<11}database after the run: " + ", ".join(
                f"{k} {v:,}" for k, v in counts.items())
                + f" (threads in the corpus: {expected:,})")

    pg = figures.get("postgresql_msgs_per_s")
    figures["ratio_to_bare_parse"] = round(pg / bare, 3) if pg else None
    sqlite = figures.get("sqlite_msgs_per_s")
    figures["ratio_to_bare_parse_sqlite"] = round(sqlite / bare, 3) if sqlite else None
    for db in ("postgresql", "sqlite"):
        both = figures.get(f"{db}_end_to_end_msgs_per_s")
        figures[f"ratio_to_bare_parse_end_to_end_{db}"] = round(both / bare, 3) if both else None
    figures["parse_share_of_intake_postgresql"] = (
        round(pg / parse["comptoir"], 3) if pg else None)
    figures["parse_share_of_intake_sqlite"] = (
        round(sqlite / parse["comptoir"], 3) if sqlite else None)

    print("\ntargets:")
    if pg:
        both = figures["postgresql_end_to_end_msgs_per_s"]
        print(f"  PostgreSQL >= {TARGET_PG_MSGS_PER_S:.0f} msg/s per worker: {pg:.0f} -> "
              f"{'met' if pg >= TARGET_PG_MSGS_PER_S else 'MISSED'}; with each message's raw "
              f"store in the same process: {both:.0f} -> "
              f"{'met' if both >= TARGET_PG_MSGS_PER_S else 'MISSED'}")
        print(f"  worker >= {TARGET_RATIO:.0%} of the bare parse rate: {pg / bare:.1%} "
              f"(SQLite {fmt(sqlite and sqlite / bare, '.1%')}) -> "
              f"{'met' if pg / bare >= TARGET_RATIO else 'MISSED'}; with the raw store: "
              f"{both / bare:.1%} (SQLite "
              f"{fmt(figures['ratio_to_bare_parse_end_to_end_sqlite'], '.1%')})")
        print(f"  comptoir parse() alone is {parse['comptoir'] / bare:.1%} of the bare parse "
              f"rate; parsing is {pg / parse['comptoir']:.0%} of the PostgreSQL worker's time")
    for db in ("postgresql", "sqlite"):
        seconds = figures.get(f"import_mail_s_{db}")
        if seconds is not None:
            print(f"  import-mail of {args.mbox_size:,} messages < {TARGET_IMPORT_S:.0f} s on "
                  f"{db}: {seconds:.1f} s -> "
                  f"{'met' if seconds < TARGET_IMPORT_S else 'MISSED'}")
    for db in ("postgresql", "sqlite"):
        result = results.get(db) or {}
        if result.get("runs"):
            top = result["runs"][0]["sql_top"]
            print(f"  SQL time per message on {db} by statement (first run; ms/msg, queries/msg, "
                  "commits not included): " + ", ".join(
                      f"{shape} {ms:.2f} ({count:.1f})" for shape, count, ms in top[:10]))
            figures[f"{db}_sql_top"] = [[shape, round(count, 2), round(ms, 3)]
                                        for shape, count, ms in top]
        if result.get("captured"):
            print(f"  queries per message on {db}: " + ", ".join(
                f"{k.replace('_', ' ')} {len(v)}" for k, v in result["captured"].items())
                + f"; average {fmt(figures.get(f'{db}_queries_per_msg'))}")
            if args.show_sql or args.profile:
                print_sql(result["captured"], db)
    return figures


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        return worker(args)
    # This process only generates and parses: Django is set up (the demo's texts and the
    # parser import models) but never connects to a database.
    configure_environment(args, "sqlite")
    import django

    django.setup()
    from comptoir.email.parsing import parse as comptoir_parse

    corpus = load_or_generate(args.messages, args.seed, args.regenerate)
    mbox = None
    if args.mbox_size and not args.profile:
        mbox = write_mbox(args.mbox_size, args.seed, args.regenerate)

    limit = min(args.parse_limit or corpus.messages, corpus.messages)
    log(f"Parsing {limit:,} messages, {args.runs} run(s)...")
    bare_runs, compat32_runs, comptoir_runs = [], [], []
    for _ in range(args.runs):
        bare_runs.append(parse_rate(corpus, bare_parse, limit)[0])
        compat32_runs.append(parse_rate(corpus, bare_parse_compat32, limit)[0])
        comptoir_runs.append(parse_rate(corpus, comptoir_parse, limit)[0])
    parse = {"bare": statistics.median(bare_runs), "comptoir": statistics.median(comptoir_runs),
             "compat32": statistics.median(compat32_runs), "messages": limit}
    log(f"  bare {parse['bare']:.0f} msg/s, comptoir parse() {parse['comptoir']:.0f} msg/s")
    if args.profile:
        def parse_all() -> None:
            for chunk in corpus.chunks(limit):
                for raw in chunk:
                    comptoir_parse(raw)

        profile_call(f"comptoir.email.parsing.parse of {limit:,} messages", parse_all,
                     WORK_DIR / f"profile-parse-{limit}.prof")

    databases = ["postgresql", "sqlite"] if args.db == "both" else [args.db]
    results = {db: run_worker(args, db, corpus, mbox) for db in databases}
    if args.profile:
        for db, result in results.items():
            if result.get("profile"):
                import pstats

                print(f"\n=== cProfile: intake on {db}, {corpus.messages:,} messages "
                      f"(saved to {Path(result['profile']).relative_to(REPO)})")
                for order in ("tottime", "cumulative"):
                    print(f"\n--- top 40 by {order}")
                    stats = pstats.Stats(result["profile"], stream=sys.stdout)
                    stats.strip_dirs().sort_stats(order).print_stats(40)
    figures = report(args, corpus, parse, results)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
