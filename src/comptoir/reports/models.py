"""Rollups of the event log, kept up to date by the workers (``services.refresh``).

Three layers, each derived from the one before and rebuildable from the events alone
(``comptoir rebuild-rollups``):

1. :class:`ConversationFacts` (+ :class:`FactTag`, :class:`FactFlow`): one row per
   conversation, its figures as ``metrics.conversation_metrics`` computes them from its
   events, and its current dimensions (channel, plan, language, team, tags).
2. Day rollups, one table per family of measures, each keyed by (UTC day, grain, tag,
   channel, plan, language, team). A family is anchored on its own day: volume on the
   creation day, first reply on the day of the first reply, resolution on the day of the
   latest solve, backlog on the day of each status flow, satisfaction on the day the
   survey was offered. Every measure is additive (counts, sums of minutes, histogram bins),
   so any date range with any filters is a ``SUM`` over rows, and a refresh adds the change
   its conversations make to each row. The :class:`Grain` says which dimensions a row
   keeps: all of them (detail; a conversation with tags also counts in one detail row per
   tag), none, or one.
3. :class:`ParticipationDay`: replies per person and UTC day, straight from the events.

Days are UTC days: one organisation answers from many time zones, and a UTC day never has
23 or 25 hours. The hour-of-day heatmap keeps UTC hours and is shifted into each reader's
time zone when shown.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from comptoir.conversations.models import Conversation

from . import bins


class RollupState(models.Model):
    """The one row (pk=1) saying how far the rollups have read the event log.

    Events are append-only, but their ids are not committed in id order on PostgreSQL: a
    transaction that took id 100 may commit after one that took id 101. So the refresh keeps
    the ids it has not seen below its watermark (``pending_ids``) and looks for them again
    until they appear or are old enough to have been rolled back.
    """

    last_event_id = models.BigIntegerField(_("last event read"), default=0)
    pending_ids = models.JSONField(
        default=list, blank=True,
        help_text=_("Event ids below the watermark not committed yet when last read, with "
                    "the time they were first missed."),
    )
    as_of = models.DateTimeField(
        _("figures as of"), null=True, blank=True,
        help_text=_("Every event committed before this instant is in the rollups."),
    )
    refreshed_at = models.DateTimeField(_("last refresh"), null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(_("last refresh took (ms)"), default=0)
    last_events = models.PositiveIntegerField(_("events in the last refresh"), default=0)
    rebuilding = models.BooleanField(_("rebuilding"), default=False)
    rebuilt_at = models.DateTimeField(_("last rebuilt"), null=True, blank=True)
    settings_key = models.CharField(
        max_length=200, blank=True,
        help_text=_("The report settings the facts were computed with (window, calendars); "
                    "when they change, the rollups need a rebuild."),
    )

    class Meta:
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup state")

    def __str__(self) -> str:
        return f"events ≤ {self.last_event_id} as of {self.as_of}"


class ConversationFacts(models.Model):
    """One conversation measured from its events (calendar and business minutes).

    Resolution, wait and reply-count figures are set only once the conversation is solved
    (or closed); they are final then, like ``metrics.MetricsSummary``.
    """

    conversation = models.OneToOneField(
        Conversation, primary_key=True, on_delete=models.CASCADE, related_name="facts",
        verbose_name=_("conversation"),
    )
    person_id = models.BigIntegerField(_("customer"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=16)
    plan = models.CharField(_("plan"), max_length=16, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    team_id = models.BigIntegerField(_("team"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16)
    created_at = models.DateTimeField(_("created"))
    created_day = models.DateField(_("created (UTC day)"))
    created_hour = models.PositiveSmallIntegerField(_("created (UTC hour)"))
    created_by_agent = models.BooleanField(default=False)
    first_message_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Start of the customer's first turn."))
    first_reply_at = models.DateTimeField(null=True, blank=True)
    first_reply_day = models.DateField(null=True, blank=True)
    frt = models.IntegerField(_("first reply (min)"), null=True, blank=True)
    frt_business = models.IntegerField(_("first reply (business min)"), null=True, blank=True)
    next_replies = models.PositiveIntegerField(default=0)
    next_reply_total = models.BigIntegerField(default=0)
    next_reply_business_total = models.BigIntegerField(default=0)
    solved = models.BooleanField(default=False)
    resolved_at = models.DateTimeField(
        null=True, blank=True, help_text=_("The latest resolution, even if reopened since."))
    resolved_day = models.DateField(
        null=True, blank=True, help_text=_("UTC day of the latest resolution, when solved."))
    first_resolution = models.IntegerField(null=True, blank=True)
    first_resolution_business = models.IntegerField(null=True, blank=True)
    full_resolution = models.IntegerField(null=True, blank=True)
    full_resolution_business = models.IntegerField(null=True, blank=True)
    requester_wait = models.IntegerField(null=True, blank=True)
    requester_wait_business = models.IntegerField(null=True, blank=True)
    reopens = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    one_touch = models.BooleanField(default=False)
    # One-contact resolution: the person's conversations on every channel, grouped into
    # issues (``metrics.customer_issues``); the figures sit on each issue's first conversation.
    issue_head = models.BooleanField(default=True)
    issue_size = models.PositiveIntegerField(default=1)
    issue_solved = models.BooleanField(default=False)
    issue_one_contact = models.BooleanField(default=False)
    # SLA targets completed (``metrics.sla_attainment`` without a clock: a target counts once
    # it is fulfilled, achieved or late).
    sla_first_reply_achieved = models.PositiveSmallIntegerField(default=0)
    sla_first_reply_breached = models.PositiveSmallIntegerField(default=0)
    sla_next_reply_achieved = models.PositiveIntegerField(default=0)
    sla_next_reply_breached = models.PositiveIntegerField(default=0)
    sla_resolution_achieved = models.PositiveSmallIntegerField(default=0)
    sla_resolution_breached = models.PositiveSmallIntegerField(default=0)
    sla_attained = models.BooleanField(null=True, blank=True)
    # Satisfaction: the UTC day its survey was offered (``csat.offered``) and the latest
    # rating (``csat.rated``), blank while unanswered.
    csat_offered_day = models.DateField(null=True, blank=True)
    csat_rating = models.CharField(max_length=8, blank=True, default="")
    last_event_id = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("conversation facts")
        verbose_name_plural = _("conversation facts")
        indexes = [
            models.Index(fields=["created_day"], name="facts_created_day"),
            models.Index(fields=["first_reply_day"], name="facts_first_reply_day"),
            models.Index(fields=["resolved_day"], name="facts_resolved_day"),
            models.Index(fields=["person_id", "created_at"], name="facts_person_created"),
            models.Index(fields=["first_reply_at"], name="facts_first_reply_at"),
        ]

    def __str__(self) -> str:
        return f"facts of #{self.conversation_id}"


class FactTag(models.Model):
    """A tag a conversation carries now (from its tag.added / tag.removed events)."""

    facts = models.ForeignKey(ConversationFacts, on_delete=models.CASCADE, related_name="tags")
    tag = models.CharField(_("tag"), max_length=50)

    class Meta:
        verbose_name = _("conversation tag (reports)")
        verbose_name_plural = _("conversation tags (reports)")
        constraints = [models.UniqueConstraint(fields=["facts", "tag"], name="facttag_once")]
        indexes = [models.Index(fields=["tag"], name="facttag_tag")]

    def __str__(self) -> str:
        return self.tag


class FactFlow(models.Model):
    """A conversation's moves in and out of the backlog on one UTC day: ``opened`` counts
    its creation and reopens, ``resolved`` its moves from an active status to solved or
    closed. The backlog at the end of a day is the sum of opened − resolved up to it."""

    facts = models.ForeignKey(ConversationFacts, on_delete=models.CASCADE, related_name="flows")
    day = models.DateField()
    opened = models.PositiveSmallIntegerField(default=0)
    resolved = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("backlog flow")
        verbose_name_plural = _("backlog flows")
        constraints = [models.UniqueConstraint(fields=["facts", "day"], name="factflow_once")]
        indexes = [models.Index(fields=["day"], name="factflow_day")]

    def __str__(self) -> str:
        return f"#{self.facts_id} {self.day}: +{self.opened} −{self.resolved}"


class Grain(models.IntegerChoices):
    """Which dimensions a day rollup row keeps. Detail rows keep all of them (and answer any
    combination of filters); the others are the same sums with all but one dimension added
    up, so the common questions (everything; one channel; one tag...) read one row a day
    instead of hundreds."""

    DETAIL = 0, _("channel × plan × language × team (× tag)")
    TOTAL = 1, _("everything")
    CHANNEL = 2, _("per channel")
    PLAN = 3, _("per plan")
    LANGUAGE = 4, _("per language")
    TEAM = 5, _("per team")
    TAG = 6, _("per tag")


class DayRollup(models.Model):
    """The key every day rollup shares. Dimensions a grain adds up are blank (team: null).
    Detail rows with ``tag=""`` cover all conversations; detail rows with a tag, only the
    conversations carrying it."""

    day = models.DateField(_("day (UTC)"))
    grain = models.PositiveSmallIntegerField(_("grain"), choices=Grain.choices,
                                             default=Grain.DETAIL)
    tag = models.CharField(_("tag"), max_length=50, blank=True, default="")
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    plan = models.CharField(_("plan"), max_length=16, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    team_id = models.BigIntegerField(_("team"), null=True, blank=True)

    KEY = ("day", "grain", "tag", "channel", "plan", "language", "team_id")
    # Each table has an index on (grain, tag, day, channel, plan, language, team_id): the
    # report queries read its prefix (one grain and tag, a range of days), an incremental
    # refresh finds the very rows it adds to.

    class Meta:
        abstract = True


def _add_bins(model: type[models.Model], prefix: str) -> None:
    for index in range(bins.COUNT):
        model.add_to_class(f"{prefix}_{index:02d}", models.PositiveIntegerField(default=0))


class VolumeDay(DayRollup):
    """Conversations created that day: how many, at which UTC hour, the one-contact issues
    they start, and the SLA targets they completed."""

    conversations = models.PositiveIntegerField(default=0)
    issues = models.PositiveIntegerField(default=0)
    issues_solved = models.PositiveIntegerField(default=0)
    issues_one_contact = models.PositiveIntegerField(default=0)
    sla_first_reply_achieved = models.PositiveIntegerField(default=0)
    sla_first_reply_breached = models.PositiveIntegerField(default=0)
    sla_next_reply_achieved = models.PositiveIntegerField(default=0)
    sla_next_reply_breached = models.PositiveIntegerField(default=0)
    sla_resolution_achieved = models.PositiveIntegerField(default=0)
    sla_resolution_breached = models.PositiveIntegerField(default=0)
    sla_attained = models.PositiveIntegerField(default=0)
    sla_missed = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("volume per day")
        verbose_name_plural = _("volume per day")
        indexes = [models.Index(fields=["grain", "tag", "day", "channel", "plan", "language",
                                        "team_id"], name="volumeday_key"),
                   models.Index(fields=["day"], name="volumeday_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.channel}: {self.conversations}"


for _hour in range(24):  # h00 … h23: conversations created in that UTC hour
    VolumeDay.add_to_class(f"h{_hour:02d}", models.PositiveIntegerField(default=0))


class FirstReplyDay(DayRollup):
    """Conversations first answered that day (Buffer's denominator): first reply times as
    sums and histograms, calendar (``frt_*``) and business (``frtb_*``) minutes."""

    answered = models.PositiveIntegerField(default=0)
    frt_total = models.BigIntegerField(default=0)
    frt_business_total = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("first replies per day")
        verbose_name_plural = _("first replies per day")
        indexes = [models.Index(fields=["grain", "tag", "day", "channel", "plan", "language",
                                        "team_id"], name="firstreplyday_key"),
                   models.Index(fields=["day"], name="firstreplyday_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.channel}: {self.answered}"


_add_bins(FirstReplyDay, "frt")
_add_bins(FirstReplyDay, "frtb")


class ResolutionDay(DayRollup):
    """Conversations solved that day (their latest solve): resolution times, requester
    wait, next reply times, replies, reopens, one-touch (FCR per channel)."""

    solved = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0, help_text=_("Solved with ≥ 1 reopen."))
    reopens = models.PositiveIntegerField(default=0)
    one_touch = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    first_resolution_total = models.BigIntegerField(default=0)
    first_resolution_business_total = models.BigIntegerField(default=0)
    full_resolution_total = models.BigIntegerField(default=0)
    full_resolution_business_total = models.BigIntegerField(default=0)
    requester_wait_total = models.BigIntegerField(default=0)
    requester_wait_business_total = models.BigIntegerField(default=0)
    next_replies = models.PositiveIntegerField(default=0)
    next_reply_total = models.BigIntegerField(default=0)
    next_reply_business_total = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("resolutions per day")
        verbose_name_plural = _("resolutions per day")
        indexes = [models.Index(fields=["grain", "tag", "day", "channel", "plan", "language",
                                        "team_id"], name="resolutionday_key"),
                   models.Index(fields=["day"], name="resolutionday_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.channel}: {self.solved}"


_add_bins(ResolutionDay, "res")
_add_bins(ResolutionDay, "resb")


class BacklogDay(DayRollup):
    """Moves in and out of the backlog that day (see :class:`FactFlow`)."""

    opened = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("backlog flow per day")
        verbose_name_plural = _("backlog flows per day")
        indexes = [models.Index(fields=["grain", "tag", "day", "channel", "plan", "language",
                                        "team_id"], name="backlogday_key"),
                   models.Index(fields=["day"], name="backlogday_day")]

    def __str__(self) -> str:
        return f"{self.day}: +{self.opened} −{self.resolved}"


class SurveyDay(DayRollup):
    """Satisfaction surveys offered that day, and how those surveys are rated now (the
    latest rating of each). Score = good ÷ (good + bad); response rate = rated ÷ offered."""

    offered = models.PositiveIntegerField(default=0)
    good = models.PositiveIntegerField(default=0)
    bad = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("satisfaction surveys per day")
        verbose_name_plural = _("satisfaction surveys per day")
        indexes = [models.Index(fields=["grain", "tag", "day", "channel", "plan", "language",
                                        "team_id"], name="surveyday_key"),
                   models.Index(fields=["day"], name="surveyday_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.channel}: {self.good}/{self.bad} of {self.offered}"


class ParticipationDay(models.Model):
    """Public replies one person wrote on one UTC day, and the conversations they answered."""

    day = models.DateField(_("day (UTC)"))
    user_id = models.BigIntegerField(_("person"))
    replies = models.PositiveIntegerField(default=0)
    conversations = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("participation per day")
        verbose_name_plural = _("participation per day")
        constraints = [models.UniqueConstraint(fields=["day", "user_id"],
                                               name="participation_once")]
        indexes = [models.Index(fields=["user_id", "day"], name="participation_user_day")]

    def __str__(self) -> str:
        return f"{self.day} #{self.user_id}: {self.conversations}"


class DigestSent(models.Model):
    """One weekly digest sent to one person: the week's Monday, so a retried task never
    mails the same digest twice."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    week = models.DateField(_("week of"))
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("digest sent")
        verbose_name_plural = _("digests sent")
        constraints = [models.UniqueConstraint(fields=["user", "week"], name="digest_once")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.week}"
