"""Customer engineering days: propose, cancel, write the record; reactions.

``propose`` reads everyone the rules need once (``load_people``), lets ``rules.choose`` pick
the advocate, stores the pairing and queues the calendar invitation to both people after
commit. Nothing here measures anyone: a record is what was learned, not a score.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.accounts.models import Team, User
from comptoir.bugs.models import Bug
from comptoir.routing.models import Leave, Skill, WorkingHours
from comptoir.routing.rules import ASSIGNABLE_ROLES, calendar_for

from . import rules
from .models import Pairing, PairingRecord, PairingStatus, Reaction, TeamCoverage

MAX_CANDIDATES = 3
MAX_EMOJI_LENGTH = 32


class PairingError(Exception):
    """A request that cannot be carried out as it stands; the message says why."""


class Refused(PairingError):
    """No candidate date works; ``verdicts`` says why, date by date."""

    def __init__(self, verdicts: Sequence[rules.DateVerdict]):
        super().__init__(_("No advocate can pair on these dates."))
        self.verdicts = list(verdicts)


@dataclass(frozen=True)
class World:
    engineer: rules.Person
    advocates: list[rules.Person]
    teams: list[rules.TeamRule]
    busy: dict[date, frozenset[int]]


def _person(user_id: int, name: str, zone: str, hours_row: bool, hours, leaves, teams,
            skills, days, count) -> rules.Person:
    return rules.Person(
        id=user_id, name=name, calendar=calendar_for(zone or "UTC", hours if hours_row else None),
        leaves=tuple(sorted(leaves)), team_ids=tuple(teams), skill_ids=frozenset(skills),
        pairing_days=frozenset(days), pairings_so_far=count,
    )


def load_people(engineer: User, days: Sequence[date]) -> World:
    """The engineer, every active advocate and lead of every support team, the teams'
    minimums and who pairs on ``days``: a fixed number of queries."""
    support = list(Team.objects.filter(is_support=True).values_list("id", "name"))
    minimums = dict(TeamCoverage.objects.values_list("team_id", "minimum_per_hour"))
    members: dict[int, list[int]] = defaultdict(list)
    user_teams: dict[int, list[int]] = defaultdict(list)
    for user_id, team_id in User.teams.through.objects.filter(
            team__is_support=True, user__is_active=True,
            user__role__in=ASSIGNABLE_ROLES).values_list("user_id", "team_id"):
        members[team_id].append(user_id)
        user_teams[user_id].append(team_id)
    ids = {*user_teams, engineer.pk}
    users = {pk: (pk, f"{first} {last}".strip() or username, zone)
             for pk, username, first, last, zone in User.objects.filter(pk__in=ids).values_list(
                 "pk", "username", "first_name", "last_name", "time_zone")}
    hours = dict(WorkingHours.objects.filter(user_id__in=ids)
                 .values_list("user_id", "weekly_hours"))
    low, high = (min(days), max(days)) if days else (timezone.localdate(),) * 2
    leaves: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for user_id, start, end in Leave.objects.filter(
            user_id__in=ids, ends_on__gte=low - timedelta(days=1),
            starts_on__lte=high + timedelta(days=1)).values_list("user_id", "starts_on",
                                                                  "ends_on"):
        leaves[user_id].append((start, end))
    skills: dict[int, set[int]] = defaultdict(set)
    for user_id, skill_id in Skill.members.through.objects.filter(
            user_id__in=ids).values_list("user_id", "skill_id"):
        skills[user_id].add(skill_id)
    scheduled = Pairing.objects.filter(status=PairingStatus.SCHEDULED)
    busy: dict[date, set[int]] = defaultdict(set)
    engineer_days: set[date] = set()
    for advocate_id, engineer_id, day in scheduled.filter(day__in=days).values_list(
            "advocate_id", "engineer_id", "day"):
        busy[day].add(advocate_id)
        busy[day].add(engineer_id)
        if engineer.pk in (advocate_id, engineer_id):
            engineer_days.add(day)
    counts = dict(scheduled.filter(advocate_id__in=ids).values("advocate_id")
                  .annotate(n=models.Count("id")).values_list("advocate_id", "n"))

    def person(user_id: int) -> rules.Person:
        pk, name, zone = users[user_id]
        return _person(pk, name, zone, user_id in hours, hours.get(user_id), leaves[user_id],
                       user_teams.get(user_id, ()), skills[user_id], (), counts.get(user_id, 0))

    me = person(engineer.pk)
    me = rules.Person(me.id, me.name, me.calendar, me.leaves, me.team_ids, me.skill_ids,
                      frozenset(engineer_days), me.pairings_so_far)
    advocates = [person(user_id) for user_id in sorted(user_teams) if user_id in users]
    teams = [rules.TeamRule(pk, name, tuple(members[pk]),
                            minimums.get(pk, rules.DEFAULT_MINIMUM)) for pk, name in support]
    return World(me, advocates, teams, {day: frozenset(ids) for day, ids in busy.items()})


def engineering_team_of(user: User) -> Team | None:
    return user.teams.filter(is_support=False).order_by("name").first()


def propose(engineer: User, days: Sequence[date], *, skill: Skill | None = None,
            tag: str = "") -> Pairing:
    """Pair ``engineer`` with an advocate on the first of ``days`` that works, and send
    both the calendar invitation (after commit). Raises ``Refused`` with each date's
    reasons, or ``PairingError`` on bad input."""
    days = list(dict.fromkeys(days))
    if not days or len(days) > MAX_CANDIDATES:
        raise PairingError(_("Propose one to three dates."))
    today = timezone.localdate()
    if any(day < today for day in days):
        raise PairingError(_("Propose dates from today on."))
    tag = tag.strip().lower()
    if skill is None and not tag:
        raise PairingError(_("Choose your product area: a skill or a tag."))
    world = load_people(engineer, days)
    outcome = rules.choose(world.engineer, days, world.advocates, world.teams, world.busy,
                           skill_id=skill.pk if skill else None)
    if outcome.match is None:
        raise Refused(outcome.verdicts)
    match = outcome.match
    try:
        with transaction.atomic():
            pairing = Pairing.objects.create(
                engineer=engineer, advocate_id=match.advocate.id, day=match.day,
                starts_at=match.starts_at, ends_at=match.ends_at,
                candidates=[day.isoformat() for day in days], skill=skill, tag=tag,
                engineering_team=engineering_team_of(engineer),
            )
            _queue_invite(pairing, "REQUEST")
    except IntegrityError as exc:  # someone took that advocate for that day meanwhile
        raise PairingError(_("That advocate was just taken for that day; propose again.")
                           ) from exc
    return pairing


def _queue_invite(pairing: Pairing, method: str) -> None:
    from .tasks import send_invite

    pairing_id = pairing.pk
    transaction.on_commit(lambda: send_invite.delay(pairing_id, method))


def may_manage(user: User, pairing: Pairing) -> bool:
    from comptoir.accounts.permissions import Perm, has_perm

    return user.pk in (pairing.engineer_id, pairing.advocate_id) or has_perm(
        user, Perm.MANAGE_SLA)


def cancel(pairing: Pairing, actor: User) -> Pairing:
    """Cancel a scheduled day and send both people the calendar cancellation."""
    if not may_manage(actor, pairing):
        raise PairingError(_("Only the two people pairing or a lead can cancel."))
    with transaction.atomic():
        pairing = Pairing.objects.select_for_update().get(pk=pairing.pk)
        if pairing.status != PairingStatus.SCHEDULED:
            raise PairingError(_("This customer day is already cancelled."))
        if pairing.ends_at <= timezone.now():
            raise PairingError(_("This customer day is over: write its record instead."))
        pairing.status = PairingStatus.CANCELLED
        pairing.cancelled_at = timezone.now()
        pairing.sequence += 1
        pairing.save(update_fields=["status", "cancelled_at", "sequence"])
        _queue_invite(pairing, "CANCEL")
    return pairing


def record_missing(pairing: Pairing, today: date | None = None) -> bool:
    """A held day (today or before) without its record."""
    today = today or timezone.localdate()
    return (pairing.status == PairingStatus.SCHEDULED and pairing.day <= today
            and not PairingRecord.objects.filter(pairing=pairing).exists())


def missing_records(user: User, today: date | None = None) -> models.QuerySet[Pairing]:
    """The held days ``user`` paired on whose record is not written yet."""
    today = today or timezone.localdate()
    return (Pairing.objects.filter(models.Q(engineer=user) | models.Q(advocate=user),
                                   status=PairingStatus.SCHEDULED, day__lte=today,
                                   record__isnull=True)
            .select_related("engineer", "advocate", "skill").order_by("day"))


def remind_missing_records(today: date | None = None) -> int:
    """Email both people of each day held before ``today`` without its record, once (the
    claim on ``reminded_at`` makes a second run, or two at once, send nothing more)."""
    today = today or timezone.localdate()
    due = list(Pairing.objects.filter(status=PairingStatus.SCHEDULED, day__lt=today,
                                      record__isnull=True, reminded_at__isnull=True)
               .select_related("engineer", "advocate")[:500])
    sent = 0
    for pairing in due:
        claimed = Pairing.objects.filter(pk=pairing.pk, reminded_at__isnull=True).update(
            reminded_at=timezone.now())
        if not claimed:
            continue
        from .invites import send_record_reminder

        send_record_reminder(pairing)
        sent += 1
    return sent


def write_record(pairing: Pairing, actor: User, *, learnings: str, bugs_found: str = "",
                 ux_issues: str = "", follow_ups: str = "",
                 bugs: Iterable[Bug] = ()) -> PairingRecord:
    """Write (or rewrite) the record of a held day. Learnings are required."""
    if not may_manage(actor, pairing):
        raise PairingError(_("Only the two people pairing or a lead can write the record."))
    if pairing.status != PairingStatus.SCHEDULED:
        raise PairingError(_("This customer day was cancelled."))
    if pairing.day > timezone.localdate():
        raise PairingError(_("The record is written once the day has come."))
    learnings = learnings.strip()
    if not learnings:
        raise PairingError(_("Say what you learned: the learnings are required."))
    now = timezone.now()
    with transaction.atomic():
        record, created = PairingRecord.objects.get_or_create(
            pairing=pairing, defaults={
                "learnings": learnings, "bugs_found": bugs_found.strip(),
                "ux_issues": ux_issues.strip(), "follow_ups": follow_ups.strip(),
                "written_by": actor, "written_at": now, "updated_at": now,
            })
        if not created:
            record.learnings = learnings
            record.bugs_found = bugs_found.strip()
            record.ux_issues = ux_issues.strip()
            record.follow_ups = follow_ups.strip()
            record.updated_at = now
            record.save()
        record.bugs.set(list(bugs))
    return record


def toggle_reaction(target: models.Model, user: User, emoji: str) -> bool:
    """React to ``target`` with ``emoji``, or take the reaction back. True when added."""
    emoji = emoji.strip()
    if not emoji or len(emoji) > MAX_EMOJI_LENGTH or any(c.isalnum() for c in emoji):
        raise PairingError(_("A reaction is one emoji."))
    content_type = ContentType.objects.get_for_model(target)
    with transaction.atomic():
        deleted, _rows = Reaction.objects.filter(content_type=content_type,
                                                 object_id=target.pk, user=user,
                                                 emoji=emoji).delete()
        if deleted:
            return False
        try:
            with transaction.atomic():
                Reaction.objects.create(content_type=content_type, object_id=target.pk,
                                        user=user, emoji=emoji)
        except IntegrityError:  # a double click: the reaction is there
            pass
    return True


def set_minimum(team: Team, minimum: int) -> TeamCoverage:
    if minimum < 0 or minimum > 100:
        raise PairingError(_("A minimum is between 0 and 100 advocates."))
    coverage, _created = TeamCoverage.objects.update_or_create(
        team=team, defaults={"minimum_per_hour": minimum})
    return coverage
