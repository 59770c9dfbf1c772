"""Admin for bugs: read mostly; marking fixed and following up happen on the bug page."""

from django.contrib import admin

from .models import Bug, BugLink, WebhookDelivery


class BugLinkInline(admin.TabularInline):
    model = BugLink
    extra = 0
    raw_id_fields = ("conversation", "follow_up_message")
    readonly_fields = ("linked_by", "linked_at", "followed_up_at", "follow_up_message",
                       "followed_up_fix")


@admin.register(Bug)
class BugAdmin(admin.ModelAdmin):
    list_display = ("title", "tracker_kind", "tracker_project", "tracker_number", "status",
                    "fixed_at")
    list_filter = ("status", "tracker_kind")
    search_fields = ("title", "tracker_url")
    readonly_fields = ("tracker_url", "tracker_kind", "tracker_project", "tracker_number", "status",
                       "fixed_at", "fixed_by", "fixed_via", "fix_number", "reopened_at",
                       "reopened_by", "reopened_via", "created_by", "created_at")
    inlines = [BugLinkInline]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("source", "delivery_id", "event", "action", "bug", "outcome",
                    "received_at")
    list_filter = ("source", "event")
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
