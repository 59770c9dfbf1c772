"""What assignment reads about people (skills, working hours, leave) and what it writes (one
``RoutingDecision`` per routing, the explanation admins read). The rules are in ``rules.py``;
nothing here measures anyone's speed."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from comptoir.accounts.models import Team


class Skill(models.Model):
    """Something some conversations need and some people can do: billing, the API, security.

    A conversation needs the skill when one of its tags is in ``tags``, it came to one of
    ``mailboxes``, or a word of its subject starts with one of ``keywords`` (Japanese and
    Chinese keywords match anywhere in the subject). Lists are stored lower-case.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    tags = models.JSONField(
        _("tags"), default=list, blank=True,
        help_text=_("Conversations with one of these tags need this skill."),
    )
    mailboxes = models.JSONField(
        _("mailboxes"), default=list, blank=True,
        help_text=_("Conversations that came to one of these addresses need this skill."),
    )
    keywords = models.JSONField(
        _("keywords"), default=list, blank=True,
        help_text=_("Conversations whose subject has one of these words need this skill."),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="skills", blank=True, verbose_name=_("people"),
        help_text=_("Who can take these conversations."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("skill")
        verbose_name_plural = _("skills")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.tags = _clean_list(self.tags)
        self.mailboxes = _clean_list(self.mailboxes)
        self.keywords = _clean_list(self.keywords)
        super().save(*args, **kwargs)


def _clean_list(values) -> list[str]:
    if isinstance(values, str):
        values = values.split(",")
    return sorted({str(value).strip().lower() for value in values or () if str(value).strip()})


class WorkingHours(models.Model):
    """When a person is on shift, in their own time zone (``User.time_zone``).

    ``weekly_hours`` has the shape of the SLA calendars': weekday (``"0"`` = Monday) to a list
    of ``["HH:MM", "HH:MM"]`` intervals, ``"24:00"`` ending a day. A person without a row works
    office hours, Monday to Friday 09:00–18:00; an empty ``weekly_hours`` means never on
    shift (no conversation is assigned automatically).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
        related_name="working_hours", verbose_name=_("person"),
    )
    weekly_hours = models.JSONField(
        _("weekly hours"), default=dict, blank=True,
        help_text=_("Local time, in the person's time zone. Empty: never on shift."),
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")

    def __str__(self) -> str:
        return str(self.user)


class Leave(models.Model):
    """Days off: from ``starts_on`` to ``ends_on`` included, local dates in the person's own
    time zone. Nobody on leave is assigned anything."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="leaves",
        verbose_name=_("person"),
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), help_text=_("Included."))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["starts_on", "id"]
        verbose_name = _("leave")
        verbose_name_plural = _("leave")
        indexes = [models.Index(fields=["user", "ends_on"], name="leave_user_end")]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")),
                                   name="leave_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.starts_on}–{self.ends_on}"


class Outcome(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned")
    QUEUED = "queued", _("Waits in the team queue")


class Trigger(models.TextChoices):
    INTAKE = "intake", _("New conversation")
    QUEUE = "queue", _("Waiting conversation routed again")
    REQUEST = "request", _("Routed on request")


class CandidatePool(models.Model):
    """Who could take conversations with one set of needs at one instant: the people kept
    (``kept``, user ids) and those dropped under the first rule each one failed
    (``dropped``: ``language``, ``skill``, ``leave`` or ``shift`` to user ids), with the
    support teams weighed when the conversation had no team (``teams``). Every conversation
    routed with the same needs in one batch shares it; names are looked up when shown."""

    kept = models.JSONField(_("kept"), default=list, blank=True)
    dropped = models.JSONField(_("dropped"), default=dict, blank=True)
    teams = models.JSONField(_("teams weighed"), default=list, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("candidate pool")
        verbose_name_plural = _("candidate pools")

    def __str__(self) -> str:
        return f"{len(self.kept)} kept @ {self.created_at:%Y-%m-%d %H:%M}"


class RoutingDecision(models.Model):
    """Why a conversation went where it went: one row each time it is routed.

    ``needs`` is what the conversation asked for (language, skills and what matched them);
    ``ranked`` the best people kept, best first, as ``[user id, open conversations, latest
    automatic assignment (epoch seconds) or null]`` (the first one got it when assigned);
    ``pool`` everyone kept and dropped, and why.
    """

    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE,
        related_name="routing_decisions", verbose_name=_("conversation"),
    )
    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger.choices,
                               default=Trigger.INTAKE)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", verbose_name=_("team"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("assignee"),
    )
    team_reason = models.CharField(_("why this team"), max_length=32, blank=True)
    reason = models.CharField(_("why it waits"), max_length=32, blank=True)
    needs = models.JSONField(_("needs"), default=dict, blank=True)
    ranked = models.JSONField(_("best candidates"), default=list, blank=True)
    pool = models.ForeignKey(CandidatePool, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="decisions", verbose_name=_("candidates"))
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("routing decision")
        verbose_name_plural = _("routing decisions")
        indexes = [
            models.Index(fields=["conversation", "-created_at"], name="routing_conv_time"),
            # round-robin: each candidate's latest automatic assignment
            models.Index(fields=["assignee", "-created_at"], name="routing_assignee_time"),
        ]

    def __str__(self) -> str:
        return f"#{self.conversation_id} {self.outcome} @ {self.created_at:%Y-%m-%d %H:%M}"
