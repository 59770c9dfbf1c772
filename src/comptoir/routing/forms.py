"""Forms of a person's own routing settings: working hours, leave, skills."""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from comptoir.sla.calendar import BusinessCalendar

from . import rules
from .models import Skill

INTERVAL_RE = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s*$")
DAYS = (("mon", _("Monday")), ("tue", _("Tuesday")), ("wed", _("Wednesday")),
        ("thu", _("Thursday")), ("fri", _("Friday")), ("sat", _("Saturday")),
        ("sun", _("Sunday")))


def format_day(intervals) -> str:
    return ", ".join(f"{start}–{end}" for start, end in intervals)


def parse_day(text: str) -> list[tuple[str, str]]:
    """``"09:00–12:00, 13:00–18:00"`` → ``[("09:00", "12:00"), ("13:00", "18:00")]``."""
    intervals = []
    for part in text.split(","):
        if not part.strip():
            continue
        match = INTERVAL_RE.match(part)
        if match is None:
            raise forms.ValidationError(
                _("Write hours as 09:00–18:00, several separated by commas."))
        start, end = (value.zfill(5) for value in match.groups())
        intervals.append((start, end))
    return intervals


class HoursForm(forms.Form):
    """The hours of each weekday, in the person's own time zone; a blank day is off."""

    def __init__(self, *args, hours: dict | None = None, **kwargs):
        if "initial" not in kwargs:
            current = rules.OFFICE_HOURS if hours is None else rules.parse_hours(hours)
            kwargs["initial"] = {name: format_day(current.get(day, []))
                                 for day, (name, _label) in enumerate(DAYS)}
        super().__init__(*args, **kwargs)
        for name, label in DAYS:
            self.fields[name] = forms.CharField(label=label, required=False, max_length=100)

    def clean(self):
        data = super().clean()
        weekly: dict[int, list[tuple[str, str]]] = {}
        for day, (name, _label) in enumerate(DAYS):
            try:
                intervals = parse_day(data.get(name) or "")
            except forms.ValidationError as exc:
                self.add_error(name, exc)
                continue
            if intervals:
                weekly[day] = intervals
        if not self.errors:
            try:
                BusinessCalendar("UTC", weekly)
            except ValueError as exc:
                raise forms.ValidationError(str(exc)) from exc
        data["weekly_hours"] = rules.hours_to_json(weekly)
        return data


class LeaveForm(forms.Form):
    starts_on = forms.DateField(label=pgettext_lazy("start of a date range", "From"),
                                widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Until (included)"),
                              widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("Leave ends on or after the day it starts."))
        elif ends and self.today and ends < self.today:
            self.add_error("ends_on", _("This leave is already over."))
        return data


class SkillsForm(forms.Form):
    skills = forms.ModelMultipleChoiceField(
        label=_("Conversations I can take"), queryset=Skill.objects.all(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )
