"""Read side of conversations: inbox views, filters, keyset pages, the conversation page."""

import base64
import binascii
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from comptoir.email.services import forwarded_by_teammate
from comptoir.sla import queries as sla_queries

from .display import message_body
from .models import ACTIVE_STATUSES, Attachment, Conversation, Message, Reaction, Status, Tag

PAGE_SIZE = 50
COUNT_CAP = 9999  # counts stop here ("9999+"): an exact count of a million rows is slow


@dataclass(frozen=True)
class InboxView:
    slug: str
    label: str
    statuses: tuple[str, ...]
    mine: bool = False
    unassigned: bool = False

    def filter(self, qs: QuerySet, user) -> QuerySet:
        qs = qs.filter(status__in=self.statuses)
        if self.mine:
            qs = qs.filter(assignee=user)
        if self.unassigned:
            qs = qs.filter(assignee__isnull=True)
        return qs


INBOX_VIEWS = {
    view.slug: view
    for view in (
        InboxView("mine", pgettext_lazy("inbox view", "Mine"), ACTIVE_STATUSES,
                  mine=True),
        InboxView("unassigned", pgettext_lazy("inbox view", "Unassigned"),
                  (Status.NEW, Status.OPEN), unassigned=True),
        InboxView("open", pgettext_lazy("inbox view", "All open"), (Status.NEW, Status.OPEN)),
        InboxView("pending", pgettext_lazy("inbox view", "Pending"),
                  (Status.PENDING, Status.ON_HOLD)),
        InboxView("solved", pgettext_lazy("inbox view", "Solved"),
                  (Status.SOLVED, Status.CLOSED)),
    )
}

FILTER_FIELDS = ("channel", "language", "plan", "tag", "team")


def apply_filters(qs: QuerySet, filters: dict[str, str]) -> QuerySet:
    """Filter by any of channel, language, plan, tag (name) and team (slug); blanks ignored."""
    if filters.get("channel"):
        qs = qs.filter(channel=filters["channel"])
    if filters.get("language"):
        qs = qs.filter(language=filters["language"])
    if filters.get("plan"):
        qs = qs.filter(plan=filters["plan"])
    if filters.get("team"):
        qs = qs.filter(team__slug=filters["team"])
    if filters.get("tag"):
        # The tag's id first: filtering through tags__name hides how common the tag is from
        # PostgreSQL's planner, which then walks tens of thousands of rows one by one.
        tag_id = Tag.objects.filter(name=filters["tag"]).values_list("pk", flat=True).first()
        if tag_id is None:
            return qs.none()
        qs = qs.filter(Exists(Conversation.tags.through.objects.filter(
            conversation_id=OuterRef("pk"), tag_id=tag_id)))
    return qs


def encode_cursor(conversation: Conversation) -> str:
    raw = f"{conversation.last_activity_at.isoformat()}|{conversation.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    """The (last_activity_at, id) a page starts after; None for a bad cursor (first page)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, pk = raw.split("|")
        moment = datetime.fromisoformat(when)
        if moment.tzinfo is None:
            return None
        return moment, int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def after_cursor(qs: QuerySet, cursor: str | None) -> QuerySet:
    """Keyset condition for the ``-last_activity_at, -id`` order: no OFFSET, every page costs
    the same."""
    position = decode_cursor(cursor) if cursor else None
    if position is None:
        return qs
    when, pk = position
    # The first, redundant bound is what lets the database seek in the index instead of
    # reading every row before the cursor.
    return qs.filter(Q(last_activity_at__lte=when),
                     Q(last_activity_at__lt=when) | Q(pk__lt=pk))


@dataclass
class Page:
    items: list
    next_cursor: str | None


def inbox_page(user, view: InboxView, filters: dict[str, str], cursor: str | None = None,
               size: int = PAGE_SIZE) -> Page:
    qs = apply_filters(view.filter(Conversation.objects.all(), user), filters)
    qs = (
        after_cursor(qs, cursor)
        .select_related("person", "assignee", "team")
        .prefetch_related("tags")
        .order_by("-last_activity_at", "-pk")
    )
    items = list(with_sla_due(qs)[: size + 1])
    more = len(items) > size
    items = items[:size]
    attach_sla_badges(items)
    return Page(items, encode_cursor(items[-1]) if more and items else None)


# --- SLA due badges (comptoir.sla): annotations on the page's own query, no extra query -------


def with_sla_due(qs: QuerySet) -> QuerySet:
    """Annotate ``sla_due_at``/``sla_warn_at``: the running SLA clock due first."""
    return qs.annotate(**sla_queries.due_annotations())


def attach_sla_badges(items: list[Conversation]) -> None:
    """Set ``sla_badge`` ("due in 2 h", amber once warned, red once overdue) on each row."""
    now = timezone.now()
    for item in items:
        item.sla_badge = sla_queries.badge_for(item.sla_due_at, item.sla_warn_at, now)


def view_counts(user, filters: dict[str, str]) -> dict[str, int]:
    """Conversations per inbox view, capped at COUNT_CAP + 1 (shown as "9999+")."""
    base = apply_filters(Conversation.objects.all(), filters)
    return {
        slug: view.filter(base, user).order_by().values("pk")[: COUNT_CAP + 1].count()
        for slug, view in INBOX_VIEWS.items()
    }


@dataclass
class ReactionSummary:
    emoji: str
    count: int
    names: list[str]
    mine: bool


@dataclass
class ConversationPage:
    conversation: Conversation
    messages: list[Message]
    history: list[Conversation] = field(default_factory=list)
    identities: list = field(default_factory=list)
    participants: list = field(default_factory=list)


HISTORY_SIZE = 25


def summarise_reactions(reactions, user) -> list[ReactionSummary]:
    """Group a message's reactions (``user`` selected) by emoji, in first-use order."""
    grouped: dict[str, list[Reaction]] = defaultdict(list)
    for reaction in reactions:
        grouped[reaction.emoji].append(reaction)
    return [
        ReactionSummary(emoji, len(rs), [r.user.display_name for r in rs],
                        any(r.user_id == user.pk for r in rs))
        for emoji, rs in grouped.items()
    ]


def conversation_page(conversation: Conversation, user) -> ConversationPage:
    """Everything the conversation page shows, in a fixed number of queries. Each message
    gets ``reaction_summary``: its reactions grouped by emoji, with who reacted."""
    messages = list(
        conversation.messages.select_related("author", "person", "identity", "delivery")
        .prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.select_related("blob")),
            Prefetch("reactions", queryset=Reaction.objects.select_related("user")),
        )
        .order_by("created_at", "pk")
    )
    for message in messages:
        message.reaction_summary = summarise_reactions(message.reactions.all(), user)
        message.display = message_body(message)
        message.forwarded = forwarded_by_teammate(message)
    person = conversation.person
    history = list(
        person.conversations.exclude(pk=conversation.pk)
        .select_related("assignee")
        .order_by("-created_at")[:HISTORY_SIZE]
    )
    return ConversationPage(
        conversation=conversation, messages=messages, history=history,
        identities=list(person.identities.all()),
        participants=list(conversation.participants.select_related("person", "identity")),
    )
