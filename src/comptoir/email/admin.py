from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Mailbox


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    """The addresses customers write to: SMTP intake accepts mail for the active ones."""

    list_display = ["address", "name", "team", "language", "is_active", "auto_ack", "imap_host"]
    list_filter = ["is_active", "team", "language"]
    search_fields = ["address", "name"]
    fieldsets = (
        (None, {"fields": ["address", "name", "team", "language", "is_active"]}),
        (_("Acknowledgement"), {"fields": ["auto_ack", "auto_ack_hours"]}),
        (_("IMAP polling (leave the host empty for mail that arrives by SMTP)"), {
            "fields": ["imap_host", "imap_port", "imap_ssl", "imap_username", "imap_password",
                       "imap_folder", "imap_done_folder"],
        }),
    )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "imap_password":  # not shown in clear on screen
            kwargs["widget"] = forms.PasswordInput(render_value=True)
        return super().formfield_for_dbfield(db_field, request, **kwargs)
