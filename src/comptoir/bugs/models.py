"""Bugs, the conversations they affect, and the webhook deliveries that closed them.
Changes go through ``services.py``, never ``save()`` here."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from comptoir.conversations.models import Conversation, Message

from . import trackers


class TrackerKind(models.TextChoices):
    GITHUB = trackers.GITHUB, "GitHub"
    GITLAB = trackers.GITLAB, "GitLab"
    JIRA = trackers.JIRA, "Jira"
    OTHER = trackers.OTHER, _("Other")


class BugStatus(models.TextChoices):
    OPEN = "open", _("Open")
    FIXED = "fixed", _("Fixed")


class FixedVia(models.TextChoices):
    """Who changed the bug's state: a person, or a tracker's webhook (fixed and reopened)."""

    HAND = "hand", _("Marked fixed by hand")
    GITHUB = "github", _("Closed on GitHub")
    GITLAB = "gitlab", _("Closed on GitLab")
    JIRA = "jira", _("Done in Jira")


class Bug(models.Model):
    """A problem customers ran into, usually tracked in an issue tracker. When it is fixed,
    every linked conversation's customer gets one follow-up."""

    title = models.CharField(_("title"), max_length=300)
    tracker_url = models.CharField(
        _("tracker address"), max_length=trackers.MAX_URL_LENGTH, blank=True,
        help_text=_("The issue's web address (GitHub, GitLab, Jira or any other tracker)."),
    )
    tracker_kind = models.CharField(_("tracker"), max_length=16, choices=TrackerKind.choices,
                                    blank=True)
    tracker_project = models.CharField(
        _("project"), max_length=200, blank=True,
        help_text=_("Repository (owner/name), GitLab project path or Jira project key."),
    )
    tracker_number = models.PositiveIntegerField(_("issue number"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=BugStatus.choices,
                              default=BugStatus.OPEN)
    fix_note = models.TextField(
        _("note for customers"), blank=True,
        help_text=_("Added to the follow-up every affected customer receives."),
    )
    fixed_at = models.DateTimeField(_("fixed"), null=True, blank=True)
    fixed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("fixed by"),
    )
    fixed_via = models.CharField(_("fixed via"), max_length=8, choices=FixedVia.choices,
                                 blank=True)
    fix_number = models.PositiveIntegerField(
        _("fixes"), default=0,
        help_text=_("How many times it was marked fixed: 2 once a reopened bug is fixed again."),
    )
    reopened_at = models.DateTimeField(_("reopened"), null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("reopened by"),
    )
    reopened_via = models.CharField(_("reopened via"), max_length=8, choices=FixedVia.choices,
                                    blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("bug")
        verbose_name_plural = _("bugs")
        constraints = [
            models.UniqueConstraint(fields=["tracker_url"], condition=~Q(tracker_url=""),
                                    name="bug_tracker_url_once"),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at", "-id"], name="bug_status_created"),
            models.Index(fields=["-created_at", "-id"], name="bug_created"),
            models.Index(fields=["tracker_kind", "tracker_project", "tracker_number"],
                         name="bug_tracker_issue"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def tracker(self) -> trackers.TrackerRef | None:
        if not self.tracker_url:
            return None
        return trackers.TrackerRef(self.tracker_url, self.tracker_kind, self.tracker_project,
                                   self.tracker_number)

    @property
    def is_fixed(self) -> bool:
        return self.status == BugStatus.FIXED

    @property
    def is_reopened(self) -> bool:
        """Fixed once, and back: open again."""
        return self.status == BugStatus.OPEN and self.fix_number > 0


class BugLink(models.Model):
    """A conversation whose customer ran into a bug; ``followed_up_at`` once they were told
    it is fixed (set in the same transaction as the reply: one follow-up per fix), and
    ``followed_up_fix`` which fix that was. Linked again after the bug came back, the link
    is renewed (``followed_up_at`` cleared): the customer is told again at the next fix."""

    bug = models.ForeignKey(Bug, on_delete=models.CASCADE, related_name="links",
                            verbose_name=_("bug"))
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE,
                                     related_name="bug_links", verbose_name=_("conversation"))
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("linked by"),
    )
    linked_at = models.DateTimeField(_("linked"), default=timezone.now)
    followed_up_at = models.DateTimeField(_("followed up"), null=True, blank=True)
    follow_up_message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("follow-up"),
    )
    followed_up_fix = models.PositiveIntegerField(
        _("followed up for fix"), default=0,
        help_text=_("The bug's fix number the last follow-up announced (0: none yet)."),
    )

    class Meta:
        ordering = ["linked_at", "id"]
        verbose_name = _("bug link")
        verbose_name_plural = _("bug links")
        constraints = [
            models.UniqueConstraint(fields=["bug", "conversation"], name="bug_link_once"),
        ]
        indexes = [
            models.Index(fields=["bug", "linked_at", "id"], name="bug_link_page"),
        ]

    def __str__(self) -> str:
        return f"{self.bug} ↔ #{self.conversation_id}"


class WebhookDelivery(models.Model):
    """A tracker's webhook delivery, by its id: a replayed delivery is recognised and does
    nothing. Only what it said is kept (event, action, issue), never its signature."""

    source = models.CharField(_("source"), max_length=16, default=FixedVia.GITHUB)
    delivery_id = models.CharField(_("delivery"), max_length=100)
    event = models.CharField(_("event"), max_length=50)
    action = models.CharField(_("action"), max_length=50, blank=True)
    issue_url = models.CharField(_("issue"), max_length=trackers.MAX_URL_LENGTH, blank=True)
    bug = models.ForeignKey(Bug, null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="webhook_deliveries", verbose_name=_("bug"))
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["source", "delivery_id"], name="webhook_once"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.delivery_id}"
