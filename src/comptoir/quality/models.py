"""Conversation review: scorecards and their categories, reviews and their ratings, weekly
review assignments, calibration sessions and disputes. Domain changes go through
``services.py``; the numbers are computed in ``scoring.py``."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from comptoir.conversations.models import Conversation


class Scale(models.IntegerChoices):
    """How many points a category is rated on (numbered from 1)."""

    BINARY = 2, _("Binary (fail / pass)")
    THREE = 3, _("3-point")
    FOUR = 4, _("4-point")
    FIVE = 5, _("5-point")


class Scorecard(models.Model):
    """A list of rating categories that reviewers fill in for a conversation."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Only active scorecards are offered to reviewers."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """One thing rated on a scorecard (tone, solution, grammar...), with its scale and weight.
    A critical category rated below 50% fails the whole review."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="categories",
                                  verbose_name=_("scorecard"))
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True,
                                   help_text=_("What reviewers should look for."))
    scale = models.PositiveSmallIntegerField(_("scale"), choices=Scale.choices,
                                             default=Scale.FOUR)
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=10, help_text=_("From 0 to 100: how much it counts in the score."),
    )
    critical = models.BooleanField(
        _("critical"), default=False,
        help_text=_("Rated below 50%, it sets the whole review's score to 0."),
    )
    allow_na = models.BooleanField(_("N/A allowed"), default=True,
                                   help_text=_("Reviewers may mark it not applicable."))
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["scorecard", "position", "id"]
        verbose_name = _("rating category")
        verbose_name_plural = _("rating categories")
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "name"], name="quality_category_name"),
            models.CheckConstraint(condition=Q(weight__lte=100), name="quality_category_weight"),
        ]

    def __str__(self) -> str:
        return self.name

    def points(self) -> list[tuple[int, str]]:
        """The values a reviewer picks from, with their labels."""
        if self.scale == Scale.BINARY:
            return [(1, str(_("Fail"))), (2, str(_("Pass")))]
        return [(value, str(value)) for value in range(1, self.scale + 1)]


class Review(models.Model):
    """One reviewer's ratings of one conversation on a scorecard. It is credited to the
    authors of the replies rated (``reviewees``). Self-reviews and calibration reviews are
    kept apart from IQS."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE,
                                     related_name="reviews", verbose_name=_("conversation"))
    scorecard = models.ForeignKey(Scorecard, on_delete=models.PROTECT, related_name="reviews",
                                  verbose_name=_("scorecard"))
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                 related_name="reviews_given", verbose_name=_("reviewer"))
    reviewees = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="reviews_received",
                                       verbose_name=_("reviewed people"))
    calibration = models.ForeignKey("CalibrationSession", null=True, blank=True,
                                    on_delete=models.CASCADE, related_name="reviews",
                                    verbose_name=_("calibration session"))
    is_self = models.BooleanField(_("self-review"), default=False)
    score = models.FloatField(_("score"), null=True, blank=True,
                              help_text=_("0–100, computed from the ratings."))
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            models.UniqueConstraint(fields=["reviewer", "conversation"],
                                    condition=Q(calibration__isnull=True),
                                    name="quality_review_once"),
            models.UniqueConstraint(fields=["reviewer", "calibration"],
                                    condition=Q(calibration__isnull=False),
                                    name="quality_calibration_review_once"),
        ]
        indexes = [models.Index(fields=["created_at"], name="quality_review_created")]

    def __str__(self) -> str:
        return f"#{self.conversation_id} by {self.reviewer_id}"

    @property
    def counts_in_iqs(self) -> bool:
        return not self.is_self and self.calibration_id is None and self.score is not None


class Rating(models.Model):
    """The score given to one category in one review (``value`` None = N/A)."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="ratings",
                               verbose_name=_("review"))
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="ratings",
                                 verbose_name=_("category"))
    value = models.PositiveSmallIntegerField(_("value"), null=True, blank=True,
                                             help_text=_("1 to the scale's points; empty = N/A"))
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["category__position", "category_id"]
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [models.UniqueConstraint(fields=["review", "category"],
                                               name="quality_rating_once")]

    def __str__(self) -> str:
        return f"{self.category_id}: {self.value}"


class Assignment(models.Model):
    """A conversation given to a reviewer to review in a week (Monday ``week``). Conversations
    come from the previous seven days, never the reviewer's own."""

    week = models.DateField(_("week"), help_text=_("The Monday the review week starts."))
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                 related_name="review_assignments", verbose_name=_("reviewer"))
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE,
                                     related_name="review_assignments",
                                     verbose_name=_("conversation"))
    reviewee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+",
                                 verbose_name=_("reviewed person"),
                                 help_text=_("The most active agent of the conversation."))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["week", "reviewer", "id"]
        verbose_name = _("review assignment")
        verbose_name_plural = _("review assignments")
        constraints = [models.UniqueConstraint(fields=["week", "reviewer", "conversation"],
                                               name="quality_assignment_once")]

    def __str__(self) -> str:
        return f"{self.week} {self.reviewer_id} → #{self.conversation_id}"


class CalibrationSession(models.Model):
    """Several reviewers rate the same conversation blind, then compare side by side once
    the session is revealed. Calibration reviews never count in IQS."""

    title = models.CharField(_("title"), max_length=150)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE,
                                     related_name="calibrations", verbose_name=_("conversation"))
    scorecard = models.ForeignKey(Scorecard, on_delete=models.PROTECT,
                                  related_name="calibrations", verbose_name=_("scorecard"))
    reviewers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="calibrations",
                                       verbose_name=_("reviewers"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    revealed_at = models.DateTimeField(_("revealed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("calibration session")
        verbose_name_plural = _("calibration sessions")

    def __str__(self) -> str:
        return self.title


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class Dispute(models.Model):
    """The reviewed person (or a lead) contests a review, with a reason. The reviewer or a
    lead accepts it (and may correct the ratings) or rejects it."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="disputes",
                               verbose_name=_("review"))
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="+", verbose_name=_("opened by"))
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=16, choices=DisputeStatus.choices,
                              default=DisputeStatus.OPEN)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("resolved by"))
    resolution = models.TextField(_("answer"), blank=True)
    created_at = models.DateTimeField(_("opened"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        indexes = [models.Index(fields=["status", "-created_at"], name="quality_dispute_status")]

    def __str__(self) -> str:
        return f"dispute #{self.pk} on review #{self.review_id}"
