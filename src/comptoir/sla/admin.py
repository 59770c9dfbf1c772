"""Admin for service-level configuration. Clocks are derived data: read-only."""

from django.contrib import admin

from . import services
from .models import (
    Calendar,
    CoveragePlan,
    Holiday,
    PlanTier,
    SlaClock,
    SlaEscalation,
    SlaPolicy,
    SlaTarget,
)


class RefreshesClocks(admin.ModelAdmin):
    """Due times depend on this configuration: recompute open clocks after a change."""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.refresh_open_later()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.refresh_open_later()


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 1
    fields = ["name", "starts_on", "ends_on"]


@admin.register(Calendar)
class CalendarAdmin(RefreshesClocks):
    list_display = ["name", "team", "time_zone", "holiday_country", "holiday_subdivision"]
    inlines = [HolidayInline]


@admin.register(CoveragePlan)
class CoveragePlanAdmin(RefreshesClocks):
    list_display = ["name", "is_default"]
    filter_horizontal = ["calendars"]


class TargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0
    fields = ["metric", "priority", "minutes", "business_hours", "warn_percent",
              "warn_before_minutes"]


class EscalationInline(admin.TabularInline):
    model = SlaEscalation
    extra = 0
    fields = ["trigger", "metric", "action", "to_priority"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(RefreshesClocks):
    list_display = ["name", "schedule", "coverage", "calendar", "resolution_pauses_on_hold"]
    inlines = [TargetInline, EscalationInline]


@admin.register(PlanTier)
class PlanTierAdmin(RefreshesClocks):
    list_display = ["plan", "channels", "sla_policy"]


@admin.register(SlaClock)
class SlaClockAdmin(admin.ModelAdmin):
    """Read-only: ``sla.services.refresh()`` computes clocks from the event log."""

    list_display = ["conversation", "metric", "state", "due_at", "warned_at", "breached_at"]
    list_filter = ["state", "metric"]
    raw_id_fields = ["conversation"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
