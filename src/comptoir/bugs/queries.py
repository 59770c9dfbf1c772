"""Read side of bugs: the list with its customer counts, a bug's customers, the follow-up
previews, and a conversation's bugs panel."""

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils.translation import get_language_info

from comptoir.conversations.models import Conversation, Event

from . import services
from .models import Bug, BugLink, BugStatus

LIST_SIZE = 200
BUG_EVENT_KINDS = ("bug.linked", "bug.unlinked", "bug.fixed", "bug.followed_up")
STATUS_FILTERS = ("open", "fixed", "all")


def bug_list(status: str = "open", query: str = "") -> QuerySet[Bug]:
    """Bugs with ``customer_count`` (distinct people) and ``conversation_count``, newest
    first; ``status`` one of open, fixed, all."""
    qs = Bug.objects.all()
    if status in (BugStatus.OPEN, BugStatus.FIXED):
        qs = qs.filter(status=status)
    query = query.strip()
    if query:
        qs = qs.filter(Q(title__icontains=query) | Q(tracker_url__icontains=query))
    return (qs.annotate(customer_count=Count("links__conversation__person", distinct=True),
                        conversation_count=Count("links", distinct=True))
            .order_by("-created_at", "-id")[:LIST_SIZE])


def bug_links(bug: Bug) -> list[BugLink]:
    """Every conversation linked to the bug, with its customer, in the order linked."""
    return list(bug.links.select_related("conversation__person", "linked_by",
                                         "follow_up_message").order_by("linked_at", "pk"))


@dataclass
class Preview:
    language: str
    name: str
    text: str
    count: int


def previews(bug: Bug, links: list[BugLink]) -> list[Preview]:
    """The follow-up as it will read (or read), once per language among the linked
    customers, written to the first of them; the site's language when nobody is linked."""
    first: dict[str, Conversation] = {}
    counts: dict[str, int] = {}
    for each in links:
        language = services.customer_language(each.conversation)
        first.setdefault(language, each.conversation)
        counts[language] = counts.get(language, 0) + 1
    if not first:
        language = settings.LANGUAGE_CODE
        return [Preview(language, _language_name(language),
                        services.compose_follow_up(bug.fix_note, "", language), 0)]
    return [Preview(language, _language_name(language),
                    services.follow_up_text(bug, conversation), counts[language])
            for language, conversation in sorted(first.items())]


def _language_name(code: str) -> str:
    try:
        return get_language_info(code)["name_local"]
    except KeyError:
        return code


@dataclass
class Panel:
    conversation: Conversation
    links: list[BugLink]
    history: list[Event] = field(default_factory=list)


def panel(conversation: Conversation) -> Panel:
    """A conversation's bugs and the bug events of its history."""
    links = list(conversation.bug_links.select_related("bug", "follow_up_message")
                 .order_by("linked_at", "pk"))
    history = list(Event.objects.filter(conversation=conversation, kind__in=BUG_EVENT_KINDS)
                   .select_related("actor").order_by("created_at", "pk"))
    return Panel(conversation, links, history)
