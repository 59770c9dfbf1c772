"""Daily shares (a few conversations offered each day to everyone who answers customers),
each person's share settings, the morning digest's once-a-day mark, and requests for an
advocate's help. Nothing here records how fast anyone answers ("no-numbers")."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from comptoir.accounts.models import Team

MAX_DAILY_COUNT = 20


class ShareSettings(models.Model):
    """How many conversations a person is offered each working day (0: none). A person
    without a row gets the default (``TEAMWORK_DAILY_SHARE``, 5). Leave pauses the share
    without changing this."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
        related_name="share_settings", verbose_name=_("person"),
    )
    daily_count = models.PositiveSmallIntegerField(
        _("conversations a day"), default=5, validators=[MaxValueValidator(MAX_DAILY_COUNT)],
        help_text=_("0 turns the daily share off."),
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("share settings")
        verbose_name_plural = _("share settings")

    def __str__(self) -> str:
        return f"{self.user}: {self.daily_count}"


class Share(models.Model):
    """One conversation offered to one person on one day (their local date).

    A conversation is in one person's share a day at most (the unique constraint); one
    withdrawn because its person went on leave or lowered their count may go to another.
    ``team`` is the person's team when it was offered (coverage is counted by team, never
    by person). Whether it was answered is read from the messages, not stored.
    """

    # Few indexes: a picking writes thousands of rows at once. (user, day) serves a
    # person's share, (conversation, day) the once-a-day rule and the lookups by
    # conversation, (day, team) the coverage; deleting a team (rare) may scan.
    day = models.DateField(_("day"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             db_index=False, related_name="daily_shares",
                             verbose_name=_("person"))
    conversation = models.ForeignKey("conversations.Conversation", on_delete=models.CASCADE,
                                     db_index=False, related_name="daily_shares",
                                     verbose_name=_("conversation"))
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL,
                             db_index=False, related_name="+", verbose_name=_("team"))
    offered_at = models.DateTimeField(_("offered"), default=timezone.now)
    dropped_at = models.DateTimeField(
        _("withdrawn"), null=True, blank=True,
        help_text=_("No longer in the person's share: someone else took it, it stopped "
                    "suiting, or the person went on leave. Still counted as offered."),
    )
    dropped_reason = models.CharField(_("why withdrawn"), max_length=16, blank=True)

    class Meta:
        ordering = ["day", "user", "offered_at", "id"]
        verbose_name = _("daily share")
        verbose_name_plural = _("daily shares")
        constraints = [models.UniqueConstraint(fields=["conversation", "day"],
                                               condition=models.Q(dropped_at__isnull=True),
                                               name="share_once_a_day")]
        indexes = [
            models.Index(fields=["user", "day"], name="share_user_day"),
            models.Index(fields=["day", "team"], name="share_day_team"),
        ]

    def __str__(self) -> str:
        return f"{self.day} #{self.conversation_id} → {self.user_id}"


class ShareDigestSent(models.Model):
    """The morning digest went to ``user`` for ``day``: written in the transaction that
    sends, so a person gets one a day however often the task runs."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+", verbose_name=_("person"))
    day = models.DateField(_("day"))
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        verbose_name = _("share digest sent")
        verbose_name_plural = _("share digests sent")
        constraints = [models.UniqueConstraint(fields=["user", "day"],
                                               name="share_digest_once_a_day")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day}"


class HelpRequest(models.Model):
    """Someone asked the advocate on call for help with a conversation ("ask an advocate").

    ``key`` comes from the form: a double-click sends the same key and pings once.
    ``advocate`` is who was pinged (None when nobody was on call).
    """

    conversation = models.ForeignKey("conversations.Conversation", on_delete=models.CASCADE,
                                     related_name="help_requests",
                                     verbose_name=_("conversation"))
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                 related_name="+", verbose_name=_("asked by"))
    advocate = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+",
                                 verbose_name=_("advocate"))
    key = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("asked"), default=timezone.now)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("queued for team"),
        help_text=_("Nobody was on call: the request waits for the next advocate on call "
                    "(of this team first)."),
    )
    handed_over_at = models.DateTimeField(
        _("handed over"), null=True, blank=True,
        help_text=_("When a queued request was passed to the advocate who came on call."),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("help request")
        verbose_name_plural = _("help requests")
        constraints = [models.UniqueConstraint(fields=["asked_by", "key"],
                                               name="help_request_once")]
        indexes = [models.Index(fields=["conversation", "-created_at"],
                                name="help_conv_time"),
                   models.Index(fields=["created_at"], name="help_queued",
                                condition=models.Q(advocate__isnull=True))]

    def __str__(self) -> str:
        return f"#{self.conversation_id} by {self.asked_by_id}"


class PickLock(models.Model):
    """One row: two pickings never run at once (the second waits on its row lock)."""

    last_day = models.DateField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("picking lock")
        verbose_name_plural = _("picking lock")

    def __str__(self) -> str:
        return f"{self.last_day}"


# --- support days ----------------------------------------------------------------------------


class SupportDayStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CANCELLED = "cancelled", _("Cancelled")


class SupportDay(models.Model):
    """A day when the whole company (or chosen teams) answers customers ("Advocacy Day").

    The day is ``day`` in each participant's own time zone: it spans everyone's working day,
    wherever they are. Participants are the active people of ``teams`` who may answer
    customers (everyone who may, when ``whole_company``). Outcomes are computed from the
    messages and events of that day, never stored per person; ``learnings`` is what the lead
    writes at the end.
    """

    day = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=200)
    whole_company = models.BooleanField(
        _("whole company"), default=True,
        help_text=_("Everyone who answers customers takes part; otherwise the chosen teams."),
    )
    teams = models.ManyToManyField(Team, blank=True, related_name="support_days",
                                   verbose_name=_("teams"))
    notes = models.TextField(_("notes"), blank=True,
                             help_text=_("What participants should know beforehand."))
    learnings = models.TextField(
        _("learnings"), blank=True,
        help_text=_("What the day taught: written by the lead at the end, searchable."),
    )
    learnings_updated_at = models.DateTimeField(_("learnings updated"), null=True, blank=True)
    window_start = models.TimeField(
        _("from"), null=True, blank=True,
        help_text=_("Each participant's local time; empty: their whole working day."),
    )
    window_end = models.TimeField(
        _("until"), null=True, blank=True,
        help_text=_("Each participant's local time; empty: their whole working day."),
    )
    status = models.CharField(_("status"), max_length=16, choices=SupportDayStatus.choices,
                              default=SupportDayStatus.SCHEDULED)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("cancelled by"))
    cancel_reason = models.TextField(_("why cancelled"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("scheduled by"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-day", "-id"]
        verbose_name = _("support day")
        verbose_name_plural = _("support days")
        indexes = [models.Index(fields=["-day", "-id"], name="support_day_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.title}"

    @property
    def cancelled(self) -> bool:
        return self.status == SupportDayStatus.CANCELLED


class SupportDayChange(models.Model):
    """One thing that happened to a support day (scheduled, changed, cancelled), appended
    and never edited: the day's history. ``data`` holds what changed as
    ``{"fields": {name: [before, after]}}``, or the reason of a cancellation."""

    class Kind(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CHANGED = "changed", _("Changed")
        CANCELLED = "cancelled", _("Cancelled")

    support_day = models.ForeignKey(SupportDay, on_delete=models.CASCADE,
                                    related_name="changes", verbose_name=_("support day"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("by"))
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("support day change")
        verbose_name_plural = _("support day changes")

    def __str__(self) -> str:
        return f"{self.support_day_id} {self.kind} @ {self.created_at:%Y-%m-%d %H:%M}"


class OnCallChange(models.Model):
    """A lead's change to a support day's on-call roster for one hour: ``advocate`` added
    (``on_call``) or removed. The rest of the roster comes from working hours."""

    support_day = models.ForeignKey(SupportDay, on_delete=models.CASCADE,
                                    related_name="on_call_changes",
                                    verbose_name=_("support day"))
    hour = models.DateTimeField(_("hour"), help_text=_("Start of the hour, in UTC."))
    advocate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                 related_name="+", verbose_name=_("advocate"))
    on_call = models.BooleanField(_("on call"))
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("changed by"))
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)

    class Meta:
        ordering = ["hour", "id"]
        verbose_name = _("on-call change")
        verbose_name_plural = _("on-call changes")
        constraints = [models.UniqueConstraint(fields=["support_day", "hour", "advocate"],
                                               name="on_call_change_once")]

    def __str__(self) -> str:
        return f"{self.support_day_id} {self.hour:%H:%M} {self.advocate_id} {self.on_call}"


class ToneNote(models.Model):
    """How we sound in one language: guidance for people answering customers for the first
    times (formality, greetings, words to avoid). One per language, edited by leads."""

    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES,
                                unique=True)
    text = models.TextField(_("tone notes"), blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("updated by"))
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["language"]
        verbose_name = _("tone note")
        verbose_name_plural = _("tone notes")

    def __str__(self) -> str:
        return self.language


class UxProblem(models.Model):
    """A usability problem a participant noticed during a support day, with the
    conversation where a customer ran into it (if any)."""

    support_day = models.ForeignKey(SupportDay, on_delete=models.CASCADE,
                                    related_name="ux_problems",
                                    verbose_name=_("support day"))
    title = models.CharField(_("title"), max_length=200)
    note = models.TextField(_("note"), blank=True)
    conversation = models.ForeignKey("conversations.Conversation", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("conversation"))
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("reported by"))
    created_at = models.DateTimeField(_("reported"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("UX problem")
        verbose_name_plural = _("UX problems")

    def __str__(self) -> str:
        return self.title


class FirstReply(models.Model):
    """A person's first ever reply to a customer, found by the scan of recent replies: one
    row per person, ever (the primary key), so it is celebrated once. ``celebrated`` is
    False when the first reply was older than the scan's window (it predates the scan):
    recorded so that it is never looked at again, but not announced."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                primary_key=True, related_name="first_reply",
                                verbose_name=_("person"))
    message = models.ForeignKey("conversations.Message", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("reply"))
    conversation = models.ForeignKey("conversations.Conversation", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("conversation"))
    replied_at = models.DateTimeField(_("replied"))
    celebrated = models.BooleanField(_("celebrated"), default=True)
    found_at = models.DateTimeField(_("found"), default=timezone.now)

    class Meta:
        ordering = ["-replied_at"]
        verbose_name = _("first reply")
        verbose_name_plural = _("first replies")
        indexes = [models.Index(fields=["replied_at"], name="first_reply_time")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.replied_at:%Y-%m-%d}"


class FirstReplyScan(models.Model):
    """One row: where the first-reply scan stopped (the highest ``reply.sent`` event id it
    has read), so each run reads only what came after it. Updated in the transaction that
    records the first replies it found."""

    last_event_id = models.BigIntegerField(_("last event read"), default=0)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("first-reply scan")
        verbose_name_plural = _("first-reply scan")

    def __str__(self) -> str:
        return str(self.last_event_id)
