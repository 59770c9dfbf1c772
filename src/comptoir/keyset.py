"""Keyset pages for server-rendered lists: no OFFSET, every page costs the same.

A page is ordered by one column then the id (``(created_at, id)``, ``(day, id)``…), and the
next page starts strictly after the last row shown: rows added meanwhile never shift a page,
and the database seeks in the index instead of counting rows. The cursor is an opaque,
URL-safe string; one that does not decode (edited by hand, from an older version) gives the
first page, as a list page should (the API refuses bad cursors instead: ``api.pagination``).
"""

import base64
import binascii
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet

PAGE_SIZE = 50


@dataclass
class Page:
    """One page of rows, and the cursor of the next (None on the last page)."""

    items: list
    next_cursor: str | None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None


def encode(value: Any, pk: int) -> str:
    if isinstance(value, datetime):
        raw = f"t|{value.isoformat()}|{pk}"
    elif isinstance(value, date):
        raw = f"d|{value.isoformat()}|{pk}"
    else:
        raw = f"i|{int(value)}|{pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str) -> tuple[Any, int] | None:
    """The (value, id) a page starts after; None for anything that is not a cursor."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, value, pk = raw.split("|")
        if kind == "t":
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                return None
            return moment, int(pk)
        if kind == "d":
            return date.fromisoformat(value), int(pk)
        if kind == "i":
            return int(value), int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError):
        return None
    return None


def page(qs: QuerySet, field: str, cursor: str | None, size: int = PAGE_SIZE, *,
         descending: bool = True) -> Page:
    """The page of ``qs`` ordered by ``field`` then id (both descending by default) that
    starts after ``cursor``. ``qs`` must not be sliced; its own ordering is replaced."""
    position = decode(cursor) if cursor else None
    if position is not None:
        value, pk = position
        # the first, redundant bound lets the database seek in the (field, id) index
        if descending:
            qs = qs.filter(Q(**{f"{field}__lte": value}),
                           Q(**{f"{field}__lt": value}) | Q(pk__lt=pk))
        else:
            qs = qs.filter(Q(**{f"{field}__gte": value}),
                           Q(**{f"{field}__gt": value}) | Q(pk__gt=pk))
    order = (f"-{field}", "-pk") if descending else (field, "pk")
    rows = list(qs.order_by(*order)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = encode(getattr(rows[-1], field), rows[-1].pk) if more and rows else None
    return Page(rows, next_cursor)
