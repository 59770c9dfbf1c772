"""Forms of the service-levels pages: a calendar's hours and its custom holidays."""

from __future__ import annotations

import re
import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import WEEKDAYS, Calendar, parse_weekly_hours

INTERVAL_RE = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s*$")
DAY_FIELDS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ZONES = frozenset(zoneinfo.available_timezones())


def format_day(intervals) -> str:
    return ", ".join(f"{start}–{end}" for start, end in intervals)


def parse_day(text: str) -> list[list[str]]:
    """``"09:00–12:00, 13:00–17:00"`` → ``[["09:00", "12:00"], ["13:00", "17:00"]]``."""
    intervals = []
    for part in text.split(","):
        if not part.strip():
            continue
        match = INTERVAL_RE.match(part)
        if match is None:
            raise forms.ValidationError(
                _("Write hours as 09:00–17:00, several separated by commas."))
        start, end = (value.zfill(5) for value in match.groups())
        intervals.append([start, end])
    return intervals


class CalendarForm(forms.Form):
    """Time zone, public holidays and the hours of each weekday (local time)."""

    time_zone = forms.CharField(label=_("Time zone"), max_length=64)
    holiday_country = forms.CharField(label=_("Public holidays of (country code)"),
                                      max_length=3, required=False)
    holiday_subdivision = forms.CharField(label=_("Region"), max_length=10, required=False)

    def __init__(self, *args, calendar: Calendar | None = None, **kwargs):
        if calendar is not None and "initial" not in kwargs:
            hours = parse_weekly_hours(calendar.weekly_hours)
            kwargs["initial"] = {
                "time_zone": calendar.time_zone,
                "holiday_country": calendar.holiday_country,
                "holiday_subdivision": calendar.holiday_subdivision,
                **{name: format_day(hours.get(day, [])) for day, name in enumerate(DAY_FIELDS)},
            }
        super().__init__(*args, **kwargs)
        for day, name in enumerate(DAY_FIELDS):
            self.fields[name] = forms.CharField(
                label=WEEKDAYS[day], required=False, max_length=200,
                help_text=_("Blank: closed."))

    def clean_time_zone(self) -> str:
        zone = self.cleaned_data["time_zone"].strip()
        if zone not in ZONES:
            raise forms.ValidationError(_("Unknown time zone."))
        return zone

    def clean(self):
        data = super().clean()
        weekly = {}
        for day, name in enumerate(DAY_FIELDS):
            try:
                intervals = parse_day(data.get(name) or "")
            except forms.ValidationError as exc:
                self.add_error(name, exc)
                continue
            if intervals:
                weekly[str(day)] = intervals
        data["weekly_hours"] = weekly
        return data

    def day_fields(self):
        return [self[name] for name in DAY_FIELDS]


class HolidayForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    starts_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Until"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))
