"""Bug follow-ups benchmark: one bug hit by 1,000 customers, fixed, every customer told.

    python bench/bugs.py                  # PostgreSQL, 1,000 affected email conversations
    python bench/bugs.py --db sqlite      # the embedded default
    python bench/bugs.py --scale 0.05     # a quick try (50 conversations)

It (re)creates its own database, migrates, and has the customers write in through
``conversations.services.receive`` to a mailbox (five languages). Jobs run in the calling
process (eager) and email goes to the file outbox in a temporary directory, so what is timed
is comptoir's own work: the replies, their ``Delivery`` rows, and composing each email.

Measured:

- ``link_ms``: linking one conversation to the bug (median);
- ``fix_and_follow_up_s``: ``mark_fixed`` and its job, every customer followed up and their
  email written; ``follow_up_ms``: the same per conversation;
- ``rerun_s``: the job run again (sends nothing);
- ``bug_page_ms``: the bug's page with every customer and the previews (median of 5);
- ``webhook_ms``: a signed GitHub ``issues``/``closed`` delivery for another bug, answered.

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _setup import reset_database  # bench/ is on sys.path

REPO = Path(__file__).resolve().parent.parent
PG_DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/comptoir_bench_bugs"
SQLITE_DEFAULT_PATH = REPO / "var" / "bench" / "bugs.sqlite3"
FULL_CONVERSATIONS = 1000
LANGUAGES = ["en", "fr", "de", "es", "ja"]
SECRET = secrets.token_hex(16)  # made per run: the bench is its own GitHub


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="1.0 = 1,000 affected conversations")
    parser.add_argument("--pg-url", default=os.environ.get("COMPTOIR_BENCH_BUGS_PG_URL",
                                                           PG_DEFAULT_URL))
    parser.add_argument("--sqlite-path", type=Path, default=SQLITE_DEFAULT_PATH)
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be > 0")
    args.conversations = max(10, round(FULL_CONVERSATIONS * args.scale))
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
    os.environ["COMPTOIR_GITHUB_WEBHOOK_SECRET"] = SECRET


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    var_dir = tempfile.mkdtemp(prefix="comptoir-bench-bugs-")
    configure_environment(args, var_dir)
    reset_database(args)

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from comptoir.accounts.models import Role, User
    from comptoir.bugs import services
    from comptoir.bugs.models import BugLink
    from comptoir.conversations import services as conversations
    from comptoir.conversations.inbound import Inbound
    from comptoir.email.models import Delivery, DeliveryStatus, Mailbox
    from comptoir.people.models import IdentityKind

    call_command("migrate", interactive=False, verbosity=0)
    Mailbox.objects.create(address="support@bench.example", name="Bench Support", language="en")
    agent = User.objects.create_user("bench-eng", "eng@bench.example", "x", role=Role.TEAMMATE)
    started = time.perf_counter()
    affected = [
        conversations.receive(Inbound(
            channel="email", identity_kind=IdentityKind.EMAIL,
            identity_value=f"customer{i}@bench.example", sender_name=f"Customer {i}",
            subject=f"Export broken {i}", text="The CSV export fails.",
            language=LANGUAGES[i % len(LANGUAGES)], mailbox="support@bench.example",
        )).conversation
        for i in range(args.conversations)
    ]
    print(f"{len(affected):,} conversations in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)

    bug, _new = services.create_bug(agent, "CSV export 500", "https://github.com/acme/app/issues/1")
    link_times = []
    for conversation in affected:
        began = time.perf_counter()
        services.link(conversation, bug, agent)
        link_times.append(time.perf_counter() - began)

    began = time.perf_counter()
    # its job runs on commit, here in this process (eager)
    services.mark_fixed(bug, agent, "Exports work again since version 2.4.")
    fix_s = time.perf_counter() - began
    followed = BugLink.objects.filter(followed_up_at__isnull=False).count()
    sent = Delivery.objects.filter(status=DeliveryStatus.SENT).count()
    began = time.perf_counter()
    services.send_follow_ups(bug.pk)
    rerun_s = time.perf_counter() - began

    client = Client()
    client.force_login(agent)
    page_times = []
    for _ in range(5):
        began = time.perf_counter()
        if client.get(f"/bugs/{bug.pk}/").status_code != 200:
            raise SystemExit("the bug page failed")
        page_times.append(time.perf_counter() - began)

    other, _new = services.create_bug(agent, "Other", "https://github.com/acme/app/issues/2")
    services.link(affected[0], other, agent)
    body = json.dumps({"action": "closed", "issue": {
        "html_url": "https://github.com/acme/app/issues/2", "number": 2,
        "state_reason": "completed"}, "repository": {"full_name": "acme/app"}}).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    began = time.perf_counter()
    response = Client().post("/hooks/github/", body, content_type="application/json",
                             headers={"X-GitHub-Event": "issues", "X-GitHub-Delivery": "b-1",
                                      "X-Hub-Signature-256": signature})
    webhook_ms = round((time.perf_counter() - began) * 1000, 2)
    if response.status_code != 200:
        raise SystemExit(f"the webhook failed: {response.status_code} {response.content!r}")

    figures = {
        "db": args.db, "conversations": len(affected), "followed_up": followed,
        "emails_written": sent, "link_ms": median_ms(link_times),
        "fix_and_follow_up_s": round(fix_s, 2),
        "follow_up_ms": round(fix_s * 1000 / max(1, followed), 2),
        "rerun_s": round(rerun_s, 3), "bug_page_ms": median_ms(page_times),
        "webhook_ms": webhook_ms, "cpus": os.cpu_count(),
    }
    print(f"linked {len(affected):,} conversations, {figures['link_ms']} ms each (median)")
    print(f"fixed: {followed:,} follow-ups, {sent:,} emails written in {fix_s:.1f} s "
          f"({figures['follow_up_ms']} ms each); run again: {rerun_s * 1000:.0f} ms")
    print(f"bug page with {len(affected):,} customers: {figures['bug_page_ms']} ms (median)")
    print(f"GitHub webhook (signed, issue closed, one customer told): {webhook_ms} ms")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
