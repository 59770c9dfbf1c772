"""Keyset pages for every list: ``{"items": [...], "next_cursor": "..." | null}``.

No OFFSET: each page starts strictly after the last row of the previous one, so every page
costs the same and rows added meanwhile never shift a page. A cursor that does not decode is
refused with 400 rather than silently restarting at the first page (a client would loop).
"""

import base64
import binascii
from datetime import UTC
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja.errors import HttpError

from comptoir.conversations import queries

from .schemas import MAX_ID

_ID_PREFIX = "id:"


def _bad_cursor() -> HttpError:
    return HttpError(400, _("This cursor is not valid; start again without one."))


def encode_id_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"{_ID_PREFIX}{pk}".encode()).decode().rstrip("=")


def decode_id_cursor(cursor: str) -> int:
    """The id a page starts after; raises HttpError(400) for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _bad_cursor() from None
    digits = raw.removeprefix(_ID_PREFIX)
    if not raw.startswith(_ID_PREFIX) or not digits.isascii() or not digits.isdigit():
        raise _bad_cursor()
    pk = int(digits)
    if not 1 <= pk <= MAX_ID:
        raise _bad_cursor()
    return pk


def page_by_id(qs: QuerySet, cursor: str | None, limit: int) -> dict[str, Any]:
    """A page of ``qs`` newest first (``-id``)."""
    if cursor:
        qs = qs.filter(pk__lt=decode_id_cursor(cursor))
    rows = list(qs.order_by("-pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": encode_id_cursor(rows[-1].pk) if more else None}


def page_conversations(qs: QuerySet, cursor: str | None, limit: int) -> dict[str, Any]:
    """A page of conversations in inbox order (``-last_activity_at, -id``)."""
    if cursor:
        position = queries.decode_cursor(cursor)
        if position is None:
            raise _bad_cursor()
        when, pk = position
        try:
            when.astimezone(UTC)  # year 1 with a positive offset has no UTC value
        except OverflowError:
            raise _bad_cursor() from None
        if not 1 <= pk <= MAX_ID:
            raise _bad_cursor()
        qs = queries.after_cursor(qs, cursor)
    rows = list(qs.order_by("-last_activity_at", "-pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": queries.encode_cursor(rows[-1]) if more else None}
