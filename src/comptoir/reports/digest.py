"""The weekly digest: last week's figures, mailed to leads on Monday morning in their own
language and time zone, built from the same queries as the report pages.

Internal mail goes through Django's ``EMAIL_BACKEND`` (``send_mail``'s path), not the
customer outbound pipeline. :class:`DigestSent` makes it once a week per person: the row is
written in the transaction that sends, so a retried or doubled task sends nothing twice.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from comptoir.accounts.models import Role, User

from . import participation, queries
from .filters import ReportFilter
from .models import DigestSent

SEND_FROM_HOUR = 8  # local time, on Monday (or later that week if the workers were down)
RECIPIENT_ROLES = (Role.LEAD, Role.ADMIN)


def week_of(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def zone_of(user: User) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(user.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def recipients() -> list[User]:
    """Leads and admins with an address, active."""
    return list(User.objects.filter(is_active=True, role__in=RECIPIENT_ROLES)
                .exclude(email="").prefetch_related("teams").order_by("pk"))


def due_week(user: User, now: datetime) -> date | None:
    """The week whose digest ``user`` should get now: Monday 08:00 in their zone has come."""
    local = now.astimezone(zone_of(user))
    if local.weekday() == 0 and local.hour < SEND_FROM_HOUR:
        return None
    return week_of(local.date())


@dataclass
class Digest:
    user: User
    week: date
    subject: str
    text: str
    html: str


def build(user: User, week: date) -> Digest:
    """The digest of the seven UTC days before ``week`` (a Monday), in ``user``'s language."""
    with translation.override(user.language or settings.LANGUAGE_CODE):
        start, end = week - timedelta(days=7), week - timedelta(days=1)
        f = ReportFilter(start=start, end=end, preset="custom")
        overview = queries.overview(f)
        response = queries.response_times(f)
        team_figures = []
        for team in user.teams.all():
            team_report = queries.overview(ReportFilter(start=start, end=end, preset="custom",
                                                         team=str(team.pk)))
            team_figures.append((team, team_report["kpis"][:8]))
        whole_team = participation.participation(f, user, org_figures=True)
        link = settings.BASE_URL.rstrip("/") + reverse("reports") + "?" + f.query()
        kpis = {k.label: k for k in overview["kpis"]}
        subject = _("Support last week: %(n)s conversations, %(fast)s answered within 1 h") % {
            "n": overview["kpis"][0].value,
            "fast": "—" if response["breakdown"].answered == 0 else
            f"{response['cumulative'][0][1]:.0f} %",
        }
        context: dict[str, Any] = {
            "user": user, "start": start, "end": end, "kpis": overview["kpis"],
            "by_label": kpis, "channels": response["channel_summary"], "teams": team_figures,
            "whole_team": whole_team, "link": link, "cumulative": response["cumulative"],
            "answered": response["breakdown"].answered,
        }
        return Digest(user, week, subject,
                      render_to_string("reports/digest.txt", context),
                      render_to_string("reports/digest.html", context))


def send(user: User, week: date) -> bool:
    """Send ``user`` the digest of ``week`` unless it was sent already. True when sent."""
    digest = build(user, week)
    try:
        with transaction.atomic():
            DigestSent.objects.create(user=user, week=week)
            message = EmailMultiAlternatives(digest.subject, digest.text,
                                             settings.DEFAULT_FROM_EMAIL, [user.email])
            message.attach_alternative(digest.html, "text/html")
            message.send()
    except IntegrityError:  # sent already (another run got there first)
        return False
    return True


def send_due(now: datetime | None = None) -> list[User]:
    """Everyone whose digest is due and not sent yet."""
    now = now or timezone.now()
    sent = []
    for user in recipients():
        week = due_week(user, now)
        if week is None or DigestSent.objects.filter(user=user, week=week).exists():
            continue
        if send(user, week):
            sent.append(user)
    return sent
