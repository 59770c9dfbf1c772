from django.contrib import admin

from .models import Conversation, Event, Macro, RawInbound, Tag


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["id", "subject", "status", "channel", "language", "plan", "assignee"]
    list_filter = ["status", "channel", "plan", "language"]
    raw_id_fields = ["person", "assignee"]
    search_fields = ["subject"]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only."""

    list_display = ["created_at", "kind", "conversation", "actor"]
    list_filter = ["kind"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(RawInbound)
class RawInboundAdmin(admin.ModelAdmin):
    list_display = ["id", "channel", "status", "attempts", "received_at"]
    list_filter = ["status", "channel"]
    exclude = ["payload"]


admin.site.register(Tag)
admin.site.register(Macro)
