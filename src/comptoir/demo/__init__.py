"""Demo data: Brioche, a company where the whole team does support, its customers, and 90
days of conversations in five languages.

``load()`` writes everything in one transaction with ``bulk_create``: going through
``services.receive()`` for 25,000 messages would take minutes. It writes what the services
would have written, field for field, with the same ``Event`` rows at the instants they
would have happened (reports are computed from events). Everything random comes from one
``random.Random(seed)``: a seed always gives the same staff, customers, conversations and
texts; only the timestamps move, because the history always ends at the current hour.

Demo rows are recognised by reserved names, so ``unload()`` never touches anything else:
staff usernames below with an address at ``brioche.example``, and customers whose email
address is at one of the demo domains (all under names reserved for examples by RFC 2606:
the ``.example`` top-level domain and subdomains of ``example.com/.net/.org``), so no
message can ever reach a real mailbox.
"""

import contextlib
import random
import re
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps as django_apps
from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.utils import timezone

from comptoir.accounts.models import Role, Team, User
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import (
    ACTIVE_STATUSES,
    Channel,
    Conversation,
    Event,
    Macro,
    Message,
    MessageKind,
    Priority,
    Reaction,
    Status,
    Tag,
)
from comptoir.conversations.services import PREVIEW_LENGTH
from comptoir.email.models import Mailbox
from comptoir.people.models import Identity, IdentityKind, Organisation, Person, Plan, Proof
from comptoir.routing import services as routing_services
from comptoir.routing.models import (
    CandidatePool,
    Leave,
    RoutingDecision,
    Skill,
    Trigger,
    WorkingHours,
)
from comptoir.sla import defaults as sla_defaults
from comptoir.sla import services as sla_services
from comptoir.sla.models import Calendar as SlaCalendar
from comptoir.sla.models import CoveragePlan
from comptoir.surveys import demo as surveys_demo

from . import teamwork as teamwork_demo
from .texts import (
    ENGINEER_NOTES,
    GENERIC_NOTES,
    MACRO_NAMES,
    MACROS,
    NAMES,
    ORG_WORDS,
    TEXTS,
    TOPIC_NOTES,
)

DEFAULT_SEED = 1789
PASSWORD = "comptoir"  # noqa: S105 - the demo's published password
STAFF_DOMAIN = "brioche.example"
PERSONAL_DOMAINS = ("mail.example.com", "inbox.example.net", "post.example.org")
DAYS = 90
FULL_SIZE = {"organisations": 300, "people": 2000, "conversations": 5000}
LANGUAGES = ("en", "fr", "de", "es", "ja")
POOL_SIZE = 90  # good first replies waiting for the daily shares, at full scale
POOL_TOPICS = ("feature", "scheduling")  # questions a non-specialist can answer

HOUR = 3600.0
DAY = 24 * HOUR


class DemoError(Exception):
    """The demo cannot be loaded here (e.g. a demo username already belongs to someone)."""


# --- the company ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamSpec:
    slug: str
    name: str
    time_zone: str
    is_support: bool


TEAMS = (
    TeamSpec("support-americas", "Support Americas", "America/New_York", True),
    TeamSpec("support-emea", "Support EMEA", "Europe/Paris", True),
    TeamSpec("support-apac", "Support APAC", "Asia/Tokyo", True),
    TeamSpec("product-engineering", "Product & Engineering", "Europe/Berlin", False),
)

# Where customers write (``comptoir smtpd``): address, name, team, default language.
MAILBOXES = (
    ("support@comptoir.test", "Brioche Support", "support-americas", "en"),
    ("facturation@comptoir.test", "Brioche Facturation", "support-emea", "fr"),
)
# Customers whose plan has no email support are pointed here, in their language.
SELF_SERVICE = {"self_service_reply": True,
                "self_service_kb_url": "https://help.brioche.example/{language}/",
                "self_service_forum_url": "https://community.brioche.example/{language}/"}


@dataclass(frozen=True)
class StaffSpec:
    username: str
    first_name: str
    last_name: str
    role: str
    team: str
    time_zone: str
    languages: tuple[str, ...]
    language: str  # of the interface
    job_title: str


_AM, _EM, _AP, _PE = (t.slug for t in TEAMS)
STAFF = (
    # Support Americas
    StaffSpec("lena", "Lena", "Brooks", Role.LEAD, _AM, "America/New_York", ("en", "es"), "en",
              "Head of Support, Americas"),
    StaffSpec("marcus", "Marcus", "Reed", Role.ADVOCATE, _AM, "America/New_York", ("en",), "en",
              "Customer Advocate"),
    StaffSpec("priya", "Priya", "Natarajan", Role.ADVOCATE, _AM, "America/New_York", ("en",), "en",
              "Customer Advocate"),
    StaffSpec("sofia", "Sofía", "Hernández", Role.ADVOCATE, _AM, "America/Los_Angeles",
              ("es", "en"), "es", "Customer Advocate"),
    StaffSpec("jordan", "Jordan", "Kim", Role.ADVOCATE, _AM, "America/Los_Angeles", ("en",), "en",
              "Customer Advocate"),
    StaffSpec("rafael", "Rafael", "Costa", Role.ADVOCATE, _AM, "America/Sao_Paulo",
              ("pt", "es", "en"), "en", "Customer Advocate"),
    StaffSpec("beatriz", "Beatriz", "Almeida", Role.ADVOCATE, _AM, "America/Sao_Paulo",
              ("pt", "es", "en"), "es", "Senior Customer Advocate"),
    # Support EMEA
    StaffSpec("camille", "Camille", "Bernard", Role.LEAD, _EM, "Europe/Paris", ("fr", "en"), "fr",
              "Head of Support, EMEA"),
    StaffSpec("ada", "Ada", "Moreau", Role.ADVOCATE, _EM, "Europe/Paris", ("en", "fr"), "fr",
              "Customer Advocate"),
    StaffSpec("hugo", "Hugo", "Lefèvre", Role.ADVOCATE, _EM, "Europe/Paris", ("fr", "en", "es"),
              "fr", "Customer Advocate"),
    StaffSpec("ines", "Inés", "García", Role.ADVOCATE, _EM, "Europe/Paris", ("es", "fr", "en"),
              "es", "Customer Advocate"),
    StaffSpec("jonas", "Jonas", "Weber", Role.ADVOCATE, _EM, "Europe/Berlin", ("de", "en"), "de",
              "Senior Customer Advocate"),
    StaffSpec("lea", "Lea", "Schneider", Role.ADVOCATE, _EM, "Europe/Berlin", ("de", "en", "fr"),
              "de", "Customer Advocate"),
    StaffSpec("mila", "Mila", "Novak", Role.ADVOCATE, _EM, "Europe/Berlin", ("de", "en"), "en",
              "Customer Advocate"),
    # Support APAC
    StaffSpec("haruto", "Haruto", "Sato", Role.LEAD, _AP, "Asia/Tokyo", ("ja", "en"), "ja",
              "Head of Support, APAC"),
    StaffSpec("yui", "Yui", "Tanaka", Role.ADVOCATE, _AP, "Asia/Tokyo", ("ja", "en"), "ja",
              "Customer Advocate"),
    StaffSpec("kenji", "Kenji", "Watanabe", Role.ADVOCATE, _AP, "Asia/Tokyo", ("ja", "en"), "ja",
              "Customer Advocate"),
    StaffSpec("charlotte", "Charlotte", "Nguyen", Role.ADVOCATE, _AP, "Australia/Sydney", ("en",),
              "en", "Customer Advocate"),
    StaffSpec("liam", "Liam", "O'Brien", Role.ADVOCATE, _AP, "Australia/Sydney", ("en",), "en",
              "Customer Advocate"),
    StaffSpec("ruby", "Ruby", "Chen", Role.ADVOCATE, _AP, "Australia/Sydney", ("en", "ja"), "en",
              "Senior Customer Advocate"),
    # Product & Engineering: everyone answers their daily share
    StaffSpec("admin", "Nadia", "Benali", Role.ADMIN, _PE, "Europe/Paris", ("fr", "en"), "en",
              "Co-founder & CEO"),
    StaffSpec("tom", "Tom", "Whitaker", Role.ADMIN, _PE, "Europe/London", ("en",), "en",
              "Co-founder & CTO"),
    StaffSpec("teo", "Teo", "Marchetti", Role.TEAMMATE, _PE, "Europe/Berlin", ("en", "es"), "en",
              "Backend Engineer"),
    StaffSpec("max", "Max", "Hoffmann", Role.TEAMMATE, _PE, "Europe/Berlin", ("de", "en"), "de",
              "Site Reliability Engineer"),
    StaffSpec("aiko", "Aiko", "Yamada", Role.TEAMMATE, _PE, "Asia/Tokyo", ("ja", "en"), "ja",
              "Mobile Engineer"),
    StaffSpec("diego", "Diego", "Ramírez", Role.TEAMMATE, _PE, "America/Sao_Paulo",
              ("es", "pt", "en"), "es", "Frontend Engineer"),
    StaffSpec("elise", "Élise", "Fontaine", Role.TEAMMATE, _PE, "Europe/Paris", ("fr", "en"), "fr",
              "Product Designer"),
    StaffSpec("grace", "Grace", "Okafor", Role.TEAMMATE, _PE, "Europe/London", ("en",), "en",
              "Product Manager"),
    StaffSpec("hanna", "Hanna", "Kowalski", Role.TEAMMATE, _PE, "Europe/Berlin", ("de", "en"), "de",
              "Finance & Billing"),
    StaffSpec("olga", "Olga", "Petrova", Role.OBSERVER, _PE, "Europe/London", ("en",), "en",
              "Data Analyst"),
    StaffSpec("owen", "Owen", "Park", Role.OBSERVER, _PE, "America/Los_Angeles", ("en",), "en",
              "Head of Sales"),
)
USERNAMES = tuple(s.username for s in STAFF)
LOGINS = ("admin", "lena", "ada", "teo", "olga")

# Who is asked in a note about a topic (engineers for bugs, finance for refunds...).
EXPERTS = {
    "billing": ("hanna",), "refund": ("hanna",), "login": ("max", "teo"),
    "bug": ("teo", "diego", "aiko", "max"), "feature": ("grace", "elise"),
    "scheduling": ("teo", "max"), "api": ("teo", "tom"), "integrations": ("diego", "teo"),
}


def staff_email(username: str) -> str:
    return f"{username}@{STAFF_DOMAIN}"


# --- customers ----------------------------------------------------------------------------

LANGUAGE_WEIGHTS = {"en": 44, "fr": 15, "de": 12, "es": 16, "ja": 13}
CUSTOMER_TIME_ZONES = {
    "en": {"America/New_York": 5, "America/Chicago": 3, "America/Denver": 1,
           "America/Los_Angeles": 4, "America/Toronto": 2, "Europe/London": 5,
           "Europe/Dublin": 1, "Australia/Sydney": 2, "Australia/Melbourne": 1,
           "Pacific/Auckland": 1, "Asia/Singapore": 1, "Asia/Kolkata": 2,
           "Africa/Johannesburg": 1},
    "fr": {"Europe/Paris": 8, "Europe/Brussels": 2, "Europe/Zurich": 1, "America/Toronto": 2,
           "Africa/Casablanca": 1, "Africa/Dakar": 1},
    "de": {"Europe/Berlin": 8, "Europe/Vienna": 2, "Europe/Zurich": 2},
    "es": {"Europe/Madrid": 5, "America/Mexico_City": 4, "America/Bogota": 2,
           "America/Argentina/Buenos_Aires": 2, "America/Santiago": 1, "America/Lima": 1},
    "ja": {"Asia/Tokyo": 1},
}
ORG_PLAN_WEIGHTS = {Plan.FREE: 32, Plan.PAID: 38, Plan.PREMIUM: 21, Plan.ENTERPRISE: 9}
SOLO_PLAN_WEIGHTS = {Plan.FREE: 60, Plan.PAID: 30, Plan.PREMIUM: 10}
PLAN_ACTIVITY = {Plan.FREE: 0.8, Plan.PAID: 1.0, Plan.PREMIUM: 1.3, Plan.ENTERPRISE: 1.6}
PLAN_ORG_SIZE = {Plan.FREE: 1.0, Plan.PAID: 1.3, Plan.PREMIUM: 1.8, Plan.ENTERPRISE: 2.5}
# Premium gets live chat and free users get the forum (Automattic's tiers), mostly.
CHAT_ODDS = {Plan.FREE: 0.08, Plan.PAID: 0.2, Plan.PREMIUM: 0.55, Plan.ENTERPRISE: 0.55}
FORUM_ODDS = {Plan.FREE: 0.3, Plan.PAID: 0.12, Plan.PREMIUM: 0.05, Plan.ENTERPRISE: 0.05}
SOCIAL_ODDS = 0.4
CHANNEL_WEIGHTS = {Channel.EMAIL: 40, Channel.WEB: 8, Channel.SOCIAL: 62, Channel.CHAT: 45,
                   Channel.FORUM: 60}
IDENTITY_FOR_CHANNEL = {
    Channel.EMAIL: IdentityKind.EMAIL, Channel.WEB: IdentityKind.EMAIL,
    Channel.SOCIAL: IdentityKind.SOCIAL, Channel.CHAT: IdentityKind.CHAT,
    Channel.FORUM: IdentityKind.FORUM,
}
MASTODON_HOSTS = ("mastodon.example", "social.example", "mstdn.example")

TOPIC_WEIGHTS = {"billing": 15, "login": 14, "bug": 16, "feature": 9, "scheduling": 15,
                 "refund": 8, "api": 9, "integrations": 14}
TOPIC_TAGS = {"billing": ("billing",), "login": ("login",), "bug": ("bug",),
              "feature": ("feature-request",), "scheduling": ("scheduling",),
              "refund": ("refund", "billing"), "api": ("api",),
              "integrations": ("integrations",)}
CASE_TAGS = {("login", 1): ("2fa",), ("refund", 1): ("churn-risk",)}
FREE_TOPIC_WEIGHTS = {t: w for t, w in TOPIC_WEIGHTS.items() if t not in ("billing", "refund")}
TROUBLESHOOTING = ("login", "bug", "scheduling", "api", "integrations")
TAG_NAMES = ("2fa", "api", "billing", "bug", "churn-risk", "feature-request", "good-first-reply",
             "integrations", "login", "refund", "scheduling", "urgent", "vip")
# How a conversation goes: answered and solved at once; back and forth while we wait on the
# customer; or a bug, on hold until engineering ships the fix.
OUTCOMES = {
    "billing": {"solve": 60, "pending": 40}, "login": {"solve": 55, "pending": 45},
    "bug": {"bug": 100}, "feature": {"solve": 85, "pending": 15},
    "scheduling": {"solve": 40, "pending": 40, "bug": 20}, "refund": {"solve": 70, "pending": 30},
    "api": {"solve": 45, "pending": 40, "bug": 15},
    "integrations": {"solve": 40, "pending": 40, "bug": 20},
}
NETWORKS = ("Instagram", "LinkedIn", "Facebook", "Pinterest", "TikTok", "Mastodon", "Threads",
            "YouTube")
INTEGRATIONS = ("Shopify", "Slack", "Zapier", "HubSpot", "Google Drive", "Canva", "WordPress")
# What a plan pays, as indexes into AMOUNTS: a refund asks for a plausible sum.
PLAN_AMOUNTS = {Plan.FREE: (0, 1), Plan.PAID: (0, 1), Plan.PREMIUM: (2, 3),
                Plan.ENTERPRISE: (3, 4)}
AMOUNTS = {
    "en": ("$15", "$49", "$99", "$490", "$1,200"),
    "fr": ("15 €", "49 €", "99 €", "490 €", "1 200 €"),
    "de": ("15 €", "49 €", "99 €", "490 €", "1.200 €"),
    "es": ("15 €", "49 €", "99 €", "490 €", "1.200 €"),
    "ja": ("1,800円", "5,800円", "12,000円", "58,000円", "150,000円"),
}
TIMES = {
    "en": ("9:00 AM", "8:30 AM", "12:15 PM", "6:00 PM"),
    "fr": ("9 h 00", "8 h 30", "12 h 15", "18 h 00"),
    "de": ("9:00 Uhr", "8:30 Uhr", "12:15 Uhr", "18:00 Uhr"),
    "es": ("9:00", "8:30", "12:15", "18:00"),
    "ja": ("9時", "8時半", "12時15分", "18時"),
}


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _org_names(lang: str) -> list[tuple[str, str]]:
    """Every (name, domain) the demo may give an organisation in this language."""
    stems, kinds = ORG_WORDS[lang]
    names = []
    for stem in stems:
        for kind in kinds:
            if lang == "ja":
                (kana, romaji), (pattern, suffix) = stem, kind
                names.append((pattern.format(kana), f"{romaji}-{suffix}.example"))
            else:
                name = kind.format(stem)
                bare = re.sub(r"\b(GmbH|AG|Co\.|S\.L\.|S\.A\.|SAS|SARL)", "", name)
                names.append((name, f"{_slug(bare)}.example"))
    return names


@cache
def demo_domains() -> frozenset[str]:
    """The email domains of demo customers: an address elsewhere is never demo data."""
    domains = {domain for lang in LANGUAGES for _name, domain in _org_names(lang)}
    return frozenset(domains | set(PERSONAL_DOMAINS))


_ROUND = re.compile(r"-\d+(?=\.example$)")


def is_demo_domain(domain: str) -> bool:
    """One of the demo's domains, or one numbered from it (``northwind-labs-2.example``)
    when a large ``scale`` runs out of organisation names."""
    return domain in demo_domains() or _ROUND.sub("", domain, count=1) in demo_domains()


# --- what load() returns ------------------------------------------------------------------


@dataclass
class Summary:
    """What ``load()`` did: nothing (``already_loaded``), or how many rows of each kind."""

    already_loaded: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def logins(self) -> list[tuple[str, str, str]]:
        """(username, role, what they do) of the accounts to try the demo with."""
        specs = {s.username: s for s in STAFF}
        return [(u, specs[u].role, specs[u].job_title) for u in LOGINS]


def is_loaded() -> bool:
    return _demo_users().exists() or bool(_demo_person_ids(limit=1))


def load(
    *, seed: int = DEFAULT_SEED, scale: float = 1.0, reset: bool = False,
    now: datetime | None = None, progress: Any = None,
) -> Summary:
    """Load the demo in one transaction; nothing happens if it is already there.

    ``scale`` multiplies the number of organisations, customers and conversations (the
    staff is always the whole company). ``reset`` first deletes the demo rows (``unload``).
    ``progress`` is an optional ``rich.progress.Progress`` to show the work on.
    """
    started = time.monotonic()
    with transaction.atomic():
        if reset:
            unload()
        elif is_loaded():
            return Summary(already_loaded=True)
        taken = sorted(User.objects.filter(username__in=USERNAMES).values_list("username",
                                                                                 flat=True))
        if taken:
            raise DemoError(
                "These usernames already belong to accounts that are not demo accounts: "
                + ", ".join(taken) + ". Rename them before loading the demo.")
        counts = _Generator(seed, scale, now, progress).run()
    return Summary(counts=counts, seconds=time.monotonic() - started)


def unload() -> dict[str, int]:
    """Delete the demo rows, and only them. Returns how many rows of each model went.

    Demo customers (by their email domain) go with their conversations, whoever wrote in
    them; demo staff go (their messages elsewhere stay, without author). Organisations,
    teams and tags with demo names go only once nothing else uses them.
    """
    deleted: Counter[str] = Counter()

    def count(result: tuple[int, dict[str, int]]) -> None:
        deleted.update(result[1])

    with transaction.atomic():
        pools: set[int] = set()  # who could take the demo's conversations
        for chunk in _chunks(_demo_person_ids(), 500):
            pools.update(RoutingDecision.objects.filter(
                conversation__person_id__in=chunk, pool__isnull=False,
            ).values_list("pool_id", flat=True))
            count(Conversation.objects.filter(person_id__in=chunk).delete())
            count(Person.objects.filter(pk__in=chunk).delete())
        orgs = Organisation.objects.filter(domain__endswith=".example", people__isnull=True)
        org_ids = [pk for pk, domain in orgs.values_list("pk", "domain") if is_demo_domain(domain)]
        for chunk in _chunks(org_ids, 500):
            count(Organisation.objects.filter(pk__in=chunk).delete())
        users = _demo_users()
        count(Macro.objects.filter(created_by__in=users, name__in=MACRO_NAMES).delete())
        teamwork_demo.cleanup(users)
        count(users.delete())
        teamwork_demo.cleanup_after()
        count(CoveragePlan.objects.filter(name=FOLLOW_THE_SUN).delete())
        for chunk in _chunks(sorted(pools), 500):  # unless a decision kept elsewhere uses it
            count(CandidatePool.objects.filter(pk__in=chunk, decisions__isnull=True).delete())
        count(Skill.objects.filter(name__in=[s.name for s in SKILLS],
                                   members__isnull=True).delete())
        count(SlaCalendar.objects.filter(name__in=[c.name for c in CALENDARS]).delete())
        teams = Team.objects.filter(slug__in=[t.slug for t in TEAMS],
                                    name__in=[t.name for t in TEAMS])
        count(teams.filter(members__isnull=True, conversations__isnull=True).delete())
        count(Tag.objects.filter(name__in=TAG_NAMES, conversations__isnull=True).delete())
    return {label: n for label, n in sorted(deleted.items()) if n}


def _demo_users() -> models.QuerySet:
    return User.objects.filter(
        username__in=USERNAMES, email__in=[staff_email(u) for u in USERNAMES])


def _demo_person_ids(limit: int | None = None) -> list[int]:
    rows = (Identity.objects.filter(kind=IdentityKind.EMAIL, value__contains=".example")
            .order_by("person_id").values_list("person_id", "value"))
    found: list[int] = []
    for person_id, value in rows.iterator(chunk_size=2000):
        if is_demo_domain(value.rpartition("@")[2]) and (not found or found[-1] != person_id):
            found.append(person_id)
            if limit and len(found) >= limit:
                break
    return found


def _chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# --- the generator ------------------------------------------------------------------------


class _OutOfTime(Exception):
    """The next step of a conversation would happen after now: its story stops there."""


@dataclass
class _Customer:
    person: Person
    identities: dict[str, Identity]  # by kind
    weight: float
    first_contact: datetime | None = None
    uses: dict[str, datetime] = field(default_factory=dict)  # first use of each kind
    signup_days: float = 0.0  # how long before their first message they signed up
    verify_delays: dict[str, float] = field(default_factory=dict)


@dataclass
class _Opening:
    customer: _Customer
    channel: str
    start: datetime
    budget: float  # seconds the story may last: it never runs past now


class _Generator:
    def __init__(self, seed: int, scale: float, now: datetime | None, progress: Any):
        self.rng = random.Random(seed)
        self.scale = scale
        self.now = (now or timezone.now()).replace(minute=0, second=0, microsecond=0)
        self.progress = progress
        self.used: dict[tuple[str, str], set[str]] = defaultdict(set)  # identity values

    # -- small helpers
    def pick(self, weights: dict) -> Any:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def task(self, description: str, total: int) -> Any:
        return self.progress.add_task(description, total=total) if self.progress else None

    def advance(self, task: Any, n: int = 1) -> None:
        if self.progress is not None:
            self.progress.advance(task, n)

    def size(self, what: str, minimum: int) -> int:
        return max(minimum, round(FULL_SIZE[what] * self.scale))

    # -- the whole run
    def run(self) -> dict[str, int]:
        sla_defaults.install(django_apps)  # the plan tiers: who may write by email
        self.without_email = {plan for plan in Plan.values
                              if not sla_services.may_open(plan, Channel.EMAIL)}
        self.teams = self._teams()
        self.staff = self._staff()
        self.tags = {name: Tag.objects.get_or_create(name=name)[0] for name in TAG_NAMES}
        customers = self._customers()
        openings = self._openings(customers)
        self._save_customers(customers, openings)
        threads = self._threads(openings)
        counts = self._save_threads(threads)
        counts["macros"] = self._macros()
        counts.update(service_levels(self.teams))
        counts["mailboxes"] = self._mailboxes()
        counts.update(routing(self.staff, now=self.now))
        pool = self._share_pool(customers)  # after routing: the leads kept them for shares
        for key in ("conversations", "messages", "events", "reactions"):
            counts[key] += pool.get(key, 0)
        counts["good first replies"] = pool.get("conversations", 0)
        counts.update(surveys_demo.seed(now=self.now))  # after the threads: their solves
        # through the services, once the history and routing are there
        counts.update(teamwork_demo.seed(self.staff, self.teams, now=self.now, rng=self.rng))
        counts.update(users=len(self.staff), teams=len(self.teams),
                      organisations=len(self.organisations), people=len(customers),
                      identities=sum(len(c.identities) for c in customers))
        return counts

    # -- staff
    def _teams(self) -> dict[str, Team]:
        teams = {}
        for spec in TEAMS:  # a team already there under the same name is reused
            teams[spec.slug] = Team.objects.filter(name=spec.name).first() or Team.objects.create(
                name=spec.name, slug=spec.slug, time_zone=spec.time_zone,
                is_support=spec.is_support)
        return teams

    def _staff(self) -> dict[str, User]:
        password = _password_hash()
        users = []
        for index, spec in enumerate(STAFF):
            users.append(User(
                username=spec.username, first_name=spec.first_name, last_name=spec.last_name,
                email=staff_email(spec.username), password=password, role=spec.role,
                job_title=spec.job_title, language=spec.language, time_zone=spec.time_zone,
                spoken_languages=list(spec.languages),
                is_staff=spec.username == "admin", is_superuser=spec.username == "admin",
                date_joined=self.now - timedelta(
                    days=1500 - index if spec.role == Role.ADMIN else 1000 - 25 * index),
            ))
        User.objects.bulk_create(users)
        by_name = {u.username: u for u in users}
        User.teams.through.objects.bulk_create(
            User.teams.through(user_id=by_name[s.username].pk, team_id=self.teams[s.team].pk)
            for s in STAFF)
        self.leads = {s.team: by_name[s.username] for s in STAFF if s.role == Role.LEAD}
        # who answers in a language: the support team first, then everyone's daily share
        self.answerers: dict[tuple[str, str], list[User]] = defaultdict(list)
        self.sharers: dict[str, list[User]] = defaultdict(list)
        for s in STAFF:
            for lang in s.languages:
                if s.role in (Role.LEAD, Role.ADVOCATE):
                    self.answerers[s.team, lang].append(by_name[s.username])
                    self.answerers["*", lang].append(by_name[s.username])
                elif s.role in (Role.TEAMMATE, Role.ADMIN):
                    self.sharers[lang].append(by_name[s.username])
        return by_name

    # -- customers
    def _customers(self) -> list[_Customer]:
        rng = self.rng
        n_orgs, n_people = self.size("organisations", 2), self.size("people", 10)
        task = self.task("Customers", n_orgs + n_people)
        pools = {}
        for lang in LANGUAGES:
            pools[lang] = _org_names(lang)
            rng.shuffle(pools[lang])
        orgs: list[tuple[Organisation, str, str]] = []  # (org, language, home time zone)
        for index in range(n_orgs):
            lang = self.pick(LANGUAGE_WEIGHTS)
            if not pools[lang]:  # a large scale ran out of names: number them
                pools[lang] = [(f"{name} {index}", domain.replace(".example", f"-{index}.example"))
                               for name, domain in _org_names(lang)]
                rng.shuffle(pools[lang])
            name, domain = pools[lang].pop()
            plan = self.pick(ORG_PLAN_WEIGHTS)
            org = Organisation(
                name=name, domain=domain, plan=plan,
                notes=("Enterprise account: quarterly business review with their team."
                       if plan == Plan.ENTERPRISE else ""),
                created_at=self.now - timedelta(days=rng.uniform(DAYS + 30, 1200)))
            orgs.append((org, lang, self.pick(CUSTOMER_TIME_ZONES[lang])))
            self.advance(task)
        self.organisations = [o for o, _l, _t in orgs]
        org_weights = [PLAN_ORG_SIZE[o.plan] * min(rng.paretovariate(1.3), 12)
                       for o, _l, _t in orgs]

        customers = []
        for index in range(n_people):
            if index < n_orgs or rng.random() < 0.7:
                org, org_lang, home = (orgs[index] if index < n_orgs
                                       else rng.choices(orgs, weights=org_weights)[0])
                lang = org_lang if rng.random() < 0.88 else self.pick(LANGUAGE_WEIGHTS)
                tz = home if lang == org_lang and rng.random() < 0.75 else self.pick(
                    CUSTOMER_TIME_ZONES[lang])
                plan = org.plan
            else:
                org, lang = None, self.pick(LANGUAGE_WEIGHTS)
                tz, plan = self.pick(CUSTOMER_TIME_ZONES[lang]), self.pick(SOLO_PLAN_WEIGHTS)
            name, ascii_first, ascii_last = self._name(lang)
            person = Person(name=name, language=lang, time_zone=tz, organisation=org, plan=plan)
            identities = self._identities(person, org, ascii_first, ascii_last)
            weight = PLAN_ACTIVITY[plan] * min(rng.paretovariate(1.6), 15)
            customers.append(_Customer(person, identities, weight))
            self.advance(task)
        return customers

    def _name(self, lang: str) -> tuple[str, str, str]:
        rng = self.rng
        firsts, lasts = NAMES[lang]
        if lang == "ja":
            (given, given_latin), (family, family_latin) = rng.choice(firsts), rng.choice(lasts)
            return f"{family} {given}", given_latin, family_latin
        first, last = rng.choice(firsts), rng.choice(lasts)
        full = f"{first} {last}"
        if lang == "es" and rng.random() < 0.35:
            full = f"{full} {rng.choice(lasts)}"
        return full, _slug(first).replace("-", ""), _slug(last).replace("-", "")

    def _unique(self, kind: str, network: str, value: str) -> str:
        used = self.used[kind, network]
        candidate, n = value, 1
        while candidate in used:
            n += 1
            local, at, domain = value.partition("@")
            candidate = f"{local}{n}{at}{domain}"
        used.add(candidate)
        return candidate

    def _identities(self, person: Person, org: Organisation | None, first: str,
                    last: str) -> dict[str, Identity]:
        rng = self.rng
        domain = org.domain if org else rng.choice(PERSONAL_DOMAINS)
        local = rng.choice((f"{first}.{last}", f"{first}.{last}", f"{first[0]}{last}", first,
                            f"{first}{last[0]}", f"{first}.{last}{rng.randrange(1, 99)}"))
        email = self._unique(IdentityKind.EMAIL, "", f"{local}@{domain}")
        plan = person.plan
        wanted = [IdentityKind.EMAIL]
        if rng.random() < SOCIAL_ODDS:
            wanted.append(IdentityKind.SOCIAL)
        if rng.random() < CHAT_ODDS[plan]:
            wanted.append(IdentityKind.CHAT)
        if rng.random() < FORUM_ODDS[plan]:
            wanted.append(IdentityKind.FORUM)
        if len(wanted) > 3:
            del wanted[rng.randrange(1, 4)]
        verified_email = rng.random() < (0.7 if org and plan != Plan.FREE else 0.35)
        identities = {IdentityKind.EMAIL: Identity(
            person=person, kind=IdentityKind.EMAIL, value=email,
            display=email if rng.random() < 0.8 else email.capitalize(),
            proof=(rng.choice((Proof.EMAIL_LINK, Proof.EMAIL_LINK, Proof.PORTAL_LOGIN))
                   if verified_email else Proof.NONE))}
        for kind in wanted[1:]:
            network, display = "", ""
            if kind == IdentityKind.SOCIAL:
                network = "twitter" if rng.random() < 0.65 else "mastodon"
                handle = rng.choice((f"{first}_{last}", f"{first}{last}",
                                     f"{first}{rng.randrange(10, 99)}", f"{first[0]}{last}"))
                if network == "mastodon":
                    handle = f"{handle}@{rng.choice(MASTODON_HOSTS)}"
                value = self._unique(kind, network, handle.lower())
                display = "@" + (value if rng.random() < 0.5 else value.capitalize())
                proof = Proof.VERIFIED_HANDLE if rng.random() < 0.35 else Proof.NONE
            elif kind == IdentityKind.CHAT:
                value = self._unique(kind, "", f"visitor-{rng.getrandbits(48):012x}")
                display = person.name
                proof = Proof.PORTAL_LOGIN if rng.random() < 0.2 else Proof.NONE
            else:
                value = self._unique(kind, "", rng.choice(
                    (f"{first}_{last[0]}", f"{first}{last}", f"{first[0]}{last}")).lower())
                display = value.capitalize()
                proof = Proof.PORTAL_LOGIN if rng.random() < 0.6 else Proof.NONE
            identities[kind] = Identity(person=person, kind=kind, network=network, value=value,
                                        display=display, proof=proof)
        return identities

    # -- when each conversation starts, and on which channel
    def _openings(self, customers: list[_Customer]) -> list[_Opening]:
        rng = self.rng
        n = self.size("conversations", 10)
        chosen = rng.choices(customers, weights=[c.weight for c in customers], k=n)
        anchor_second_of_day = self.now.hour * HOUR
        offsets = {tz: ZoneInfo(tz).utcoffset(self.now.replace(tzinfo=None)).total_seconds()
                   for tz_weights in CUSTOMER_TIME_ZONES.values() for tz in tz_weights}
        openings = []
        for customer in chosen:
            kinds = customer.identities
            channels = {ch: w for ch, w in CHANNEL_WEIGHTS.items()
                        if IDENTITY_FOR_CHANNEL[ch] in kinds}
            channel = self.pick(channels)
            day = min(DAYS - 1, int(DAYS * rng.random() ** 1.15))
            # customers write in their daytime, mostly
            local_hour = self.pick(LOCAL_HOURS) + rng.random()
            if day == 0:
                age = rng.uniform(300, DAY)
                budget = age - 60
            else:
                utc_second = (local_hour * HOUR - offsets[customer.person.time_zone]) % DAY
                age = day * DAY + (anchor_second_of_day - utc_second) % DAY
                budget = day * DAY
            start = self.now - timedelta(seconds=round(age))
            openings.append(_Opening(customer, channel, start, budget))
        return openings

    def _save_customers(self, customers: list[_Customer], openings: list[_Opening]) -> None:
        rng = self.rng
        # first contact of each customer and first use of each identity
        for c in customers:
            signed_up_before = rng.random() < 0.5
            c.first_contact = self.now - timedelta(days=rng.uniform(1, 500))
            c.signup_days = rng.uniform(1, 400) if signed_up_before else 0.0
            c.verify_delays = {kind: rng.uniform(60, 3 * DAY) for kind in c.identities}
        for o in openings:
            c = o.customer
            kind = IDENTITY_FOR_CHANNEL[o.channel]
            if kind not in c.uses or o.start < c.uses[kind]:
                c.uses[kind] = o.start
        for c in customers:
            if c.uses:
                first = min(c.uses.values())
                c.first_contact = first - timedelta(days=c.signup_days)
            c.person.created_at = c.first_contact
            for kind, identity in c.identities.items():
                identity.created_at = (c.first_contact if kind == IdentityKind.EMAIL
                                       else c.uses.get(kind, c.first_contact))
                if identity.proof:
                    identity.verified_at = min(
                        identity.created_at + timedelta(seconds=c.verify_delays[kind]),
                        self.now - timedelta(minutes=1))
        task = self.task("Saving customers", 3)
        Organisation.objects.bulk_create(self.organisations, batch_size=1000)
        self.advance(task)
        Person.objects.bulk_create([c.person for c in customers], batch_size=1000)
        self.advance(task)
        identities = [i for c in customers for i in c.identities.values()]
        Identity.objects.bulk_create(identities, batch_size=1000)
        # linking a verified identity is an event of the person (people.services.link_identity)
        Event.objects.bulk_create([
            Event(person_id=i.person.pk, kind=EventKind.IDENTITY_LINKED, created_at=i.verified_at,
                  data={"identity_id": i.pk, "kind": i.kind, "value": i.value, "proof": i.proof})
            for i in identities if i.proof], batch_size=1000)
        self.advance(task)

    # -- conversations
    def _threads(self, openings: list[_Opening]) -> list["_Thread"]:
        task = self.task("Conversations", len(openings))
        threads = []
        for opening in openings:
            threads.append(self._thread(opening))
            self.advance(task)
        return threads

    def _route(self, person: Person) -> str:
        lang, tz = person.language, person.time_zone
        if lang == "ja" or tz.startswith(("Asia/", "Australia/", "Pacific/")):
            return _AP
        if lang in ("fr", "de") or tz.startswith(("Europe/", "Africa/")):
            return _EM
        return _AM

    def _agent(self, lang: str, team: str) -> User:
        rng = self.rng
        if rng.random() < 0.16 and self.sharers[lang]:  # the whole team answers: daily share
            return rng.choice(self.sharers[lang])
        own = self.answerers[team, lang]
        if own and rng.random() < 0.9:
            return rng.choice(own)
        return rng.choice(self.answerers["*", lang])  # follow-the-sun: another team covers

    def _slots(self, lang: str, plan: str, mention: str) -> dict[str, str]:
        rng = self.rng
        return {
            "invoice": f"BR-{rng.randrange(100000, 999999)}",
            "amount": AMOUNTS[lang][rng.choice(PLAN_AMOUNTS[plan])],
            "time": rng.choice(TIMES[lang]),
            "code": f"E{rng.randrange(100, 999)}",
            "ticket": str(rng.randrange(1200, 4800)),
            "network": rng.choice(NETWORKS),
            "integration": rng.choice(INTEGRATIONS),
            "plan": plan,
            "mention": mention,
        }

    def _thread(self, o: _Opening) -> "_Thread":
        rng = self.rng
        person = o.customer.person
        lang, plan = person.language, person.plan
        topic = self.pick(TOPIC_WEIGHTS if plan != Plan.FREE else FREE_TOPIC_WEIGHTS)
        case = rng.randrange(3)
        team = self._route(person)
        agent = self._agent(lang, team)
        experts = [self.staff[u] for u in EXPERTS[topic] if u != agent.username]
        expert = rng.choice(experts) if experts else self.leads[team]
        colleagues = [u for u in self.answerers[team, lang] if u != agent]
        slots = self._slots(lang, plan, expert.username)
        subject, opener, answer = (text.format(**slots) for text in TEXTS[lang].cases[topic][case])
        identity = o.customer.identities[IDENTITY_FOR_CHANNEL[o.channel]]
        th = _Thread(self, o, identity, team=self.teams[team])
        first_text = th.customer_text(opener, first=True)
        th.conversation.subject = (
            subject if o.channel in (Channel.EMAIL, Channel.WEB, Channel.FORUM)
            else _first_line(first_text))[:300]
        outcome = self.pick(OUTCOMES[topic])
        tags = [*TOPIC_TAGS[topic], *CASE_TAGS.get((topic, case), ())]
        if outcome == "bug" and "bug" not in tags:
            tags.append("bug")
        if plan == Plan.ENTERPRISE:
            tags.append("vip")
        story = _Story(th=th, topic=topic, outcome=outcome, answer=answer, slots=slots,
                       agent=agent, lead=self.leads[team], expert=expert,
                       colleague=rng.choice(colleagues) if colleagues else expert, tags=tags)
        with contextlib.suppress(_OutOfTime):  # the rest of its story is in the future
            self._story(story, first_text)
        return th

    def _story(self, s: "_Story", first_text: str) -> None:
        """What happens in one conversation, step by step, until now."""
        rng, th, agent = self.rng, s.th, s.agent
        chat = th.channel == Channel.CHAT
        first = th.inbound(first_text)
        th.update(None, team=th.team)  # routing, as the message arrives
        reply_at = self._first_reply_delay(th.channel)
        priority = Priority.NORMAL
        if th.person.plan == Plan.ENTERPRISE:
            priority = Priority.URGENT if s.topic == "bug" and rng.random() < 0.3 else Priority.HIGH
        elif s.topic == "feature" and rng.random() < 0.5:
            priority = Priority.LOW
        elif s.outcome == "bug" and rng.random() < 0.15:
            priority = Priority.HIGH
        if priority != Priority.NORMAL or rng.random() < 0.3:  # triage by the lead, mostly
            th.wait(min(reply_at / 2, rng.uniform(20, 120) if chat else rng.uniform(60, 1800)))
            changes: dict[str, Any] = {"priority": priority}
            if rng.random() < 0.6:
                changes["assignee"] = agent
            th.update(s.lead if rng.random() < 0.7 else agent, **changes)
            if priority == Priority.URGENT:
                s.tags.append("urgent")
        if reply_at > 6 * HOUR and rng.random() < 0.5:  # the customer asks again while waiting
            th.wait_until(reply_at * 0.6)
            th.inbound(th.customer_text(rng.choice(th.words.nudge)))
        th.wait_until(reply_at)
        if rng.random() < 0.3:
            th.react(agent, first, "👀")
            th.wait(rng.uniform(5, 120))

        if s.outcome == "bug":
            self._bug(s)
        else:
            if rng.random() < 0.15:  # "looking into it" first: open while they investigate
                th.reply(agent, th.agent_text(rng.choice(th.words.ack), agent))
                th.wait(rng.uniform(60, 900) if chat else rng.uniform(900, 6 * HOUR))
            if rng.random() < 0.15:  # a question to a colleague before answering
                note = self._note(s, s.colleague if rng.random() < 0.5 else s.expert)
                th.wait(rng.uniform(60, 600) if chat else rng.uniform(300, 3 * HOUR))
                th.react(s.mentioned, note, rng.choice(("👍", "✅")))
            status = Status.SOLVED if s.outcome == "solve" else Status.PENDING
            sent = th.reply(agent, th.agent_text(s.answer, agent), status=status)
            th.add_tags(agent, s.tags)
            self._celebrate(s, sent)
            if status == Status.PENDING:
                self._back_and_forth(s)
        self._after_solved(s)

    def _bug(self, s: "_Story") -> None:
        """Reproduced, filed, on hold until engineering ships the fix, then the good news."""
        rng, th, agent, expert = self.rng, s.th, s.agent, s.expert
        chat = th.channel == Channel.CHAT
        note = self._note(s, expert)
        th.wait(rng.uniform(30, 300))
        first_reply = s.answer if s.topic == "bug" else rng.choice(th.words.onhold)
        sent = th.reply(agent, th.agent_text(first_reply, agent), status=Status.ON_HOLD)
        th.add_tags(agent, s.tags)
        self._celebrate(s, sent)
        th.wait(rng.uniform(60, 900) if chat else rng.uniform(300, 4 * HOUR))
        th.react(expert, note, "👀")
        th.wait(rng.uniform(300, 6 * HOUR))
        answer = th.note(expert, rng.choice(ENGINEER_NOTES), "en")
        th.wait(rng.uniform(10, 300))
        th.react(agent, answer, rng.choice(("✅", "👍")))
        if rng.random() < 0.3:
            th.wait(rng.uniform(DAY, 3 * DAY))
            th.inbound(th.customer_text(rng.choice(th.words.nudge)))
        th.wait(rng.uniform(0.5 * DAY, 10 * DAY))
        fixer = agent
        if th.lang in expert.spoken_languages and rng.random() < 0.25:
            th.update(agent, assignee=expert)  # the engineer who fixed it tells them
            fixer = expert
        final = rng.choice(th.words.fixed) if s.topic == "bug" else s.answer
        fixed = th.reply(fixer, th.agent_text(final, fixer), status=Status.SOLVED)
        th.wait(rng.uniform(60, 2 * HOUR))
        th.react(expert if fixer is agent else agent, fixed, "🎉")

    def _back_and_forth(self, s: "_Story") -> None:
        """Pending: the customer confirms, says it still fails, or goes quiet."""
        rng, th, agent = self.rng, s.th, s.agent
        for round_ in range(3):
            roll = rng.random()
            if roll < 0.2 or round_ == 2:  # quiet: check in once, then solve
                th.wait(self._customer_delay(th.channel) + 3 * DAY)
                if rng.random() < 0.7:
                    th.reply(agent, th.agent_text(rng.choice(th.words.checkin), agent),
                             status=Status.PENDING)
                    th.wait(rng.uniform(3 * DAY, 5 * DAY))
                th.update(agent, status=Status.SOLVED)
                return
            th.wait(self._customer_delay(th.channel))
            if roll < 0.55 or s.topic not in TROUBLESHOOTING:
                th.inbound(th.customer_text(rng.choice(th.words.thanks)))
                s.thanked = True
                th.wait(self._next_reply_delay(th.channel))
                if rng.random() < 0.5:
                    th.reply(agent, th.agent_text(rng.choice(th.words.close), agent),
                             status=Status.SOLVED)
                else:
                    th.react(agent, th.messages[-1], rng.choice(("🎉", "👍")))
                    th.update(agent, status=Status.SOLVED)
                return
            th.inbound(th.customer_text(rng.choice(th.words.more)))
            th.wait(self._next_reply_delay(th.channel))
            th.reply(agent, th.agent_text(rng.choice(th.words.again), agent),
                     status=Status.PENDING)

    def _after_solved(self, s: "_Story") -> None:
        """A message after the solve reopens it (as receive() does): thanks, or it was not
        fixed after all. Solved conversations close 4 days later."""
        rng, th, agent = self.rng, s.th, s.agent
        if th.status != Status.SOLVED:
            return
        if rng.random() < 0.13:
            troubleshooting = s.topic in TROUBLESHOOTING
            if s.thanked:  # they already said thanks: only a relapse makes them write again
                again = "more" if troubleshooting else None
            else:
                again = "more" if troubleshooting and rng.random() < 0.4 else "thanks"
            if again == "thanks":
                th.wait(self._customer_delay(th.channel))
                th.inbound(th.customer_text(rng.choice(th.words.thanks)))
                th.wait(rng.uniform(60, 3 * HOUR))
                th.react(agent, th.messages[-1], rng.choice(("🎉", "👍")))
                th.update(agent, status=Status.SOLVED)
            elif again == "more":
                th.wait(self._customer_delay(th.channel))
                th.inbound(th.customer_text(rng.choice(th.words.more)))
                th.wait(self._next_reply_delay(th.channel))
                th.reply(agent, th.agent_text(rng.choice(th.words.again), agent),
                         status=Status.SOLVED)
        th.wait(4 * DAY + rng.uniform(0, HOUR))
        th.update(None, status=Status.CLOSED)

    def _celebrate(self, s: "_Story", reply: Message) -> None:
        """A teammate's reply gets a 🎉 from the lead and, sometimes, a good-first-reply tag."""
        if s.agent.role not in (Role.TEAMMATE, Role.ADMIN) or self.rng.random() > 0.35:
            return
        s.th.wait(self.rng.uniform(60, 2 * HOUR))
        s.th.react(s.lead, reply, "🎉")
        s.th.add_tags(s.lead, ["good-first-reply"])

    def _note(self, s: "_Story", to: User) -> Message:
        """A note asking a colleague: in the conversation's language when both speak it,
        in English otherwise."""
        rng, th, lang = self.rng, s.th, s.th.lang
        s.mentioned = to
        slots = {**s.slots, "mention": to.username}
        if lang != "en" and lang in to.spoken_languages and lang in s.agent.spoken_languages \
                and rng.random() < 0.7:
            return th.note(s.agent, rng.choice(th.words.notes).format(**slots), lang)
        english = (TOPIC_NOTES[s.topic], *GENERIC_NOTES) if to is s.expert else GENERIC_NOTES
        return th.note(s.agent, rng.choice(english).format(**slots), "en")

    def _first_reply_delay(self, channel: str) -> float:
        """Buffer, Nov 2012: 57% answered within 1 h, 14% within 3 h, 80% within 6 h,
        7% waited more than a day."""
        rng = self.rng
        if channel == Channel.CHAT:
            return rng.uniform(20, 240)
        roll = rng.random()
        if channel == Channel.SOCIAL:
            roll *= 0.85  # mentions are public: answered a bit faster
        if roll < 0.57:
            return rng.uniform(120, HOUR)
        if roll < 0.71:
            return rng.uniform(HOUR, 3 * HOUR)
        if roll < 0.80:
            return rng.uniform(3 * HOUR, 6 * HOUR)
        if roll < 0.93:
            return rng.uniform(6 * HOUR, DAY)
        return rng.uniform(DAY, 3 * DAY)

    def _next_reply_delay(self, channel: str) -> float:
        if channel == Channel.CHAT:
            return self.rng.uniform(15, 180)
        return self.rng.choice((self.rng.uniform(300, 2 * HOUR), self.rng.uniform(HOUR, DAY)))

    def _customer_delay(self, channel: str) -> float:
        if channel == Channel.CHAT:
            return self.rng.uniform(20, 300)
        return self.rng.choice((self.rng.uniform(600, 4 * HOUR), self.rng.uniform(HOUR, 2 * DAY)))

    # -- writing it all
    def _save_threads(self, threads: list["_Thread"]) -> dict[str, int]:
        threads.sort(key=lambda th: th.conversation.created_at)
        conversations = [th.finish() for th in threads]
        messages = [m for th in threads for m in th.messages]
        reactions = [r for th in threads for r in th.reactions]
        events = [e for th in threads for e in th.events]
        links = [(th.conversation, self.tags[name]) for th in threads for name in th.tags]
        total = len(conversations) + len(messages) + len(reactions) + len(events) + len(links)
        task = self.task("Writing to the database", total)

        def write(model: type[models.Model], rows: list) -> None:
            for chunk in _chunks(rows, 5000):
                model.objects.bulk_create(chunk)
                self.advance(task, len(chunk))

        write(Conversation, conversations)
        write(Message, messages)
        for th in threads:
            for event, message in th.pending_ids:
                event.data["message_id"] = message.pk
        write(Reaction, reactions)
        write(Event, events)
        through = Conversation.tags.through
        write(through, [through(conversation_id=c.pk, tag_id=t.pk) for c, t in links])
        by_status = Counter(c.status for c in conversations)
        return {"conversations": len(conversations), "messages": len(messages),
                "reactions": len(reactions), "events": len(events),
                **{f"status {s}": n for s, n in sorted(by_status.items())}}

    def _share_pool(self, customers: list[_Customer]) -> dict[str, int]:
        """Simple questions of the last few hours that the leads tagged as good first
        replies and left in their team's queue, for everyone's daily share: forum posts,
        or emails from customers whose plan has email. Written as the threads are, then
        their service-level clocks as ``sla.services`` computes them."""
        rng = self.rng
        # free and paid plans: premium and enterprise questions are for the advocates
        writers = [c for c in customers if c.person.plan in (Plan.FREE, Plan.PAID) and (
            IdentityKind.FORUM in c.identities or c.person.plan not in self.without_email)]
        by_language: dict[str, list[_Customer]] = defaultdict(list)
        for customer in writers:
            by_language[customer.person.language].append(customer)
        for people in by_language.values():  # each writes once, while there are enough
            rng.shuffle(people)
        threads = []
        for _index in range(max(20, round(POOL_SIZE * self.scale))):
            lang = self.pick(LANGUAGE_WEIGHTS)
            people = by_language[lang]
            customer = people.pop() if len(people) > 1 else rng.choice(people or writers)
            person = customer.person
            channel = (Channel.FORUM if IdentityKind.FORUM in customer.identities
                       else Channel.EMAIL)
            age = rng.uniform(20 * 60, 3 * HOUR)
            opening = _Opening(customer, channel, self.now - timedelta(seconds=round(age)),
                               budget=age - 60)
            team = self._route(person)
            lead = self.leads[team]
            topic = rng.choice(POOL_TOPICS)
            slots = self._slots(person.language, person.plan, lead.username)
            subject, opener, _answer = (text.format(**slots) for text in
                                        TEXTS[person.language].cases[topic][rng.randrange(3)])
            th = _Thread(self, opening, customer.identities[IDENTITY_FOR_CHANNEL[channel]],
                         team=self.teams[team])
            th.conversation.subject = subject[:300]
            th.inbound(th.customer_text(opener, first=True))
            th.update(None, team=th.team)
            th.wait(rng.uniform(60, age / 2))
            th.add_tags(lead, [*TOPIC_TAGS[topic], "good-first-reply"])
            threads.append(th)
        counts = self._save_threads(threads)
        sla_services.refresh_many([th.conversation.pk for th in threads], now=self.now)
        return counts

    def _macros(self) -> int:
        authors = {"en": "lena", "fr": "camille", "de": "jonas", "es": "ines", "ja": "haruto"}
        macros = [
            Macro(name=name, language=lang, body=body, created_by=self.staff[authors[lang]],
                  created_at=self.now - timedelta(days=DAYS + 20))
            for lang, entries in MACROS.items() for name, body in entries
        ]
        Macro.objects.bulk_create(macros, ignore_conflicts=True)
        return len(macros)

    def _mailboxes(self) -> int:
        """The demo's mailboxes; one already there is kept as it is, given its team back
        if a reset deleted the team."""
        for address, name, team, language in MAILBOXES:
            mailbox, _created = Mailbox.objects.get_or_create(address=address, defaults={
                "name": name, "team": self.teams[team], "language": language, **SELF_SERVICE})
            if mailbox.team_id is None:
                mailbox.team = self.teams[team]
                mailbox.save(update_fields=["team"])
        return len(MAILBOXES)


# --- service levels -----------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarSpec:
    team: str
    name: str
    time_zone: str
    weekdays: tuple[str, str]
    weekend: tuple[str, str] | None
    country: str
    subdivision: str = ""


# Follow the sun without night shifts: Tokyo hands over to Paris, Paris to New York, New York
# to Tokyo (weekdays covered around the clock in winter and summer); a skeleton crew on
# weekends, whose gaps the coverage page shows in red. Engineering keeps office hours.
CALENDARS = (
    CalendarSpec(_AP, "Support APAC (Tokyo)", "Asia/Tokyo", ("08:00", "18:00"),
                 ("10:00", "14:00"), "JP"),
    CalendarSpec(_EM, "Support EMEA (Paris)", "Europe/Paris", ("08:00", "18:00"),
                 ("10:00", "16:00"), "FR"),
    CalendarSpec(_AM, "Support Americas (New York)", "America/New_York", ("08:00", "20:00"),
                 ("10:00", "16:00"), "US", "NY"),
    CalendarSpec(_PE, "Product & Engineering (Berlin)", "Europe/Berlin", ("09:00", "17:00"),
                 None, "DE", "BE"),
)
FOLLOW_THE_SUN = "Follow the sun"


def service_levels(teams: dict[str, Team], *, now: datetime | None = None) -> dict[str, int]:
    """Calendars for the demo teams, the follow-the-sun coverage plan of the three support
    teams, the default plan tiers and SLA policies, then the clocks of every active
    conversation. Idempotent: what exists (by name) is kept as it is."""
    calendars = []
    for spec in CALENDARS:
        hours = {str(day): [list(spec.weekdays)] for day in range(5)}
        if spec.weekend:
            hours.update({str(day): [list(spec.weekend)] for day in (5, 6)})
        team = teams.get(spec.team)
        calendar, _created = SlaCalendar.objects.get_or_create(name=spec.name, defaults={
            "time_zone": spec.time_zone, "weekly_hours": hours, "holiday_country": spec.country,
            "holiday_subdivision": spec.subdivision})
        if calendar.team_id is None and team is not None \
                and not SlaCalendar.objects.filter(team=team).exists():
            calendar.team = team
            calendar.save(update_fields=["team", "updated_at"])
        calendars.append(calendar)
    plan, created = CoveragePlan.objects.get_or_create(name=FOLLOW_THE_SUN)
    if created:
        plan.calendars.set([c for c, spec in zip(calendars, CALENDARS, strict=True)
                            if spec.team != _PE])
        if not CoveragePlan.objects.filter(is_default=True).exists():
            plan.is_default = True
            plan.save(update_fields=["is_default", "updated_at"])
    sla_defaults.install(django_apps)
    active = Conversation.objects.filter(status__in=ACTIVE_STATUSES).values_list("pk", flat=True)
    refreshed = sla_services.refresh_many(list(active), now=now)
    return {"calendars": len(calendars), "sla conversations": refreshed}


# --- routing: skills, shifts, leave -----------------------------------------------------------


@dataclass(frozen=True)
class SkillSpec:
    name: str
    tags: tuple[str, ...]
    mailboxes: tuple[str, ...]
    keywords: tuple[str, ...]
    members: tuple[str, ...]


SKILLS = (
    SkillSpec("Billing & refunds", ("billing", "refund"), ("facturation@comptoir.test",),
              ("invoice", "refund", "facture", "remboursement", "rechnung", "factura",
               "請求", "返金"),
              ("hanna", "camille", "ada", "hugo", "ines", "priya", "sofia", "beatriz", "yui",
               "charlotte")),
    SkillSpec("API & integrations", ("api", "integrations"), (),
              ("api", "webhook", "zapier", "shopify"),
              ("marcus", "jordan", "rafael", "jonas", "lea", "kenji", "liam", "ruby")),
    SkillSpec("Login & security", ("login", "2fa"), (),
              ("password", "2fa", "mot de passe", "passwort", "contraseña", "パスワード"),
              ("lena", "priya", "mila", "jonas", "hugo", "haruto", "kenji", "ruby")),
)

_WEEKDAYS, _WEEKEND = range(5), (5, 6)


def _shift(days: Iterable[int], start: str, end: str) -> dict[str, list[list[str]]]:
    return {str(day): [[start, end]] for day in days}


# Shifts in each person's own time zone (everyone else: office hours, Monday to Friday
# 09:00–18:00). Part-timers, early and late shifts, and a weekend crew in each region, so
# the hand-over of follow-the-sun works on Saturdays too.
WORKING_HOURS = {
    "marcus": _shift(_WEEKDAYS, "08:00", "16:00"),
    "priya": _shift(_WEEKDAYS, "12:00", "20:00"),
    "sofia": _shift(_WEEKDAYS, "06:00", "14:00"),
    "jordan": _shift((0, 1, 2, 5, 6), "10:00", "18:00"),
    "ada": _shift(_WEEKDAYS, "08:00", "16:00"),
    "hugo": _shift(_WEEKDAYS, "10:00", "18:00"),
    "ines": _shift((0, 3, 4, 5, 6), "09:00", "17:00"),
    "jonas": _shift((0, 1, 2), "09:00", "17:00"),  # part time
    "yui": _shift(_WEEKDAYS, "08:00", "17:00"),
    "charlotte": _shift(_WEEKDAYS, "07:00", "15:00"),
    "liam": _shift((0, 1, 2, 3), "08:00", "18:00"),  # four long days
    "ruby": _shift((2, 3, 4, 5, 6), "09:00", "17:00"),
}
# (who, first day and last day relative to today in their time zone, note)
LEAVE = (
    ("marcus", -2, 4, "Vacation"),
    ("kenji", 0, 0, "Doctor's appointment"),
    ("hugo", 14, 25, "Holidays"),
    ("lea", -30, -26, "Conference"),
)


def routing(staff: dict[str, User], *, now: datetime | None = None) -> dict[str, int]:
    """Skills, working hours and leave for the demo staff, then the routing of the
    conversations nobody has answered yet, each at the instant it arrived (its decision is
    what "Why here?" shows; one that arrived off shift waits in its team's queue for the
    ``routing.route_waiting`` job)."""
    now = now or timezone.now()
    for spec in SKILLS:
        skill, _created = Skill.objects.get_or_create(name=spec.name, defaults={
            "tags": list(spec.tags), "mailboxes": list(spec.mailboxes),
            "keywords": list(spec.keywords)})
        skill.members.add(*(staff[u] for u in spec.members if u in staff))
    WorkingHours.objects.bulk_create(
        [WorkingHours(user=staff[u], weekly_hours=hours, updated_at=now)
         for u, hours in WORKING_HOURS.items() if u in staff], ignore_conflicts=True)
    leave = []
    for username, first, last, note in LEAVE:
        if username in staff and not Leave.objects.filter(user=staff[username],
                                                          note=note).exists():
            today = now.astimezone(ZoneInfo(staff[username].time_zone)).date()
            leave.append(Leave(user=staff[username], starts_on=today + timedelta(days=first),
                               ends_on=today + timedelta(days=last), note=note,
                               created_at=now - timedelta(days=40)))
    Leave.objects.bulk_create(leave)
    waiting = (Conversation.objects.filter(person_id__in=_demo_person_ids(),
                                           assignee__isnull=True, status=Status.NEW,
                                           routing_decisions__isnull=True)
               .order_by("created_at", "pk").values_list("pk", "created_at"))
    decisions = []
    for pk, arrived in waiting:
        decisions += routing_services.route_many([pk], trigger=Trigger.INTAKE, now=arrived)
    # a customer who wrote again after the routing: the conversation changed then
    Conversation.objects.filter(pk__in=[d.conversation_id for d in decisions],
                                updated_at__lt=models.F("last_activity_at")).update(
        updated_at=models.F("last_activity_at"))
    return {"skills": len(SKILLS), "shifts": len(WORKING_HOURS), "leave": len(leave),
            "routed": len(decisions)}


@cache
def _password_hash() -> str:
    """One hash for every demo account: hashing 31 times would take longer than the rest."""
    return make_password(PASSWORD)


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")


def _short(text: str, limit: int = 240) -> str:
    """The first sentences of ``text`` that fit in ``limit`` (at least one)."""
    sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
    kept = sentences[0]
    joiner = "" if re.search(r"[。！？]$", kept) else " "
    for sentence in sentences[1:]:
        if len(kept) + len(sentence) + 1 > limit:
            break
        kept += joiner + sentence
    return kept


@dataclass
class _Story:
    """Who and what one conversation is about, while its story is written."""

    th: "_Thread"
    topic: str
    outcome: str
    answer: str
    slots: dict[str, str]
    agent: User
    lead: User
    expert: User
    colleague: User
    tags: list[str]
    mentioned: User | None = None
    thanked: bool = False


class _Thread:
    """One conversation written the way ``conversations.services`` would have written it:
    the same fields, the same events with the same data, in the same order."""

    def __init__(self, gen: _Generator, opening: _Opening, identity: Identity, team: Team):
        self.gen, self.rng = gen, gen.rng
        self.opening = opening
        self.person = opening.customer.person
        self.lang = self.person.language
        self.words = TEXTS[self.lang]
        self.identity = identity
        self.channel = opening.channel
        self.team = team
        self.t = 0.0
        self.status = Status.NEW
        self.assignee: User | None = None
        self.tags: list[str] = []
        self.messages: list[Message] = []
        self.events: list[Event] = []
        self.reactions: list[Reaction] = []
        self.pending_ids: list[tuple[Event, Message]] = []
        self.reacted: set[tuple[int, str, str]] = set()
        self.saves = 0
        self.saved_at = opening.start
        self.conversation = Conversation(
            channel=self.channel, language=self.lang, plan=self.person.plan, person=self.person,
            created_at=opening.start)

    @property
    def at(self) -> datetime:
        return self.opening.start + timedelta(seconds=round(self.t, 3))

    def wait(self, seconds: float) -> None:
        if self.t + seconds > self.opening.budget:
            raise _OutOfTime
        self.t += seconds

    def wait_until(self, t: float) -> None:
        self.wait(max(0.0, t - self.t))

    # -- texts
    def customer_text(self, body: str, first: bool = False) -> str:
        rng, words, person = self.rng, self.words, self.person
        if self.channel == Channel.EMAIL:
            signature = person.name if self.lang == "ja" or rng.random() < 0.4 \
                else person.first_name
            greetings = words.greeting + (words.first_greeting if first else ())
            return (f"{rng.choice(greetings)}\n\n{body}\n\n"
                    f"{rng.choice(words.signoff).format(name=signature)}")
        if self.channel == Channel.SOCIAL:
            prefix = "@BriocheApp " if self.identity.network == "twitter" else ""
            return prefix + _short(body, 260)
        if self.channel == Channel.CHAT:
            return _short(body, 200)
        return body  # web form, forum post

    def agent_text(self, body: str, agent: User) -> str:
        words = self.words
        if self.channel == Channel.CHAT:
            return _short(body, 260)
        if self.channel == Channel.SOCIAL:  # an answer to a mention starts with their handle
            return f"{self.identity.display} {_short(body, 250)}"
        names = {"first": self.person.first_name, "agent": agent.first_name}
        return (f"{self.rng.choice(words.agent_greeting).format(**names)}\n\n{body}\n\n"
                f"{self.rng.choice(words.agent_signoff).format(**names)}")

    # -- what services do
    def _event(self, kind: str, actor: User | None, message: Message | None = None,
               **data: Any) -> Event:
        if message is not None:
            data = {"message_id": None, **data}
        event = Event(conversation=self.conversation, person=self.person, kind=kind, actor=actor,
                      created_at=self.at, data=data)
        self.events.append(event)
        if message is not None:
            self.pending_ids.append((event, message))
        return event

    def _save(self) -> None:
        self.saves += 1
        self.saved_at = self.at

    def _set_status(self, status: str, actor: User | None) -> None:
        if status != self.status:
            self._event(EventKind.STATUS_CHANGED, actor, **{"from": self.status, "to": status})
            self.status = status

    def _message(self, kind: str, text: str, **fields: Any) -> Message:
        message = Message(conversation=self.conversation, kind=kind, channel=self.channel,
                          body_text=text, created_at=self.at, **fields)
        self.messages.append(message)
        return message

    def inbound(self, text: str) -> Message:
        if not self.messages:
            self._event(EventKind.CONVERSATION_CREATED, None, channel=self.channel,
                        plan=self.person.plan, person_id=self.person.pk, language=self.lang)
        # an email outside the customer's plan is kept, with the badge intake gives it
        # (email.outbound.maybe_acknowledge)
        outside = self.channel == Channel.EMAIL and self.person.plan in self.gen.without_email
        message = self._message(MessageKind.INBOUND, text, person=self.person,
                                identity=self.identity, language=self.lang,
                                external_id=self._external_id(),
                                meta={"outside_plan": Channel.EMAIL} if outside else {})
        self._event(EventKind.MESSAGE_RECEIVED, None, message, channel=self.channel)
        if self.status == Status.SOLVED:
            self._event(EventKind.REOPENED, None, **{"from": Status.SOLVED})
            self._set_status(Status.OPEN, None)
        elif self.status == Status.PENDING:
            self._set_status(Status.OPEN, None)
        self._save()
        return message

    def _external_id(self) -> str:
        if self.channel == Channel.EMAIL:
            email = self.opening.customer.identities[IdentityKind.EMAIL].value
            domain = email.rpartition("@")[2]
            return f"<{self.rng.getrandbits(64):016x}@{domain}>"
        if self.channel == Channel.SOCIAL:
            return str(self.rng.randrange(10**17, 10**18))
        if self.channel == Channel.FORUM:
            return f"post-{self.rng.randrange(10**5, 10**6)}"
        return ""

    def reply(self, author: User, text: str, status: str | None = None) -> Message:
        message = self._message(MessageKind.REPLY, text, author=author, language=self.lang)
        self._event(EventKind.REPLY_SENT, author, message, channel=self.channel)
        if self.assignee is None:
            self._event(EventKind.ASSIGNEE_CHANGED, author, **{"from": None, "to": author.pk})
            self.assignee = author
        if status is None and self.status == Status.NEW:
            status = Status.OPEN
        if status:
            self._set_status(status, author)
        self._save()
        return message

    def note(self, author: User, text: str, language: str) -> Message:
        message = self._message(MessageKind.NOTE, text, author=author, language=language)
        self._event(EventKind.NOTE_ADDED, author, message)
        self._save()
        return message

    def update(self, actor: User | None, *, status: str | None = None, priority: int | None = None,
               assignee: User | None = None, team: Team | None = None) -> None:
        changed = False
        if status is not None and status != self.status:
            self._set_status(status, actor)
            changed = True
        if priority is not None and priority != self.conversation.priority:
            self._event(EventKind.PRIORITY_CHANGED, actor,
                        **{"from": self.conversation.priority, "to": priority})
            self.conversation.priority = priority
            changed = True
        if assignee is not None and assignee != self.assignee:
            self._event(EventKind.ASSIGNEE_CHANGED, actor,
                        **{"from": self.assignee.pk if self.assignee else None, "to": assignee.pk})
            self.assignee = assignee
            changed = True
        if team is not None and self.conversation.team is None:
            self._event(EventKind.TEAM_CHANGED, actor, **{"from": None, "to": team.pk})
            self.conversation.team = team
            changed = True
        if changed:
            self._save()

    def add_tags(self, actor: User, names: Iterable[str]) -> None:
        added = [n for n in sorted(set(names)) if n not in self.tags]
        for name in added:
            self._event(EventKind.TAG_ADDED, actor, tag=name)
            self.tags.append(name)
        if added:
            self._save()

    def react(self, user: User, message: Message, emoji: str) -> None:
        key = (id(message), user.username, emoji)
        if key in self.reacted:
            return
        self.reacted.add(key)
        self.reactions.append(Reaction(message=message, user=user, emoji=emoji,
                                       created_at=self.at))
        self._event(EventKind.REACTION_ADDED, user, message, emoji=emoji)

    def finish(self) -> Conversation:
        """Set the fields the services keep up to date as messages arrive."""
        c = self.conversation
        c.status = self.status
        c.assignee = self.assignee
        c.message_count = len(self.messages)
        c.last_activity_at = self.messages[-1].created_at
        public = [m for m in self.messages if m.kind != MessageKind.NOTE]
        c.preview = " ".join(public[-1].body_text.split())[:PREVIEW_LENGTH]
        c.updated_at = self.saved_at
        c.version = 1 + self.saves
        return c


LOCAL_HOURS = {h: w for h, w in zip(range(24), (
    1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 11, 11, 9, 9, 10, 10, 9, 8, 6, 5, 4, 3, 2, 1), strict=True)}
