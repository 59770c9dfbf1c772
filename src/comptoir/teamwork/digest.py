"""The morning digest: a person's share of the day, mailed in their language once their
working day has started, once a day (``ShareDigestSent`` is written in the transaction that
sends). Internal mail goes through Django's ``EMAIL_BACKEND``, like the reports' digest."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comptoir.accounts.models import User

from . import queries
from .models import ShareDigestSent


def send(user: User, day: date) -> bool:
    """Mail ``user`` their share of ``day`` unless it was sent already or the share is
    empty (nothing suited them yet: a later run may still find some). True when sent."""
    if not user.email:
        return False
    share = queries.my_share(user, day)
    if not share.shares:
        return False
    base = settings.BASE_URL.rstrip("/")
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = ngettext("Today's share: %(n)s conversation",
                           "Today's share: %(n)s conversations", share.total) % {"n": share.total}
        context = {
            "user": user, "share": share, "language": translation.get_language(),
            "link": base + reverse("teamwork_today"),
            "items": [(s, base + reverse("conversation", args=[s.conversation_id]))
                      for s in share.shares],
            "intro": _("Good morning! Here are a few conversations picked for you today. "
                       "Answer what you can; an advocate on call is one click away."),
        }
        text = render_to_string("teamwork/digest.txt", context)
        html = render_to_string("teamwork/digest.html", context)
    try:
        with transaction.atomic():
            ShareDigestSent.objects.create(user=user, day=day)
            message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL,
                                             [user.email])
            message.attach_alternative(html, "text/html")
            message.send()
    except IntegrityError:  # sent already (another run got there first)
        return False
    return True
