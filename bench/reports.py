"""Reports benchmark: every report over 30 and 365 days, with and without filters, on rollups
built from a large event log; the time to build those rollups from scratch; the time one
incremental refresh takes (how far behind real time the figures run).

    python bench/reports.py --db postgresql --scale 1     # 1,000,000 conversations, ~10 M events
    python bench/reports.py --db sqlite --scale 1         # 100,000 conversations, ~1 M events
    python bench/reports.py --db postgresql --scale 0.1   # a quicker try
    python bench/reports.py --db postgresql --keep        # reuse the data and rollups of last time

It generates the event log server-side (INSERT ... SELECT over a number series, in the shape
``conversations.services`` writes it: creation, customer messages, team routing, replies,
status changes, tags, notes, reopens), then runs ``reports.services.rebuild()`` (the code
``comptoir rebuild-rollups`` runs) and times each report page through Django's test client
as a lead. The last line printed is one JSON object: ``<report>_<range>_ms`` (p50 server
time), ``rollup_rebuild_s``, ``refresh_<n>_events_ms`` and the data set's size.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from _setup import REPO, configure_environment, reset_database  # bench/ is on sys.path

SCHEMA_VERSION = 5  # bump when the generated data changes shape: --keep then regenerates
FULL_SIZE = {"postgresql": 1_000_000, "sqlite": 100_000}  # conversations at --scale 1
PG_DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/comptoir_bench_reports"
SQLITE_DEFAULT_PATH = REPO / "var" / "bench" / "reports.sqlite3"
TARGET_MS = 500.0
SPAN_DAYS = 400  # conversations are spread over the last 400 days
CHUNK = 50_000

LANGUAGES = [("en", 0.50), ("fr", 0.15), ("de", 0.15), ("es", 0.12), ("ja", 0.08)]
PLANS = [("free", 0.55), ("paid", 0.30), ("premium", 0.10), ("enterprise", 0.05)]
CHANNELS = [("email", 0.55), ("web", 0.15), ("chat", 0.20), ("social", 0.05), ("forum", 0.03),
            ("api", 0.02)]
TAGS = ["billing", "bug", "refund", "login", "feature-request", "invoice", "api", "mobile",
        "export", "vip"]
TEAMS = [("Support EMEA", "support-emea", "Europe/Paris", True),
         ("Support Americas", "support-americas", "America/New_York", True),
         ("Support APAC", "support-apac", "Asia/Tokyo", True),
         ("Product & Engineering", "product", "Europe/Berlin", False)]
AGENTS = 40  # the last ten are engineers, designers... outside support
FILTER = "channel=email&language=en&tag=billing"
REPORTS = [("overview", "/reports/", FILTER), ("response", "/reports/response-times/", FILTER),
           ("resolution", "/reports/resolution/", FILTER), ("volume", "/reports/volume/", FILTER),
           ("participation", "/reports/participation/", "team={product_team}"),
           ("csat", "/reports/satisfaction/", FILTER)]
SEARCH = ("csat_search", "/reports/satisfaction/", "q=invoice")  # comments, raw survey rows
# Satisfaction surveys: one in five solved conversations is surveyed an hour after its solve
# (not those reopened), three in ten surveys are answered within two days, mostly good.
SURVEYED, ANSWERED, GOOD = 0.20, 0.30, 0.88
REASONS = [("slow", 0.4), ("not_solved", 0.35), ("unfriendly", 0.1), ("other", 0.15)]
COMMENTS = [("Quick and kind, thank you!", 0.3), ("Found my invoice in minutes.", 0.2),
            ("Two days for a refund is too long.", 0.2), ("The export is still broken.", 0.15),
            ("Slow, but the invoice is right now.", 0.15)]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="1.0 = 1,000,000 conversations on PostgreSQL, 100,000 on SQLite "
                             "(~10 events each)")
    parser.add_argument("--runs", type=int, default=10, help="timed requests per report")
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests first")
    parser.add_argument("--keep", action="store_true",
                        help="reuse the data set and rollups of an earlier run of the same size")
    parser.add_argument("--pg-url", default=os.environ.get("COMPTOIR_BENCH_REPORTS_PG_URL",
                                                           PG_DEFAULT_URL))
    parser.add_argument("--sqlite-path", type=Path, default=SQLITE_DEFAULT_PATH)
    parser.add_argument("--compare-scale", type=float, default=None,
                        help="also time the incremental refreshes on a second data set of this "
                             "scale, in a database of its own (default: a tenth of --scale; "
                             "0: not)")
    parser.add_argument("--refresh-only", action="store_true",
                        help="time the incremental refreshes only, not the pages")
    args = parser.parse_args(argv)
    if args.scale <= 0 or args.runs < 1:
        parser.error("--scale must be > 0 and --runs >= 1")
    if args.compare_scale is None:
        args.compare_scale = 0.0 if args.refresh_only else args.scale / 10
    return args


def compare_refresh(args: argparse.Namespace) -> dict:
    """The refreshes again on a data set ``--compare-scale`` the size (its own database,
    kept between runs like the main one), in a process of its own: the same work on tables
    of another size should cost the same."""
    import subprocess
    import sys

    command = [sys.executable, __file__, "--db", args.db, "--scale", str(args.compare_scale),
               "--refresh-only", "--compare-scale", "0"]
    if args.keep:
        command.append("--keep")
    if args.db == "postgresql":
        command += ["--pg-url", args.pg_url.split("?")[0] + "_compare"]
    else:
        command += ["--sqlite-path", str(args.sqlite_path.with_name(
            args.sqlite_path.stem + "_compare" + args.sqlite_path.suffix))]
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)  # noqa: S603
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return {f"compare_{k}": v for k, v in figures.items()
            if k.startswith("refresh_") or k in ("conversations", "events", "scale")}


def read_marker(args: argparse.Namespace) -> dict | None:
    try:
        if args.db == "postgresql":
            import psycopg

            with psycopg.connect(args.pg_url, connect_timeout=5) as conn:
                row = conn.execute("SELECT v FROM bench_reports_meta WHERE k = 'dataset'"
                                   ).fetchone()
        else:
            import sqlite3

            if not args.sqlite_path.exists():
                return None
            with sqlite3.connect(args.sqlite_path) as conn:
                row = conn.execute("SELECT v FROM bench_reports_meta WHERE k = 'dataset'"
                                   ).fetchone()
    except Exception:  # noqa: BLE001 - no database, no table: nothing to reuse
        return None
    return json.loads(row[0]) if row else None


def write_marker(meta: dict) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_reports_meta "
                       "(k varchar(50) PRIMARY KEY, v text NOT NULL)")
        cursor.execute("DELETE FROM bench_reports_meta")
        cursor.execute("INSERT INTO bench_reports_meta (k, v) VALUES ('dataset', %s)",
                       [json.dumps(meta)])


# --------------------------------------------------------------------------------------------
# generation

_MASK = (1 << 64) - 1


def _bench_u(n: int, salt: int) -> float:
    """splitmix64 of (n, salt) scaled to [0, 1) (SQLite's random() is not repeatable)."""
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


def lit(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'" if isinstance(value, str) else str(value)


class Generator:
    """Conversations and their events, generated inside the database."""

    def __init__(self, conversations: int, console):
        from django.db import connection

        self.n = conversations
        self.people = max(50, conversations // 3)
        self.console = console
        self.connection = connection
        self.pg = connection.vendor == "postgresql"
        self.now = int(datetime.now(UTC).timestamp())
        self.steps: dict[str, float] = {}

    def execute(self, sql: str, params=None) -> int:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def scalar(self, sql: str):
        with self.connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]

    # SQL spellings that differ
    def series(self, lo: int, hi: int) -> str:
        if self.pg:
            return f"WITH g(n) AS (SELECT generate_series(CAST({lo} AS bigint), {hi}))"
        return f"WITH RECURSIVE g(n) AS (SELECT {lo} UNION ALL SELECT n + 1 FROM g WHERE n < {hi})"

    def ts(self, epoch: str) -> str:
        return f"to_timestamp({epoch})" if self.pg else f"datetime({epoch}, 'unixepoch')"

    def epoch(self, column: str) -> str:
        if self.pg:
            return f"CAST(extract(epoch FROM {column}) AS bigint)"
        return f"CAST(strftime('%s', {column}) AS INTEGER)"

    def floor(self, expr: str) -> str:
        return f"CAST(floor({expr}) AS bigint)" if self.pg else f"CAST({expr} AS INTEGER)"

    def pick(self, u: str, choices: list[tuple[object, float]]) -> str:
        parts, acc = [], 0.0
        for value, p in choices[:-1]:
            acc += p
            parts.append(f"WHEN {u} < {acc:.4f} THEN {lit(value)}")
        return f"CASE {' '.join(parts)} ELSE {lit(choices[-1][0])} END"

    def json(self, *pairs: tuple[str, str]) -> str:
        """A JSON object from (key, SQL text expression) pairs; ``#`` marks a number."""
        parts = []
        for key, expr in pairs:
            if key.startswith("#"):
                parts.append(f"'\"{key[1:]}\": ' || CAST({expr} AS text)")
            else:
                parts.append(f"'\"{key}\": \"' || {expr} || '\"'")
        body = " || ', ' || ".join(parts)
        text = f"'{{' || {body} || '}}'"
        return f"CAST({text} AS jsonb)" if self.pg else text

    def run(self) -> dict:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.prepare()
        chunks = [(lo, min(lo + CHUNK - 1, self.n)) for lo in range(1, self.n + 1, CHUNK)]
        with Progress(TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=self.console) as progress:
            self.step(progress, "staff, teams, people", [None], lambda _: self.staff())
            dropped = self.drop_indexes()
            self.step(progress, "conversations", chunks, self.conversations)
            self.step(progress, "events", chunks, self.events)
            self.step(progress, "surveys, tags", chunks, self.surveys)
            self.step(progress, "indexes", dropped, lambda sql: self.execute(sql))
            self.step(progress, "analyze", [None], lambda _: self.finish())
        return {"conversations": self.scalar("SELECT count(*) FROM conversations_conversation"),
                "events": self.scalar("SELECT count(*) FROM conversations_event"),
                "surveys": self.scalar("SELECT count(*) FROM surveys_survey"),
                "surveys_rated": self.scalar("SELECT count(*) FROM surveys_survey "
                                             "WHERE rating <> ''"),
                "generation_steps_s": self.steps}

    def step(self, progress, label, items, fn) -> None:
        task = progress.add_task(label, total=len(items))
        started = time.perf_counter()
        for item in items:
            fn(item)
            progress.advance(task)
        self.steps[label] = round(time.perf_counter() - started, 1)

    def prepare(self) -> None:
        self.connection.ensure_connection()
        if self.pg:
            self.execute(PG_BENCH_U)
            for setting in ("synchronous_commit = off", "maintenance_work_mem = '1GB'",
                            "work_mem = '256MB'"):
                self.execute(f"SET {setting}")
            try:
                self.execute("SET session_replication_role = replica")  # no FK triggers
            except Exception as exc:  # noqa: BLE001 - not a superuser: slower, still right
                self.console.print(f"[yellow]FK checks stay on: {exc}")
        else:
            raw = self.connection.connection
            raw.create_function("bench_u", 2, _bench_u, deterministic=True)
            raw.create_function("power", 2, pow, deterministic=True)  # no math functions built in
            for pragma in ("synchronous = OFF", "cache_size = -600000", "temp_store = MEMORY",
                           "foreign_keys = OFF"):
                self.execute(f"PRAGMA {pragma}")

    def staff(self) -> None:
        from comptoir.accounts.models import Role, Team, User
        from comptoir.conversations.models import Tag

        teams = Team.objects.bulk_create([Team(name=n, slug=s, time_zone=z, is_support=sup)
                                          for n, s, z, sup in TEAMS])
        users = [User(username="bench", first_name="Bench", last_name="Lead", role=Role.LEAD,
                      password="!", language="en", time_zone="Europe/Paris")]  # noqa: S106
        users += [User(username=f"agent{i:02d}", first_name=f"Agent {i}", password="!",  # noqa: S106
                       role=Role.ADVOCATE if i < AGENTS - 10 else Role.TEAMMATE)
                  for i in range(AGENTS)]
        users = User.objects.bulk_create(users)
        users[0].teams.add(teams[0])
        for i, user in enumerate(users[1:]):
            user.teams.add(teams[3] if i >= AGENTS - 10 else teams[i % 3])
        Tag.objects.bulk_create([Tag(name=t) for t in TAGS])
        self.team0 = teams[0].pk
        self.agent0 = users[1].pk
        self.product_team = teams[3].pk
        self.execute(f"""{self.series(1, self.people)}
            INSERT INTO people_person (id, name, language, time_zone, organisation_id, plan,
                                       notes, merged_into_id, created_at)
            SELECT g.n, 'Customer ' || g.n, {self.pick("bench_u(g.n, 11)", LANGUAGES)}, '',
                   NULL, {self.pick("bench_u(g.n, 14)", PLANS)}, '', NULL,
                   {self.ts(str(self.now - 3 * 365 * 86400))}
            FROM g""")

    BIG_TABLES = ("conversations_conversation", "conversations_event")

    def drop_indexes(self) -> list[str]:
        rebuild = []
        for table in self.BIG_TABLES:
            with self.connection.cursor() as cursor:
                if self.pg:
                    cursor.execute("""SELECT ci.relname, pg_get_indexdef(i.indexrelid)
                        FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid
                        WHERE i.indrelid = %s::regclass AND NOT i.indisprimary
                          AND NOT i.indisunique""", [table])
                else:
                    cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                                   "AND tbl_name = %s AND sql IS NOT NULL", [table])
                rows = cursor.fetchall()
            for name, definition in rows:
                self.execute(f'DROP INDEX "{name}"')
                rebuild.append(definition)
        return rebuild

    def conversations(self, bounds: tuple[int, int]) -> None:
        lo, hi = bounds
        # ids grow with time, as they do in production: conversation n opens at its share
        # of the 400 days, give or take an hour
        created = (f"{self.now - SPAN_DAYS * 86400} + "
                   f"{self.floor(f'(g.n - 1) * {SPAN_DAYS * 86400 / self.n}')} + "
                   f"{self.floor('bench_u(g.n, 1) * 3600')}")
        self.execute(f"""{self.series(lo, hi)}
            INSERT INTO conversations_conversation (
                id, subject, status, priority, channel, language, plan, preview, message_count,
                created_at, updated_at, last_activity_at, version, assignee_id, person_id,
                team_id)
            SELECT g.n, 'Question ' || g.n, 'solved', 2,
                   {self.pick("bench_u(g.n, 2)", CHANNELS)}, p.language, p.plan, '', 2,
                   {self.ts(created)}, {self.ts(created)}, {self.ts(created)}, 1, NULL, p.id,
                   {self.team0} + {self.floor("bench_u(g.n, 4) * 3")}
            FROM g JOIN people_person p
              ON p.id = 1 + {self.floor(f"bench_u(g.n, 3) * {self.people}")}""")

    def base(self, lo: int, hi: int) -> str:
        """One row per conversation with its instants and choices."""
        u = "bench_u(c.id, {})".format
        agent = f"{self.agent0} + {self.floor(u(20) + f' * {AGENTS}')}"
        agent2 = f"{self.agent0} + {self.floor(u(21) + f' * {AGENTS - 10}')}"
        frt = self.floor(f"power({u(5)}, 6) * 259200")
        wait = self.floor(f"power({u(6)}, 3) * 172800")
        nrt = self.floor(f"power({u(7)}, 5) * 86400")
        solve_wait = self.floor(f"power({u(8)}, 2) * 604800")
        reopen_wait = self.floor(f"{u(9)} * 432000")
        return f"""
            SELECT c.id AS cid, c.person_id AS pid, c.channel AS ch, c.plan AS plan,
                   c.language AS lang, c.team_id AS team,
                   {self.epoch("c.created_at")} AS t0,
                   {frt} AS frt, {wait} AS w, {nrt} AS nrt, {solve_wait} AS sw,
                   {reopen_wait} AS rw, {agent} AS a1, {agent2} AS a2,
                   CASE WHEN {u(10)} < 0.5 THEN 'pending' ELSE 'open' END AS st1,
                   {u(11)} < 0.6 AS turn2, {u(12)} < 0.9 AS solved, {u(13)} < 0.3 AS tagged,
                   {u(14)} < 0.3 AS noted, {u(15)} < 0.08 AS reopened,
                   {u(17)} < 0.15 AS celebrated, {u(22)} < {SURVEYED} AS surveyed,
                   {u(23)} < {ANSWERED} AS answered, {u(24)} < {GOOD} AS good,
                   {self.floor(f"power({u(25)}, 3) * 172800")} AS aw,
                   {self.floor(f"power({u(16)}, 2) * {len(TAGS)}")} AS tag
            FROM conversations_conversation c WHERE c.id BETWEEN {lo} AND {hi}"""

    SOLVE_AT = ("(CASE WHEN b.turn2 THEN b.t0 + b.frt + b.w + b.nrt "
                "ELSE b.t0 + b.frt + b.sw END)")

    def events(self, bounds: tuple[int, int]) -> None:
        """About ten events per conversation, as the services write them. Times are epoch
        seconds; an event that would be in the future is not written (and, being later,
        neither is anything after it), so every conversation is a consistent prefix."""
        lo, hi = bounds
        base = self.base(lo, hi)
        solve_at = self.SOLVE_AT
        solve_from = "(CASE WHEN b.turn2 THEN 'open' ELSE b.st1 END)"
        tags = "CASE b.tag " + " ".join(f"WHEN {i} THEN {lit(t)}" for i, t in enumerate(TAGS)) \
            + " END"
        j = self.json
        slots = [  # (kind, at, actor, data, condition)
            ("conversation.created", "b.t0", "NULL",
             j(("channel", "b.ch"), ("plan", "b.plan"), ("#person_id", "b.pid"),
               ("language", "b.lang")), "TRUE"),
            ("message.received", "b.t0", "NULL", j(("channel", "b.ch")), "TRUE"),
            ("team.changed", "b.t0", "NULL", j(("#to", "b.team")), "TRUE"),
            ("tag.added", "b.t0 + 60", "b.a2", j(("tag", tags)), "b.tagged"),
            ("reply.sent", "b.t0 + b.frt", "b.a1", j(("channel", "b.ch")), "TRUE"),
            ("assignee.changed", "b.t0 + b.frt", "b.a1", j(("#to", "b.a1")), "TRUE"),
            ("status.changed", "b.t0 + b.frt", "b.a1", j(("from", "'new'"), ("to", "b.st1")),
             "TRUE"),
            ("note.added", "b.t0 + b.frt + 30", "b.a2", j(("#message_id", "0")), "b.noted"),
            ("message.received", "b.t0 + b.frt + b.w", "NULL", j(("channel", "b.ch")),
             "b.turn2"),
            ("status.changed", "b.t0 + b.frt + b.w", "NULL",
             j(("from", "'pending'"), ("to", "'open'")), "b.turn2 AND b.st1 = 'pending'"),
            ("reply.sent", "b.t0 + b.frt + b.w + b.nrt", "b.a2", j(("channel", "b.ch")),
             "b.turn2"),
            ("assignee.changed", "b.t0 + b.frt + b.w + b.nrt", "b.a2", j(("#to", "b.a2")),
             "b.turn2"),
            ("reaction.added", "b.t0 + b.frt + 60", "b.a2", j(("emoji", "'🎉'")),
             "b.celebrated"),
            ("status.changed", solve_at, "b.a1", j(("from", solve_from), ("to", "'solved'")),
             "b.solved"),
            ("message.received", f"{solve_at} + b.rw", "NULL", j(("channel", "b.ch")),
             "b.solved AND b.reopened"),
            ("conversation.reopened", f"{solve_at} + b.rw", "NULL", j(("from", "'solved'")),
             "b.solved AND b.reopened"),
            ("status.changed", f"{solve_at} + b.rw", "NULL",
             j(("from", "'solved'"), ("to", "'open'")), "b.solved AND b.reopened"),
            ("reply.sent", f"{solve_at} + b.rw + b.nrt", "b.a1", j(("channel", "b.ch")),
             "b.solved AND b.reopened"),
            ("status.changed", f"{solve_at} + b.rw + b.nrt", "b.a1",
             j(("from", "'open'"), ("to", "'solved'")), "b.solved AND b.reopened"),
            ("csat.offered", f"{solve_at} + 3600", "NULL",
             j(("#survey_id", "b.cid"), ("channel", self.survey_channel),
               ("language", "b.lang")), self.SURVEYED),
            ("csat.rated", f"{solve_at} + 3600 + b.aw", "NULL",
             j(("#survey_id", "b.cid"), ("rating", self.rating), ("previous", "''"),
               ("reason", self.reason)), f"{self.SURVEYED} AND b.answered"),
        ]
        for kind, at, actor, data, condition in slots:
            self.execute(f"""
                INSERT INTO conversations_event (conversation_id, person_id, kind, actor_id,
                                                 data, created_at)
                SELECT b.cid, b.pid, {lit(kind)}, {actor}, {data}, {self.ts(at)}
                FROM ({base}) b WHERE {condition} AND {at} <= {self.now}""")

    SURVEYED = "b.solved AND b.surveyed AND NOT b.reopened"
    survey_channel = "CASE WHEN b.ch IN ('chat', 'web') THEN b.ch ELSE 'email' END"
    rating = "CASE WHEN b.good THEN 'good' ELSE 'bad' END"

    @property
    def reason(self) -> str:
        return f"CASE WHEN b.good THEN '' ELSE {self.pick('bench_u(b.cid, 26)', REASONS)} END"

    def surveys(self, bounds: tuple[int, int]) -> None:
        """The survey rows the ``csat.*`` events stand for (id = conversation id), and the
        conversations' tags (the report filters read them)."""
        lo, hi = bounds
        base = self.base(lo, hi)
        sent = f"{self.SOLVE_AT} + 3600"
        rated = f"b.answered AND {sent} + b.aw <= {self.now}"
        comment = (f"CASE WHEN bench_u(b.cid, 27) < 0.4 THEN "
                   f"{self.pick('bench_u(b.cid, 28)', COMMENTS)} ELSE '' END")
        self.execute(f"""
            INSERT INTO surveys_survey (id, conversation_id, person_id, language, channel,
                recipient, state, skip_reason, solved_at, created_at, sent_at, expires_at,
                expiry_days, attempts, next_attempt_at, error, rating, reason, comment,
                answered_at)
            SELECT b.cid, b.cid, b.pid, b.lang, {self.survey_channel}, '', 'sent', '',
                   {self.ts(self.SOLVE_AT)}, {self.ts(sent)}, {self.ts(sent)},
                   {self.ts(f"{sent} + 14 * 86400")}, 14, 1, NULL, '',
                   CASE WHEN {rated} THEN {self.rating} ELSE '' END,
                   CASE WHEN {rated} THEN {self.reason} ELSE '' END,
                   CASE WHEN {rated} THEN {comment} ELSE '' END,
                   CASE WHEN {rated} THEN {self.ts(f"{sent} + b.aw")} ELSE NULL END
            FROM ({base}) b WHERE {self.SURVEYED} AND {sent} <= {self.now}""")
        tags = "CASE b.tag " + " ".join(f"WHEN {i} THEN {lit(t)}" for i, t in enumerate(TAGS)) \
            + " END"
        self.execute(f"""
            INSERT INTO conversations_conversation_tags (conversation_id, tag_id)
            SELECT b.cid, t.id FROM ({base}) b JOIN conversations_tag t ON t.name = {tags}
            WHERE b.tagged AND b.t0 + 60 <= {self.now}""")

    def finish(self) -> None:
        if self.pg:
            self.execute("SET session_replication_role = DEFAULT")
            for table in ("people_person", "conversations_conversation", "surveys_survey"):
                self.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"(SELECT max(id) FROM {table}))")
            self.execute("VACUUM (ANALYZE)")
        else:
            self.execute("PRAGMA foreign_keys = ON")
            self.execute("ANALYZE")


# --------------------------------------------------------------------------------------------
# measurement


def time_pages(runs: int, warmup: int, product_team: int) -> tuple[dict, list[str]]:
    from django.db import close_old_connections
    from django.test import Client

    from comptoir.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username="bench"))
    figures, lines = {}, []
    for name, path, filter_query in REPORTS:
        for days in (30, 365):
            for filtered in (False, True):
                query = f"range={days}" + ("&" + filter_query.format(product_team=product_team)
                                            if filtered else "")
                url = f"{path}?{query}"
                samples = []
                for i in range(warmup + runs):
                    started = time.perf_counter()
                    response = client.get(url)
                    elapsed = (time.perf_counter() - started) * 1000
                    close_old_connections()
                    if response.status_code != 200:
                        raise SystemExit(f"GET {url} answered {response.status_code}")
                    if i >= warmup:
                        samples.append(elapsed)
                key = f"{name}_{days}d{'_filtered' if filtered else ''}_ms"
                figures[key] = round(statistics.median(samples), 1)
                figures[key.replace("_ms", "_max_ms")] = round(max(samples), 1)
                mark = "" if figures[key] < TARGET_MS else "  ! over 500 ms"
                lines.append(f"{key:<38} p50 {figures[key]:8.1f} ms   max "
                             f"{max(samples):8.1f} ms{mark}")
    name, path, query = SEARCH
    for days in (30, 365):
        samples = []
        for i in range(warmup + runs):
            started = time.perf_counter()
            response = client.get(f"{path}?range={days}&{query}")
            elapsed = (time.perf_counter() - started) * 1000
            close_old_connections()
            if response.status_code != 200:
                raise SystemExit(f"GET {path} answered {response.status_code}")
            if i >= warmup:
                samples.append(elapsed)
        key = f"{name}_{days}d_ms"
        figures[key] = round(statistics.median(samples), 1)
        figures[key.replace("_ms", "_max_ms")] = round(max(samples), 1)
        mark = "" if figures[key] < TARGET_MS else "  ! over 500 ms"
        lines.append(f"{key:<38} p50 {figures[key]:8.1f} ms   max {max(samples):8.1f} ms{mark}")
    return figures, lines


def time_refresh(events_wanted: int, *, recent: bool = True) -> dict:
    """Append ~``events_wanted`` events through the real services (40 % new conversations,
    60 % replies that solve an existing one), then time the incremental refresh that folds
    them in. ``recent``: the replies go to conversations of the last 7 days (what live
    traffic looks like); otherwise to any conversation of the 400 days (the worst case: each
    touches days spread over the whole year)."""
    import random
    from datetime import timedelta

    from django.utils import timezone

    from comptoir.accounts.models import User
    from comptoir.conversations import services as conversations
    from comptoir.conversations.inbound import Inbound
    from comptoir.conversations.models import Conversation, Event
    from comptoir.reports import services

    rng = random.Random(events_wanted + recent)
    agent = User.objects.get(username="agent00")
    candidates = Conversation.objects.all()
    if recent:
        candidates = candidates.filter(created_at__gte=timezone.now() - timedelta(days=7))
    ids = list(candidates.values_list("id", flat=True)[:200_000])
    before = Event.objects.order_by("-id").values_list("id", flat=True).first()
    written = 0
    while written < events_wanted:
        if rng.random() < 0.4:
            n = rng.randrange(10**9)
            conversations.receive(Inbound(channel="email", identity_kind="email",
                                          identity_value=f"live{n}@bench.example",
                                          sender_name="Live", subject=f"Live {n}",
                                          text="Hello"))
        else:
            conversation = Conversation.objects.get(pk=rng.choice(ids))
            conversations.reply(conversation, agent, "On it.", status="solved")
        written += 2
    appended = Event.objects.filter(id__gt=before).count()
    started = time.perf_counter()
    result = services.refresh()
    elapsed = (time.perf_counter() - started) * 1000
    key = f"refresh_{events_wanted}_events{'' if recent else '_any_age'}"
    return {f"{key}_ms": round(elapsed, 1), f"{key}_conversations": result.conversations,
            f"{key}_days": result.days, f"{key}_appended": appended}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_environment(args)
    from rich.console import Console

    console = Console(stderr=True)
    conversations = max(1000, round(FULL_SIZE[args.db] * args.scale))
    wanted = {"schema": SCHEMA_VERSION, "target_conversations": conversations}
    marker = read_marker(args) if args.keep else None
    reused = bool(marker and all(marker.get(k) == v for k, v in wanted.items()))
    if not reused:
        reset_database(args)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from comptoir.accounts.models import Team
    from comptoir.reports import services

    figures: dict[str, object] = {"db": args.db, "scale": args.scale, "reused": reused}
    if reused:
        meta = marker
        console.print(f"Reusing the data set: {meta['conversations']:,} conversations, "
                      f"{meta['events']:,} events.")
    else:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        figures["migrate_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        generated = Generator(conversations, console).run()
        meta = {**wanted, **generated, "generation_s": round(time.perf_counter() - started, 1)}
        console.print(f"Generated {meta['conversations']:,} conversations and "
                      f"{meta['events']:,} events in {meta['generation_s']} s.")
        console.print("Building the rollups from scratch (reports.services.rebuild)...")
        started = time.perf_counter()
        rebuilt = services.rebuild(workers=os.cpu_count() or 1)
        meta["rollup_rebuild_s"] = round(time.perf_counter() - started, 1)
        meta["rollup_rebuild_steps_s"] = rebuilt.steps
        meta["rollup_rows"] = rebuilt.rows
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE)")
        write_marker(meta)
    figures.update({k: meta[k] for k in ("conversations", "events", "surveys", "surveys_rated",
                                         "generation_s",
                                         "rollup_rebuild_s", "rollup_rebuild_steps_s",
                                         "rollup_rows") if k in meta})
    console.print(f"Rollups rebuilt from scratch in {meta.get('rollup_rebuild_s')} s "
                  f"({meta.get('rollup_rebuild_steps_s')}), {meta.get('rollup_rows'):,} rows.")

    lines: list[str] = []
    if not args.refresh_only:
        product_team = Team.objects.get(slug="product").pk
        pages, lines = time_pages(args.runs, args.warmup, product_team)
        figures.update(pages)
    time_refresh(20)  # a worker is a long-lived process: its statements are built once
    for events in (300, 3000):
        figures.update(time_refresh(events))
    figures.update(time_refresh(300, recent=False))
    if args.compare_scale > 0:
        figures.update(compare_refresh(args))
    print(f"\nReports on {args.db}: {meta['conversations']:,} conversations, "
          f"{meta['events']:,} events; p50 server time over {args.runs} requests "
          f"(target < {TARGET_MS:.0f} ms on PostgreSQL at 1 M)")
    for line in lines:
        print("  " + line)
    print(f"  rollup rebuild from scratch: {figures.get('rollup_rebuild_s')} s")
    for events in (300, 3000):
        print(f"  incremental refresh of ~{events} new events (recent conversations): "
              f"{figures[f'refresh_{events}_events_ms']} ms")
    print(f"  incremental refresh of ~300 new events on conversations of any age: "
          f"{figures['refresh_300_events_any_age_ms']} ms")
    if "compare_conversations" in figures:
        print(f"  the same on {figures['compare_conversations']:,} conversations "
              f"({figures['compare_events']:,} events): "
              f"{figures['compare_refresh_300_events_ms']} / "
              f"{figures['compare_refresh_3000_events_ms']} / "
              f"{figures['compare_refresh_300_events_any_age_ms']} ms")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
