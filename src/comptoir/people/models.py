"""Customers: one person, many identities (email, social handle, chat visitor, forum user)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Plan(models.TextChoices):
    """Support tier. Decides channels and SLA (free: self-service; enterprise: video calls)."""

    FREE = "free", _("Free")
    PAID = "paid", _("Paid")
    PREMIUM = "premium", _("Premium")
    ENTERPRISE = "enterprise", _("Enterprise")


class Organisation(models.Model):
    """A customer company. Its plan is the plan of its people."""

    name = models.CharField(_("name"), max_length=200)
    domain = models.CharField(
        _("domain"), max_length=200, blank=True, db_index=True,
        help_text=_("Shown to agents; never used to attach people automatically."),
    )
    plan = models.CharField(_("plan"), max_length=16, choices=Plan.choices, default=Plan.FREE)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class PersonQuerySet(models.QuerySet):
    def active(self):
        """People not merged into someone else."""
        return self.filter(merged_into__isnull=True)


class Person(models.Model):
    """A customer. Whatever channel they write on, their history lives here."""

    name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(
        _("language"), max_length=8, blank=True,
        help_text=_("Preferred language for replies and surveys."),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True,
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="people", verbose_name=_("organisation"),
    )
    plan = models.CharField(_("plan"), max_length=16, choices=Plan.choices, default=Plan.FREE)
    notes = models.TextField(_("notes"), blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_people",
        verbose_name=_("merged into"),
        help_text=_("Set when this person was merged into another; cleared by undo."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.name or f"#{self.pk}"

    @property
    def first_name(self) -> str:
        return self.name.split(" ")[0] if self.name else ""


class IdentityKind(models.TextChoices):
    EMAIL = "email", _("Email address")
    SOCIAL = "social", _("Social handle")
    CHAT = "chat", _("Chat visitor")
    FORUM = "forum", _("Forum user")
    PORTAL = "portal", _("Portal account")


class Proof(models.TextChoices):
    """How we know an identity belongs to its person. A message's claim is never proof."""

    NONE = "", _("Not verified")
    EMAIL_LINK = "email_link", _("Verified email link")
    PORTAL_LOGIN = "portal_login", _("Signed-in portal user")
    VERIFIED_HANDLE = "verified_handle", _("Verified social handle")
    AGENT = "agent", _("Confirmed by an agent")


class Identity(models.Model):
    """One way a person reaches us: an address, a handle, a chat visitor id, a forum account."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="identities", verbose_name=_("person"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=IdentityKind.choices)
    network = models.CharField(
        _("network"), max_length=32, blank=True, help_text=_("For social handles: the network."),
    )
    value = models.CharField(
        _("value"), max_length=320, help_text=_("Normalised: lower-case address or handle."),
    )
    display = models.CharField(_("as written"), max_length=320, blank=True)
    proof = models.CharField(_("proof"), max_length=20, choices=Proof.choices, blank=True)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    bounced_at = models.DateTimeField(
        _("bounced"), null=True, blank=True,
        help_text=_("Mail to this address came back as undeliverable (a bounce report)."),
    )
    bounce_reason = models.CharField(_("bounce reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["kind", "value"]
        verbose_name = _("identity")
        verbose_name_plural = _("identities")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "network", "value"], name="identity_unique_per_kind"
            )
        ]

    def __str__(self) -> str:
        return self.display or self.value

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class PersonMerge(models.Model):
    """A merge of ``source`` into ``target``, with what moved, so it can be undone."""

    source = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="merges_as_source",
        verbose_name=_("merged person"),
    )
    target = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="merges_as_target",
        verbose_name=_("kept person"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("by"),
    )
    identity_ids = models.JSONField(default=list)
    conversation_ids = models.JSONField(default=list)
    created_at = models.DateTimeField(_("merged"), default=timezone.now)
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("merge")
        verbose_name_plural = _("merges")

    def __str__(self) -> str:
        return f"{self.source_id} → {self.target_id}"
