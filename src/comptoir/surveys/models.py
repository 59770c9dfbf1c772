"""Satisfaction surveys: the settings (one row) and one survey per conversation.

Domain changes go through ``services.py``; nothing here has side effects in ``save()``.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from comptoir.conversations.models import Channel, Conversation
from comptoir.people.models import Person


class Rating(models.TextChoices):
    GOOD = "good", _("Good, I'm satisfied")
    BAD = "bad", _("Bad, I'm unsatisfied")


class Reason(models.TextChoices):
    """Why a customer was unsatisfied; the settings say which ones are offered."""

    SLOW = "slow", _("It took too long")
    NOT_SOLVED = "not_solved", _("My problem was not solved")
    UNFRIENDLY = "unfriendly", _("The answer was unfriendly")
    OTHER = "other", _("Something else")


# Channels a survey can go out on: by email, or as a message in the conversation itself.
SURVEY_CHANNELS = (Channel.EMAIL, Channel.CHAT, Channel.WEB)


def _default_channels() -> list[str]:
    return [str(c) for c in SURVEY_CHANNELS]


def _default_reasons() -> list[str]:
    return list(Reason.values)


class SurveySettings(models.Model):
    """The one row (pk=1) of survey settings, edited by admins and leads."""

    is_active = models.BooleanField(_("send surveys"), default=True)
    delay_hours = models.PositiveIntegerField(
        _("hours after solving"), default=24,
        help_text=_("The survey goes out this long after the conversation was solved, if it "
                    "was not reopened meanwhile."),
    )
    suppression_days = models.PositiveIntegerField(
        _("at most one survey per person every (days)"), default=30,
        help_text=_("0: a survey for every solved conversation."),
    )
    expiry_days = models.PositiveIntegerField(
        _("link valid for (days)"), default=14,
        help_text=_("After this, the survey link says it has expired."),
    )
    channels = models.JSONField(
        _("channels"), default=_default_channels, blank=True,
        help_text=_("Conversations on these channels are surveyed."),
    )
    reasons = models.JSONField(
        _("reasons offered"), default=_default_reasons, blank=True,
        help_text=_("The reasons a customer can pick with their rating."),
    )
    updated_at = models.DateTimeField(default=timezone.now)
    scanned_until = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text=_("Conversations solved up to this instant were looked at for a survey."),
    )

    class Meta:
        verbose_name = _("survey settings")
        verbose_name_plural = _("survey settings")

    def __str__(self) -> str:
        return str(_("Survey settings"))


class SurveyState(models.TextChoices):
    PENDING = "pending", _("Being sent")
    SENT = "sent", pgettext_lazy("satisfaction surveys sent", "Offered")
    FAILED = "failed", _("Could not be sent")
    SKIPPED = "skipped", _("Not offered")


class SkipReason(models.TextChoices):
    SUPPRESSED = "suppressed", _("Surveyed recently")
    NO_ADDRESS = "no_address", _("No email address")
    BOUNCED = "bounced", _("The address bounces")
    AUTOMATED = "automated", _("Automated sender")
    REOPENED = "reopened", _("Reopened before it was sent")
    NO_MAILBOX = "no_mailbox", _("No mailbox to send from")


class Survey(models.Model):
    """The satisfaction survey of one conversation: whom it went to, how, and the answer.

    One per conversation (a unique constraint, so two workers cannot both create it). A
    skipped survey (``state`` SKIPPED, with ``skip_reason``) records that the conversation
    was looked at and deliberately not surveyed. A rating may change while the link is
    valid and the conversation is not closed.
    """

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, related_name="survey",
        verbose_name=_("conversation"),
    )
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="surveys",
                               verbose_name=_("customer"))
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    recipient = models.CharField(_("sent to"), max_length=320, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=SurveyState.choices,
                             default=SurveyState.PENDING)
    skip_reason = models.CharField(_("why not offered"), max_length=16,
                                   choices=SkipReason.choices, blank=True)
    solved_at = models.DateTimeField(_("solved"), help_text=_("The solve it asks about."))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    expires_at = models.DateTimeField(_("link expires"), null=True, blank=True)
    expiry_days = models.PositiveIntegerField(_("link valid for (days)"), default=14)
    attempts = models.PositiveIntegerField(_("sending attempts"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    rating = models.CharField(_("rating"), max_length=8, choices=Rating.choices, blank=True)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True,
                                       help_text=_("The latest answer."))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        indexes = [
            # the reports: surveys offered in a range of days
            models.Index(fields=["state", "sent_at"], name="survey_state_sent"),
            # suppression: this person's recent surveys
            models.Index(fields=["person", "-created_at"], name="survey_person_created"),
            # the sweep: sends due (retries, lost jobs)
            models.Index(fields=["state", "next_attempt_at"], name="survey_due"),
            # the report's comments, newest answer first (the figures read rollups)
            models.Index(fields=["-answered_at", "-id"], name="survey_commented",
                         condition=~models.Q(comment="")),
        ]

    def __str__(self) -> str:
        return f"survey #{self.pk} of conversation #{self.conversation_id}"

    @property
    def offered(self) -> bool:
        return self.state == SurveyState.SENT
