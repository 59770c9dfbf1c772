"""Daily-share benchmark: pick the day's shares for 1,000 people from 50,000 open conversations.

    python bench/teamwork_shares.py                   # PostgreSQL, full size
    python bench/teamwork_shares.py --db sqlite       # the embedded default
    python bench/teamwork_shares.py --scale 0.05      # a quick try (50 people, 2,500)

It (re)creates its own database, migrates, and builds with the ORM: 10 teams in 8 time zones
(support teams and engineering, design, sales...), 1,000 people (a quarter advocates and
leads, the rest teammates; a few observers who get no share), their spoken languages,
working hours (office hours, shifts, a few who never work on the measured day), leave for
some, a share setting for some (0 to 8), 6 skills called for by tags, a mailbox and subject
keywords. Then 50,000 open conversations (new or open) in six languages, each with its first
message: 40 % assigned already, priorities low to urgent, a quarter tagged
``good-first-reply``, some needing a skill, and service-level clocks on the paid ones (due
later, due within the margin, warned, breached).

Measured (``--at``, Wednesday 12:00 UTC by default; the day picked is that UTC date):

- ``daily_shares_s``: ``teamwork.services.pick_shares(day)`` for everyone, from an empty
  day (the shares of earlier runs are deleted first): load the people and the suitable
  conversations, match, write the shares in bulk, commit. Median of ``--runs`` (3);
- ``daily_shares_topup_s``: the same call again on the day just picked (the hourly top-up:
  nothing changed, so nothing is written), median;
- how many people had a share, shares offered, suitable conversations, people offered fewer
  than they wanted (too few conversations in their languages and skills), queries per run.

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _setup import configure_environment, reset_database  # bench/ is on sys.path

REPO = Path(__file__).resolve().parent.parent
PG_DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/comptoir_bench_shares"
SQLITE_DEFAULT_PATH = REPO / "var" / "bench" / "shares.sqlite3"
FULL_PEOPLE = 1_000
FULL_CONVERSATIONS = 50_000
TARGET_S = 2.0
DEFAULT_AT = "2026-11-25T12:00:00+00:00"  # a Wednesday

# slug, name, time zone, local language besides English, support team
TEAMS = [
    ("support-ny", "Support New York", "America/New_York", "es", True),
    ("support-paris", "Support Paris", "Europe/Paris", "fr", True),
    ("support-tokyo", "Support Tokyo", "Asia/Tokyo", "ja", True),
    ("engineering", "Engineering", "Europe/Berlin", "de", False),
    ("engineering-us", "Engineering US", "America/Los_Angeles", "es", False),
    ("design", "Design", "Europe/London", "fr", False),
    ("product", "Product", "America/Sao_Paulo", "es", False),
    ("sales", "Sales", "Asia/Kolkata", "en", False),
    ("marketing", "Marketing", "Australia/Sydney", "en", False),
    ("operations", "Operations", "Europe/Madrid", "es", False),
]
SHIFTS = [  # (share, weekly hours or None for office hours)
    (0.70, None),
    (0.12, {str(d): [["07:00", "15:00"]] for d in range(5)}),
    (0.12, {str(d): [["12:00", "20:00"]] for d in range(5)}),
    (0.06, {"0": [["09:00", "17:00"]], "1": [["09:00", "17:00"]]}),  # not on Wednesdays
]
SKILLS = [  # name, tags, mailboxes, keywords
    ("Billing", ["billing", "refund", "invoice"], ["billing@brioche.example"],
     ["invoice", "refund", "facture", "rechnung", "factura", "請求"]),
    ("API", ["api", "webhooks"], [], ["api", "webhook"]),
    ("Security", ["security", "sso"], [], ["password", "sso"]),
    ("Migrations", ["migration", "import"], [], ["import", "migration"]),
    ("Mobile", ["ios", "android"], [], ["iphone", "android"]),
    ("Legal", ["gdpr", "legal"], [], ["gdpr", "dpa"]),
]
LANGUAGES = [("en", 0.50), ("fr", 0.12), ("de", 0.10), ("es", 0.12), ("ja", 0.10),
             ("other", 0.03), ("", 0.03)]
PRIORITIES = [(1, 0.20), (2, 0.55), (3, 0.15), (4, 0.10)]
SUBJECTS = ["Cannot log in", "Question about my plan", "How do I export my data?",
            "Feature request", "The editor is slow", "Change my email address",
            "Invoice for last month", "API rate limits", "Import from another tool",
            "The iPhone app crashes", "GDPR request", "Thanks!", "Where is the setting?"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="1.0 = 1,000 people and 50,000 open conversations")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--at", default=DEFAULT_AT, help="ISO instant of the picking")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg-url", default=os.environ.get("COMPTOIR_BENCH_SHARES_PG_URL",
                                                           PG_DEFAULT_URL))
    parser.add_argument("--sqlite-path", type=Path, default=SQLITE_DEFAULT_PATH)
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be > 0")
    if args.runs < 1:
        parser.error("--runs must be >= 1")
    args.at = datetime.fromisoformat(args.at.replace("Z", "+00:00")).astimezone(UTC)
    args.people = max(len(TEAMS) * 2, round(FULL_PEOPLE * args.scale))
    args.conversations = max(200, round(FULL_CONVERSATIONS * args.scale))
    return args


def pick(rng: random.Random, choices: list[tuple]) -> object:
    return rng.choices([c[0] for c in choices], weights=[c[-1] for c in choices])[0]


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# the data set


def build_people(args: argparse.Namespace, rng: random.Random) -> dict:
    from comptoir.accounts.models import Team, User
    from comptoir.routing.models import Leave, Skill, WorkingHours
    from comptoir.teamwork.models import ShareSettings

    teams = {slug: Team.objects.create(name=name, slug=slug, time_zone=zone,
                                       is_support=support)
             for slug, name, zone, _language, support in TEAMS}
    skills = [Skill.objects.create(name=name, tags=tags, mailboxes=mailboxes, keywords=keywords)
              for name, tags, mailboxes, keywords in SKILLS]
    users = []
    for n in range(args.people):
        slug, _name, zone, local, support = TEAMS[n % len(TEAMS)]
        roll = rng.random()
        if support:
            role = "advocate" if roll < 0.85 else "lead"
        else:
            role = "teammate" if roll < 0.97 else "observer"
        languages = {"en"} if rng.random() < 0.9 else set()
        languages.add(local)
        if rng.random() < 0.2:
            languages.add(rng.choice(["fr", "de", "es", "ja"]))
        users.append(User(username=f"person{n}", first_name=f"Person{n}", last_name=slug,
                          email=f"person{n}@brioche.example", role=role, time_zone=zone,
                          language=local if local != "en" else "en",
                          spoken_languages=sorted(languages), password="!"))  # noqa: S106 - unusable
    User.objects.bulk_create(users, batch_size=1000)
    users = list(User.objects.filter(username__startswith="person").order_by("pk"))
    memberships, hours, leaves, holders, settings_rows = [], [], [], [], []
    today = args.at.date()
    for n, user in enumerate(users):
        slug = TEAMS[n % len(TEAMS)][0]
        memberships.append(User.teams.through(user_id=user.pk, team_id=teams[slug].pk))
        shift = pick(rng, [(s[1], s[0]) for s in SHIFTS])
        if shift is not None:
            hours.append(WorkingHours(user=user, weekly_hours=shift))
        if rng.random() < 0.05:
            start = today - timedelta(days=rng.randint(0, 6))
            leaves.append(Leave(user=user, starts_on=start,
                                ends_on=start + timedelta(days=rng.randint(0, 13))))
        for skill in rng.sample(skills, rng.randint(0, 2)):
            holders.append(Skill.members.through(user_id=user.pk, skill_id=skill.pk))
        if rng.random() < 0.2:
            settings_rows.append(ShareSettings(user=user, daily_count=rng.randint(0, 8)))
    User.teams.through.objects.bulk_create(memberships, batch_size=2000)
    WorkingHours.objects.bulk_create(hours, batch_size=2000)
    Leave.objects.bulk_create(leaves, batch_size=2000)
    Skill.members.through.objects.bulk_create(holders, batch_size=2000)
    ShareSettings.objects.bulk_create(settings_rows, batch_size=2000)
    return {"teams": teams, "users": users}


def build_conversations(args: argparse.Namespace, rng: random.Random, staff: dict) -> None:
    from comptoir.conversations.models import Conversation, Message, Tag
    from comptoir.people.models import Person
    from comptoir.sla.models import SlaClock

    good = Tag.objects.create(name="good-first-reply")
    skill_tags = [Tag.objects.create(name=name) for _s, tags, _m, _k in SKILLS for name in tags]
    other_tags = [Tag.objects.create(name=name) for name in ("feedback", "bug", "vip", "howto")]
    advocates = [u for u in staff["users"] if u.role in ("advocate", "lead")]
    team_list = list(staff["teams"].values())
    count = args.conversations
    created = args.at - timedelta(days=2)
    batch = 5000
    for first in range(0, count, batch):
        size = min(batch, count - first)
        people = Person.objects.bulk_create(
            [Person(name=f"Customer {first + i}") for i in range(size)], batch_size=2000)
        rows = []
        for i in range(size):
            at = created + timedelta(seconds=rng.randint(0, 170000))
            rows.append(Conversation(
                subject=rng.choice(SUBJECTS), status=rng.choice(("new", "open")),
                channel="email", language=pick(rng, LANGUAGES), person=people[i],
                plan="paid" if rng.random() < 0.4 else "free",
                priority=pick(rng, PRIORITIES),
                team=rng.choice(team_list[:3]) if rng.random() < 0.6 else None,
                assignee=rng.choice(advocates) if rng.random() < 0.4 else None,
                message_count=1, created_at=at, updated_at=at, last_activity_at=at))
        rows = Conversation.objects.bulk_create(rows, batch_size=2000)
        messages, links, clocks = [], [], []
        for conversation in rows:
            mailbox = ("billing@brioche.example" if rng.random() < 0.05
                       else "help@brioche.example")
            messages.append(Message(conversation=conversation, kind="inbound", channel="email",
                                    person_id=conversation.person_id, body_text="Hello, help.",
                                    language=conversation.language, meta={"mailbox": mailbox},
                                    created_at=conversation.created_at))
            if rng.random() < 0.25:
                links.append(Conversation.tags.through(conversation_id=conversation.pk,
                                                       tag_id=good.pk))
            if rng.random() < 0.12:
                links.append(Conversation.tags.through(conversation_id=conversation.pk,
                                                       tag_id=rng.choice(skill_tags).pk))
            if rng.random() < 0.15:
                links.append(Conversation.tags.through(conversation_id=conversation.pk,
                                                       tag_id=rng.choice(other_tags).pk))
            if conversation.plan == "paid":
                roll = rng.random()
                due = args.at + timedelta(hours=rng.uniform(-6, 30))
                clocks.append(SlaClock(
                    conversation=conversation, metric="first_reply",
                    priority=conversation.priority, minutes=480, state="running",
                    started_at=conversation.created_at, due_at=due,
                    warn_at=due - timedelta(hours=1),
                    warned_at=due - timedelta(hours=1) if roll < 0.1 else None,
                    breached_at=due if due < args.at else None))
        Message.objects.bulk_create(messages, batch_size=2000)
        Conversation.tags.through.objects.bulk_create(links, batch_size=2000)
        SlaClock.objects.bulk_create(clocks, batch_size=2000)
        progress(f"  conversations: {first + size:,} / {count:,}")


def analyse() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_environment(args)
    progress(f"resetting the {args.db} bench database")
    reset_database(args)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from comptoir.teamwork import services
    from comptoir.teamwork.models import Share

    rng = random.Random(args.seed)
    started = time.perf_counter()
    progress(f"building {args.people:,} people and {args.conversations:,} open conversations")
    staff = build_people(args, rng)
    build_conversations(args, rng, staff)
    analyse()
    progress(f"built in {time.perf_counter() - started:.1f} s")

    day = args.at.date()
    fresh, topup, queries = [], [], []
    result = None
    for run in range(args.runs):
        Share.objects.all().delete()
        analyse()
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            began = time.perf_counter()
            result = services.pick_shares(day, now=args.at)
            fresh.append(time.perf_counter() - began)
        queries.append(counter.count)
        began = time.perf_counter()
        again = services.pick_shares(day, now=args.at)
        topup.append(time.perf_counter() - began)
        progress(f"  run {run + 1}/{args.runs}: {fresh[-1]:.3f} s ({result.offered:,} shares "
                 f"for {result.people:,} people, {counter.count} queries); top-up "
                 f"{topup[-1]:.3f} s ({again.offered} new, {again.dropped} withdrawn)")
    if result is None:
        raise SystemExit("no run")
    median = statistics.median(fresh)
    print(f"daily shares for {args.people:,} people from {args.conversations:,} open "
          f"conversations on {args.db}: median {median:.3f} s (target < {TARGET_S:.0f} s), "
          f"top-up {statistics.median(topup):.3f} s")
    print(f"{result.people:,} people with a share today, {result.offered:,} shares from "
          f"{result.candidates:,} suitable conversations; {len(result.short):,} offered fewer "
          f"than they wanted")
    figures = {
        "db": args.db, "scale": args.scale, "people": args.people,
        "open_conversations": args.conversations,
        "daily_shares_s": round(median, 3),
        "daily_shares_runs_s": [round(x, 3) for x in fresh],
        "daily_shares_topup_s": round(statistics.median(topup), 3),
        "daily_shares_target_s": TARGET_S,
        "daily_shares_people_with_share": result.people,
        "daily_shares_offered": result.offered,
        "daily_shares_suitable_conversations": result.candidates,
        "daily_shares_people_short": len(result.short),
        "daily_shares_queries": queries[-1],
        "cpu_count": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
