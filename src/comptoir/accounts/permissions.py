"""Roles and what they allow. Every view and API endpoint asks here.

A role grants a set of permissions; views declare the one they need (``@requires``), API
endpoints call ``check``. ``tests/test_permissions.py`` walks every URL with every role.
"""

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from .models import Role


class Perm(StrEnum):
    VIEW = "view"                  # read conversations, people, history
    REPLY = "reply"                # answer customers
    NOTE = "note"                  # internal notes
    REACT = "react"                # emoji reactions
    UPDATE = "update"              # status, priority, assignee, team, tags
    MERGE_PEOPLE = "merge_people"  # merge and unmerge customers, link identities
    EDIT_PEOPLE = "edit_people"    # create and edit customers and organisations
    MANAGE_MACROS = "manage_macros"
    VIEW_RAW = "view_raw"          # raw inbound payloads, replay
    MANAGE_SLA = "manage_sla"      # service levels: calendars, coverage, policies, breach board
    VIEW_REPORTS = "view_reports"  # organisation and team reports (everyone sees their own)
    MANAGE_SURVEYS = "manage_surveys"  # satisfaction surveys: timing, suppression, channels
    REVIEW = "review"              # review peers' conversations, see reviews of oneself
    MANAGE_QUALITY = "manage_quality"  # scorecards, calibration, disputes, team and org IQS
    MANAGE_TEAMWORK = "manage_teamwork"  # schedule support days, on-call roster, tone notes
    ADMIN = "admin"                # site administration


_WORK = {Perm.VIEW, Perm.REPLY, Perm.NOTE, Perm.REACT, Perm.UPDATE, Perm.REVIEW}
ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Role.ADMIN: frozenset(Perm),
    Role.LEAD: frozenset(
        _WORK | {Perm.MERGE_PEOPLE, Perm.EDIT_PEOPLE, Perm.MANAGE_MACROS, Perm.VIEW_RAW,
                 Perm.VIEW_REPORTS, Perm.MANAGE_SLA, Perm.MANAGE_QUALITY,
                 Perm.MANAGE_SURVEYS, Perm.MANAGE_TEAMWORK}
    ),
    Role.ADVOCATE: frozenset(_WORK | {Perm.MERGE_PEOPLE, Perm.EDIT_PEOPLE, Perm.MANAGE_MACROS}),
    Role.TEAMMATE: frozenset(_WORK),
    Role.OBSERVER: frozenset({Perm.VIEW, Perm.VIEW_REPORTS}),
}


def has_perm(user: Any, perm: Perm) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return perm in ROLE_PERMS.get(user.role, frozenset())


def check(user: Any, perm: Perm) -> None:
    """Raise PermissionDenied unless ``user`` holds ``perm``."""
    if not has_perm(user, perm):
        raise PermissionDenied


def requires(perm: Perm) -> Callable:
    """View decorator: anonymous users go to the login page, others without ``perm`` get 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            check(request.user, perm)
            return view(request, *args, **kwargs)

        wrapped.required_perm = perm  # type: ignore[attr-defined]
        return wrapped

    return decorator
