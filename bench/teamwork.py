"""Whole-team support benchmark: weekly peer-review assignments for Automattic's team.

    python bench/teamwork.py                  # PostgreSQL, 350 reviewers, 12,000 conversations
    python bench/teamwork.py --db sqlite      # the embedded default
    python bench/teamwork.py --scale 0.1      # a quick try (35 reviewers, 1,200 conversations)

It (re)creates its own database, migrates, and builds with the ORM: 7 support teams of
350 people in all (advocates, a few leads), 70 teammates of other teams who answer too but
do not review, customers, and the conversations of the week to sample (12,000 at
``--scale 1``, each with the customer's message and one to three public replies, mostly by
one agent, some by two) plus three earlier weeks of the same size (not to be sampled).

Measured:

- ``review_assignments_s``: ``quality.services.build_assignments`` for the next week, 10
  per reviewer, on an empty week — reading the replies, sampling, the fairness pass and
  writing the rows; the median of ``--runs`` runs (the week's rows deleted in between);
- ``review_assignments_rerun_s``: running it again on a built week (it adds nothing);
- the assignments made, the reviewers short of 10, and the spread of reviews over the
  people reviewed (min, max).

- ``first_reply_scan_s``: one run of ``teamwork.support_days.celebrate_first_replies`` (the
  every-minute scan for first ever replies) with 100,000 ``reply.sent`` events in the table
  (over the last day, every author already recorded) and 50 new ones since the previous run
  (5 of them a newcomer's first reply, celebrated): the median of ``--runs`` runs, each
  after 50 new events (``first_reply_scan_events_read``: what each run read, the new events
  and those of the last five minutes); ``first_reply_scan_day_window_s`` is the query the
  scan ran before it had a cursor, reading the whole day of events (for comparison;
  100,000 events at every scale, ``--reply-events``); ``first_reply_scan_nobody_new_s``
  is the usual minute: 50 new replies, all by people recorded before.

- ``daily_shares_s`` and the other ``daily_shares_*`` figures: ``bench/teamwork_shares.py``
  (1,000 people, 50,000 open conversations at ``--scale 1``), run as a separate process on
  its own database with the same ``--db``, ``--scale`` and ``--runs``; its figures are merged.

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _setup import configure_environment, reset_database  # bench/ is on sys.path

REPO = Path(__file__).resolve().parent.parent
PG_DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/comptoir_bench_teamwork"
SQLITE_DEFAULT_PATH = REPO / "var" / "bench" / "teamwork.sqlite3"
FULL_REVIEWERS = 350
FULL_CONVERSATIONS = 12_000
HISTORY_WEEKS = 3
TEAMS = 7
LANGUAGES = ["en", "en", "en", "fr", "de", "es", "ja"]
FIRST_REPLY_EVENTS = 100_000
NEW_REPLY_EVENTS = 50


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="1.0 = 350 reviewers and 12,000 conversations of the week")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg-url", default=os.environ.get("COMPTOIR_BENCH_TEAMWORK_PG_URL",
                                                           PG_DEFAULT_URL))
    parser.add_argument("--sqlite-path", type=Path, default=SQLITE_DEFAULT_PATH)
    parser.add_argument("--shares-pg-url", default=None,
                        help="teamwork_shares.py's database (default: its own default)")
    parser.add_argument("--shares-sqlite-path", type=Path, default=None)
    parser.add_argument("--reply-events", type=int, default=FIRST_REPLY_EVENTS)
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be > 0")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    args.reviewers = max(TEAMS * 2, round(FULL_REVIEWERS * args.scale))
    args.conversations = max(100, round(FULL_CONVERSATIONS * args.scale))
    return args


def build_staff(args: argparse.Namespace) -> tuple[list[int], list[int]]:
    """Support teams with the reviewers; another team whose people answer but don't review."""
    from django.contrib.auth.hashers import make_password

    from comptoir.accounts.models import Role, Team, User

    no_login = make_password(None)
    teams = [Team.objects.create(name=f"Support {i + 1}", slug=f"support-{i + 1}",
                                 is_support=True) for i in range(TEAMS)]
    other = Team.objects.create(name="Engineering", slug="engineering")
    users = [User(username=f"he{i}", email=f"he{i}@bench.example", password=no_login,
                  role=Role.LEAD if i % 25 == 0 else Role.ADVOCATE,
                  spoken_languages=["en", LANGUAGES[i % len(LANGUAGES)]])
             for i in range(args.reviewers)]
    users += [User(username=f"eng{i}", email=f"eng{i}@bench.example", password=no_login,
                   role=Role.TEAMMATE) for i in range(args.reviewers // 5)]
    User.objects.bulk_create(users, batch_size=1000)
    reviewers = list(User.objects.filter(username__startswith="he").order_by("id")
                     .values_list("id", flat=True))
    teammates = list(User.objects.filter(username__startswith="eng").order_by("id")
                     .values_list("id", flat=True))
    Membership = User.teams.through
    Membership.objects.bulk_create(
        [Membership(user_id=u, team_id=teams[i % TEAMS].pk) for i, u in enumerate(reviewers)]
        + [Membership(user_id=u, team_id=other.pk) for u in teammates], batch_size=1000)
    return reviewers, teammates


def build_conversations(count: int, week_start: datetime, rng: random.Random,
                        agents: list[int], people: list[int]) -> None:
    from comptoir.conversations.models import Conversation, Message, MessageKind

    seconds = 7 * 24 * 3600
    conversations = []
    for i in range(count):
        opened = week_start + timedelta(seconds=rng.randrange(seconds - 3 * 3600))
        conversations.append(Conversation(
            subject=f"Question {i}", status="solved", channel="email",
            language=LANGUAGES[i % len(LANGUAGES)], person_id=rng.choice(people),
            assignee_id=rng.choice(agents), created_at=opened, updated_at=opened,
            last_activity_at=opened, message_count=1))
    Conversation.objects.bulk_create(conversations, batch_size=2000)
    messages = []
    for conversation in conversations:
        at = conversation.created_at
        messages.append(Message(conversation=conversation, kind=MessageKind.INBOUND,
                                channel="email", person_id=conversation.person_id,
                                body_text="Hello, I need help.", created_at=at))
        authors = [conversation.assignee_id] * rng.choice((1, 1, 2, 3))
        if rng.random() < 0.2:
            authors.append(rng.choice(agents))  # a colleague stepped in
        for author in authors:
            at += timedelta(minutes=rng.randrange(5, 50))
            messages.append(Message(conversation=conversation, kind=MessageKind.REPLY,
                                    channel="email", author_id=author,
                                    body_text="Here is how to do it.", created_at=at))
        conversation.message_count = 1 + len(authors)
        conversation.last_activity_at = at
    Message.objects.bulk_create(messages, batch_size=5000)
    Conversation.objects.bulk_update(conversations, ["message_count", "last_activity_at"],
                                     batch_size=2000)


def analyse() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_environment(args)
    reset_database(args)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from comptoir.people.models import Person
    from comptoir.quality import services
    from comptoir.quality.models import Assignment

    rng = random.Random(args.seed)
    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"migrated in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    started = time.perf_counter()
    review_week = services.week_start(datetime.now(UTC)) + timedelta(days=7)
    sampled_from = datetime.combine(review_week - timedelta(days=7), datetime.min.time(),
                                    tzinfo=UTC)
    with transaction.atomic():
        reviewers, teammates = build_staff(args)
        Person.objects.bulk_create([Person(name=f"Customer {i}")
                                    for i in range(args.conversations // 2)], batch_size=2000)
        people = list(Person.objects.values_list("id", flat=True))
        agents = reviewers + teammates
        for weeks_back in range(HISTORY_WEEKS, -1, -1):
            build_conversations(args.conversations, sampled_from - timedelta(weeks=weeks_back),
                                rng, agents, people)
            print(f"  week -{weeks_back}: {args.conversations:,} conversations",
                  file=sys.stderr)
    analyse()
    print(f"generated in {time.perf_counter() - started:.1f} s: {len(reviewers)} reviewers, "
          f"{len(teammates)} other teammates, {args.conversations:,} conversations of the week "
          f"(+ {HISTORY_WEEKS} earlier weeks)", file=sys.stderr)

    runs = []
    result = None
    for run in range(args.runs):
        Assignment.objects.filter(week=review_week).delete()
        started = time.perf_counter()
        result = services.build_assignments(review_week)
        runs.append(time.perf_counter() - started)
        print(f"  run {run + 1}: {runs[-1]:.3f} s, {result.created:,} assignments",
              file=sys.stderr)
    started = time.perf_counter()
    rerun = services.build_assignments(review_week)
    rerun_s = time.perf_counter() - started
    if result is None:  # --runs is at least 1
        raise SystemExit("no run")
    received = Counter(Assignment.objects.filter(week=review_week)
                       .values_list("reviewee_id", flat=True))
    per_reviewer = Counter(Assignment.objects.filter(week=review_week)
                           .values_list("reviewer_id", flat=True))
    figures = {
        "db": args.db,
        "scale": args.scale,
        "cores": os.cpu_count(),
        "reviewers": result.reviewers,
        "conversations_of_week": result.candidates,
        "review_assignments_s": round(statistics.median(runs), 3),
        "review_assignments_runs_s": [round(r, 3) for r in runs],
        "review_assignments_rerun_s": round(rerun_s, 3),
        "rerun_created": rerun.created,
        "assignments": result.total,
        "reviewers_short": result.short,
        "per_reviewer_min": min(per_reviewer.values()),
        "per_reviewer_max": max(per_reviewer.values()),
        "reviewed_people": len(received),
        "reviews_per_person_min": min(received.values()),
        "reviews_per_person_max": max(received.values()),
    }
    print(f"review assignments: median {figures['review_assignments_s']} s over {args.runs} "
          f"runs; {result.total:,} assignments for {result.reviewers} reviewers; each reviewed "
          f"person gets {figures['reviews_per_person_min']}–"
          f"{figures['reviews_per_person_max']} reviews; rerun {rerun_s:.3f} s "
          f"({rerun.created} added)", file=sys.stderr)
    figures.update(first_reply_scan(args, agents, rng))
    figures.update(daily_shares(args))
    print(json.dumps(figures))
    return 0


def first_reply_scan(args: argparse.Namespace, agents: list[int], rng: random.Random) -> dict:
    """Time the every-minute first-reply scan on a table of ``--reply-events`` reply events
    of the last day, each run after ``NEW_REPLY_EVENTS`` new ones."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.db.models import Q
    from django.urls import reverse

    from comptoir.accounts.models import Role, User
    from comptoir.conversations.events import EventKind
    from comptoir.conversations.models import Conversation, Event, Message, MessageKind
    from comptoir.teamwork import support_days
    from comptoir.teamwork.models import FirstReplyScan

    now = datetime.now(UTC)
    conversation_ids = list(Conversation.objects.values_list("id", flat=True)[:5000])
    events = [Event(conversation_id=rng.choice(conversation_ids), kind=EventKind.REPLY_SENT,
                    actor_id=rng.choice(agents), data={},
                    created_at=now - timedelta(seconds=rng.randrange(600, 24 * 3600)))
              for _ in range(args.reply_events)]
    with transaction.atomic():
        Event.objects.bulk_create(events, batch_size=5000)
    analyse()
    started = time.perf_counter()
    recorded = len(support_days.celebrate_first_replies())  # the first run ever: every author
    print(f"first-reply scan: {args.reply_events:,} reply events, first run "
          f"{time.perf_counter() - started:.3f} s ({recorded} people recorded)", file=sys.stderr)
    reverse("conversation", args=[1])  # the URLconf, imported once by a worker's first cheer
    no_login = make_password(None)
    runs, window_runs, celebrated, read = [], [], 0, []
    for run in range(args.runs):
        newcomers = User.objects.bulk_create(
            [User(username=f"new{run}-{i}", email=f"new{run}-{i}@bench.example",
                  password=no_login, role=Role.TEAMMATE) for i in range(5)])
        newcomer_ids = list(User.objects.filter(username__startswith=f"new{run}-")
                            .values_list("id", flat=True))
        at = datetime.now(UTC)
        new_events = []
        for i in range(NEW_REPLY_EVENTS):
            author = newcomer_ids[i] if i < len(newcomers) else rng.choice(agents)
            conversation_id = rng.choice(conversation_ids)
            if i < len(newcomers):
                Message.objects.create(conversation_id=conversation_id, kind=MessageKind.REPLY,
                                       channel="email", author_id=author,
                                       body_text="My first answer!", created_at=at)
            new_events.append(Event(conversation_id=conversation_id,
                                    kind=EventKind.REPLY_SENT, actor_id=author, data={},
                                    created_at=at))
        Event.objects.bulk_create(new_events)
        cursor = FirstReplyScan.objects.get().last_event_id
        read.append(Event.objects.filter(kind=EventKind.REPLY_SENT).filter(
            Q(pk__gt=cursor) | Q(created_at__gte=datetime.now(UTC)
                                 - support_days.LATE_COMMIT_GRACE)).count())
        started = time.perf_counter()
        found = support_days.celebrate_first_replies()
        runs.append(time.perf_counter() - started)
        celebrated += sum(1 for row in found if row.celebrated)
        started = time.perf_counter()
        _day_window_scan(at)
        window_runs.append(time.perf_counter() - started)
        print(f"  scan {run + 1}: {runs[-1] * 1000:.1f} ms with the cursor "
              f"({read[-1]} events read, {len(found)} people found); reading the day's "
              f"events alone, as before: {window_runs[-1] * 1000:.1f} ms", file=sys.stderr)
    quiet = []
    for _run in range(args.runs):  # the usual minute: 50 replies, nobody new among them
        at = datetime.now(UTC)
        Event.objects.bulk_create([Event(conversation_id=rng.choice(conversation_ids),
                                         kind=EventKind.REPLY_SENT, actor_id=rng.choice(agents),
                                         data={}, created_at=at)
                                   for _ in range(NEW_REPLY_EVENTS)])
        started = time.perf_counter()
        if support_days.celebrate_first_replies():
            raise SystemExit("nobody new replied, yet somebody was found")
        quiet.append(time.perf_counter() - started)
    print(f"  with nobody new among the 50: {statistics.median(quiet) * 1000:.1f} ms",
          file=sys.stderr)
    return {
        "first_reply_scan_s": round(statistics.median(runs), 4),
        "first_reply_scan_nobody_new_s": round(statistics.median(quiet), 4),
        "first_reply_scan_runs_s": [round(r, 4) for r in runs],
        "first_reply_scan_day_window_s": round(statistics.median(window_runs), 4),
        "first_reply_scan_events": args.reply_events,
        "first_reply_scan_new_events": NEW_REPLY_EVENTS,
        "first_reply_scan_celebrated": celebrated,
        "first_reply_scan_events_read": read,
    }


def _day_window_scan(now: datetime) -> int:
    """What the scan read before its cursor: the day's reply events' distinct authors."""
    from comptoir.conversations.events import EventKind
    from comptoir.conversations.models import Event
    from comptoir.teamwork.models import FirstReply

    return len(set(Event.objects.filter(kind=EventKind.REPLY_SENT,
                                        created_at__gte=now - timedelta(days=1),
                                        actor_id__isnull=False)
                   .exclude(actor_id__in=FirstReply.objects.values("user_id"))
                   .order_by().values_list("actor_id", flat=True).distinct()))


def daily_shares(args: argparse.Namespace) -> dict:
    """The daily-share figures, from ``teamwork_shares.py`` in a process of its own (it
    configures Django for its own database); its progress goes to our stderr."""
    command = [sys.executable, str(Path(__file__).with_name("teamwork_shares.py")),
               "--db", args.db, "--scale", str(args.scale), "--runs", str(args.runs)]
    if args.shares_pg_url:
        command += ["--pg-url", args.shares_pg_url]
    if args.shares_sqlite_path:
        command += ["--sqlite-path", str(args.shares_sqlite_path)]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)  # noqa: S603
    shares = json.loads(done.stdout.strip().splitlines()[-1])
    return {k: v for k, v in shares.items() if k.startswith("daily_shares")}


if __name__ == "__main__":
    sys.exit(main())
