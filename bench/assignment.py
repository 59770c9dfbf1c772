"""Assignment benchmark: route 10,000 new conversations to 300 agents across 8 time zones.

    python bench/assignment.py                        # PostgreSQL, 10,000 conversations
    python bench/assignment.py --db sqlite            # the embedded default
    python bench/assignment.py --scale 0.1            # a quick try (1,000 / 30 agents)
    python bench/assignment.py --at 2026-11-28T12:00Z # another instant (a Saturday)

It (re)creates its own database, migrates, and builds with the ORM: 8 support teams in 8 time
zones (Los Angeles to Sydney), 300 people in them (advocates and leads, a few teammates who
are never assigned), their spoken languages, working hours (office hours, early and late
shifts, some weekends), leave for some, 8 skills called for by tags, mailboxes and subject
keywords, regional mailboxes with a team; an existing load (open conversations already
assigned, solved ones that must not count) and earlier automatic assignments (round-robin).
Then the new conversations, each with its first message: five languages and "other", 30 %
tagged, a fifth through a team's mailbox, the rest to the shared address (follow-the-sun).

Measured (``--at``: the instant the rules are read at, Tuesday 14:00 UTC by default: London
and Paris at work, New York and São Paulo starting, Tokyo, Sydney, Los Angeles and Kolkata
off or leaving):

- ``assignments_per_s``: ``routing.services.route_many`` over every new conversation — the
  whole batch, decisions recorded, events written, service-level clocks recomputed where the
  team changed, live updates queued, committed every 500 (as the waiting queue is routed, or
  an import); ``assignments_per_s_without_sla_refresh`` leaves out the time spent in
  ``sla.services.refresh_many`` (``assignment_sla_refresh_s``), and
  ``assignments_per_s_routing_only`` also the live updates sent on commit
  (``realtime.publish``, ``assignment_live_updates_s``);
- ``single_assignments_per_s``: ``routing.services.route`` one conversation at a time, each
  its own transaction (what intake does for every new conversation), over ``--single``
  more conversations;
- queries per assignment for both, how many were assigned or queued and why, the spread of
  the new assignments over the people who got some, the size of the explanations stored.

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
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _setup import configure_environment, reset_database  # bench/ is on sys.path

REPO = Path(__file__).resolve().parent.parent
PG_DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/comptoir_bench_assign"
SQLITE_DEFAULT_PATH = REPO / "var" / "bench" / "assign.sqlite3"
FULL_CONVERSATIONS = 10_000
FULL_AGENTS = 300
TARGET_PER_S = 1000.0
DEFAULT_AT = "2026-11-24T14:00:00+00:00"  # a Tuesday

# slug, name, time zone, local language besides English
TEAMS = [
    ("support-la", "Support Los Angeles", "America/Los_Angeles", "es"),
    ("support-ny", "Support New York", "America/New_York", "es"),
    ("support-sp", "Support São Paulo", "America/Sao_Paulo", "es"),
    ("support-london", "Support London", "Europe/London", "fr"),
    ("support-paris", "Support Paris", "Europe/Paris", "fr"),
    ("support-kolkata", "Support Kolkata", "Asia/Kolkata", "de"),
    ("support-tokyo", "Support Tokyo", "Asia/Tokyo", "ja"),
    ("support-sydney", "Support Sydney", "Australia/Sydney", "ja"),
]
SHIFTS = [  # (share, weekly hours or None for office hours)
    (0.55, None),
    (0.15, {str(d): [["07:00", "15:00"]] for d in range(5)}),
    (0.15, {str(d): [["12:00", "20:00"]] for d in range(5)}),
    (0.15, {**{str(d): [["09:00", "17:00"]] for d in (2, 3, 4)},
            "5": [["10:00", "18:00"]], "6": [["10:00", "18:00"]]}),
]
SKILLS = [  # name, tags, mailboxes, keywords
    ("Billing", ["billing", "refund", "invoice"], ["billing@brioche.example"],
     ["invoice", "refund", "facture", "rechnung", "factura", "請求"]),
    ("API", ["api", "webhooks"], [], ["api", "webhook"]),
    ("Security", ["security", "sso"], ["security@brioche.example"], ["password", "sso"]),
    ("Enterprise", ["vip"], ["enterprise@brioche.example"], []),
    ("Mobile", ["mobile"], [], ["android", "iphone"]),
    ("Data", ["gdpr", "export"], [], ["gdpr", "export"]),
    ("Integrations", ["integration"], [], ["slack", "zapier"]),
    ("Accessibility", ["accessibility"], [], ["screen reader"]),
]
OTHER_TAGS = ["bug", "feature-request", "login", "shipping", "onboarding", "good-first-reply"]
LANGUAGES = [("en", 0.50), ("fr", 0.15), ("de", 0.12), ("es", 0.10), ("ja", 0.08),
             ("other", 0.02), ("", 0.03)]
SUBJECTS = ["Cannot log in", "Invoice question", "Refund request", "Bug in the export",
            "How do I change my plan?", "Webhook not firing", "Password reset never arrives",
            "SSO setup", "GDPR data request", "App crashes on Android", "Slack integration",
            "Wrong VAT on invoice", "Question about the API limits", "Account locked",
            "Problème de facture", "Rechnung fehlt", "No puedo iniciar sesión",
            "請求書について", "Dark mode?", "Thanks!", "Screen reader labels missing",
            "Duplicate charge", "Zapier zap stopped"]
# address, team slug or None (the shared address: follow-the-sun), share of conversations
MAILBOXES = [("support@brioche.example", None, 0.55),
             ("billing@brioche.example", None, 0.10),
             ("security@brioche.example", None, 0.05),
             ("enterprise@brioche.example", "support-ny", 0.05),
             ("support-fr@brioche.example", "support-paris", 0.10),
             ("support-jp@brioche.example", "support-tokyo", 0.10),
             ("support-br@brioche.example", "support-sp", 0.05)]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="1.0 = 10,000 new conversations and 300 people")
    parser.add_argument("--single", type=int, default=None,
                        help="conversations routed one by one (default: 5 %% of the batch)")
    parser.add_argument("--at", default=DEFAULT_AT, help="ISO instant the rules read")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg-url", default=os.environ.get("COMPTOIR_BENCH_ASSIGN_PG_URL",
                                                           PG_DEFAULT_URL))
    parser.add_argument("--sqlite-path", type=Path, default=SQLITE_DEFAULT_PATH)
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be > 0")
    args.at = datetime.fromisoformat(args.at.replace("Z", "+00:00")).astimezone(UTC)
    args.conversations = max(100, round(FULL_CONVERSATIONS * args.scale))
    args.agents = max(len(TEAMS) * 2, round(FULL_AGENTS * args.scale))
    if args.single is None:
        args.single = max(50, args.conversations // 20)
    return args


def pick(rng: random.Random, choices: list[tuple]) -> object:
    return rng.choices([c[0] for c in choices], weights=[c[-1] for c in choices])[0]


# --------------------------------------------------------------------------------------------
# the data set


def build_staff(args: argparse.Namespace, rng: random.Random) -> dict:
    from comptoir.accounts.models import Team, User
    from comptoir.email.models import Mailbox
    from comptoir.routing.models import Leave, Skill, WorkingHours

    teams = {slug: Team.objects.create(name=name, slug=slug, time_zone=zone, is_support=True)
             for slug, name, zone, _language in TEAMS}
    for address, team_slug, _share in MAILBOXES:
        Mailbox.objects.create(address=address, name=address.split("@")[0],
                               team=teams[team_slug] if team_slug else None)
    skills = [Skill.objects.create(name=name, tags=tags, mailboxes=mailboxes, keywords=keywords)
              for name, tags, mailboxes, keywords in SKILLS]
    users, memberships, hours, leaves, holders = [], [], [], [], []
    local_today = args.at.date()
    for n in range(args.agents):
        slug, _name, zone, local = TEAMS[n % len(TEAMS)]
        roll = rng.random()
        role = "advocate" if roll < 0.85 else "lead" if roll < 0.95 else "teammate"
        languages = {"en"} if rng.random() < 0.9 else set()
        languages.add(local)
        if rng.random() < 0.3:
            languages.add(rng.choice(["fr", "de", "es", "ja"]))
        users.append(User(username=f"agent{n}", first_name=f"Agent{n}", last_name=slug,
                          email=f"agent{n}@brioche.example", role=role, time_zone=zone,
                          spoken_languages=sorted(languages), password="!"))  # noqa: S106 - unusable
    User.objects.bulk_create(users)
    users = list(User.objects.filter(username__startswith="agent").order_by("pk"))
    for n, user in enumerate(users):
        slug = TEAMS[n % len(TEAMS)][0]
        memberships.append(User.teams.through(user_id=user.pk, team_id=teams[slug].pk))
        if rng.random() < 0.05:  # a few belong to a second team
            other = rng.choice([s for s, *_rest in TEAMS if s != slug])
            memberships.append(User.teams.through(user_id=user.pk, team_id=teams[other].pk))
        shift = pick(rng, [(s[1], s[0]) for s in SHIFTS])
        if shift is not None:
            hours.append(WorkingHours(user=user, weekly_hours=shift))
        if rng.random() < 0.05:
            start = local_today - timedelta(days=rng.randint(0, 6))
            leaves.append(Leave(user=user, starts_on=start,
                                ends_on=start + timedelta(days=rng.randint(0, 13))))
        for skill in rng.sample(skills, rng.randint(0, 3)):
            holders.append(Skill.members.through(user_id=user.pk, skill_id=skill.pk))
    User.teams.through.objects.bulk_create(memberships)
    WorkingHours.objects.bulk_create(hours)
    Leave.objects.bulk_create(leaves)
    Skill.members.through.objects.bulk_create(holders)
    return {"teams": teams, "users": users}


def build_conversations(count: int, rng: random.Random, staff: dict, *, status: str = "new",
                        assign: bool = False, created_at: datetime) -> list[int]:
    """``count`` conversations with their customer and first message; ids in order."""
    from comptoir.conversations.models import Conversation, Message, Tag
    from comptoir.people.models import Person

    tags = {name: Tag.objects.get_or_create(name=name)[0]
            for _skill, skill_tags, _m, _k in SKILLS for name in skill_tags}
    tags.update({name: Tag.objects.get_or_create(name=name)[0] for name in OTHER_TAGS})
    tag_names = list(tags)
    assignable = [u for u in staff["users"] if u.role in ("advocate", "lead")]
    people = Person.objects.bulk_create([Person(name=f"Customer {i}") for i in range(count)])
    conversations, mailboxes, tag_links = [], [], []
    for i in range(count):
        address = pick(rng, MAILBOXES)
        team_slug = next(t for a, t, _s in MAILBOXES if a == address)
        assignee = rng.choice(assignable) if assign else None
        conversations.append(Conversation(
            subject=rng.choice(SUBJECTS), status=status, channel="email",
            language=pick(rng, LANGUAGES), person=people[i],
            team=staff["teams"][team_slug] if team_slug else None, assignee=assignee,
            message_count=1, created_at=created_at, updated_at=created_at,
            last_activity_at=created_at,
        ))
        mailboxes.append(address)
    conversations = Conversation.objects.bulk_create(conversations, batch_size=2000)
    messages = []
    for conversation, address in zip(conversations, mailboxes, strict=True):
        messages.append(Message(conversation=conversation, kind="inbound", channel="email",
                                person_id=conversation.person_id, body_text="Hello, help.",
                                language=conversation.language, meta={"mailbox": address},
                                created_at=created_at))
        if rng.random() < 0.30:
            for name in rng.sample(tag_names, rng.randint(1, 2)):
                tag_links.append(Conversation.tags.through(conversation_id=conversation.pk,
                                                           tag_id=tags[name].pk))
    Message.objects.bulk_create(messages, batch_size=2000)
    Conversation.tags.through.objects.bulk_create(tag_links, batch_size=2000)
    return [c.pk for c in conversations]


def build_history(args: argparse.Namespace, rng: random.Random, staff: dict) -> None:
    """What people already have on their plate, past work that must not count, and earlier
    automatic assignments for round-robin."""
    from comptoir.routing.models import RoutingDecision

    before = args.at - timedelta(days=1)
    build_conversations(args.agents * 4, rng, staff, status="open", assign=True,
                        created_at=before)
    build_conversations(args.agents * 2, rng, staff, status="pending", assign=True,
                        created_at=before)
    build_conversations(args.agents * 10, rng, staff, status="solved", assign=True,
                        created_at=before - timedelta(days=7))
    earlier = build_conversations(args.agents, rng, staff, status="solved", created_at=before)
    RoutingDecision.objects.bulk_create([
        RoutingDecision(conversation_id=pk, outcome="assigned", assignee=user,
                        created_at=before + timedelta(seconds=rng.randint(0, 80000)))
        for pk, user in zip(earlier, staff["users"], strict=False)
    ])


# --------------------------------------------------------------------------------------------
# measuring


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


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
    from django.db import connection, transaction

    from comptoir.conversations.models import Conversation
    from comptoir.routing import services as routing
    from comptoir.routing.models import CandidatePool, RoutingDecision

    rng = random.Random(args.seed)
    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    migrate_s = time.perf_counter() - started
    started = time.perf_counter()
    with transaction.atomic():
        staff = build_staff(args, rng)
        build_history(args, rng, staff)
        batch_ids = build_conversations(args.conversations, rng, staff, created_at=args.at)
        single_ids = build_conversations(args.single, rng, staff, created_at=args.at)
    analyse()
    generation_s = time.perf_counter() - started
    print(f"generated in {generation_s:.1f} s (migrate {migrate_s:.1f} s): "
          f"{args.agents} people, {args.conversations:,} + {args.single:,} new conversations",
          file=sys.stderr)

    # the batch; the time spent recomputing service-level clocks (sla.refresh_many, for the
    # conversations whose team changed) is measured apart: it is the SLA's cost, not routing's
    from comptoir.sla import services as sla

    sla_seconds = [0.0]
    refresh_many = sla.refresh_many

    def timed_refresh_many(*a, **kw):
        t0 = time.perf_counter()
        try:
            return refresh_many(*a, **kw)
        finally:
            sla_seconds[0] += time.perf_counter() - t0

    sla.refresh_many = timed_refresh_many
    # likewise the live updates sent on commit (one per changed conversation, as update())
    from comptoir import realtime

    publish_seconds = [0.0]
    publish = realtime.publish

    def timed_publish(*a, **kw):
        t0 = time.perf_counter()
        try:
            return publish(*a, **kw)
        finally:
            publish_seconds[0] += time.perf_counter() - t0

    realtime.publish = timed_publish
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        started, cpu = time.perf_counter(), time.process_time()
        decisions = routing.route_many(batch_ids, now=args.at)
        batch_s, batch_cpu = time.perf_counter() - started, time.process_time() - cpu
    batch_queries = counter.count
    sla.refresh_many = refresh_many
    realtime.publish = publish
    sla_s, live_s = sla_seconds[0], publish_seconds[0]

    # one by one, as intake does
    counter = QueryCounter()
    samples = []
    single = list(Conversation.objects.filter(pk__in=single_ids).order_by("pk"))
    with connection.execute_wrapper(counter):
        started, cpu = time.perf_counter(), time.process_time()
        for conversation in single:
            t0 = time.perf_counter()
            routing.route(conversation, now=args.at, trigger="intake")
            samples.append((time.perf_counter() - t0) * 1000)
        single_s, single_cpu = time.perf_counter() - started, time.process_time() - cpu
    single_queries = counter.count

    outcomes = Counter(d.outcome for d in decisions)
    reasons = Counter(d.reason for d in decisions if d.outcome == "queued")
    teams = Counter(d.team_reason for d in decisions)
    per_agent = Counter(d.assignee_id for d in decisions if d.assignee_id)
    spread = (max(per_agent.values()) - min(per_agent.values())) if per_agent else 0
    json_bytes = [len(json.dumps(d.ranked)) + len(json.dumps(d.needs)) for d in decisions]
    pools = list(CandidatePool.objects.filter(
        pk__in={d.pool_id for d in decisions if d.pool_id}).values_list("kept", "dropped"))
    pool_bytes = [len(json.dumps(kept)) + len(json.dumps(dropped)) for kept, dropped in pools]
    stored = RoutingDecision.objects.filter(conversation_id__in=batch_ids).count()
    rate = len(decisions) / batch_s if batch_s else 0.0
    rate_without_sla = len(decisions) / (batch_s - sla_s) if batch_s > sla_s else 0.0
    own_s = batch_s - sla_s - live_s
    rate_routing_only = len(decisions) / own_s if own_s > 0 else 0.0
    single_rate = len(single) / single_s if single_s else 0.0
    samples.sort()
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())

    print(f"\ncomptoir assignment benchmark — {connection.vendor}, {args.agents} people in "
          f"{len(TEAMS)} time zones, rules read at {args.at:%a %Y-%m-%d %H:%M} UTC; "
          f"{os.cpu_count()} CPUs, load {load}")
    print(f"batch (route_many): {len(decisions):,} conversations in {batch_s:.2f} s = "
          f"{rate:,.0f}/s (target ≥ {TARGET_PER_S:,.0f}/s: "
          f"{'met' if rate >= TARGET_PER_S else 'MISSED'}), "
          f"{batch_queries / max(1, len(decisions)):.2f} queries and "
          f"{batch_cpu * 1000 / max(1, len(decisions)):.2f} ms of this process's CPU each")
    print(f"  of which SLA clocks recomputed for the conversations whose team changed "
          f"{sla_s:.2f} s, live updates sent on commit {live_s:.2f} s; without the SLA "
          f"{rate_without_sla:,.0f}/s, routing alone {rate_routing_only:,.0f}/s")
    print(f"one by one (route): {len(single):,} in {single_s:.2f} s = {single_rate:,.0f}/s, "
          f"p50 {statistics.median(samples):.2f} ms, p95 "
          f"{samples[int(len(samples) * 0.95) - 1]:.2f} ms, "
          f"{single_queries / max(1, len(single)):.1f} queries and "
          f"{single_cpu * 1000 / max(1, len(single)):.2f} ms of this process's CPU each")
    print(f"outcomes: {dict(outcomes)}; queued because: {dict(reasons)}; "
          f"teams: { {str(k): v for k, v in teams.items()} }")
    print(f"new assignments per person who got some: {len(per_agent)} people, "
          f"min {min(per_agent.values(), default=0)}, max {max(per_agent.values(), default=0)}")
    print(f"explanation stored: {statistics.mean(json_bytes):,.0f} bytes of JSON a decision "
          f"on average (max {max(json_bytes):,}), and {len(pools)} candidate pools shared by "
          f"the batch ({statistics.mean(pool_bytes or [0]):,.0f} bytes each on average)")

    result = {
        "db": connection.vendor, "agents": args.agents, "conversations": len(decisions),
        "at": args.at.isoformat(), "generation_s": round(generation_s, 1),
        "migrate_s": round(migrate_s, 1),
        "assignments_per_s": round(rate, 1), "assignment_batch_s": round(batch_s, 3),
        "assignment_sla_refresh_s": round(sla_s, 3),
        "assignments_per_s_without_sla_refresh": round(rate_without_sla, 1),
        "assignment_live_updates_s": round(live_s, 3),
        "assignments_per_s_routing_only": round(rate_routing_only, 1),
        "assignment_queries_per_conversation": round(batch_queries / max(1, len(decisions)), 2),
        "assignment_cpu_ms_per_conversation": round(batch_cpu * 1000 / max(1, len(decisions)),
                                                    3),
        "single_assignments_per_s": round(single_rate, 1),
        "single_assignment_p50_ms": round(statistics.median(samples), 2),
        "single_assignment_p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
        "single_assignment_queries": round(single_queries / max(1, len(single)), 1),
        "single_assignment_cpu_ms": round(single_cpu * 1000 / max(1, len(single)), 2),
        "load_average": os.getloadavg()[0],
        "assigned": outcomes.get("assigned", 0), "queued": outcomes.get("queued", 0),
        "queued_reasons": dict(reasons), "team_reasons": dict(teams),
        "decisions_stored": stored, "people_assigned": len(per_agent),
        "assignment_spread": spread,
        "explanation_json_bytes_mean": round(statistics.mean(json_bytes)),
        "candidate_pools": len(pools),
        "target_met": rate >= TARGET_PER_S,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
