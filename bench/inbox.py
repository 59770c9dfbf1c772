"""Inbox benchmark: server time of the agent inbox and the conversation page at scale.

    python bench/inbox.py --db postgresql --scale 1      # 1,000,000 conversations, ~5 M messages
    python bench/inbox.py --db sqlite --scale 1          # 200,000 conversations, ~1 M messages
    python bench/inbox.py --db postgresql --keep         # reuse the database generated last time
    python bench/inbox.py --db postgresql --keep --explain   # also print the plans of the queries

It generates the data set server-side (INSERT ... SELECT over a number series, indexes
dropped during the load and rebuilt after, then VACUUM ANALYZE / ANALYZE), then times real
requests through Django's test client (middleware, session, view, template) as an advocate:
the inbox's first page, its page 100 reached by keyset cursor, a filtered view (language +
plan + tag), the per-view counts, and a conversation page with 50 messages. Each is reported
with p50/p95 in milliseconds and the number of SQL queries it ran; the query count must not
grow with the page number or the number of messages (no N+1).

The last line printed is one JSON object with every figure (``*_p95_ms`` keys and so on).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCHEMA_VERSION = 4  # bump when the generated data changes shape: --keep then regenerates
FULL_SIZE = {"postgresql": 1_000_000, "sqlite": 200_000}  # conversations at --scale 1
PG_DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/comptoir_bench"
SQLITE_DEFAULT_PATH = REPO / "var" / "bench" / "inbox.sqlite3"
TARGET_P95_MS = 50.0

LANGUAGES = [("en", 0.50), ("fr", 0.15), ("de", 0.15), ("es", 0.12), ("ja", 0.08)]
PLANS = [("free", 0.55), ("paid", 0.30), ("premium", 0.10), ("enterprise", 0.05)]
# ~10% new/open, ~5% waiting, the rest solved or closed.
STATUSES = [("new", 0.04), ("open", 0.06), ("pending", 0.04), ("on_hold", 0.01),
            ("solved", 0.45), ("closed", 0.40)]
CHANNELS = [("email", 0.55), ("web", 0.15), ("chat", 0.20), ("social", 0.05), ("forum", 0.03),
            ("api", 0.02)]
PRIORITIES = [(1, 0.08), (2, 0.80), (3, 0.09), (4, 0.03)]
# Tag ids are drawn as floor(len * u^2): the first tags are the common ones (billing ~18%).
TAGS = ["billing", "bug", "refund", "login", "feature-request", "invoice", "shipping",
        "account", "password", "api", "integration", "cancel", "upgrade", "downgrade",
        "performance", "mobile", "export", "import", "security", "privacy", "gdpr", "sso",
        "webhooks", "email-delivery", "spam", "translation", "accessibility", "onboarding",
        "good-first-reply", "vip"]
COMMON_TAG = TAGS[0]
TEAMS = [("Support EMEA", "support-emea"), ("Support Americas", "support-americas"),
         ("Support APAC", "support-apac"), ("Billing", "billing")]
AGENTS = 40
TAGGED_SHARE = 0.30
LONG_CONVERSATION_MESSAGES = 50
TWO_YEARS_S = 2 * 365 * 24 * 3600
CHUNK = 50_000  # conversations per INSERT statement (and per progress step)
LONG_ID = 1  # the conversation with 50 messages (its last activity is an hour ago)

FIRST_NAMES = ["Ada", "Bruno", "Chloé", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Inès",
               "Jonas", "Keiko", "Lucía", "Marc", "Nadia", "Oskar", "Paula", "Quentin", "Rosa",
               "Sven", "Tomoko", "Ugo", "Vera", "Wen", "Xavier", "Yuki", "Zoé", "Amir",
               "Birgit", "Carlos", "Dora", "Émile"]
LAST_NAMES = ["Martin", "Müller", "García", "Sato", "Bernard", "Schmidt", "López", "Suzuki",
              "Dubois", "Fischer", "Sánchez", "Takahashi", "Moreau", "Weber", "Pérez",
              "Tanaka", "Laurent", "Wagner", "Gómez", "Watanabe", "Lefebvre", "Becker",
              "Díaz", "Ito", "Roux", "Hoffmann", "Ruiz", "Yamamoto", "Fournier"]
SUBJECTS = ["Cannot log in", "Invoice question", "Refund request", "Bug in the export",
            "How do I change my plan?", "Payment failed", "Feature request: dark mode",
            "Webhook not firing", "Password reset email never arrives", "SSO setup",
            "Data export for GDPR", "App crashes on start", "Wrong VAT on invoice",
            "Cancel my subscription", "Integration with Slack", "Slow dashboard",
            "Duplicate charge", "Question about the API limits", "Account locked",
            "Problème de facturation", "Rechnung fehlt", "No puedo iniciar sesión",
            "ログインできません", "Demande de remboursement", "Export funktioniert nicht"]
WORDS = ["hello", "thanks", "please", "order", "invoice", "account", "login", "password",
         "payment", "plan", "upgrade", "refund", "error", "page", "button", "export", "import",
         "settings", "team", "user", "email", "message", "reply", "dashboard", "report",
         "broken", "works", "again", "yesterday", "today", "morning", "issue", "problem",
         "help", "support", "update", "version", "browser", "mobile", "app", "screenshot",
         "attached", "customer", "urgent", "billing", "card", "charge", "receipt",
         "subscription", "cancel", "renew", "trial"]
TEXTS = 97  # rows of the helper text table (prime, so id-based picks spread)


# --------------------------------------------------------------------------------------------
# command line, database selection


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="1.0 = 1,000,000 conversations on PostgreSQL, 200,000 on SQLite "
                             "(~5 messages each)")
    parser.add_argument("--runs", type=int, default=50, help="timed requests per measurement")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first")
    parser.add_argument("--keep", action="store_true",
                        help="reuse the database generated by an earlier run of the same size")
    parser.add_argument("--explain", action="store_true",
                        help="print EXPLAIN ANALYZE (PostgreSQL) or EXPLAIN QUERY PLAN (SQLite) "
                             "of the slowest queries of each measurement")
    parser.add_argument("--pg-url", default=os.environ.get("COMPTOIR_BENCH_PG_URL",
                                                           PG_DEFAULT_URL),
                        help="PostgreSQL database to (re)create; default %(default)s")
    parser.add_argument("--sqlite-path", type=Path, default=SQLITE_DEFAULT_PATH)
    args = parser.parse_args(argv)
    if args.scale <= 0 or args.runs < 1:
        parser.error("--scale must be > 0 and --runs >= 1")
    return args


@dataclass
class Sizes:
    conversations: int
    people: int
    organisations: int

    @classmethod
    def for_scale(cls, db: str, scale: float) -> Sizes:
        conversations = max(200, round(FULL_SIZE[db] * scale))
        people = max(50, conversations // 3)
        return cls(conversations, people, max(5, people // 20))


def configure_environment(args: argparse.Namespace) -> None:
    """Point comptoir's settings at the bench database before Django starts."""
    os.environ.setdefault("COMPTOIR_VAR_DIR", str(REPO / "var"))
    os.environ["COMPTOIR_DATABASE_URL"] = (
        args.pg_url if args.db == "postgresql" else f"sqlite:///{args.sqlite_path.resolve()}"
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
    os.environ["COMPTOIR_DEBUG"] = "0"


def read_marker(args: argparse.Namespace) -> dict | None:
    """The description of the data set already in the bench database, if there is one."""
    if args.db == "postgresql":
        import psycopg

        try:
            with psycopg.connect(args.pg_url, connect_timeout=5) as conn:
                row = conn.execute("SELECT v FROM bench_inbox_meta WHERE k = 'dataset'").fetchone()
        except psycopg.Error:
            return None
    else:
        import sqlite3

        if not args.sqlite_path.exists():
            return None
        try:
            with sqlite3.connect(args.sqlite_path) as conn:
                row = conn.execute("SELECT v FROM bench_inbox_meta WHERE k = 'dataset'").fetchone()
        except sqlite3.Error:
            return None
    return json.loads(row[0]) if row else None


def reset_database(args: argparse.Namespace) -> None:
    """Start from an empty database (the bench database only, never the app's)."""
    if args.db == "postgresql":
        import psycopg
        from psycopg import sql

        url = args.pg_url
        name = url.rsplit("/", 1)[1].split("?")[0]
        if not name.startswith("comptoir_bench"):
            raise SystemExit(f"refusing to drop {name!r}: the bench database name must start "
                             "with 'comptoir_bench'")
        admin_url = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    else:
        args.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            path = Path(f"{args.sqlite_path}{suffix}")
            if path.exists():
                path.unlink()


# --------------------------------------------------------------------------------------------
# generation


class Dialect:
    """The few SQL spellings that differ between PostgreSQL and SQLite."""

    def __init__(self, vendor: str):
        self.vendor = vendor
        self.pg = vendor == "postgresql"

    def series(self, lo: int, hi: int) -> str:
        """A CTE ``g(n)`` with the integers lo..hi."""
        if self.pg:
            return f"WITH g(n) AS (SELECT generate_series(CAST({lo} AS bigint), {hi}))"
        return (f"WITH RECURSIVE g(n) AS (SELECT {lo} UNION ALL SELECT n + 1 FROM g "
                f"WHERE n < {hi})")

    def ts(self, epoch_expr: str) -> str:
        if self.pg:
            return f"to_timestamp({epoch_expr})"
        return f"datetime({epoch_expr}, 'unixepoch')"

    def epoch(self, column: str) -> str:
        if self.pg:
            return f"CAST(extract(epoch FROM {column}) AS bigint)"
        return f"CAST(strftime('%s', {column}) AS INTEGER)"

    def floor(self, expr: str) -> str:
        # PostgreSQL rounds when casting a float to an integer; SQLite truncates.
        if self.pg:
            return f"CAST(floor({expr}) AS bigint)"
        return f"CAST({expr} AS INTEGER)"

    @staticmethod
    def u(n_expr: str, salt: int) -> str:
        """A deterministic uniform number in [0, 1) from an integer and a salt."""
        return f"bench_u({n_expr}, {salt})"

    def pick(self, u_expr: str, choices: list[tuple[object, float]]) -> str:
        """CASE expression drawing one of ``choices`` with its probability."""
        parts, acc = [], 0.0
        for value, p in choices[:-1]:
            acc += p
            parts.append(f"WHEN {u_expr} < {acc:.4f} THEN {sql_literal(value)}")
        return f"CASE {' '.join(parts)} ELSE {sql_literal(choices[-1][0])} END"


def sql_literal(value: object) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return str(value)


_MASK = (1 << 64) - 1


def _bench_u(n: int, salt: int) -> float:
    """splitmix64 of (n, salt) scaled to [0, 1): SQLite's random() is not repeatable."""
    x = (n * 0x9E3779B97F4A7C15 + salt * 0xD1B54A32D192ED03) & _MASK
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & _MASK
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & _MASK
    x ^= x >> 31
    return (x >> 11) / 9007199254740992.0


PG_BENCH_U = """
CREATE OR REPLACE FUNCTION bench_u(n bigint, salt integer) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT (hashint8extended(n, salt) & 4503599627370495)::double precision
          / 4503599627370496.0 $$
"""


def make_texts() -> list[tuple[int, str, str, str, str]]:
    """Rows (i, subject, body, first name, last name) the generator picks from by id."""
    import random

    rng = random.Random(20240611)
    rows = []
    for i in range(TEXTS):
        words = rng.choices(WORDS, k=rng.randint(20, 70))
        body = " ".join(words).capitalize() + "."
        rows.append((i, SUBJECTS[i % len(SUBJECTS)], body, FIRST_NAMES[i % len(FIRST_NAMES)],
                     LAST_NAMES[(i * 7) % len(LAST_NAMES)]))
    return rows


@dataclass
class Generated:
    conversations: int = 0
    messages: int = 0
    people: int = 0
    identities: int = 0
    tag_links: int = 0
    long_conversation_id: int = 0
    short_conversation_id: int = 0
    common_tag: str = COMMON_TAG
    generation_s: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)


class Generator:
    def __init__(self, sizes: Sizes, console):
        from django.db import connection

        self.sizes = sizes
        self.console = console
        self.connection = connection
        self.d = Dialect(connection.vendor)
        self.result = Generated()
        self.now = int(datetime.now(UTC).timestamp())

    def execute(self, sql: str, params=None) -> int:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def scalar(self, sql: str):
        with self.connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]

    # -- orchestration -------------------------------------------------------------------

    def run(self) -> Generated:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        started = time.perf_counter()
        self.prepare_session()
        n = self.sizes.conversations
        chunks = [(lo, min(lo + CHUNK - 1, n)) for lo in range(1, n + 1, CHUNK)]
        p_chunks = [(lo, min(lo + CHUNK - 1, self.sizes.people))
                    for lo in range(1, self.sizes.people + 1, CHUNK)]
        columns = (TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn())
        with Progress(*columns, console=self.console) as progress:
            self.step(progress, "staff, teams, tags, macros", [None], lambda _: self.staff())
            self.step(progress, "organisations", [None], lambda _: self.organisations())
            dropped = self.drop_indexes()
            self.step(progress, "people + identities", p_chunks, self.people)
            self.step(progress, "conversations", chunks, self.conversations)
            self.step(progress, "messages", chunks, self.messages)
            self.step(progress, "tags on conversations", chunks, self.tag_links)
            self.step(progress, "reactions, attachments", [None], lambda _: self.extras())
            self.step(progress, "indexes", dropped, self.create_index)
            self.step(progress, "sequences, analyze", [None], lambda _: self.finish())
        self.result.conversations = self.scalar("SELECT count(*) FROM conversations_conversation")
        self.result.messages = self.scalar("SELECT count(*) FROM conversations_message")
        self.result.people = self.scalar("SELECT count(*) FROM people_person")
        self.result.identities = self.scalar("SELECT count(*) FROM people_identity")
        self.result.tag_links = self.scalar(
            "SELECT count(*) FROM conversations_conversation_tags")
        self.result.generation_s = round(time.perf_counter() - started, 1)
        return self.result

    def step(self, progress, label: str, items: list, fn) -> None:
        task = progress.add_task(label, total=len(items))
        started = time.perf_counter()
        for item in items:
            fn(item)
            progress.advance(task)
        self.result.steps[label] = round(time.perf_counter() - started, 1)

    def prepare_session(self) -> None:
        self.connection.ensure_connection()
        if self.d.pg:
            self.execute(PG_BENCH_U)
            for setting in ("synchronous_commit = off", "maintenance_work_mem = '1GB'",
                            "work_mem = '256MB'", "max_parallel_maintenance_workers = 2"):
                self.execute(f"SET {setting}")
            try:
                # Skips the FK triggers during the load (the data is built consistent).
                self.execute("SET session_replication_role = replica")
            except Exception as exc:  # noqa: BLE001 - not a superuser: FKs are checked, slower
                self.console.print(f"[yellow]FK checks stay on: {exc}")
        else:
            raw = self.connection.connection
            raw.create_function("bench_u", 2, _bench_u, deterministic=True)
            for pragma in ("synchronous = OFF", "cache_size = -600000", "temp_store = MEMORY",
                           "foreign_keys = OFF"):
                self.execute(f"PRAGMA {pragma}")
        self.execute("CREATE TEMP TABLE bench_text (i integer PRIMARY KEY, subject text, "
                     "body text, first text, last text)")
        with self.connection.cursor() as cursor:
            cursor.executemany("INSERT INTO bench_text VALUES (%s, %s, %s, %s, %s)", make_texts())
        self.execute("CREATE TEMP TABLE bench_k (k integer PRIMARY KEY)")
        with self.connection.cursor() as cursor:
            cursor.executemany("INSERT INTO bench_k VALUES (%s)",
                               [(k,) for k in range(1, LONG_CONVERSATION_MESSAGES + 1)])

    # -- the big tables: drop secondary indexes, load, rebuild -----------------------------

    BIG_TABLES = ("people_person", "people_identity", "conversations_conversation",
                  "conversations_message", "conversations_conversation_tags")

    def drop_indexes(self) -> list[tuple[str, str]]:
        """Drop the secondary indexes of the big tables; return how to rebuild them."""
        rebuild: list[tuple[str, str]] = []
        for table in self.BIG_TABLES:
            if self.d.pg:
                with self.connection.cursor() as cursor:
                    cursor.execute(
                        """SELECT ci.relname, pg_get_indexdef(i.indexrelid), con.conname,
                                  pg_get_constraintdef(con.oid)
                           FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid
                           LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid
                                AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u')
                           WHERE i.indrelid = %s::regclass AND NOT i.indisprimary""",
                        [table])
                    rows = cursor.fetchall()
                for index, indexdef, constraint, constraintdef in rows:
                    if constraint:
                        self.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{constraint}"')
                        rebuild.append((table, f'ALTER TABLE "{table}" ADD CONSTRAINT '
                                               f'"{constraint}" {constraintdef}'))
                    else:
                        self.execute(f'DROP INDEX "{index}"')
                        rebuild.append((table, indexdef))
            else:
                with self.connection.cursor() as cursor:
                    cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                                   "AND tbl_name = %s AND sql IS NOT NULL", [table])
                    rows = cursor.fetchall()
                for index, indexdef in rows:
                    self.execute(f'DROP INDEX "{index}"')
                    rebuild.append((table, indexdef))
        return rebuild

    def create_index(self, item: tuple[str, str]) -> None:
        self.execute(item[1])

    # -- rows ------------------------------------------------------------------------------

    def staff(self) -> None:
        from comptoir.accounts.models import Role, Team, User
        from comptoir.conversations.models import Macro, Tag

        teams = Team.objects.bulk_create(
            [Team(name=name, slug=slug, is_support=True) for name, slug in TEAMS])
        languages = [code for code, _ in LANGUAGES]
        users = [User(username="bench", first_name="Bench", last_name="Advocate",
                      role=Role.ADVOCATE, language="en", time_zone="Europe/Paris",
                      spoken_languages=["en", "fr"], password="!")]  # noqa: S106
        users += [
            User(username=f"agent{i:02d}", first_name=FIRST_NAMES[i % len(FIRST_NAMES)],
                 last_name=LAST_NAMES[i % len(LAST_NAMES)], password="!",  # noqa: S106
                 role=Role.LEAD if i % 10 == 0 else Role.ADVOCATE,
                 language=languages[i % len(languages)],
                 spoken_languages=[languages[i % len(languages)], "en"])
            for i in range(1, AGENTS)
        ]
        users = User.objects.bulk_create(users)
        for i, user in enumerate(users):
            user.teams.add(teams[i % len(teams)])
        Tag.objects.bulk_create([Tag(name=name) for name in TAGS])
        Macro.objects.bulk_create([
            Macro(name=f"Macro {i}", language=code, body="Hello {{ customer.first_name }}, ...")
            for code in languages for i in range(1, 9)
        ])
        self.agent0 = self.scalar("SELECT min(id) FROM accounts_user")
        self.team0 = self.scalar("SELECT min(id) FROM accounts_team")
        self.tag0 = self.scalar("SELECT min(id) FROM conversations_tag")
        assert self.scalar("SELECT max(id) FROM accounts_user") == self.agent0 + AGENTS - 1  # noqa: S101
        assert self.scalar("SELECT min(id) FROM conversations_tag WHERE name = " +  # noqa: S101
                           sql_literal(COMMON_TAG)) == self.tag0

    def organisations(self) -> None:
        d, n = self.d, self.sizes.organisations
        self.execute(f"""{d.series(1, n)}
            INSERT INTO people_organisation (id, name, domain, plan, notes, created_at)
            SELECT g.n, 'Organisation ' || g.n, 'org' || g.n || '.example',
                   {d.pick(d.u('g.n', 41), PLANS)}, '',
                   {d.ts(f"{self.now} - {d.floor(d.u('g.n', 42) + ' * ' + str(TWO_YEARS_S * 2))}")}
            FROM g""")

    def people(self, bounds: tuple[int, int]) -> None:
        d, lo, hi = self.d, *bounds
        orgs, people = self.sizes.organisations, self.sizes.people
        u = d.u
        self.execute(f"""{d.series(lo, hi)}
            INSERT INTO people_person (id, name, language, time_zone, organisation_id, plan,
                                       notes, merged_into_id, created_at)
            SELECT g.n, t1.first || ' ' || t2.last, {d.pick(u('g.n', 11), LANGUAGES)}, '',
                   CASE WHEN {u('g.n', 12)} < 0.6
                        THEN 1 + {d.floor(f"{u('g.n', 13)} * {orgs}")} END,
                   {d.pick(u('g.n', 14), PLANS)}, '', NULL,
                   {d.ts(f"{self.now} - {TWO_YEARS_S} - {d.floor(u('g.n', 15) + ' * 31536000')}")}
            FROM g JOIN bench_text t1 ON t1.i = g.n % {TEXTS}
                   JOIN bench_text t2 ON t2.i = (g.n / {TEXTS}) % {TEXTS}""")
        # One email identity per person (same id), a chat visitor id for one in five.
        self.execute(f"""
            INSERT INTO people_identity (id, person_id, kind, network, value, display, proof,
                                         verified_at, created_at, bounce_reason)
            SELECT p.id, p.id, 'email', '', 'customer' || p.id || '@mail' || (p.id % 97)
                   || '.example', '', '', NULL, p.created_at, ''
            FROM people_person p WHERE p.id BETWEEN {lo} AND {hi}""")
        self.execute(f"""
            INSERT INTO people_identity (id, person_id, kind, network, value, display, proof,
                                         verified_at, created_at, bounce_reason)
            SELECT {people} + p.id / 5, p.id, 'chat', '', 'visitor-' || p.id, '', '', NULL,
                   p.created_at, ''
            FROM people_person p WHERE p.id BETWEEN {lo} AND {hi} AND p.id % 5 = 0""")

    def conversations(self, bounds: tuple[int, int]) -> None:
        d, lo, hi = self.d, *bounds
        u, people = d.u, self.sizes.people
        long_id = LONG_ID
        status = d.pick("s.rs", STATUSES)
        self.execute(f"""{d.series(lo, hi)}
            INSERT INTO conversations_conversation (
                id, subject, status, priority, channel, language, plan, preview, message_count,
                created_at, updated_at, last_activity_at, version, assignee_id, person_id,
                team_id)
            SELECT s.n, ts.subject,
                   CASE WHEN s.n = {long_id} THEN 'open' ELSE {status} END,
                   {d.pick("s.rp", PRIORITIES)}, {d.pick("s.rc", CHANNELS)},
                   p.language, p.plan, substr(tl.body, 1, 200), s.mc,
                   {d.ts("s.la - (s.mc - 1) * s.gap")}, {d.ts("s.la")}, {d.ts("s.la")},
                   s.mc + 1,
                   CASE WHEN s.ra < (CASE WHEN s.rs < 0.04 THEN 0.3
                                          WHEN s.rs < 0.10 THEN 0.8 ELSE 0.95 END)
                        THEN {self.agent0} + {d.floor(f"{u('s.n', 7)} * {AGENTS}")} END,
                   s.pid,
                   CASE WHEN s.rt >= 0.2
                        THEN {self.team0} + {d.floor(f"{u('s.n', 8)} * {len(TEAMS)}")} END
            FROM (
                SELECT g.n AS n,
                       1 + {d.floor(f"{u('g.n', 1)} * {people}")} AS pid,
                       CASE WHEN g.n = {long_id} THEN {LONG_CONVERSATION_MESSAGES}
                            ELSE 1 + {d.floor(u('g.n', 2) + ' * 5')}
                                   + {d.floor(u('g.n', 3) + ' * 5')} END AS mc,
                       CASE WHEN g.n = {long_id} THEN {self.now} - 3600
                            ELSE {self.now} - {d.floor(f"{u('g.n', 4)} * {TWO_YEARS_S}")}
                       END AS la,
                       CASE WHEN g.n = {long_id} THEN 60 ELSE 600 + (g.n * 7919) % 86400
                       END AS gap,
                       {u('g.n', 5)} AS rs, {u('g.n', 6)} AS rp, {u('g.n', 9)} AS rc,
                       {u('g.n', 10)} AS ra, {u('g.n', 16)} AS rt
                FROM g
            ) s
            JOIN people_person p ON p.id = s.pid
            JOIN bench_text ts ON ts.i = s.n % {TEXTS}
            JOIN bench_text tl ON tl.i = (s.n * 31 + s.mc * 7) % {TEXTS}""")

    def messages(self, bounds: tuple[int, int]) -> None:
        d, lo, hi = self.d, *bounds
        # Message k of a conversation is at last_activity_at - (count - k) * gap; the last
        # one's text is the conversation's preview. Inbound messages carry the person and
        # their email identity (same id); replies and notes the assignee (or an agent).
        self.execute(f"""
            INSERT INTO conversations_message (
                kind, channel, body_text, body_html, language, external_id, idempotency_key,
                created_at, author_id, conversation_id, identity_id, person_id, meta)
            SELECT m.kind, m.channel, t.body, '', m.language,
                   CASE WHEN m.kind = 'inbound' AND m.channel = 'email'
                        THEN '<' || m.cid || '.' || m.k || '@mail.example>' ELSE '' END,
                   NULL, {d.ts("m.la - (m.mc - m.k) * m.gap")},
                   CASE WHEN m.kind <> 'inbound'
                        THEN COALESCE(m.assignee_id, {self.agent0} + m.cid % {AGENTS}) END,
                   m.cid,
                   CASE WHEN m.kind = 'inbound' THEN m.person_id END,
                   CASE WHEN m.kind = 'inbound' THEN m.person_id END, '{{}}'
            FROM (
                SELECT c.id AS cid, c.channel AS channel, c.language AS language,
                       c.message_count AS mc, c.assignee_id AS assignee_id,
                       c.person_id AS person_id, {d.epoch("c.last_activity_at")} AS la,
                       CASE WHEN c.id = {LONG_ID} THEN 60 ELSE 600 + (c.id * 7919) % 86400
                       END AS gap,
                       bk.k AS k,
                       CASE WHEN bk.k = 1 THEN 'inbound'
                            WHEN (c.id + bk.k) % 9 = 0 THEN 'note'
                            WHEN bk.k % 2 = 0 THEN 'reply' ELSE 'inbound' END AS kind
                FROM conversations_conversation c
                JOIN bench_k bk ON bk.k <= c.message_count
                WHERE c.id BETWEEN {lo} AND {hi}
            ) m
            JOIN bench_text t ON t.i = (m.cid * 31 + m.k * 7) % {TEXTS}
            ORDER BY m.cid, m.k""")

    def tag_links(self, bounds: tuple[int, int]) -> None:
        d, lo, hi = self.d, *bounds
        r = d.u("c.id * 4 + bk.k", 21)
        self.execute(f"""
            INSERT INTO conversations_conversation_tags (conversation_id, tag_id)
            SELECT DISTINCT c.id, {self.tag0} + {d.floor(f"{r} * {r} * {len(TAGS)}")}
            FROM conversations_conversation c
            JOIN bench_k bk ON bk.k <= 1 + c.id % 3
            WHERE c.id BETWEEN {lo} AND {hi} AND {d.u('c.id', 20)} < {TAGGED_SHARE}""")

    def extras(self) -> None:
        """A few attachments and reactions on the long conversation, so the conversation
        page's prefetches do real work; two tags on it too."""
        from comptoir.accounts.models import User
        from comptoir.conversations.models import (
            Attachment,
            Blob,
            Conversation,
            Message,
            Reaction,
            Tag,
        )

        conversation = Conversation.objects.get(pk=LONG_ID)
        conversation.tags.add(*Tag.objects.filter(name__in=[COMMON_TAG, "bug"]))
        messages = list(Message.objects.filter(conversation=conversation).order_by("id"))
        assert len(messages) == LONG_CONVERSATION_MESSAGES  # noqa: S101
        blobs = Blob.objects.bulk_create([
            Blob(sha256=f"{i:064x}", size=1000 * i + 17, file=f"blobs/00/{i:064x}")
            for i in range(1, 6)
        ])
        Attachment.objects.bulk_create([
            Attachment(message=messages[i * 9], blob=blob, filename=f"screenshot-{i}.png",
                       content_type="image/png")
            for i, blob in enumerate(blobs)
        ])
        agents = list(User.objects.order_by("id")[:6])
        Reaction.objects.bulk_create([
            Reaction(message=messages[i * 4], user=agents[(i + j) % len(agents)], emoji=emoji)
            for i in range(10) for j, emoji in enumerate(("👀", "✅")[: 1 + i % 2])
        ])
        self.result.long_conversation_id = LONG_ID
        self.result.short_conversation_id = Conversation.objects.filter(
            message_count=3, status__in=["new", "open"]).values_list("pk", flat=True).first()

    def finish(self) -> None:
        tables = ("people_organisation", "people_person", "people_identity",
                  "conversations_conversation")
        if self.d.pg:
            self.execute("SET session_replication_role = DEFAULT")
            for table in tables:
                self.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"(SELECT max(id) FROM {table}))")
            self.execute("VACUUM (ANALYZE)")
        else:
            self.execute("PRAGMA foreign_keys = ON")
            self.execute("ANALYZE")
            self.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def write_marker(meta: dict) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_inbox_meta "
                       "(k varchar(50) PRIMARY KEY, v text NOT NULL)")
        cursor.execute("DELETE FROM bench_inbox_meta")
        cursor.execute("INSERT INTO bench_inbox_meta (k, v) VALUES ('dataset', %s)",
                       [json.dumps(meta)])


# --------------------------------------------------------------------------------------------
# measurement


@dataclass
class Measurement:
    name: str
    url: str
    label: str
    samples_ms: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    queries: int = 0
    rows: int = 0
    captured: list[dict] = field(default_factory=list)

    def p(self, q: int) -> float:
        if len(self.samples_ms) == 1:
            return self.samples_ms[0]
        return statistics.quantiles(self.samples_ms, n=100, method="inclusive")[q - 1]


ROW_RE = re.compile(r'<tr class="row ')
# The "More conversations" row's link (the page also carries its own cursor elsewhere).
CURSOR_RE = re.compile(r'<tr class="more">.*?cursor=([A-Za-z0-9_-]+)"', re.DOTALL)


class SqlTimer:
    """Database execute wrapper: the time spent inside ``cursor.execute`` during a request.

    On SQLite part of a query's work happens while its rows are fetched, after execute()
    returns, so this under-counts there; on PostgreSQL (psycopg fetches every row in
    execute) it is the query time plus the round trip."""

    def __init__(self):
        self.total = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.total += time.perf_counter() - started


def get(client, url: str):
    """One request, then what Django's handler does once a response is sent
    (``close_old_connections``: SQLite reconnects per request, PostgreSQL keeps its
    connection for CONN_MAX_AGE)."""
    response = client.get(url)
    get_close(response, url)
    return response


def timed_get(client, url: str) -> tuple[float, float]:
    """(server ms, SQL ms) of one request."""
    from django.db import connection

    timer = SqlTimer()
    with connection.execute_wrapper(timer):
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
    get_close(response, url)
    return elapsed * 1000, timer.total * 1000


def get_close(response, url: str) -> None:
    from django.db import close_old_connections

    close_old_connections()
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}")


def captured_get(client, url: str):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    get_close(response, url)
    return response, ctx.captured_queries


def next_cursor(response) -> str | None:
    match = CURSOR_RE.search(response.content.decode())
    return match.group(1) if match else None


def walk(client, url: str, pages: int) -> tuple[str | None, int, list[int]]:
    """Follow the "More" cursor from page 1 towards page ``pages``; return the cursor of the
    deepest page reached (``pages``, or the last page if there are fewer), its number, and
    the query count of every page before it."""
    cursor, page, counts = None, 1, []
    while page < pages:
        response, captured = captured_get(client, url + (f"&cursor={cursor}" if cursor else ""))
        found = next_cursor(response)
        if found is None:
            break
        counts.append(len(captured))
        cursor, page = found, page + 1
    return cursor, page, counts


def time_it(client, m: Measurement, runs: int, warmup: int) -> None:
    for _ in range(warmup):
        get(client, m.url)
    for _ in range(runs):
        server_ms, sql_ms = timed_get(client, m.url)
        m.samples_ms.append(server_ms)
        m.sql_ms.append(sql_ms)
    response, captured = captured_get(client, m.url)
    m.queries = len(captured)
    m.captured = captured
    m.rows = len(ROW_RE.findall(response.content.decode()))


def explain(m: Measurement, top: int = 3) -> None:
    from django.db import connection

    print(f"\n=== {m.name}: {m.url} — {m.queries} queries; the {top} slowest:")
    slowest = sorted(m.captured, key=lambda q: float(q["time"]), reverse=True)[:top]
    for q in slowest:
        sql = q["sql"]
        print(f"\n--- {float(q['time']) * 1000:.2f} ms: {sql[:2000]}")
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                print("\n".join(row[0] for row in cursor.fetchall()))
            else:
                cursor.execute("EXPLAIN QUERY PLAN " + sql)
                print("\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall()))


def measure(args: argparse.Namespace, meta: dict) -> tuple[list[Measurement], dict]:
    from django.test import Client

    from comptoir.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username="bench"))
    tag, long_id = meta["common_tag"], meta["long_conversation_id"]
    base = "/inbox/?view=open"
    filtered = f"{base}&language=fr&plan=paid&tag={tag}"

    # Walk to page 100 through the real "More" links, counting each page's queries.
    cursor, deep_page, page_counts = walk(client, base, 100)
    if cursor is None:
        raise SystemExit("the open view has a single page: use a larger --scale")
    filtered_cursor, _, _ = walk(client, filtered, 2)
    measurements = [
        Measurement("inbox_first_page", base, "inbox, first page (view=open)"),
        Measurement("inbox_page_100", f"{base}&cursor={cursor}",
                    f"inbox, page {deep_page} (keyset)"),
        Measurement("inbox_filtered", filtered, "inbox, language+plan+tag"),
        Measurement("inbox_counts", "/inbox/counts/", "inbox counts (5 views)"),
        Measurement("conversation_page", f"/c/{long_id}/", "conversation, 50 messages"),
    ]
    for m in measurements:
        time_it(client, m, args.runs, args.warmup)
    # Constant query counts: compare with page 2 of the filtered view and a short conversation.
    checks: dict[str, object] = {"inbox_deep_page": deep_page,
                                 "inbox_pages_before_queries": sorted(set(page_counts))}
    if filtered_cursor:
        _, captured = captured_get(client, f"{filtered}&cursor={filtered_cursor}")
        checks["inbox_filtered_page_2_queries"] = len(captured)
    if meta.get("short_conversation_id"):
        _, captured = captured_get(client, f"/c/{meta['short_conversation_id']}/")
        checks["conversation_3_messages_queries"] = len(captured)
    return measurements, checks


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_environment(args)
    from rich.console import Console

    console = Console(stderr=True)
    sizes = Sizes.for_scale(args.db, args.scale)
    wanted = {"schema": SCHEMA_VERSION, "target_conversations": sizes.conversations}
    meta = read_marker(args)
    reuse = bool(args.keep and meta and all(meta.get(k) == v for k, v in wanted.items()))
    if args.keep and not reuse:
        console.print("[yellow]--keep: no matching data set in the bench database; generating")
    if not reuse:
        reset_database(args)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if not reuse:
        console.print(f"Generating {sizes.conversations:,} conversations on {connection.vendor}"
                      f" ({connection.settings_dict['NAME']})...")
        started = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        migrate_s = round(time.perf_counter() - started, 1)
        generated = Generator(sizes, console).run()
        meta = {**wanted, **generated.__dict__, "migrate_s": migrate_s}
        write_marker(meta)
        console.print(f"Generated in {generated.generation_s:.1f} s: {generated.steps}")
        connection.close()
    else:
        console.print(f"Reusing the data set generated earlier ({meta['generation_s']} s).")

    measurements, checks = measure(args, meta)

    if args.explain:
        for m in measurements:
            explain(m)

    vendor = connection.vendor
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\ncomptoir inbox benchmark — {vendor}, {meta['conversations']:,} conversations, "
          f"{meta['messages']:,} messages, {meta['people']:,} people, "
          f"{meta['tag_links']:,} tag links")
    print(f"generation {meta['generation_s']:.1f} s{' (reused)' if reuse else ''}; "
          f"{args.runs} timed requests each after {args.warmup} warm-up; "
          f"Django test client, server time; {os.cpu_count()} CPUs, load {load}")
    steps = ", ".join(f"{k} {v}" for k, v in meta["steps"].items())
    print(f"generation steps (s): migrate {meta.get('migrate_s')}, {steps}")
    header = (f"{'measurement':<32}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}{'sql p50':>9}"
              f"{'queries':>9}{'rows':>6}")
    print(header)
    print("-" * len(header))
    for m in measurements:
        flag = " !" if vendor == "postgresql" and m.p(95) >= TARGET_P95_MS else ""
        print(f"{m.label:<32}{m.p(50):>8.1f}{m.p(95):>8.1f}{max(m.samples_ms):>8.1f}"
              f"{statistics.median(m.sql_ms):>9.1f}{m.queries:>9}{m.rows or '':>6}{flag}")
    by_name = {m.name: m for m in measurements}
    constant = (
        checks["inbox_pages_before_queries"] == [by_name["inbox_page_100"].queries]
        and by_name["inbox_first_page"].queries == by_name["inbox_page_100"].queries
        and checks.get("inbox_filtered_page_2_queries", by_name["inbox_filtered"].queries)
        == by_name["inbox_filtered"].queries
        and checks.get("conversation_3_messages_queries", by_name["conversation_page"].queries)
        == by_name["conversation_page"].queries
    )
    print(f"queries per inbox page: page 1 = {by_name['inbox_first_page'].queries}, "
          f"pages 1-{checks['inbox_deep_page'] - 1} = {checks['inbox_pages_before_queries']}, "
          f"page {checks['inbox_deep_page']} = {by_name['inbox_page_100'].queries}, "
          f"filtered = {by_name['inbox_filtered'].queries} "
          f"(its page 2 = {checks.get('inbox_filtered_page_2_queries', '-')}); "
          f"conversation page: 50 messages = {by_name['conversation_page'].queries}, "
          f"3 messages = {checks.get('conversation_3_messages_queries', '-')} "
          f"-> {'constant' if constant else 'NOT constant'}")
    if vendor == "postgresql":
        misses = [m.name for m in measurements if m.p(95) >= TARGET_P95_MS]
        print(f"target p95 < {TARGET_P95_MS:.0f} ms: "
              f"{'met' if not misses else 'missed by ' + ', '.join(misses)}")

    figures: dict[str, object] = {
        "db": vendor, "conversations": meta["conversations"], "messages": meta["messages"],
        "generation_s": meta["generation_s"], "migrate_s": meta.get("migrate_s"),
        "reused": reuse, "runs": args.runs,
    }
    for m in measurements:
        figures[f"{m.name}_p50_ms"] = round(m.p(50), 2)
        figures[f"{m.name}_p95_ms"] = round(m.p(95), 2)
        figures[f"{m.name}_sql_p50_ms"] = round(statistics.median(m.sql_ms), 2)
        figures[f"{m.name}_queries"] = m.queries
    figures.update(checks)
    figures["query_counts_constant"] = constant
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
