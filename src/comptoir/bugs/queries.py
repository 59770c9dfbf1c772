"""Read side of bugs: the list with its customer counts, a bug's customers, the follow-up
previews, and a conversation's bugs panel."""

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils.translation import get_language_info

from comptoir import keyset
from comptoir.conversations.models import Conversation, Event

from . import services
from .models import Bug, BugLink, BugStatus

LIST_SIZE = 50
CUSTOMERS_PAGE_SIZE = 50
BUG_EVENT_KINDS = ("bug.linked", "bug.unlinked", "bug.fixed", "bug.followed_up",
                   "bug.reopened")
STATUS_FILTERS = ("open", "reopened", "fixed", "all")


def bug_list(status: str = "open", query: str = "", cursor: str | None = None,
             size: int = LIST_SIZE) -> keyset.Page:
    """A page of bugs with ``customer_count`` (distinct people) and ``conversation_count``,
    newest first; ``status`` one of open, reopened (open again after a fix), fixed, all."""
    qs = Bug.objects.all()
    if status in (BugStatus.OPEN, BugStatus.FIXED):
        qs = qs.filter(status=status)
    elif status == "reopened":  # fixed once, and back
        qs = qs.filter(status=BugStatus.OPEN, fix_number__gt=0)
    query = query.strip()
    if query:
        qs = qs.filter(Q(title__icontains=query) | Q(tracker_url__icontains=query))
    # the page is chosen first, then counted: the counts never run over the whole table
    found = keyset.page(qs.only("pk", "created_at"), "created_at", cursor, size)
    counted = {bug.pk: bug for bug in Bug.objects.filter(pk__in=[b.pk for b in found.items])
               .annotate(customer_count=Count("links__conversation__person", distinct=True),
                         conversation_count=Count("links", distinct=True))}
    return keyset.Page([counted[bug.pk] for bug in found.items if bug.pk in counted],
                       found.next_cursor)


def bug_links(bug: Bug, cursor: str | None = None,
              size: int = CUSTOMERS_PAGE_SIZE) -> keyset.Page:
    """A page of the conversations linked to the bug, with their customers, in the order
    linked."""
    qs = bug.links.select_related("conversation__person", "linked_by", "follow_up_message")
    return keyset.page(qs, "linked_at", cursor, size, descending=False)


@dataclass
class Counts:
    conversations: int
    customers: int
    not_told: int


def link_counts(bug: Bug) -> Counts:
    """How many conversations and distinct customers are linked, and how many of them have
    not been told of the current fix (or will be told at the next)."""
    counts = bug.links.aggregate(
        conversations=Count("pk"), customers=Count("conversation__person", distinct=True),
        not_told=Count("pk", filter=Q(followed_up_at__isnull=True)),
    )
    return Counts(counts["conversations"], counts["customers"], counts["not_told"])


@dataclass
class Preview:
    language: str
    name: str
    text: str
    count: int


def previews(bug: Bug) -> list[Preview]:
    """The follow-up as it will read (or read), once per language among the linked
    customers, written to the first of them; the site's language when nobody is linked.
    Grouped in the database: as many rows as language pairs, however many are linked."""
    groups = (bug.links.values("conversation__language", "conversation__person__language")
              .annotate(n=Count("pk"), first=Min("pk")).order_by())
    firsts = {each.pk: each.conversation for each in BugLink.objects.filter(
        pk__in=[g["first"] for g in groups]).select_related("conversation__person")}
    first: dict[str, Conversation] = {}
    counts: dict[str, int] = {}
    for group in sorted(groups, key=lambda g: g["first"]):
        conversation = firsts[group["first"]]
        language = services.customer_language(conversation)
        first.setdefault(language, conversation)
        counts[language] = counts.get(language, 0) + group["n"]
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
