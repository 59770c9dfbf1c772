"""Satisfaction surveys benchmark: the CSAT report's comments, the beat offering the
surveys that are due, and customers answering on the public page.

    python bench/csat.py                  # PostgreSQL, 200,000 surveys over 90 days
    python bench/csat.py --db sqlite      # the embedded default
    python bench/csat.py --scale 0.01     # a quick try (2,000 surveys)

It (re)creates its own database and migrates. The surveys of the report (and their
conversations and customers) are written in bulk — what is timed is reading them; the
surveys that are due are made by the real beat task from conversations solved through
``conversations.services``, sent by email to the file outbox (jobs run in the process).

Measured:

- ``comments_30d_ms`` / ``comments_90d_ms``: the part of the CSAT page still read from the
  survey rows, the latest 200 comments (index ``survey_commented``), median of 5;
  ``comments_filtered_ms``: the same over 90 days for one channel and one language. The
  page's figures come from the ``reports.SurveyDay`` rollup, which the workers keep from the
  ``csat.*`` events: ``bench/reports.py`` times the whole page (``csat_*_ms``) on
  1,000,000 conversations. ``csat_90d`` / ``response_rate_90d`` here are counted from the
  rows;
- ``search_ms``: the comments searched for two words over 90 days;
- ``offer_s`` / ``offer_ms``: the beat task making and emailing the due surveys, in all and
  per survey; ``rerun_ms``: the beat again (nothing to do);
- ``answer_ms``: a customer's rating and comment posted on the public page (median).

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from _setup import reset_database  # bench/ is on sys.path

REPO = Path(__file__).resolve().parent.parent
PG_DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/comptoir_bench_csat"
SQLITE_DEFAULT_PATH = REPO / "var" / "bench" / "csat.sqlite3"
FULL_SURVEYS = 200_000
FULL_DUE = 1_000
DAYS = 90
LANGUAGES = ["en", "fr", "de", "es", "ja"]
CHANNELS = ["email", "email", "email", "chat", "web"]
WORDS = ["slow", "invoice", "thanks", "refund", "quick", "kind", "broken", "export"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="1.0 = 200,000 surveys and 1,000 due at once")
    parser.add_argument("--pg-url", default=os.environ.get("COMPTOIR_BENCH_CSAT_PG_URL",
                                                           PG_DEFAULT_URL))
    parser.add_argument("--sqlite-path", type=Path, default=SQLITE_DEFAULT_PATH)
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be > 0")
    args.surveys = max(100, round(FULL_SURVEYS * args.scale))
    args.due = max(20, round(FULL_DUE * args.scale))
    return args


def configure_environment(args: argparse.Namespace, var_dir: str) -> None:
    os.environ["COMPTOIR_VAR_DIR"] = var_dir  # the outbox; never the developer's var/
    os.environ["COMPTOIR_DATABASE_URL"] = (
        args.pg_url if args.db == "postgresql" else f"sqlite:///{args.sqlite_path.resolve()}"
    )
    os.environ["DJANGO_SETTINGS_MODULE"] = "comptoir.settings"
    os.environ["COMPTOIR_DEBUG"] = "0"
    os.environ["COMPTOIR_TASKS_EAGER"] = "1"
    os.environ["COMPTOIR_SMTP_URL"] = ""


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def timed(call, runs: int = 5) -> float:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        samples.append(time.perf_counter() - began)
    return median_ms(samples)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    var_dir = tempfile.mkdtemp(prefix="comptoir-bench-csat-")
    configure_environment(args, var_dir)
    reset_database(args)

    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone

    from comptoir.accounts.models import Role, Team, User
    from comptoir.conversations import services as conversations
    from comptoir.conversations.inbound import Inbound
    from comptoir.conversations.models import Conversation, Event, Status
    from comptoir.email.models import Mailbox
    from comptoir.people.models import IdentityKind, Person
    from comptoir.reports.filters import ReportFilter
    from comptoir.reports.queries import percent
    from comptoir.surveys import queries, tasks
    from comptoir.surveys.models import Survey, SurveyState
    from comptoir.surveys.tokens import make_token

    call_command("migrate", interactive=False, verbosity=0)
    rng = random.Random(20270301)
    now = timezone.now()
    teams = [Team.objects.create(name=f"Team {i}", slug=f"team-{i}") for i in range(4)]

    # --- the surveys of the report, in bulk ----------------------------------------------------
    started = time.perf_counter()
    batch = 5000
    for first in range(0, args.surveys, batch):
        count = min(batch, args.surveys - first)
        with transaction.atomic():
            people = Person.objects.bulk_create(
                [Person(name=f"Customer {first + i}") for i in range(count)])
            rows = []
            for person in people:
                created = now - timedelta(days=rng.uniform(1, DAYS))
                rows.append(Conversation(
                    subject="Question", status=Status.SOLVED, channel=rng.choice(CHANNELS),
                    language=rng.choice(LANGUAGES), person=person,
                    team=rng.choice(teams), created_at=created, updated_at=created,
                    last_activity_at=created))
            made = Conversation.objects.bulk_create(rows)
            surveys = []
            for conversation in made:
                sent = conversation.created_at + timedelta(days=1)
                survey = Survey(conversation=conversation, person_id=conversation.person_id,
                                language=conversation.language, channel=conversation.channel,
                                state=SurveyState.SENT, solved_at=conversation.created_at,
                                created_at=sent, sent_at=sent,
                                expires_at=sent + timedelta(days=14))
                if rng.random() < 0.45:
                    survey.rating = "good" if rng.random() < 0.85 else "bad"
                    survey.answered_at = sent + timedelta(hours=rng.uniform(0, 48))
                    if rng.random() < 0.3:
                        survey.comment = " ".join(rng.choices(WORDS, k=8))
                surveys.append(survey)
            Survey.objects.bulk_create(surveys)
    print(f"{args.surveys:,} surveys written in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)
    with connection.cursor() as cursor:  # fresh statistics, as autovacuum would leave them
        cursor.execute("ANALYZE")

    last30 = ReportFilter.from_query({"range": "30"})
    last90 = ReportFilter.from_query({"range": "90"})
    filtered = ReportFilter.from_query({"range": "90", "channel": "email", "language": "fr"})
    counted = queries.tally(queries.offered(last90))
    figures = {
        "surveys": args.surveys,
        "csat_90d": percent(counted.score), "response_rate_90d": percent(counted.response_rate),
        "comments_30d_ms": timed(lambda: queries.comments(queries.offered(last30))),
        "comments_90d_ms": timed(lambda: queries.comments(queries.offered(last90))),
        "comments_filtered_ms": timed(lambda: queries.comments(queries.offered(filtered))),
        "search_ms": timed(lambda: queries.comments(queries.offered(last90), "slow invoice")),
    }

    # --- the beat offering the surveys that are due ------------------------------------------
    Mailbox.objects.create(address="support@bench.example", name="Bench Support", language="en")
    agent = User.objects.create_user("bench-agent", "agent@bench.example", "x",
                                     role=Role.ADVOCATE)
    for i in range(args.due):
        conversation = conversations.receive(Inbound(
            channel="email", identity_kind=IdentityKind.EMAIL,
            identity_value=f"due{i}@bench.example", sender_name=f"Due {i}",
            subject=f"Invoice {i}", text="Where is my invoice?",
            language=LANGUAGES[i % len(LANGUAGES)], mailbox="support@bench.example",
            received_at=now - timedelta(hours=30),
        )).conversation
        conversations.update(conversation, agent, status=Status.SOLVED)
    Conversation.objects.filter(subject__startswith="Invoice").update(
        updated_at=now - timedelta(hours=25))
    Event.objects.filter(conversation__subject__startswith="Invoice",
                         kind="status.changed").update(created_at=now - timedelta(hours=25))
    began = time.perf_counter()
    offered = 0
    while True:  # the beat, run until nothing is left (it takes a batch at a time)
        made = tasks.offer_due()
        offered += made
        if not made:
            break
    offer_s = time.perf_counter() - began
    sent = Survey.objects.filter(conversation__subject__startswith="Invoice",
                                 state=SurveyState.SENT).count()
    outbox = len(list((Path(var_dir) / "outbox").glob("*.eml")))
    rerun = timed(tasks.offer_due, runs=3)
    figures.update(due=args.due, offered=offered, sent=sent, emails=outbox,
                   offer_s=round(offer_s, 2), offer_ms=round(offer_s * 1000 / max(offered, 1), 2),
                   rerun_ms=rerun)

    # --- customers answering ---------------------------------------------------------------------
    client = Client()
    samples = []
    for survey in Survey.objects.filter(state=SurveyState.SENT,
                                        conversation__subject__startswith="Invoice")[:50]:
        cache.clear()  # one customer each: the per-address limit is not what is measured
        url = f"/survey/{make_token(survey.pk)}/"
        began = time.perf_counter()
        response = client.post(url, {"rating": "bad", "reason": "slow",
                                     "comment": "Two days for an invoice."})
        samples.append(time.perf_counter() - began)
        assert response.status_code == 302, response.status_code  # noqa: S101
    figures["answer_ms"] = median_ms(samples)
    figures["db"] = args.db

    for key, value in figures.items():
        print(f"{key:>20}: {value}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
