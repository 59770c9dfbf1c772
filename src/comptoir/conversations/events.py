"""Event kinds of the append-only log. Reports, SLA history and audit read these."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    CONVERSATION_CREATED = "conversation.created", _("Conversation opened")
    MESSAGE_RECEIVED = "message.received", _("Customer wrote")
    REPLY_SENT = "reply.sent", _("Reply sent")
    NOTE_ADDED = "note.added", _("Note added")
    STATUS_CHANGED = "status.changed", _("Status changed")
    REOPENED = "conversation.reopened", _("Reopened by the customer")
    PRIORITY_CHANGED = "priority.changed", _("Priority changed")
    ASSIGNEE_CHANGED = "assignee.changed", _("Assignee changed")
    TEAM_CHANGED = "team.changed", _("Team changed")
    LANGUAGE_CHANGED = "language.changed", _("Language corrected")
    TAG_ADDED = "tag.added", _("Tag added")
    TAG_REMOVED = "tag.removed", _("Tag removed")
    REACTION_ADDED = "reaction.added", _("Reaction added")
    REACTION_REMOVED = "reaction.removed", _("Reaction removed")
    PERSON_CREATED = "person.created", _("Customer created")
    PERSON_UPDATED = "person.updated", _("Customer details changed")
    ORGANISATION_CREATED = "organisation.created", _("Organisation created")
    ORGANISATION_UPDATED = "organisation.updated", _("Organisation details changed")
    PERSON_MERGED = "person.merged", _("People merged")
    PERSON_UNMERGED = "person.unmerged", _("Merge undone")
    IDENTITY_LINKED = "identity.linked", _("Identity linked")
    RAW_FAILED = "raw.failed", _("Inbound processing failed")
    # Service levels (comptoir.sla): written by sla.services.refresh() and sweep().
    SLA_WARNING = "sla.warning", _("SLA warning: about to breach")
    SLA_BREACHED = "sla.breached", _("SLA breached")
    SLA_MET = "sla.met", _("SLA target met")
    SLA_ESCALATED = "sla.escalated", _("SLA escalation")
    # Assignment (comptoir.routing): nobody could take it; it waits in its team's queue.
    ASSIGNMENT_QUEUED = "assignment.queued", _("Waits in the team queue")
    # Bugs (comptoir.bugs): linked to a tracker's issue; one follow-up once it is fixed.
    BUG_LINKED = "bug.linked", _("Linked to a bug")
    BUG_UNLINKED = "bug.unlinked", _("Unlinked from a bug")
    BUG_FIXED = "bug.fixed", _("Bug fixed")
    BUG_FOLLOWED_UP = "bug.followed_up", _("Customer told the bug is fixed")
    BUG_REOPENED = "bug.reopened", _("Bug came back (reopened)")
    # Satisfaction surveys (comptoir.surveys): offered to the customer, then rated (again).
    CSAT_OFFERED = "csat.offered", _("Satisfaction survey sent")
    CSAT_RATED = "csat.rated", _("Customer rated the conversation")
    # Whole-team support (comptoir.teamwork): someone asked the advocate on call for help.
    ADVOCATE_ASKED = "advocate.asked", _("Asked an advocate for help")
    # Support days (comptoir.teamwork): a person's first ever reply to a customer.
    FIRST_REPLY = "reply.first", _("First ever reply to a customer")
