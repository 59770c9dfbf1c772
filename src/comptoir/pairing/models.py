"""Customer engineering days: an engineer spends a day beside an advocate, answering
customers from their own product area, and writes down what they learned. Plus emoji
reactions on pairing records and review comments."""

import uuid

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from comptoir.accounts.models import Team

from .rules import DEFAULT_MINIMUM


def new_uid() -> str:
    return uuid.uuid4().hex


class TeamCoverage(models.Model):
    """How many advocates a support team needs on shift in every hour of its day; a
    customer day that would take it below is refused. A team without a row needs one."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, primary_key=True,
                                related_name="pairing_coverage", verbose_name=_("team"))
    minimum_per_hour = models.PositiveSmallIntegerField(
        _("minimum advocates per hour"), default=DEFAULT_MINIMUM,
        help_text=_("A customer day may not leave fewer advocates on shift in any hour."),
    )

    class Meta:
        verbose_name = _("coverage minimum")
        verbose_name_plural = _("coverage minimums")

    def __str__(self) -> str:
        return f"{self.team}: {self.minimum_per_hour}"


class PairingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CANCELLED = "cancelled", _("Cancelled")


class Pairing(models.Model):
    """One customer engineering day: an engineer and an advocate, on ``day`` (local dates),
    together from ``starts_at`` to ``ends_at`` (the hours both work), on the conversations
    of ``skill`` or ``tag``. ``sequence`` counts calendar updates (RFC 5545)."""

    engineer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                 related_name="pairings_as_engineer",
                                 verbose_name=_("engineer"))
    advocate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                 related_name="pairings_as_advocate",
                                 verbose_name=_("advocate"))
    engineering_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("engineer's team"),
    )
    day = models.DateField(_("day"))
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    candidates = models.JSONField(_("dates proposed"), default=list, blank=True)
    skill = models.ForeignKey("routing.Skill", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("product area (skill)"))
    tag = models.CharField(_("product area (tag)"), max_length=50, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=PairingStatus.choices,
                              default=PairingStatus.SCHEDULED)
    uid = models.CharField(_("calendar id"), max_length=100, unique=True,
                           default=new_uid, editable=False)
    sequence = models.PositiveIntegerField(_("calendar sequence"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    reminded_at = models.DateTimeField(
        _("record reminder sent"), null=True, blank=True,
        help_text=_("When the pair was reminded to write the day's record (once)."),
    )

    class Meta:
        ordering = ["-day", "-id"]
        verbose_name = _("customer day")
        verbose_name_plural = _("customer days")
        indexes = [models.Index(fields=["day", "status"], name="pairing_day_status"),
                   # a person's days, page by page (keyset on day then id)
                   models.Index(fields=["engineer", "-day", "-id"], name="pairing_engineer_day"),
                   models.Index(fields=["advocate", "-day", "-id"], name="pairing_advocate_day")]
        constraints = [
            models.UniqueConstraint(fields=["advocate", "day"],
                                    condition=models.Q(status="scheduled"),
                                    name="pairing_advocate_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.engineer} + {self.advocate} {self.day}"

    @property
    def product_area(self) -> str:
        return self.skill.name if self.skill_id else self.tag

    @property
    def is_scheduled(self) -> bool:
        return self.status == PairingStatus.SCHEDULED


class PairingRecord(models.Model):
    """What a customer day taught: required once the day is over, searchable, summarised
    for the engineer's team."""

    pairing = models.OneToOneField(Pairing, on_delete=models.CASCADE, related_name="record",
                                   verbose_name=_("customer day"))
    learnings = models.TextField(_("learnings"))
    bugs_found = models.TextField(_("bugs found"), blank=True)
    bugs = models.ManyToManyField("bugs.Bug", blank=True, related_name="pairing_records",
                                  verbose_name=_("linked bugs"))
    ux_issues = models.TextField(_("UX issues"), blank=True)
    follow_ups = models.TextField(_("follow-ups"), blank=True)
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("written by"))
    written_at = models.DateTimeField(_("written"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["-written_at", "-id"]
        indexes = [models.Index(fields=["-written_at", "-id"], name="pairing_record_written")]
        verbose_name = _("customer day record")
        verbose_name_plural = _("customer day records")

    def __str__(self) -> str:
        return str(self.pairing)


class Reaction(models.Model):
    """An emoji on a pairing record or a review comment, with who reacted."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+", verbose_name=_("person"))
    emoji = models.CharField(_("emoji"), max_length=32)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("reaction")
        verbose_name_plural = _("reactions")
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id", "user", "emoji"],
                                    name="pairing_reaction_once"),
        ]
        indexes = [models.Index(fields=["content_type", "object_id"],
                                name="pairing_reaction_target")]

    def __str__(self) -> str:
        return self.emoji
