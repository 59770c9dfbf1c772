"""Helpers for quality tests: the research's scorecard, answered conversations."""

from __future__ import annotations

from comptoir.accounts.models import Role
from comptoir.conversations import services as conversations
from comptoir.quality import services
from comptoir.quality.models import Scale, Scorecard

from ..factories import make_conversation, make_team, make_user


def worked_scorecard() -> Scorecard:
    """shared/research/quality-review.md's worked example."""
    card = services.create_scorecard("Email")
    services.add_category(card, "Solution", scale=Scale.FOUR, weight=40, allow_na=False)
    services.add_category(card, "Tone", scale=Scale.FIVE, weight=20, allow_na=False)
    services.add_category(card, "Grammar", scale=Scale.BINARY, weight=10, allow_na=True)
    services.add_category(card, "Privacy", scale=Scale.BINARY, weight=10, critical=True,
                          allow_na=False)
    return card


def values(card: Scorecard, **by_name: int | None) -> dict[int, int | None]:
    return {c.pk: by_name[c.name] for c in card.categories.all()}


def answered(*authors, **fields):
    """A conversation with one public reply by each author, in order."""
    conversation = make_conversation(**fields)
    for author in authors:
        conversations.reply(conversation, author, f"Answer from {author.username}")
    return conversation


def support_people(n: int, role: str = Role.ADVOCATE, **fields):
    team = make_team(is_support=True)
    people = [make_user(role, **fields) for _ in range(n)]
    for person in people:
        person.teams.add(team)
    return team, people
