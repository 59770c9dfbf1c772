"""What the reports measure business time against, and the one-contact window.

Business minutes follow the conversation's team calendar: the SLA app's calendar of that team
(time zone, weekly hours, public and company holidays of the last ``HOLIDAY_YEARS`` years and
the next one) when it has one, otherwise the team's time zone with Monday to Friday
09:00–17:00 (``DEFAULT_HOURS``); a conversation without a team uses ``settings.TIME_ZONE``
and those hours. (SLA attainment needs no calendar here: it counts the SLA app's
``sla.met`` / ``sla.breached`` events.) One-contact resolution groups a person's
conversations that start within ``REPORTS_OCR_WINDOW_DAYS`` (default 7) of each other.

Facts computed under other policies are flagged by :attr:`Policies.key` on the report pages;
``comptoir rebuild-rollups`` recomputes them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from comptoir.sla.calendar import BusinessCalendar

DEFAULT_HOURS = {weekday: [("09:00", "17:00")] for weekday in range(5)}
DEFAULT_OCR_WINDOW_DAYS = 7
HOLIDAY_YEARS = 5


@dataclass(frozen=True)
class Policies:
    """Calendars per team (for business hours) and the one-contact window."""

    team_zones: Mapping[int, str] = field(default_factory=dict)
    default_zone: str = "UTC"
    ocr_window: timedelta = timedelta(days=DEFAULT_OCR_WINDOW_DAYS)
    team_calendars: Mapping[int, BusinessCalendar] = field(default_factory=dict)

    def calendar(self, team_id: int | None) -> BusinessCalendar:
        if team_id and team_id in self.team_calendars:
            return self.team_calendars[team_id]
        zone = self.team_zones.get(team_id, self.default_zone) if team_id else self.default_zone
        return _calendar(zone)

    def business_minutes(self, team_id: int | None) -> Callable:
        return self.calendar(team_id).minutes_between

    @property
    def key(self) -> str:
        """A fingerprint of everything the facts depend on besides the events."""
        calendars = sorted((team, repr(c)) for team, c in self.team_calendars.items())
        blob = json.dumps([sorted(self.team_zones.items()), self.default_zone,
                           self.ocr_window.total_seconds(), calendars])
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


_calendars: dict[str, BusinessCalendar] = {}


def _calendar(zone: str) -> BusinessCalendar:
    if zone not in _calendars:
        try:
            _calendars[zone] = BusinessCalendar(zone, DEFAULT_HOURS)
        except ValueError:  # a zone this machine's tzdata does not know
            _calendars[zone] = BusinessCalendar("UTC", DEFAULT_HOURS)
    return _calendars[zone]


def ocr_window() -> timedelta:
    return timedelta(days=getattr(settings, "REPORTS_OCR_WINDOW_DAYS", DEFAULT_OCR_WINDOW_DAYS))


def _team_calendars() -> dict[int, BusinessCalendar]:
    """The SLA app's team calendars, when it is installed and has some."""
    from django.apps import apps

    if not apps.is_installed("comptoir.sla"):
        return {}
    from comptoir.sla.models import Calendar

    year = timezone.now().year
    years = range(year - HOLIDAY_YEARS, year + 2)
    found = {}
    for calendar in Calendar.objects.filter(team__isnull=False).prefetch_related(
            "custom_holidays"):
        try:
            found[calendar.team_id] = calendar.to_business_calendar(years)
        except (ValueError, TypeError):  # a calendar the SLA app would refuse too
            continue
    return found


def load() -> Policies:
    """The policies in force now (two small queries)."""
    from comptoir.accounts.models import Team

    return Policies(
        team_zones=dict(Team.objects.values_list("pk", "time_zone")),
        default_zone=settings.TIME_ZONE,
        ocr_window=ocr_window(),
        team_calendars=_team_calendars(),
    )
