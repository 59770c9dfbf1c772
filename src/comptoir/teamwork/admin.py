from django.contrib import admin

from .models import (
    FirstReply,
    HelpRequest,
    Share,
    ShareSettings,
    SupportDay,
    SupportDayChange,
    ToneNote,
    UxProblem,
)


@admin.register(ShareSettings)
class ShareSettingsAdmin(admin.ModelAdmin):
    list_display = ("user", "daily_count", "updated_at")
    raw_id_fields = ("user",)


@admin.register(Share)
class ShareAdmin(admin.ModelAdmin):
    list_display = ("day", "conversation", "team", "offered_at", "dropped_at")
    list_filter = ("day", "team")
    raw_id_fields = ("user", "conversation")


@admin.register(HelpRequest)
class HelpRequestAdmin(admin.ModelAdmin):
    list_display = ("conversation", "asked_by", "advocate", "team", "created_at",
                    "handed_over_at")
    raw_id_fields = ("conversation", "asked_by", "advocate")


class SupportDayChangeInline(admin.TabularInline):
    """The day's history: read only (it is appended by the services)."""

    model = SupportDayChange
    extra = 0
    can_delete = False
    readonly_fields = ("kind", "actor", "data", "created_at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SupportDay)
class SupportDayAdmin(admin.ModelAdmin):
    list_display = ("day", "title", "whole_company", "status", "created_by")
    list_filter = ("status",)
    search_fields = ("title", "learnings")
    raw_id_fields = ("created_by", "cancelled_by")
    inlines = [SupportDayChangeInline]


@admin.register(ToneNote)
class ToneNoteAdmin(admin.ModelAdmin):
    list_display = ("language", "updated_by", "updated_at")
    raw_id_fields = ("updated_by",)


@admin.register(UxProblem)
class UxProblemAdmin(admin.ModelAdmin):
    list_display = ("title", "support_day", "conversation", "created_at")
    raw_id_fields = ("support_day", "conversation", "reported_by")


@admin.register(FirstReply)
class FirstReplyAdmin(admin.ModelAdmin):
    list_display = ("user", "replied_at", "celebrated")
    raw_id_fields = ("user", "message", "conversation")
