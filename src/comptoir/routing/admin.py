"""Admin for routing: skills (what calls for them, who has them), people's working hours
and leave, and the decisions (read-only: they are the record of what happened)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from comptoir.sla.calendar import BusinessCalendar

from . import rules
from .forms import DAYS, format_day
from .models import Leave, RoutingDecision, Skill, WorkingHours


class ListField(forms.CharField):
    """A JSON list of strings edited as comma-separated text."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def to_python(self, value):
        return sorted({part.strip().lower() for part in (value or "").split(",") if part.strip()})


class SkillForm(forms.ModelForm):
    tags = ListField(label=_("Tags"), required=False,
                     help_text=_("Comma-separated. Conversations with one of these tags need "
                                 "this skill."))
    mailboxes = ListField(label=_("Mailboxes"), required=False,
                          help_text=_("Comma-separated addresses."))
    keywords = ListField(label=_("Keywords"), required=False,
                         help_text=_("Comma-separated. A word of the subject that starts with "
                                     "one of them (anywhere for Japanese)."))

    class Meta:
        model = Skill
        fields = ["name", "tags", "mailboxes", "keywords", "members"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    form = SkillForm
    list_display = ["name", "tags", "mailboxes", "keywords"]
    search_fields = ["name"]
    filter_horizontal = ["members"]


class WorkingHoursForm(forms.ModelForm):
    def clean_weekly_hours(self):
        hours = self.cleaned_data["weekly_hours"]
        try:
            BusinessCalendar("UTC", rules.parse_hours(hours))
        except (TypeError, ValueError, IndexError) as exc:
            raise forms.ValidationError(
                _('Write {"0": [["09:00", "18:00"]], ...}: weekday 0 is Monday. (%(error)s)')
                % {"error": exc}) from exc
        return rules.hours_to_json(rules.parse_hours(hours))

    class Meta:
        model = WorkingHours
        fields = ["user", "weekly_hours"]


@admin.register(WorkingHours)
class WorkingHoursAdmin(admin.ModelAdmin):
    form = WorkingHoursForm
    list_display = ["user", "hours", "updated_at"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user"]

    @admin.display(description=_("hours"))
    def hours(self, obj: WorkingHours) -> str:
        parsed = rules.parse_hours(obj.weekly_hours)
        return "; ".join(f"{DAYS[day][1]} {format_day(intervals)}"
                         for day, intervals in sorted(parsed.items())) or "—"


@admin.register(Leave)
class LeaveAdmin(admin.ModelAdmin):
    list_display = ["user", "starts_on", "ends_on", "note"]
    list_filter = ["starts_on"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "note"]
    autocomplete_fields = ["user"]


@admin.register(RoutingDecision)
class RoutingDecisionAdmin(admin.ModelAdmin):
    list_display = ["conversation", "created_at", "trigger", "outcome", "team", "assignee",
                    "reason"]
    list_filter = ["outcome", "trigger", "reason"]
    list_select_related = ["team", "assignee"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
