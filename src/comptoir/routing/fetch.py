"""Load what the rules read, once, into ``rules``' plain objects (no query happens later).

``load_roster`` reads configuration (people, teams, skills, hours, leave) in at most five
queries whatever the number of people; ``standings`` reads who has what on their plate now
and when each was last assigned, in one query. A batch loads both once and keeps them
current itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from comptoir.accounts.models import Team, User
from comptoir.conversations.models import Conversation, Message, MessageKind

from . import rules
from .models import Leave, RoutingDecision, Skill

LEAVE_HORIZON = timedelta(days=62)  # leave further ahead does not change the next shift


def load_roster(now: datetime, *, team_id: int | None = None, everyone: bool = False
                ) -> rules.Roster:
    """The assignable people (active advocates and leads) of one team (``team_id``), of the
    support teams (the default: follow-the-sun), or of every team (``everyone``, for a batch
    whose conversations may have any team). At most five queries (four for one team),
    whatever the number of people."""
    if team_id is not None:  # its members only: which teams are support teams is moot
        teams = [rules.TeamInfo(team_id, "", False)]
    else:
        teams = [rules.TeamInfo(pk, name, is_support) for pk, name, is_support
                 in Team.objects.values_list("id", "name", "is_support")]
    memberships = User.teams.through.objects.filter(
        user__role__in=rules.ASSIGNABLE_ROLES, user__is_active=True,
    )
    if team_id is not None:
        memberships = memberships.filter(team_id=team_id)
    elif not everyone:
        memberships = memberships.filter(team__is_support=True)
    people: dict[int, dict] = {}
    for (user_id, member_of, username, first, last, zone, languages, hours_user,
         hours) in memberships.values_list(
            "user_id", "team_id", "user__username", "user__first_name", "user__last_name",
            "user__time_zone", "user__spoken_languages", "user__working_hours__user_id",
            "user__working_hours__weekly_hours").order_by("user_id", "team_id"):
        person = people.get(user_id)
        if person is None:
            person = people[user_id] = {
                "name": f"{first} {last}".strip() or username, "zone": zone or "UTC",
                "languages": frozenset(languages if isinstance(languages, list) else ()),
                "hours": hours if hours_user is not None else None,
                "teams": [], "skills": set(), "leaves": [],
            }
        person["teams"].append(member_of)
    ids = list(people)
    skills = [rules.SkillRule.build(pk, name, tags or (), mailboxes or (), keywords or ())
              for pk, name, tags, mailboxes, keywords in Skill.objects.values_list(
                  "id", "name", "tags", "mailboxes", "keywords")]
    if ids and skills:
        holders = Skill.members.through.objects.all()
        if not everyone:
            holders = holders.filter(user_id__in=ids)
        for user_id, skill_id in holders.values_list("user_id", "skill_id"):
            if user_id in people:
                people[user_id]["skills"].add(skill_id)
    if ids:
        today = now.date()
        leaves = Leave.objects.filter(ends_on__gte=today - timedelta(days=1),
                                      starts_on__lte=today + LEAVE_HORIZON)
        if not everyone:
            leaves = leaves.filter(user_id__in=ids)
        for user_id, starts_on, ends_on in leaves.values_list("user_id", "starts_on", "ends_on"):
            if user_id in people:
                people[user_id]["leaves"].append((starts_on, ends_on))
    agents = [
        rules.Agent(
            id=user_id, name=person["name"], time_zone=person["zone"],
            languages=person["languages"], team_ids=tuple(person["teams"]),
            skill_ids=frozenset(person["skills"]),
            calendar=rules.calendar_for(person["zone"], person["hours"]),
            leaves=tuple(sorted(person["leaves"])),
        )
        for user_id, person in people.items()
    ]
    return rules.Roster(agents, teams, skills, now)


def standings(agent_ids: Iterable[int]) -> tuple[dict[int, int], dict[int, float]]:
    """Per agent: conversations waiting on them (new or open) and their latest automatic
    assignment (epoch seconds; absent if never). One query; each figure an index lookup."""
    ids = list(agent_ids)
    if not ids:
        return {}, {}
    load = (Conversation.objects.filter(assignee=OuterRef("pk"), status__in=rules.LOAD_STATUSES)
            .order_by().values("assignee").annotate(n=Count("pk")).values("n"))
    last = (RoutingDecision.objects.filter(assignee=OuterRef("pk"))
            .order_by("-created_at").values("created_at")[:1])
    loads: dict[int, int] = {}
    latest: dict[int, float] = {}
    rows = (User.objects.filter(pk__in=ids).order_by()
            .annotate(load=Coalesce(Subquery(load, output_field=IntegerField()), 0),
                      last=Subquery(last)).values_list("pk", "load", "last"))
    for pk, count, at in rows:
        loads[pk] = count
        if at is not None:
            latest[pk] = at.timestamp()
    return loads, latest


def first_mailbox():
    """The address the conversation's first customer message came to (``""`` if none), as
    a subquery for ``Conversation`` querysets."""
    return Subquery(
        Message.objects.filter(conversation=OuterRef("pk"), kind=MessageKind.INBOUND)
        .order_by("created_at", "id").values("meta__mailbox")[:1]
    )


def tags_of(conversation_ids: Iterable[int]) -> dict[int, list[str]]:
    tags: dict[int, list[str]] = {}
    for conversation_id, name in Conversation.tags.through.objects.filter(
            conversation_id__in=list(conversation_ids)).values_list("conversation_id",
                                                                     "tag__name"):
        tags.setdefault(conversation_id, []).append(name)
    return tags
