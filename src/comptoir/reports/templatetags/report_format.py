"""Formatting for report pages: durations, percentages, numbers in the reader's locale."""

from datetime import date
from typing import Any

from django import template
from django.utils import formats
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(minutes: Any) -> str:
    """45 min, 2 h 10 min, 3 d 4 h; "—" when there is nothing to show."""
    if minutes is None or minutes == "":
        return "—"
    total = round(float(minutes))
    if total < 60:
        return _("%(m)s min") % {"m": total}
    if total < 1440:
        hours, rest = divmod(total, 60)
        return _("%(h)s h %(m)s min") % {"h": hours, "m": rest} if rest else \
            _("%(h)s h") % {"h": hours}
    days, rest = divmod(total, 1440)
    hours = rest // 60
    return _("%(d)s d %(h)s h") % {"d": days, "h": hours} if hours else _("%(d)s d") % {"d": days}


@register.filter
def pct(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return _("%(v)s %%") % {"v": formats.number_format(value, 1, use_l10n=True)}


@register.filter
def cell(value: Any, kind: str) -> str:
    """A table cell by its column kind (see ``shapes.Column``)."""
    if value is None:
        return "—"
    if kind == "percent":
        return pct(value)
    if kind == "minutes":
        return duration(value)
    if kind == "number":
        return formats.number_format(value, 1, use_l10n=True)
    if kind == "int":
        return formats.number_format(value, 0, use_l10n=True, force_grouping=True)
    if kind == "date" and isinstance(value, date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


@register.filter
def kpi(value: Any, kind: str) -> str:
    return cell(value, kind)


@register.filter
def change(k: Any) -> str:
    """The change of a key figure against the previous period: +3.2 pts, −12 min, +40."""
    delta = k.change
    if delta is None:
        return ""
    shown = round(delta, 0 if k.kind in ("int", "minutes") else 1)
    sign = "+" if shown > 0 else "−" if shown < 0 else "±"
    size = abs(shown)
    if k.kind == "percent":
        return _("%(sign)s%(v)s pts") % {"sign": sign,
                                         "v": formats.number_format(size, 1, use_l10n=True)}
    if k.kind == "minutes":
        return f"{sign}{duration(size)}"
    if k.kind == "number":
        return f"{sign}{formats.number_format(size, 1, use_l10n=True)}"
    return f"{sign}{formats.number_format(size, 0, use_l10n=True, force_grouping=True)}"


@register.filter
def lag(seconds: Any) -> str:
    """12 s, 3 min, 2 h."""
    if seconds is None:
        return "—"
    seconds = round(float(seconds))
    if seconds < 120:
        return _("%(n)s s") % {"n": seconds}
    if seconds < 7200:
        return _("%(n)s min") % {"n": seconds // 60}
    return _("%(n)s h") % {"n": seconds // 3600}


@register.filter
def get(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if hasattr(mapping, "get") else None
