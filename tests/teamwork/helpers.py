"""Conversations and people for the daily-share tests."""

from datetime import UTC, datetime

from comptoir.conversations import services as conversations
from comptoir.conversations.models import Conversation, Priority

from ..factories import make_conversation

WEDNESDAY = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # 11:00 in Paris
DAY = WEDNESDAY.date()
GOOD = "good-first-reply"


def suitable(language: str = "en", *, tags=(GOOD,), priority: int = Priority.NORMAL,
             **fields) -> Conversation:
    """A new, unassigned conversation a newcomer can answer."""
    conversation = make_conversation(language=language, **fields)
    if conversation.subject != fields.get("subject", conversation.subject):
        conversations.update(conversation, None, subject=fields["subject"])
    if conversation.language != language:  # an unknown language: too short to tell
        conversations.update(conversation, None, language=language)
    if tags:
        conversations.add_tags(conversation, None, list(tags))
    if priority != Priority.NORMAL:
        conversations.update(conversation, None, priority=priority)
    conversation.refresh_from_db()
    return conversation
