"""Everyone in the company who answers customers: agents, teammates, their teams and roles."""

import hashlib
import secrets
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TIME_ZONE_CHOICES = sorted((tz, tz) for tz in zoneinfo.available_timezones() if "/" in tz)


class Role(models.TextChoices):
    """What a person may do. Everyone in the company is at least a teammate: everyone answers."""

    ADMIN = "admin", _("Admin")
    LEAD = "lead", _("Lead")
    ADVOCATE = "advocate", _("Advocate")
    TEAMMATE = "teammate", _("Teammate")
    OBSERVER = "observer", _("Observer")


class Team(models.Model):
    """A group of people who share a queue: a support team, or engineering, design..."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC",
        help_text=_("Where the team works; its business hours are read in this zone."),
    )
    is_support = models.BooleanField(
        _("support team"), default=False,
        help_text=_("Advocates' teams. Other teams answer their daily share."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person of the company who signs in: advocate, engineer, designer, founder..."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.TEAMMATE)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    language = models.CharField(
        _("interface language"), max_length=8, choices=settings.LANGUAGES, default="en",
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC",
        help_text=_("Times are shown in this zone."),
    )
    spoken_languages = models.JSONField(
        _("languages spoken"), default=list, blank=True,
        help_text=_("Languages this person can answer customers in."),
    )
    teams = models.ManyToManyField(
        Team, related_name="members", blank=True, verbose_name=_("teams"),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


def _hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the key is shown once at creation."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, user: User, name: str) -> tuple["ApiToken", str]:
        """Create a token; return it with its plain key, which is never stored."""
        key = "ct_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, prefix=key[:8], key_hash=_hash_token(key))
        return token, key

    @classmethod
    def lookup(cls, key: str) -> "ApiToken | None":
        return cls.objects.active().select_related("user").filter(key_hash=_hash_token(key)).first()
