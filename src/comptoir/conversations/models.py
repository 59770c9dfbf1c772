"""Conversations, their messages and notes, attachments, reactions, tags, the event log, and
the raw inbound store. Domain changes go through ``services.py``, never ``save()`` here."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from comptoir.accounts.models import Team
from comptoir.people.models import Identity, Person, Plan

from .events import EventKind


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")      # waiting on the customer
    ON_HOLD = "on_hold", _("On hold")      # waiting on us (a bug, a third party)
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    WEB = "web", _("Web form")
    CHAT = "chat", _("Chat")
    SOCIAL = "social", _("Social")
    FORUM = "forum", _("Forum")
    API = "api", _("API")


class Tag(models.Model):
    """A label on conversations (``billing``, ``bug``, ``good-first-reply``)."""

    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Conversation(models.Model):
    """A thread with one customer, on the channel it started on, with a status and an owner."""

    subject = models.CharField(_("subject"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.NEW)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL,
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=8, blank=True)
    plan = models.CharField(
        _("plan"), max_length=16, choices=Plan.choices, default=Plan.FREE,
        help_text=_("The customer's plan when the conversation opened (decides its SLA)."),
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="conversations", verbose_name=_("customer"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="assigned_conversations", verbose_name=_("assignee"),
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations",
        verbose_name=_("team"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="conversations",
                                  verbose_name=_("tags"))
    preview = models.CharField(
        _("preview"), max_length=200, blank=True,
        help_text=_("Start of the latest message, for the inbox list."),
    )
    message_count = models.PositiveIntegerField(_("messages"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    last_activity_at = models.DateTimeField(
        _("last activity"), default=timezone.now,
        help_text=_("Latest message or note; the inbox is ordered by it."),
    )
    version = models.PositiveIntegerField(
        default=1, help_text=_("Bumped on every change; clients send it back to detect races."),
    )

    class Meta:
        ordering = ["-last_activity_at", "-id"]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        indexes = [
            # one index per inbox view: filter columns, then the keyset order
            models.Index(fields=["status", "-last_activity_at", "-id"],
                         name="conv_status_activity"),
            models.Index(fields=["assignee", "status", "-last_activity_at", "-id"],
                         name="conv_assignee_activity"),
            models.Index(fields=["-last_activity_at", "-id"], name="conv_activity"),
            models.Index(fields=["person", "-created_at"], name="conv_person_created"),
            # views filtered by language and plan. Not a partial index on open statuses: SQLite
            # cannot use one when the statuses arrive as query parameters.
            models.Index(fields=["language", "plan", "status", "-last_activity_at", "-id"],
                         name="conv_lang_plan_activity"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"


class ParticipantRole(models.TextChoices):
    CC = "cc", _("Copied")


class Participant(models.Model):
    """Someone else in the conversation besides its customer (a CC'd colleague of theirs):
    replies go to them too (reply-all) and it shows in their history."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants",
    )
    person = models.ForeignKey(Person, on_delete=models.CASCADE,
                               related_name="participations", verbose_name=_("person"))
    identity = models.ForeignKey(Identity, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    role = models.CharField(max_length=8, choices=ParticipantRole.choices,
                            default=ParticipantRole.CC)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "id"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [models.UniqueConstraint(fields=["conversation", "person"],
                                               name="participant_once")]

    def __str__(self) -> str:
        return f"{self.person} in #{self.conversation_id}"


class MessageKind(models.TextChoices):
    INBOUND = "inbound", _("From the customer")
    REPLY = "reply", _("Public reply")
    NOTE = "note", _("Internal note")


class Message(models.Model):
    """One message of a conversation: the customer's, an agent's public reply, or a note."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages",
        verbose_name=_("conversation"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=MessageKind.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="messages", verbose_name=_("agent"),
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages",
        verbose_name=_("customer"),
    )
    identity = models.ForeignKey(
        Identity, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages",
        verbose_name=_("identity"),
    )
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True, help_text=_("Sanitised on the way in."))
    language = models.CharField(_("language"), max_length=8, blank=True)
    external_id = models.CharField(
        _("external id"), max_length=500, blank=True, db_index=True,
        help_text=_("The channel's id (Message-ID, tweet id): duplicates are dropped by it."),
    )
    idempotency_key = models.CharField(
        max_length=64, null=True, blank=True, unique=True,
        help_text=_("A double-submitted reply carries the same key and is stored once."),
    )
    raw = models.ForeignKey(
        "RawInbound", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages",
    )
    meta = models.JSONField(
        default=dict, blank=True,
        help_text=_("What the channel says about the message: sender authentication (SPF, "
                    "DKIM, DMARC), automated mail, bounces, recipients."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [models.Index(fields=["conversation", "created_at", "id"], name="msg_conv_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_note(self) -> bool:
        return self.kind == MessageKind.NOTE


def _blob_path(blob: "Blob", filename: str) -> str:
    return f"blobs/{blob.sha256[:2]}/{blob.sha256}"


class Blob(models.Model):
    """File content stored once, by SHA-256, however many messages carry it."""

    sha256 = models.CharField(max_length=64, unique=True)
    size = models.PositiveBigIntegerField()
    file = models.FileField(upload_to=_blob_path)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("stored file")
        verbose_name_plural = _("stored files")

    def __str__(self) -> str:
        return self.sha256


class Attachment(models.Model):
    """A file on a message, served only to people who may see the conversation."""

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("message"),
    )
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="attachments")
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=127, default="application/octet-stream")

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class Reaction(models.Model):
    """An emoji on a message or note (👀 seen, ✅ done, 🎉...), with who reacted."""

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="reactions", verbose_name=_("message"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reactions",
        verbose_name=_("by"),
    )
    emoji = models.CharField(_("emoji"), max_length=32)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("reaction")
        verbose_name_plural = _("reactions")
        constraints = [
            models.UniqueConstraint(fields=["message", "user", "emoji"], name="reaction_once")
        ]

    def __str__(self) -> str:
        return self.emoji


class Event(models.Model):
    """One change, appended and never edited. Everything measured is computed from these."""

    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.CASCADE, related_name="events",
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="events",
    )
    kind = models.CharField(_("kind"), max_length=40, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("by"),
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["conversation", "created_at"], name="event_conv_time"),
            models.Index(fields=["kind", "created_at"], name="event_kind_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.created_at:%Y-%m-%d %H:%M}"


class RawStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    IGNORED = "ignored", _("Ignored")  # kept, on purpose not a message (mail loop); see error
    FAILED = "failed", _("Failed")


class RawInbound(models.Model):
    """The payload exactly as a channel delivered it, committed before any processing.

    Processing (``services.process_raw``) is idempotent; failures keep the row with its error
    and ``comptoir replay`` runs them again.
    """

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    payload = models.BinaryField(_("payload"))
    meta = models.JSONField(default=dict, blank=True, help_text=_("Envelope: mailbox, peer…"))
    sha256 = models.CharField(max_length=64, db_index=True)
    status = models.CharField(_("status"), max_length=16, choices=RawStatus.choices,
                              default=RawStatus.RECEIVED)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=_("The message it became."),
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("raw inbound")
        verbose_name_plural = _("raw inbound")
        indexes = [models.Index(fields=["status", "received_at"], name="raw_status_time")]

    def __str__(self) -> str:
        return f"{self.channel} #{self.pk} ({self.status})"


class Macro(models.Model):
    """A saved reply in one language. ``{{ customer.first_name }}``-style placeholders."""

    name = models.CharField(_("name"), max_length=120)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    body = models.TextField(
        _("text"),
        help_text=_("Placeholders: {{ customer.name }}, {{ customer.first_name }}, "
                    "{{ agent.name }}, {{ agent.first_name }}, {{ conversation.id }}, "
                    "{{ conversation.subject }}"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["language", "name"]
        verbose_name = _("saved reply")
        verbose_name_plural = _("saved replies")
        constraints = [
            models.UniqueConstraint(fields=["name", "language"], name="macro_name_language")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"
