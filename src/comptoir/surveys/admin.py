"""Admin for surveys: read-only answers (they are the customers' words)."""

from django.contrib import admin

from .models import Survey


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ("conversation", "person", "channel", "language", "state", "rating",
                    "sent_at", "answered_at")
    list_filter = ("state", "rating", "channel", "language")
    search_fields = ("comment",)
    readonly_fields = [f.name for f in Survey._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
