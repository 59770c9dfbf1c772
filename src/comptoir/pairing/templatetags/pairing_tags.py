"""``{% reactions_on object %}``: emoji reactions with who reacted, under a pairing record or
a review comment; ``{% customer_day_reminder %}``: the records someone still owes."""

from django import template

from ..services import missing_records
from ..views import kind_of, reactions_context

register = template.Library()


@register.inclusion_tag("pairing/_reactions.html", takes_context=True)
def reactions_on(context, target):
    return {**reactions_context(target, kind_of(target), context["request"].user),
            "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("pairing/_reminder.html", takes_context=True)
def customer_day_reminder(context):
    user = context["request"].user
    if not getattr(user, "is_authenticated", False):
        return {"missing": []}
    return {"missing": list(missing_records(user)[:5])}
