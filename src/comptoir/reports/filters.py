"""The filter every report takes: a range of UTC days and the dimensions to keep."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.utils import timezone

from comptoir.conversations.models import Channel
from comptoir.people.models import Plan

from .models import ConversationFacts, Grain

PRESETS = ("7", "30", "90", "365", "custom")
DEFAULT_PRESET = "30"
MAX_DAYS = 3 * 366
NO_TEAM = "none"
SINGLE_GRAINS = {frozenset(): Grain.TOTAL, frozenset({"channel"}): Grain.CHANNEL,
                 frozenset({"plan"}): Grain.PLAN, frozenset({"language"}): Grain.LANGUAGE,
                 frozenset({"team_id"}): Grain.TEAM}


def _parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class ReportFilter:
    """A range of UTC days (both ends included) and the dimensions to keep."""

    start: date
    end: date
    preset: str = DEFAULT_PRESET
    channel: str = ""
    plan: str = ""
    language: str = ""
    team: str = ""
    tag: str = ""
    business: bool = False

    @classmethod
    def from_query(cls, params: Mapping[str, str], today: date | None = None) -> ReportFilter:
        """From a query string. Unknown values are dropped, never an error: a report link
        that outlived a tag or a team still opens."""
        today = today or timezone.now().astimezone(UTC).date()
        preset = params.get("range", DEFAULT_PRESET)
        if preset not in PRESETS:
            preset = DEFAULT_PRESET
        start, end = _parse_day(params.get("from", "")), _parse_day(params.get("to", ""))
        if preset != "custom" or start is None or end is None:
            if preset == "custom":
                preset = DEFAULT_PRESET
            end = today
            start = today - timedelta(days=int(preset) - 1)
        if start > end:
            start, end = end, start
        start = max(start, end - timedelta(days=MAX_DAYS - 1))
        team = params.get("team", "")
        if team != NO_TEAM and not team.isdigit():
            team = ""
        return cls(
            start=start, end=end, preset=preset,
            channel=params.get("channel", "") if params.get("channel") in Channel.values else "",
            plan=params.get("plan", "") if params.get("plan") in Plan.values else "",
            language=params.get("language", "")[:8],
            team=team, tag=params.get("tag", "").strip()[:50],
            business=params.get("hours") == "business",
        )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> ReportFilter:
        """The same number of days just before."""
        return replace(self, start=self.start - timedelta(days=self.days),
                       end=self.start - timedelta(days=1), preset="custom")

    def dims(self, prefix: str = "") -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in ("channel", "plan", "language"):
            if getattr(self, name):
                out[prefix + name] = getattr(self, name)
        if self.team == NO_TEAM:
            out[prefix + "team_id__isnull"] = True
        elif self.team:
            out[prefix + "team_id"] = int(self.team)
        return out

    def rows(self, model: Any, by: Sequence[str] = (), *, start: date | None = None,
             end: date | None = None) -> QuerySet:
        """The rollup rows in range (``start``/``end`` override it; ``None`` for either is
        the filter's own) that match the filter, at the coarsest grain that still has every
        dimension filtered on or grouped ``by``: one row a day for no filter, a few for one
        dimension, the detail rows only for combinations."""
        needed = {name for name in ("channel", "plan", "language") if getattr(self, name)}
        if self.team:
            needed.add("team_id")
        needed |= {b for b in by if b not in ("day", "tag")}
        qs = model.objects.filter(day__gte=start or self.start, day__lte=end or self.end)
        if self.tag or "tag" in by:
            grain = Grain.TAG if not needed else Grain.DETAIL
            qs = qs.filter(tag=self.tag) if self.tag else qs.exclude(tag="")
        else:
            grain = SINGLE_GRAINS.get(frozenset(needed), Grain.DETAIL)
            qs = qs.filter(tag="")
        return qs.filter(grain=grain, **self.dims())

    def facts(self) -> QuerySet:
        qs = ConversationFacts.objects.filter(**self.dims())
        return qs.filter(tags__tag=self.tag) if self.tag else qs

    @property
    def filtered(self) -> bool:
        return bool(self.channel or self.plan or self.language or self.team or self.tag)

    def params(self, **changes: Any) -> dict[str, str]:
        values = {"range": self.preset, "channel": self.channel, "plan": self.plan,
                  "language": self.language, "team": self.team, "tag": self.tag,
                  "hours": "business" if self.business else ""}
        if self.preset == "custom":
            values.update({"from": self.start.isoformat(), "to": self.end.isoformat()})
        values.update({k: str(v) for k, v in changes.items()})
        return {k: v for k, v in values.items() if v}

    def query(self, **changes: Any) -> str:
        return urlencode(self.params(**changes))


