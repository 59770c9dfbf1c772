"""Messages: emoji reactions on a customer's message, a reply or a note."""

from django.http import HttpRequest
from ninja import Router
from ninja.params import P, PathEx

from comptoir.accounts.permissions import Perm, check
from comptoir.conversations import services
from comptoir.conversations.access import access_message
from comptoir.conversations.models import Reaction

from .schemas import (
    ERRORS,
    MAX_ID,
    ReactionIn,
    ReactionToggleOut,
    summarise_reactions,
)

router = Router(tags=["messages"])

MessageId = PathEx[int, P(ge=1, le=MAX_ID)]


@router.post("/{message_id}/reactions", response={200: ReactionToggleOut, **ERRORS})
def toggle_reaction(request: HttpRequest, message_id: MessageId, payload: ReactionIn):
    """React with an emoji, or take your reaction back if it was there (a toggle)."""
    check(request.auth, Perm.REACT)
    message = access_message(request.auth, message_id, Perm.REACT)
    added = services.toggle_reaction(message, request.auth, payload.emoji)
    reactions = Reaction.objects.filter(message=message).order_by("created_at", "pk")
    return {"added": added, "reactions": summarise_reactions(reactions)}
