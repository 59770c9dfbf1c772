"""Bugs' public API: create a bug, link conversations to it, mark it fixed, follow up.

The flow, from a conversation to a fix to every customer:

1. ``create_bug`` / ``link`` — an agent links the conversation to a bug (``bug.linked`` in
   its history); ``unlink`` takes it back (``bug.unlinked``).
2. ``mark_fixed`` — by hand or by the tracker's webhook: the bug becomes fixed once (a
   conditional UPDATE), ``bug.fixed`` goes into each linked conversation's history, and the
   ``bugs.send_follow_ups`` job is queued when that commits.
3. ``send_follow_ups`` / ``follow_up`` — one public reply per link through
   ``conversations.services.reply`` (so it leaves on the conversation's own channel), in the
   conversation's language, recorded on the link and as ``bug.followed_up``. Exactly once:
   the link row is locked and ``followed_up_at`` re-read under the lock, and the reply's
   idempotency key names the link *and the fix*, so a job run twice, or two at once, sends
   one reply, while the next fix of a bug that came back is a new reply, not the old one.
4. ``reopen`` — the bug came back (by hand, or the tracker reopened the issue): open again,
   ``bug.reopened`` in each linked conversation's history. Customers already told keep their
   follow-up; those linked since the last fix (and any linked again, see ``link``) are
   followed up when it is fixed again, once for that fix.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from comptoir.accounts.models import User
from comptoir.conversations import services as conversations
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import Conversation, Event, Message

from . import trackers
from .models import Bug, BugLink, BugStatus, FixedVia

MAX_TITLE = 300
MAX_NOTE = 5000
MAX_REASON = 500


class BugError(ValueError):
    """A change that cannot be made; the message is shown to the user as is."""


# --- bugs -----------------------------------------------------------------------------------


def find_by_url(url: str) -> Bug | None:
    """The bug tracked at this address (any form of it that ``trackers.parse`` recognises)."""
    try:
        ref = trackers.parse(url)
    except trackers.TrackerUrlError:
        return None
    return Bug.objects.filter(tracker_url=ref.url).first()


def create_bug(actor: User | None, title: str, tracker_url: str = "") -> tuple[Bug, bool]:
    """A new bug, or the one already tracked at ``tracker_url`` (then False): an issue is
    one bug however many agents paste its address."""
    title = " ".join(title.split())
    tracker_url = tracker_url.strip()
    ref = None
    if tracker_url:
        try:
            ref = trackers.parse(tracker_url)
        except trackers.TrackerUrlError as exc:
            raise BugError(str(exc)) from None
        existing = Bug.objects.filter(tracker_url=ref.url).first()
        if existing is not None:
            return existing, False
    if not title:
        raise BugError(_("Give the bug a title."))
    if len(title) > MAX_TITLE:
        raise BugError(_("A title has at most %(max)s characters.") % {"max": MAX_TITLE})
    try:
        with transaction.atomic():
            bug = Bug.objects.create(
                title=title, created_by=actor,
                tracker_url=ref.url if ref else "", tracker_kind=ref.kind if ref else "",
                tracker_project=ref.project if ref else "",
                tracker_number=ref.number if ref else None,
            )
    except IntegrityError:  # the same address, created meanwhile by someone else
        bug = Bug.objects.filter(tracker_url=ref.url).first() if ref else None
        if bug is None:
            raise
        return bug, False
    return bug, True


def search(query: str, limit: int = 10) -> QuerySet[Bug]:
    """Bugs whose title or tracker address contains ``query`` (or the bug at that address),
    open ones first."""
    query = query.strip()
    qs = Bug.objects.all()
    if query:
        condition = Q(title__icontains=query) | Q(tracker_url__icontains=query)
        found = find_by_url(query)
        if found is not None:
            condition |= Q(pk=found.pk)
        if query.lstrip("#").isdigit():
            condition |= Q(tracker_number=int(query.lstrip("#")))
        qs = qs.filter(condition)
    return qs.order_by("-status", "-created_at", "-id")[:limit]  # "open" > "fixed"


# --- links ----------------------------------------------------------------------------------


def link(conversation: Conversation, bug: Bug, actor: User | None) -> tuple[BugLink, bool]:
    """Link a conversation to a bug (once; a second call returns the link, False). When the
    bug is already fixed, nothing is sent: the caller offers ``follow_up``.

    Linking again a conversation whose customer was told of a fix, while the bug is open
    again (it came back), renews the link (True): linked now, not followed up, so the
    customer hears of the next fix too."""
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        existing = BugLink.objects.filter(bug=bug, conversation=conversation).first()
        if existing is not None:
            current = Bug.objects.only("status", "fix_number").get(pk=bug.pk)
            if not (current.status == BugStatus.OPEN and existing.followed_up_at is not None):
                return existing, False
            now = timezone.now()
            BugLink.objects.filter(pk=existing.pk).update(
                linked_at=now, linked_by=actor, followed_up_at=None, follow_up_message=None)
            existing.refresh_from_db()
            _event(conversation, EventKind.BUG_LINKED, actor, now, bug, renewed=True)
            return existing, True
        now = timezone.now()
        created = BugLink.objects.create(bug=bug, conversation=conversation, linked_by=actor,
                                         linked_at=now)
        _event(conversation, EventKind.BUG_LINKED, actor, now, bug)
    return created, True


def unlink(conversation: Conversation, bug: Bug, actor: User | None) -> bool:
    """Take the link back. A follow-up already sent stays in the conversation."""
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        deleted, _rows = BugLink.objects.filter(bug=bug, conversation=conversation).delete()
        if not deleted:
            return False
        _event(conversation, EventKind.BUG_UNLINKED, actor, timezone.now(), bug)
    return True


# --- fixed, and the follow-ups --------------------------------------------------------------


def mark_fixed(bug: Bug, actor: User | None, note: str = "", *,
               via: str = FixedVia.HAND) -> bool:
    """Mark the bug fixed and queue one follow-up per linked conversation. Only the first
    call does anything (True): marking a fixed bug fixed again sends nothing."""
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise BugError(_("The note has at most %(max)s characters.") % {"max": MAX_NOTE})
    with transaction.atomic():
        now = timezone.now()
        changed = Bug.objects.filter(pk=bug.pk, status=BugStatus.OPEN).update(
            status=BugStatus.FIXED, fixed_at=now, fixed_by=actor, fixed_via=via, fix_note=note,
            fix_number=F("fix_number") + 1,
        )
        if not changed:
            return False
        bug.refresh_from_db()
        for each in BugLink.objects.filter(bug=bug).select_related("conversation"):
            _event(each.conversation, EventKind.BUG_FIXED, actor, now, bug, via=via,
                   fix=bug.fix_number)
        from .tasks import send_follow_ups  # the task module imports this one

        bug_id = bug.pk
        # robust: with the broker down the bug is fixed all the same; the page offers to send
        transaction.on_commit(lambda: send_follow_ups.delay(bug_id), robust=True)
    return True


def reopen(bug: Bug, actor: User | None, reason: str = "", *,
           via: str = FixedVia.HAND) -> bool:
    """The fixed bug came back: open again (True), ``bug.reopened`` in every linked
    conversation's history. Only the first call does anything: reopening an open bug, or a
    replayed tracker event, changes nothing (False). Nothing is sent to customers now; the
    next ``mark_fixed`` follows up those not told yet (see ``link`` to tell one again)."""
    reason = " ".join(reason.split())
    if len(reason) > MAX_REASON:
        raise BugError(_("The reason has at most %(max)s characters.") % {"max": MAX_REASON})
    with transaction.atomic():
        now = timezone.now()
        changed = Bug.objects.filter(pk=bug.pk, status=BugStatus.FIXED).update(
            status=BugStatus.OPEN, reopened_at=now, reopened_by=actor, reopened_via=via,
        )
        if not changed:
            return False
        bug.refresh_from_db()
        data = {"via": via, "after_fix": bug.fix_number}
        if reason:
            data["reason"] = reason
        for each in BugLink.objects.filter(bug=bug).select_related("conversation"):
            _event(each.conversation, EventKind.BUG_REOPENED, actor, now, bug, **data)
    return True


def _due_follow_ups() -> QuerySet[BugLink]:
    """Links of fixed bugs whose customer was not told yet, linked before the fix (a
    conversation linked later is followed up only when an agent asks: ``follow_up``)."""
    return BugLink.objects.filter(bug__status=BugStatus.FIXED, followed_up_at__isnull=True,
                                  linked_at__lte=F("bug__fixed_at"))


def send_follow_ups(bug_id: int) -> int:
    """Follow up every conversation linked to this fixed bug before the fix and not followed
    up yet. Returns how many were sent now. Safe to run twice, or twice at once."""
    pending = list(_due_follow_ups().filter(bug_id=bug_id).order_by("pk")
                   .values_list("pk", flat=True))
    return sum(1 for link_id in pending if follow_up(link_id) is not None)


MISSED_AFTER = timedelta(minutes=5)


def bugs_with_missed_follow_ups() -> list[int]:
    """Bugs fixed over ``MISSED_AFTER`` ago with follow-ups still due: their job was lost
    (the broker was down when the fix was committed, a worker died)."""
    cutoff = timezone.now() - MISSED_AFTER
    return list(_due_follow_ups().filter(bug__fixed_at__lt=cutoff).order_by("bug_id")
                .values_list("bug_id", flat=True).distinct())


def follow_up(link_id: int, actor: User | None = None) -> Message | None:
    """Tell this link's customer the bug is fixed: one public reply on the conversation's
    channel, in its language, status unchanged (a solved conversation stays solved). None
    when the bug is not fixed or the link was already followed up for this fix (or is gone).

    From the conversation's assignee when there is one (the person the customer talked
    with), else ``actor`` (an agent sending it by hand, who then takes the conversation as
    with any reply). The job passes no actor: an unassigned conversation's follow-up comes
    from the team (the mailbox's name) and stays unassigned; whoever marked the bug fixed
    is not handed every affected conversation.
    """
    with transaction.atomic():
        # the link is locked and re-read: a second job waits here, then finds it done
        bug_link = (BugLink.objects.select_for_update(of=("self",))
                    .select_related("bug").filter(pk=link_id).first())
        if (bug_link is None or bug_link.followed_up_at is not None
                or bug_link.bug.status != BugStatus.FIXED):
            return None
        conversation = Conversation.objects.select_for_update(of=("self",)).select_related(
            "person", "assignee").get(pk=bug_link.conversation_id)
        bug = bug_link.bug
        assignee = conversation.assignee
        author = assignee if assignee is not None and assignee.is_active else actor
        text = follow_up_text(bug, conversation)
        # which fix belongs in the key: the same key at the next fix would hand back this
        # fix's message (reply's idempotency) and the customer would never hear of it
        message = conversations.reply(
            conversation, author, text, status=conversation.status,
            idempotency_key=follow_up_key(bug_link.pk, bug.fix_number),
        )
        now = timezone.now()
        BugLink.objects.filter(pk=bug_link.pk).update(
            followed_up_at=now, follow_up_message=message, followed_up_fix=bug.fix_number)
        _event(conversation, EventKind.BUG_FOLLOWED_UP, author, now, bug,
               message_id=message.pk, language=customer_language(conversation),
               fix=bug.fix_number)
    return message


def follow_up_key(link_id: int, fix_number: int) -> str:
    """The follow-up reply's idempotency key: one per link and per fix."""
    return f"bug-follow-up-{link_id}-fix-{fix_number}"


def customer_language(conversation: Conversation) -> str:
    """The language the customer is written to in: the conversation's, else theirs, else the
    site's (for "other" or a language the interface does not have)."""
    available = {code for code, _name in settings.LANGUAGES}
    for language in (conversation.language, conversation.person.language):
        if language in available:
            return language
    return settings.LANGUAGE_CODE


def follow_up_text(bug: Bug, conversation: Conversation, language: str | None = None) -> str:
    """The follow-up this conversation's customer receives, in ``language`` (default:
    theirs, see ``customer_language``)."""
    return compose_follow_up(bug.fix_note, conversation.person.first_name,
                             language or customer_language(conversation))


def compose_follow_up(note: str, first_name: str, language: str) -> str:
    """The follow-up's text in ``language``: a translated greeting and "it is fixed", the
    fix note as written, and an invitation to reply. The bug's title is internal and never
    shown to customers."""
    with translation.override(language):
        parts = [
            _("Hello %(name)s,") % {"name": first_name} if first_name else _("Hello,"),
            _("The problem you reported is fixed. Thank you for telling us about it, and for "
              "your patience while we worked on it."),
        ]
        if note:
            parts.append(note)
        parts.append(_("If anything still does not work as you expect, simply reply to this "
                       "message."))
    return "\n\n".join(parts)


def _event(conversation: Conversation, kind: str, actor: User | None, at, bug: Bug,
           **data) -> Event:
    return Event.objects.create(
        conversation=conversation, person_id=conversation.person_id, kind=kind, actor=actor,
        created_at=at, data={"bug_id": bug.pk, "title": bug.title, **data},
    )
