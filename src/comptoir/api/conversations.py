"""Conversations: the inbox list with its filters, one conversation, its properties, its
messages (public replies and internal notes) and its tags."""

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.errors import HttpError
from ninja.params import P, PathEx

from comptoir.accounts.models import Team, User
from comptoir.accounts.permissions import Perm, check
from comptoir.conversations import queries, services
from comptoir.conversations.access import access_conversation
from comptoir.conversations.models import Conversation, Message, Reaction

from .pagination import page_by_id, page_conversations
from .schemas import (
    ERRORS,
    MAX_ID,
    ConversationFilters,
    ConversationOut,
    ConversationPage,
    ConversationPatch,
    ErrorOut,
    MessageOut,
    MessagePage,
    NoteIn,
    PageQuery,
    ReplyIn,
    TagsIn,
    TagsOut,
)

router = Router(tags=["conversations"])

ConversationId = PathEx[int, P(ge=1, le=MAX_ID)]
TagName = PathEx[str, P(min_length=1, max_length=50)]


def conversation_list() -> QuerySet[Conversation]:
    return Conversation.objects.select_related("person", "assignee", "team").prefetch_related(
        "tags"
    )


def message_list() -> QuerySet[Message]:
    """Messages with what ``MessageOut`` shows, in a fixed number of queries."""
    return Message.objects.select_related("author").prefetch_related(
        Prefetch("reactions", queryset=Reaction.objects.order_by("created_at", "pk")),
        "attachments__blob",
    )


@router.get("", response={200: ConversationPage, **ERRORS})
def list_conversations(request: HttpRequest, filters: Query[ConversationFilters]):
    """Conversations in inbox order (latest activity first), filtered, one page at a time."""
    check(request.auth, Perm.VIEW)
    qs = conversation_list()
    if filters.view:
        qs = queries.INBOX_VIEWS[filters.view].filter(qs, request.auth)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.assignee:
        qs = qs.filter(assignee_id=filters.assignee)
    if filters.person:
        qs = qs.filter(person_id=filters.person)
    qs = queries.apply_filters(qs, {
        "channel": filters.channel or "", "language": filters.language or "",
        "plan": filters.plan or "", "tag": filters.tag or "", "team": filters.team or "",
    })
    return page_conversations(qs, filters.cursor, filters.limit)


@router.get("/{conversation_id}", response={200: ConversationOut, **ERRORS})
def get_conversation(request: HttpRequest, conversation_id: ConversationId):
    """One conversation."""
    check(request.auth, Perm.VIEW)
    return access_conversation(request.auth, conversation_id)


@router.patch("/{conversation_id}", response={200: ConversationOut, **ERRORS})
def update_conversation(request: HttpRequest, conversation_id: ConversationId,
                        payload: ConversationPatch):
    """Change status, priority, assignee, team or language; only the fields sent change."""
    check(request.auth, Perm.UPDATE)
    conversation = access_conversation(request.auth, conversation_id, Perm.UPDATE)
    changes = payload.changes()
    if "assignee_id" in changes:
        assignee_id = changes.pop("assignee_id")
        changes["assignee"] = None
        if assignee_id is not None:
            changes["assignee"] = User.objects.filter(pk=assignee_id, is_active=True).first()
            if changes["assignee"] is None:
                raise HttpError(400, _("No active agent has this id."))
    if "team_id" in changes:
        team_id = changes.pop("team_id")
        changes["team"] = None
        if team_id is not None:
            changes["team"] = Team.objects.filter(pk=team_id).first()
            if changes["team"] is None:
                raise HttpError(400, _("No team has this id."))
    services.update(conversation, request.auth, **changes)
    return access_conversation(request.auth, conversation_id)


@router.get("/{conversation_id}/messages", response={200: MessagePage, **ERRORS})
def list_messages(request: HttpRequest, conversation_id: ConversationId,
                  page: Query[PageQuery]):
    """The conversation's messages, newest first: the customer's, replies and notes."""
    check(request.auth, Perm.VIEW)
    conversation = access_conversation(request.auth, conversation_id)
    return page_by_id(message_list().filter(conversation=conversation), page.cursor, page.limit)


def _posted(message: Message) -> Message:
    """The message as ``MessageOut`` shows it."""
    return message_list().get(pk=message.pk)


@router.post("/{conversation_id}/messages",
             response={201: MessageOut, 409: ErrorOut, **ERRORS})
def reply(request: HttpRequest, conversation_id: ConversationId, payload: ReplyIn):
    """Send a public reply to the customer (optionally setting a status).

    With an ``idempotency_key``, sending the same request again returns the first reply.
    """
    check(request.auth, Perm.REPLY)
    conversation = access_conversation(request.auth, conversation_id, Perm.REPLY)
    message = services.reply(conversation, request.auth, payload.text, html=payload.html,
                             idempotency_key=payload.idempotency_key, status=payload.status)
    return Status(201, _posted(message))


@router.post("/{conversation_id}/notes",
             response={201: MessageOut, 409: ErrorOut, **ERRORS})
def add_note(request: HttpRequest, conversation_id: ConversationId, payload: NoteIn):
    """Add an internal note, never shown to the customer."""
    check(request.auth, Perm.NOTE)
    conversation = access_conversation(request.auth, conversation_id, Perm.NOTE)
    message = services.add_note(conversation, request.auth, payload.text,
                                idempotency_key=payload.idempotency_key)
    return Status(201, _posted(message))


def _tag_names(conversation: Conversation) -> list[str]:
    return sorted(conversation.tags.values_list("name", flat=True))


@router.post("/{conversation_id}/tags", response={200: TagsOut, **ERRORS})
def add_tags(request: HttpRequest, conversation_id: ConversationId, payload: TagsIn):
    """Add tags (created on first use); returns those added and all the tags now on it."""
    check(request.auth, Perm.UPDATE)
    conversation = access_conversation(request.auth, conversation_id, Perm.UPDATE)
    added = services.add_tags(conversation, request.auth, payload.names)
    return {"added": added, "tags": _tag_names(conversation)}


@router.delete("/{conversation_id}/tags/{path:name}", response={204: None, **ERRORS})
def remove_tag(request: HttpRequest, conversation_id: ConversationId, name: TagName):
    """Take a tag off the conversation; 404 if it was not on it."""
    check(request.auth, Perm.UPDATE)
    conversation = access_conversation(request.auth, conversation_id, Perm.UPDATE)
    if "\x00" in name or not services.remove_tag(conversation, request.auth, name):
        raise HttpError(404, _("This tag is not on the conversation."))
    return Status(204, None)
