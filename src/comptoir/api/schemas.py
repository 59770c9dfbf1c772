"""Request and response shapes of the REST API.

Every string a client sends is bounded and refuses NUL characters and lone surrogates, and
every id is a positive 64-bit integer: a weird input is a 4xx here, never a database error.
"""

import zoneinfo
from collections import defaultdict
from datetime import datetime
from typing import Annotated, Any, ClassVar

from django.conf import settings
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AfterValidator, model_validator

from comptoir.conversations.models import (
    Channel,
    Conversation,
    Message,
    MessageKind,
    Priority,
    RawInbound,
    RawStatus,
    Status,
)
from comptoir.conversations.queries import INBOX_VIEWS
from comptoir.people.models import IdentityKind, Plan, Proof

MAX_ID = 2**63 - 1  # BIGINT; a larger id would overflow the database driver
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def _storable(value: str) -> str:
    """Refuse what no database column can hold (PostgreSQL rejects NUL; UTF-8 no surrogates)."""
    if "\x00" in value:
        raise ValueError(_("NUL characters are not allowed."))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(_("Text must be valid Unicode.")) from None
    return value


Storable = AfterValidator(_storable)
Str8 = Annotated[str, Field(max_length=8), Storable]
Str32 = Annotated[str, Field(max_length=32), Storable]
Str50 = Annotated[str, Field(max_length=50), Storable]
Str100 = Annotated[str, Field(max_length=100), Storable]
Str200 = Annotated[str, Field(max_length=200), Storable]
Name200 = Annotated[str, Field(min_length=1, max_length=200), Storable]
LongText = Annotated[str, Field(max_length=100_000), Storable]
MessageText = Annotated[str, Field(min_length=1, max_length=100_000), Storable]
IdentityValue = Annotated[str, Field(min_length=1, max_length=320), Storable]
IdempotencyKey = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
Emoji = Annotated[str, Field(min_length=1, max_length=32), Storable]
Cursor = Annotated[str, Field(max_length=200), Storable]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

LANGUAGE_CODES = ("", *(code for code, _name in settings.LANGUAGES), "other")
TIME_ZONES = frozenset(zoneinfo.available_timezones())


def _language(value: str) -> str:
    if value not in LANGUAGE_CODES:
        raise ValueError(_("Unknown language; one of %(codes)s or blank.")
                         % {"codes": ", ".join(LANGUAGE_CODES[1:])})
    return value


def _time_zone(value: str) -> str:
    if value and value not in TIME_ZONES:
        raise ValueError(_("Unknown time zone; an IANA name such as Europe/Paris, or blank."))
    return value


Language = Annotated[
    str, Field(max_length=8, json_schema_extra={"enum": list(LANGUAGE_CODES)}),
    AfterValidator(_language),
]
TimeZone = Annotated[str, Field(max_length=64), Storable, AfterValidator(_time_zone)]


# --- shared -----------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str


class ValidationErrorOut(Schema):
    detail: list[dict[str, Any]]


ERRORS: dict[int, Any] = {
    400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut,
}
"""The error answers any endpoint may give; merged into each endpoint's ``response``."""


class PageQuery(Schema):
    """Keyset pagination: pass back ``next_cursor`` as ``cursor`` for the next page."""

    cursor: Cursor | None = Field(None, description="The previous page's next_cursor.")
    limit: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class PatchIn(Schema):
    """Partial update: only the fields sent change; ``null`` only where a field allows it."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _no_null_for_required(self) -> "PatchIn":
        for name in self.model_fields_set:
            if getattr(self, name) is None and name not in self.nullable:
                raise ValueError(_("%(field)s cannot be null.") % {"field": name})
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class UserRef(Schema):
    id: int
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return obj.display_name


class TeamRef(Schema):
    id: int
    slug: str
    name: str


class PersonRef(Schema):
    id: int
    name: str


class OrganisationRef(Schema):
    id: int
    name: str


# --- conversations --------------------------------------------------------------------------


class ConversationFilters(PageQuery):
    """Filters of the conversation list; blanks are ignored, all given ones must hold."""

    view: str | None = Field(None, json_schema_extra={"enum": list(INBOX_VIEWS)},
                             description="An inbox view: " + ", ".join(INBOX_VIEWS) + ".")
    status: Status | None = None
    channel: Channel | None = None
    language: Str8 | None = None
    plan: Plan | None = None
    tag: Str50 | None = None
    team: Str100 | None = Field(None, description="A team's slug.")
    assignee: Id | None = Field(None, description="An agent's id.")
    person: Id | None = Field(None, description="A customer's id.")

    @model_validator(mode="after")
    def _known_view(self) -> "ConversationFilters":
        if self.view and self.view not in INBOX_VIEWS:
            views = ", ".join(INBOX_VIEWS)
            raise ValueError(_("Unknown view; one of %(views)s.") % {"views": views})
        return self


class ConversationOut(Schema):
    id: int
    subject: str
    status: Status
    priority: Priority
    channel: Channel
    language: str
    plan: Plan
    person: PersonRef
    assignee: UserRef | None
    team: TeamRef | None
    tags: list[str]
    preview: str
    message_count: int
    created_at: datetime
    updated_at: datetime
    last_activity_at: datetime
    version: int

    @staticmethod
    def resolve_tags(obj: Conversation) -> list[str]:
        return sorted(tag.name for tag in obj.tags.all())


class ConversationPage(Schema):
    items: list[ConversationOut]
    next_cursor: str | None


class ConversationPatch(PatchIn):
    nullable: ClassVar[frozenset[str]] = frozenset({"assignee_id", "team_id"})

    status: Status | None = None
    priority: Priority | None = None
    assignee_id: Id | None = Field(None, description="An agent's id; null to unassign.")
    team_id: Id | None = Field(None, description="A team's id; null for no team.")
    language: Language | None = None


class ReactionOut(Schema):
    emoji: str
    count: int
    user_ids: list[int]


def summarise_reactions(reactions: Any) -> list[ReactionOut]:
    """Group reactions by emoji, in first-use order."""
    grouped: dict[str, list[int]] = defaultdict(list)
    for reaction in reactions:
        grouped[reaction.emoji].append(reaction.user_id)
    return [ReactionOut(emoji=emoji, count=len(ids), user_ids=ids)
            for emoji, ids in grouped.items()]


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int

    @staticmethod
    def resolve_size(obj: Any) -> int:
        return obj.blob.size


class MessageOut(Schema):
    id: int
    conversation_id: int
    kind: MessageKind
    channel: Channel
    author: UserRef | None = Field(description="The agent, for replies and notes.")
    person_id: int | None = Field(description="The customer, for inbound messages.")
    text: str = Field(alias="body_text")
    html: str = Field(alias="body_html")
    language: str
    created_at: datetime
    reactions: list[ReactionOut]
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_reactions(obj: Message) -> list[ReactionOut]:
        return summarise_reactions(obj.reactions.all())

    @staticmethod
    def resolve_attachments(obj: Message) -> list[Any]:
        return list(obj.attachments.all())


class MessagePage(Schema):
    items: list[MessageOut]
    next_cursor: str | None


class ReplyIn(Schema):
    text: MessageText
    html: LongText = ""
    status: Status | None = Field(None, description="Set this status with the reply.")
    idempotency_key: IdempotencyKey | None = Field(
        None, description="Send the same key again (a retry) and the reply is stored once.",
    )


class NoteIn(Schema):
    text: MessageText
    idempotency_key: IdempotencyKey | None = None


class ReactionIn(Schema):
    emoji: Emoji


class ReactionToggleOut(Schema):
    added: bool = Field(description="True when the reaction was added, false when taken back.")
    reactions: list[ReactionOut]


class TagOut(Schema):
    id: int
    name: str


class TagPage(Schema):
    items: list[TagOut]
    next_cursor: str | None


class TagsIn(Schema):
    names: list[Str50] = Field(min_length=1, max_length=20)


class TagsOut(Schema):
    added: list[str]
    tags: list[str]


# --- people -----------------------------------------------------------------------------


class PeopleQuery(PageQuery):
    q: Str200 | None = Field(None, description="Part of a name or of an identity (address...).")
    organisation: Id | None = None


class PersonOut(Schema):
    id: int
    name: str
    language: str
    time_zone: str
    organisation: OrganisationRef | None
    plan: Plan
    notes: str
    merged_into_id: int | None
    created_at: datetime


class PersonPage(Schema):
    items: list[PersonOut]
    next_cursor: str | None


class PersonIn(Schema):
    name: Str200 = ""
    language: Language = ""
    time_zone: TimeZone = ""
    organisation_id: Id | None = None
    plan: Plan = Plan.FREE
    notes: LongText = ""


class PersonPatch(PatchIn):
    nullable: ClassVar[frozenset[str]] = frozenset({"organisation_id"})

    name: Str200 | None = None
    language: Language | None = None
    time_zone: TimeZone | None = None
    organisation_id: Id | None = None
    plan: Plan | None = None
    notes: LongText | None = None


class MergeIn(Schema):
    target_id: Id = Field(description="The person kept; the one in the path is merged into it.")


class MergeOut(Schema):
    id: int
    source_id: int
    target_id: int
    identity_ids: list[int]
    conversation_ids: list[int]
    created_at: datetime
    undone_at: datetime | None


class IdentityOut(Schema):
    id: int
    person_id: int
    kind: IdentityKind
    network: str
    value: str
    display: str
    proof: str
    verified_at: datetime | None
    created_at: datetime


class IdentityPage(Schema):
    items: list[IdentityOut]
    next_cursor: str | None


class IdentityIn(Schema):
    kind: IdentityKind
    value: IdentityValue
    network: Str32 = ""
    proof: Proof | None = Field(
        None, description="How we know it is theirs. Required: without proof nothing is linked.",
    )


# --- organisations --------------------------------------------------------------------------


class OrganisationQuery(PageQuery):
    q: Str200 | None = Field(None, description="Part of the name or the domain.")


class OrganisationOut(Schema):
    id: int
    name: str
    domain: str
    plan: Plan
    notes: str
    created_at: datetime


class OrganisationPage(Schema):
    items: list[OrganisationOut]
    next_cursor: str | None


class OrganisationIn(Schema):
    name: Name200
    domain: Str200 = ""
    plan: Plan = Plan.FREE
    notes: LongText = ""


class OrganisationPatch(PatchIn):
    name: Name200 | None = None
    domain: Str200 | None = None
    plan: Plan | None = None
    notes: LongText | None = None


# --- inbound ----------------------------------------------------------------------------


class InboundSender(Schema):
    kind: IdentityKind = IdentityKind.EMAIL
    value: IdentityValue
    network: Str32 = ""
    name: Str200 = ""


class InboundIn(Schema):
    """A customer's message posted by an integration; read by ``inbound.normalise_json``.

    Documentation only: the body is stored as sent, and a payload that cannot become a
    message is kept with status ``failed`` and its error.
    """

    sender: InboundSender = Field(alias="from")
    subject: Str200 = ""
    text: LongText = ""
    html: LongText = ""
    external_id: Str200 = ""
    language: Str8 = ""


class InboundAccepted(Schema):
    raw_id: int
    status: RawStatus


class InboundOut(Schema):
    id: int
    channel: Channel
    status: RawStatus
    error: str
    attempts: int
    received_at: datetime
    processed_at: datetime | None
    message_id: int | None
    conversation_id: int | None

    @staticmethod
    def resolve_conversation_id(obj: RawInbound) -> int | None:
        return obj.message.conversation_id if obj.message_id and obj.message else None
