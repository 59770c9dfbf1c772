"""``{% csat_card conversation %}``: the customer's rating on the conversation page."""

from django import template

from ..models import Survey

register = template.Library()


@register.inclusion_tag("surveys/_conversation_csat.html")
def csat_card(conversation) -> dict:
    """One query: the conversation's survey, if it has one."""
    return {"survey": Survey.objects.filter(conversation_id=conversation.pk).first()}
