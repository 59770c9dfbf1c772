"""Permission-checked fetches: ``access_*`` returns the object only if the actor may see it."""

from django.http import Http404

from comptoir.accounts.permissions import Perm, check

from .models import Conversation, Message


def access_conversation(user, conversation_id: int, perm: Perm = Perm.VIEW) -> Conversation:
    check(user, perm)
    conversation = (
        Conversation.objects.select_related("person__organisation", "assignee", "team")
        .filter(pk=conversation_id).first()
    )
    if conversation is None:
        raise Http404
    return conversation


def access_message(user, message_id: int, perm: Perm = Perm.VIEW) -> Message:
    check(user, perm)
    message = Message.objects.select_related("conversation").filter(pk=message_id).first()
    if message is None:
        raise Http404
    return message
