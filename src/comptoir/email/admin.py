from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Mailbox


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    """The addresses customers write to: SMTP intake accepts mail for the active ones."""

    list_display = ["address", "name", "team", "language", "is_active", "auto_ack",
                    "self_service_reply", "imap_host"]
    list_filter = ["is_active", "team", "language"]
    search_fields = ["address", "name"]
    fieldsets = (
        (None, {"fields": ["address", "name", "team", "language", "is_active"]}),
        (_("Acknowledgement"), {"fields": ["auto_ack", "auto_ack_hours"]}),
        (_("Customers whose plan does not include email"), {
            "description": _("Their message is kept and shown to agents with a badge. With "
                             "this on, they get one polite answer in their language pointing "
                             "to self-service instead of the acknowledgement (at most once "
                             "per sender in the window above)."),
            "fields": ["self_service_reply", "self_service_kb_url", "self_service_forum_url",
                       "self_service_text"],
        }),
        (_("IMAP polling (leave the host empty for mail that arrives by SMTP)"), {
            "fields": ["imap_host", "imap_port", "imap_ssl", "imap_username", "imap_password",
                       "imap_folder", "imap_done_folder"],
        }),
    )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "imap_password":  # not shown in clear on screen
            kwargs["widget"] = forms.PasswordInput(render_value=True)
        if db_field.name in ("self_service_kb_url", "self_service_forum_url"):
            kwargs["assume_scheme"] = "https"  # "help.acme.test" is a secure link
        return super().formfield_for_dbfield(db_field, request, **kwargs)
