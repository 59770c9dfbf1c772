"""Mailboxes we receive at and send from, IMAP cursors, and the outbound delivery log."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from comptoir.accounts.models import Team


class Mailbox(models.Model):
    """An address customers write to (``support@``, ``billing@``): where its mail goes, in
    which language by default, and how it is fetched (SMTP intake, or IMAP polling)."""

    address = models.EmailField(_("address"), unique=True,
                                help_text=_("Lower-case; replies are sent from it."))
    name = models.CharField(_("name"), max_length=120,
                            help_text=_("Shown to customers: \"Ada at Acme Support\"."))
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="mailboxes", verbose_name=_("team"))
    language = models.CharField(_("default language"), max_length=8, blank=True,
                                choices=settings.LANGUAGES)
    is_active = models.BooleanField(_("active"), default=True)
    # auto-acknowledgement: at most one per sender per ``auto_ack_hours``
    auto_ack = models.BooleanField(_("send an acknowledgement"), default=False)
    auto_ack_hours = models.PositiveIntegerField(
        _("at most once per sender every (hours)"), default=24,
        help_text=_("For every automatic answer: acknowledgements and self-service replies."),
    )
    # plan tiers: a customer whose plan does not include email gets pointed to self-service
    self_service_reply = models.BooleanField(
        _("point customers without email support to self-service"), default=False,
        help_text=_("When the sender's plan does not include email (the free plan, by "
                    "default), their message is kept as usual and they get one polite "
                    "answer in their language with the links below, instead of the "
                    "acknowledgement."),
    )
    self_service_kb_url = models.URLField(
        _("knowledge base link"), max_length=500, blank=True,
        help_text=_("{language} in the link becomes the customer's language code "
                    "(en, fr, de, es, ja)."),
    )
    self_service_forum_url = models.URLField(
        _("community forum link"), max_length=500, blank=True,
        help_text=_("{language} in the link becomes the customer's language code."),
    )
    self_service_text = models.TextField(
        _("extra paragraph"), blank=True,
        help_text=_("Added as written, whatever the customer's language (e.g. how to "
                    "upgrade). Leave empty for the translated text alone."),
    )
    # IMAP polling (leave the host empty for mail that arrives by SMTP)
    imap_host = models.CharField(_("IMAP host"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_ssl = models.BooleanField(_("IMAP over TLS"), default=True)
    imap_username = models.CharField(_("IMAP user"), max_length=255, blank=True)
    imap_password = models.CharField(_("IMAP password"), max_length=255, blank=True)
    imap_folder = models.CharField(_("IMAP folder"), max_length=255, default="INBOX")
    imap_done_folder = models.CharField(
        _("move processed mail to"), max_length=255, blank=True,
        help_text=_("Empty: processed mail stays in the folder, flagged as seen."),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["address"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    def save(self, *args, **kwargs):
        self.address = self.address.strip().lower()
        super().save(*args, **kwargs)


class ImapCursor(models.Model):
    """How far a mailbox's IMAP folder has been read: fetched UIDs are above ``last_uid``
    for this ``uidvalidity``; a new UIDVALIDITY starts over (duplicates are dropped)."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="imap_cursors")
    folder = models.CharField(max_length=255)
    uidvalidity = models.BigIntegerField(default=0)
    last_uid = models.BigIntegerField(default=0)
    polled_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mailbox", "folder"],
                                               name="imap_cursor_once")]

    def __str__(self) -> str:
        return f"{self.mailbox.address}/{self.folder} @ {self.uidvalidity}:{self.last_uid}"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    DEFERRED = "deferred", _("Retrying")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    BOUNCED = "bounced", _("Bounced")


class DeliveryKind(models.TextChoices):
    REPLY = "reply", _("Reply")
    ACK = "ack", _("Acknowledgement")
    SELF_SERVICE = "self_service", _("Self-service answer")
    FOLLOWUP = "followup", _("Follow-up")


AUTOMATIC_KINDS = (DeliveryKind.ACK, DeliveryKind.SELF_SERVICE)
"""Automatic answers (RFC 3834 auto-replied): at most one per sender and mailbox a window."""


class Delivery(models.Model):
    """One outbound email: a reply (or an acknowledgement) on its way to a customer."""

    message = models.OneToOneField(
        "conversations.Message", null=True, blank=True, on_delete=models.CASCADE,
        related_name="delivery",
    )
    conversation = models.ForeignKey(
        "conversations.Conversation", null=True, blank=True, on_delete=models.CASCADE,
        related_name="deliveries",
    )
    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="deliveries")
    kind = models.CharField(_("kind"), max_length=16, choices=DeliveryKind.choices,
                            default=DeliveryKind.REPLY)
    rfc_message_id = models.CharField(_("Message-ID"), max_length=255, db_index=True)
    sender = models.CharField(max_length=320)
    recipients = models.JSONField(default=list)  # envelope RCPT TO
    status = models.CharField(_("status"), max_length=16, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(_("error"), blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.rfc_message_id} ({self.status})"


class DeliveryAttempt(models.Model):
    """The delivery log: one row per SMTP attempt, with the server's answer."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(default=timezone.now)
    ok = models.BooleanField(default=False)
    code = models.PositiveIntegerField(null=True, blank=True)
    response = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.code or ''} {'ok' if self.ok else 'failed'}"
