"""IMAP polling benchmark: a mailbox's backlog read from a real Dovecot, stored and processed.

    python bench/imap_poll.py                       # 2,000 messages, PostgreSQL, 3 runs
    python bench/imap_poll.py --scale 500 --db sqlite --runs 1

The first poll of an old support address meets thousands of messages. A private Dovecot
(Debian's dovecot-imapd, as the tests run it, on a free loopback port) gets the first
``--scale`` messages of the email benchmark's corpus (`email_intake.py`: five languages, mixed
charsets, 60 % replies, 30 % with attachments), then `imap.poll_mailbox` reads them into a
fresh database whose mailbox routes and runs clocks (the email benchmark's installation).
Timed: the whole poll (SEARCH, sizes, FETCH, raw rows committed with the cursor, processing,
flags), the way it runs (`imap.GROUP` messages a group), and with groups of one (one FETCH,
one commit, one batch of one message and one STORE at a time: close to how polls read mail
before groups, which processed each message with `process_raw`). Medians over `--runs`. The
last line printed is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import email_intake  # the corpus and the installation of the email benchmark
from _setup import REPO, configure_environment, reset_database  # bench/ is on sys.path

sys.path.insert(0, str(REPO))  # the tests' private Dovecot

PG_DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/comptoir_bench_imap"
SQLITE_DEFAULT_PATH = REPO / "var" / "bench" / "imap_poll.sqlite3"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=2_000, help="messages in the backlog")
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg-url", default=os.environ.get("COMPTOIR_BENCH_IMAP_PG_URL",
                                                           PG_DEFAULT_URL))
    parser.add_argument("--sqlite-path", type=Path, default=SQLITE_DEFAULT_PATH)
    return parser.parse_args(argv)


def poll(args: argparse.Namespace, port: int, group: int) -> dict:
    """One poll of the whole backlog into a fresh database, ``group`` messages a group."""
    from django.core.management import call_command
    from django.db import connection

    from comptoir.email import imap
    from comptoir.email.models import Mailbox
    from tests.email.dovecot import PASSWORD, USER

    connection.close()
    reset_database(args)
    call_command("migrate", interactive=False, verbosity=0)
    address = email_intake.configure_mailbox()
    Mailbox.objects.filter(address=address).update(
        imap_host="127.0.0.1", imap_port=port, imap_ssl=False, imap_username=USER,
        imap_password=PASSWORD)
    mailbox = Mailbox.objects.get(address=address)
    imap.GROUP = group
    started = time.perf_counter()
    cpu = time.process_time()
    summary = imap.poll_mailbox(mailbox)
    seconds = time.perf_counter() - started
    if summary.error or summary.fetched != args.scale:
        raise SystemExit(f"the poll stopped early: {summary}")
    return {"seconds": seconds, "cpu_s": time.process_time() - cpu,
            "msgs_per_s": args.scale / seconds, "failed": summary.failed,
            "duplicates": summary.duplicates, "ignored": summary.ignored}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_environment(args)
    import django

    django.setup()
    from comptoir.email import imap
    from tests.email.dovecot import Dovecot

    corpus = email_intake.load_or_generate(args.scale, args.seed, regenerate=False)
    grouped_size = imap.GROUP
    dovecot = Dovecot()
    dovecot.start()
    try:
        started = time.perf_counter()
        for chunk in corpus.chunks():
            dovecot.append("INBOX", *chunk)
        print(f"{args.scale:,} messages delivered to a private Dovecot in "
              f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
        results: dict[str, list[dict]] = {"grouped": [], "one_by_one": []}
        for run in range(1, args.runs + 1):
            for name, group in (("grouped", grouped_size), ("one_by_one", 1)):
                result = poll(args, dovecot.port, group)
                results[name].append(result)
                print(f"  run {run}/{args.runs}, groups of {group}: {result['seconds']:.1f} s, "
                      f"{result['msgs_per_s']:.0f} msg/s ({result['cpu_s']:.1f} s of CPU)",
                      file=sys.stderr)
    finally:
        dovecot.stop()
        dovecot.remove()

    def median(name: str, key: str) -> float:
        return statistics.median(run[key] for run in results[name])

    grouped, single = median("grouped", "msgs_per_s"), median("one_by_one", "msgs_per_s")
    print(f"\nIMAP poll of a {args.scale:,}-message backlog on {args.db} "
          f"(median of {args.runs}; load {os.getloadavg()[0]:.1f})")
    print(f"  groups of {grouped_size:<4} {grouped:7.0f} msg/s  "
          f"{median('grouped', 'seconds'):6.1f} s")
    print(f"  groups of 1    {single:7.0f} msg/s  {median('one_by_one', 'seconds'):6.1f} s")
    print(f"  {grouped / single:.1f}× faster in groups; failed "
          f"{results['grouped'][0]['failed']}, duplicates {results['grouped'][0]['duplicates']}")
    print(json.dumps({
        "scale": args.scale, "db": args.db, "runs": args.runs, "group": grouped_size,
        "imap_poll_msgs_per_s": round(grouped, 1),
        "imap_poll_msgs_per_s_runs": [round(r["msgs_per_s"], 1) for r in results["grouped"]],
        "imap_poll_one_by_one_msgs_per_s": round(single, 1),
        "imap_poll_one_by_one_msgs_per_s_runs": [round(r["msgs_per_s"], 1)
                                                 for r in results["one_by_one"]],
        "imap_poll_s": round(median("grouped", "seconds"), 2),
        "imap_poll_one_by_one_s": round(median("one_by_one", "seconds"), 2),
        "speedup": round(grouped / single, 2),
        "failed": results["grouped"][0]["failed"],
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
