"""Read side of customer days: the day's workspace, the records (searched and summarised by
engineering team), the overview over time, and reactions grouped by emoji. Organisation and
team figures only: nobody is ranked."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.db.models.functions import TruncMonth

from comptoir import keyset
from comptoir.bugs.models import Bug, BugStatus
from comptoir.conversations.models import ACTIVE_STATUSES, Conversation

from .models import Pairing, PairingRecord, PairingStatus, Reaction

WORKSPACE_SIZE = 50
PAGE_SIZE = 25
ANY_LANGUAGE = ("", "other")


def area_tags(pairing: Pairing) -> list[str]:
    tags = set(pairing.skill.tags if pairing.skill_id else ())
    if pairing.tag:
        tags.add(pairing.tag)
    return sorted(tags)


def workspace(pairing: Pairing) -> list[Conversation]:
    """Open conversations of the engineer's product area (its skill's tags, or its tag) in a
    language the advocate or the engineer speaks (or none detected), latest activity first."""
    tags = area_tags(pairing)
    if not tags:
        return []
    languages = {*(pairing.engineer.spoken_languages or ()),
                 *(pairing.advocate.spoken_languages or ()), *ANY_LANGUAGE}
    return list(
        Conversation.objects.filter(status__in=ACTIVE_STATUSES, tags__name__in=tags,
                                    language__in=languages)
        .distinct().select_related("person", "assignee")
        .order_by("-last_activity_at", "-id")[:WORKSPACE_SIZE]
    )


def search_records(text: str = "") -> QuerySet[PairingRecord]:
    records = PairingRecord.objects.select_related(
        "pairing__engineer", "pairing__advocate", "pairing__engineering_team",
        "pairing__skill").prefetch_related("bugs")
    for word in text.split()[:8]:
        records = records.filter(Q(learnings__icontains=word) | Q(bugs_found__icontains=word)
                                 | Q(ux_issues__icontains=word)
                                 | Q(follow_ups__icontains=word)
                                 | Q(pairing__tag__icontains=word)
                                 | Q(pairing__skill__name__icontains=word)
                                 | Q(bugs__title__icontains=word))
    return records.distinct()


def my_days(user, today: date, cursor: str | None = None,
            size: int = PAGE_SIZE) -> tuple[list[Pairing], keyset.Page]:
    """``user``'s customer days (as engineer or advocate): every upcoming one, soonest
    first (on the first page only), and a page of the past and cancelled ones, latest
    first."""
    mine = (Pairing.objects.filter(Q(engineer=user) | Q(advocate=user))
            .select_related("engineer", "advocate", "skill", "record"))
    upcoming = [] if cursor else list(
        mine.filter(day__gte=today, status=PairingStatus.SCHEDULED).order_by("day", "id"))
    past = keyset.page(mine.exclude(day__gte=today, status=PairingStatus.SCHEDULED), "day",
                       cursor, size)
    return upcoming, past


def records_page(text: str = "", cursor: str | None = None,
                 size: int = PAGE_SIZE) -> keyset.Page:
    """A page of the records matching ``text``, latest written first."""
    return keyset.page(search_records(text), "written_at", cursor, size)


@dataclass
class TeamSummary:
    name: str
    days: int = 0
    records: int = 0
    bugs_found: int = 0
    bugs_fixed: int = 0
    learnings: list[PairingRecord] = field(default_factory=list)


def team_summaries(today: date, latest: int = 3) -> list[TeamSummary]:
    """Per engineering team: days held, records written, linked bugs found and fixed, and
    the latest learnings."""
    summaries: dict[int | None, TeamSummary] = {}
    held = Pairing.objects.filter(status=PairingStatus.SCHEDULED, day__lte=today)
    for team_id, team_name in held.values_list("engineering_team_id",
                                               "engineering_team__name"):
        summary = summaries.setdefault(team_id, TeamSummary(team_name or ""))
        summary.days += 1
    bugs: dict[int | None, dict[int, str]] = defaultdict(dict)
    for team_id, bug_id, status in PairingRecord.bugs.through.objects.filter(
            pairingrecord__pairing__in=held).values_list(
            "pairingrecord__pairing__engineering_team_id", "bug_id", "bug__status"):
        bugs[team_id][bug_id] = status
    for record in search_records().filter(pairing__in=held):
        summary = summaries[record.pairing.engineering_team_id]
        summary.records += 1
        if len(summary.learnings) < latest:
            summary.learnings.append(record)
    for team_id, found in bugs.items():
        summaries[team_id].bugs_found = len(found)
        summaries[team_id].bugs_fixed = sum(1 for s in found.values() if s == BugStatus.FIXED)
    return sorted(summaries.values(), key=lambda s: (s.name == "", s.name))


@dataclass
class Overview:
    months: list[tuple[str, int]]
    zones: list[tuple[str, str, int]]
    days_held: int
    records_written: int
    bugs_found: int
    bugs_fixed: int
    upcoming: int


def overview(today: date) -> Overview:
    """Every customer day over time: days held per month, the time zones that paired, and
    the bugs found on those days and how many are fixed."""
    scheduled = Pairing.objects.filter(status=PairingStatus.SCHEDULED)
    held = scheduled.filter(day__lte=today)
    months = [(month.strftime("%Y-%m"), count) for month, count in _per_month(held)]
    zones = Counter(held.values_list("engineer__time_zone", "advocate__time_zone"))
    bug_ids = set(PairingRecord.bugs.through.objects.filter(
        pairingrecord__pairing__in=held).values_list("bug_id", flat=True))
    fixed = Bug.objects.filter(pk__in=bug_ids, status=BugStatus.FIXED).count()
    return Overview(
        months=months,
        zones=[(engineer, advocate, n) for (engineer, advocate), n in zones.most_common()],
        days_held=held.count(),
        records_written=PairingRecord.objects.filter(pairing__in=held).count(),
        bugs_found=len(bug_ids), bugs_fixed=fixed,
        upcoming=scheduled.filter(day__gt=today).count(),
    )


def _per_month(held: QuerySet[Pairing]) -> list[tuple[date, int]]:
    counts: Counter[date] = Counter()
    for month in held.annotate(month=TruncMonth("day")).values_list("month", flat=True):
        counts[month if isinstance(month, date) else month.date()] += 1
    return sorted(counts.items())


@dataclass(frozen=True)
class ReactionSummary:
    emoji: str
    count: int
    names: list[str]
    mine: bool


def reactions_of(target, user) -> list[ReactionSummary]:
    """``target``'s reactions grouped by emoji, in first-use order, with who reacted."""
    content_type = ContentType.objects.get_for_model(target)
    grouped: dict[str, list[Reaction]] = defaultdict(list)
    for reaction in Reaction.objects.filter(content_type=content_type, object_id=target.pk
                                            ).select_related("user"):
        grouped[reaction.emoji].append(reaction)
    return [ReactionSummary(emoji, len(rs), [r.user.display_name for r in rs],
                            any(r.user_id == user.pk for r in rs))
            for emoji, rs in grouped.items()]
