"""Quality review's public API.

Scorecards
    ``create_scorecard``, ``add_category``, ``update_category``, ``remove_category``: a
    category already rated keeps its scale (old scores would change meaning) and cannot be
    removed; its weight, name and flags may change (scores are recomputed on the next edit).

Reviews
    ``submit_review(reviewer, conversation, scorecard, values)`` rates every category (a
    value from 1 to the scale's points, or None for N/A where allowed), computes the score
    with ``scoring.review_score`` and credits the review to the authors of the conversation's
    public replies other than the reviewer. A reviewer rating a conversation only they
    answered writes a self-review: kept, shown apart, never in IQS. Submitting again edits
    the same review. ``can_see_review`` / ``access_review``: the reviewer, the reviewed
    people and leads see a review; a teammate does not see others' reviews.

Assignments
    ``build_assignments(week)`` gives each reviewer ``per_reviewer`` conversations (10 by
    default, Automattic's practice) answered by someone else in the seven days before the
    week's Monday, each credited to its most active agent. Reviewed people are served in
    turn, the least-reviewed first, so each gets about the same number of reviews; a
    conversation goes to one reviewer only; never one the reviewer replied in or is assigned
    to. Random choices are seeded by the week, and a reviewer who already has assignments
    this week keeps them (only a shortfall is topped up): running it twice changes nothing.

Calibration
    ``start_calibration``; participants rate through ``submit_review(..., calibration=)``;
    until ``reveal`` each sees only their own rating (leads see all), then all side by side.

Disputes
    ``open_dispute`` (a reviewed person, or a lead, with a reason), ``resolve_dispute`` (the
    reviewer or a lead: accept, optionally correcting ratings, or reject).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.accounts.models import User
from comptoir.accounts.permissions import ROLE_PERMS, Perm, has_perm
from comptoir.conversations.models import Conversation, Message, MessageKind

from . import sampling, scoring
from .models import (
    Assignment,
    CalibrationSession,
    Category,
    Dispute,
    DisputeStatus,
    Rating,
    Review,
    Scorecard,
)

REVIEWS_PER_WEEK = 10


class QualityError(ValueError):
    """A request that cannot be done as asked; the message says why, for the user."""


# --- scorecards ----------------------------------------------------------------------------

def create_scorecard(name: str, description: str = "") -> Scorecard:
    name = name.strip()
    if not name:
        raise QualityError(_("A scorecard needs a name."))
    if Scorecard.objects.filter(name__iexact=name).exists():
        raise QualityError(_("A scorecard named “%(name)s” already exists.") % {"name": name})
    return Scorecard.objects.create(name=name, description=description.strip())


def update_scorecard(scorecard: Scorecard, *, name: str, description: str = "",
                     is_active: bool = True) -> Scorecard:
    name = name.strip()
    if not name:
        raise QualityError(_("A scorecard needs a name."))
    if Scorecard.objects.filter(name__iexact=name).exclude(pk=scorecard.pk).exists():
        raise QualityError(_("A scorecard named “%(name)s” already exists.") % {"name": name})
    scorecard.name, scorecard.description = name, description.strip()
    scorecard.is_active = is_active
    scorecard.save()
    return scorecard


def _check_category(name: str, scale: int, weight: int) -> None:
    if not name.strip():
        raise QualityError(_("A category needs a name."))
    if scale not in scoring.SCALES:
        raise QualityError(_("A scale has 2, 3, 4 or 5 points."))
    if not 0 <= weight <= 100:
        raise QualityError(_("A weight is between 0 and 100."))


def add_category(scorecard: Scorecard, name: str, *, scale: int, weight: int,
                 critical: bool = False, allow_na: bool = True,
                 description: str = "") -> Category:
    _check_category(name, scale, weight)
    if scorecard.categories.filter(name__iexact=name.strip()).exists():
        raise QualityError(_("This scorecard already has a category “%(name)s”.")
                           % {"name": name.strip()})
    position = scorecard.categories.count()
    return Category.objects.create(
        scorecard=scorecard, name=name.strip(), scale=scale, weight=weight, critical=critical,
        allow_na=allow_na, description=description.strip(), position=position)


def update_category(category: Category, *, name: str, scale: int, weight: int,
                    critical: bool, allow_na: bool, description: str = "") -> Category:
    _check_category(name, scale, weight)
    if scale != category.scale and category.ratings.exists():
        raise QualityError(_("“%(name)s” has been rated already: its scale cannot change. "
                             "Add a new category instead.") % {"name": category.name})
    clash = category.scorecard.categories.filter(name__iexact=name.strip()).exclude(
        pk=category.pk)
    if clash.exists():
        raise QualityError(_("This scorecard already has a category “%(name)s”.")
                           % {"name": name.strip()})
    category.name, category.scale, category.weight = name.strip(), scale, weight
    category.critical, category.allow_na = critical, allow_na
    category.description = description.strip()
    category.save()
    return category


def remove_category(category: Category) -> None:
    if category.ratings.exists():
        raise QualityError(_("“%(name)s” has been rated already and cannot be removed.")
                           % {"name": category.name})
    category.delete()


# --- reviews -------------------------------------------------------------------------------

def reply_authors(conversation: Conversation) -> list[int]:
    """Ids of the people who wrote public replies in the conversation."""
    return sorted(set(
        Message.objects.filter(conversation=conversation, kind=MessageKind.REPLY,
                               author__isnull=False).values_list("author_id", flat=True)))


def score_of(ratings: Iterable[tuple[Category, int | None]]) -> float | None:
    """A review's score from (category, value) pairs."""
    return scoring.review_score([
        scoring.Rated(
            None if value is None else scoring.category_score(value, category.scale),
            category.weight, category.critical)
        for category, value in ratings])


def _clean_values(scorecard: Scorecard, values: Mapping[int, int | None]
                  ) -> list[tuple[Category, int | None]]:
    categories = list(scorecard.categories.all())
    if not categories:
        raise QualityError(_("This scorecard has no categories yet."))
    unknown = set(values) - {c.pk for c in categories}
    if unknown:
        raise QualityError(_("These ratings are not on the scorecard."))
    cleaned = []
    for category in categories:
        if category.pk not in values:
            raise QualityError(_("Rate “%(name)s” (or mark it N/A).") % {"name": category.name})
        value = values[category.pk]
        if value is None and not category.allow_na:
            raise QualityError(_("“%(name)s” cannot be N/A.") % {"name": category.name})
        if value is not None and not 1 <= value <= category.scale:
            raise QualityError(_("“%(name)s” is rated from 1 to %(points)d.")
                               % {"name": category.name, "points": category.scale})
        cleaned.append((category, value))
    return cleaned


def submit_review(reviewer: User, conversation: Conversation, scorecard: Scorecard,
                  values: Mapping[int, int | None], *, comments: Mapping[int, str] | None = None,
                  comment: str = "", calibration: CalibrationSession | None = None) -> Review:
    """Rate a conversation (or edit one's earlier review of it). Raises QualityError on a
    missing or out-of-scale rating, on a conversation with no public reply, or on a
    calibration the reviewer is not part of or that was already revealed."""
    comments = comments or {}
    cleaned = _clean_values(scorecard, values)
    authors = reply_authors(conversation)
    if not authors:
        raise QualityError(_("This conversation has no reply to review yet."))
    if calibration is not None:
        if not calibration.reviewers.filter(pk=reviewer.pk).exists():
            raise QualityError(_("You are not a reviewer of this calibration session."))
        if calibration.revealed_at is not None:
            raise QualityError(_("This calibration session was revealed: ratings are final."))
        if calibration.conversation_id != conversation.pk:
            raise QualityError(_("This calibration session is about another conversation."))
    others = [a for a in authors if a != reviewer.pk]
    reviewees, is_self = (others, False) if others else ([reviewer.pk], True)
    score = score_of(cleaned)
    now = timezone.now()
    with transaction.atomic():
        review = (Review.objects.select_for_update()
                  .filter(reviewer=reviewer, conversation=conversation,
                          calibration=calibration).first())
        if review is None:
            review = Review.objects.create(
                reviewer=reviewer, conversation=conversation, scorecard=scorecard,
                calibration=calibration, is_self=is_self, score=score,
                comment=comment.strip(), created_at=now, updated_at=now)
        else:
            review.ratings.all().delete()
            review.scorecard, review.is_self, review.score = scorecard, is_self, score
            review.comment, review.updated_at = comment.strip(), now
            review.save()
        review.reviewees.set(reviewees)
        Rating.objects.bulk_create(
            Rating(review=review, category=category, value=value,
                   comment=comments.get(category.pk, "").strip())
            for category, value in cleaned)
    return review


def _rescore(review: Review, values: Mapping[int, int | None]) -> None:
    cleaned = _clean_values(review.scorecard, values)
    for category, value in cleaned:
        Rating.objects.update_or_create(review=review, category=category,
                                        defaults={"value": value})
    review.score = score_of(cleaned)
    review.updated_at = timezone.now()
    review.save(update_fields=["score", "updated_at"])


def can_see_review(user: User, review: Review) -> bool:
    """Leads see every review; the reviewer sees theirs; the reviewed people see reviews of
    them; calibration reviews are seen by the session's reviewers once it is revealed."""
    if not has_perm(user, Perm.REVIEW):
        return False
    if review.reviewer_id == user.pk:
        return True
    if review.calibration_id is not None:  # blind until revealed, even for a rating lead
        return review in calibration_reviews_for(user, review.calibration)  # type: ignore[arg-type]
    if has_perm(user, Perm.MANAGE_QUALITY):
        return True
    return review.reviewees.filter(pk=user.pk).exists()


def access_review(user: User, review_id: int) -> Review:
    """The review if ``user`` may see it; 404 otherwise (its existence is not disclosed)."""
    review = (Review.objects.select_related("conversation", "scorecard", "reviewer",
                                            "calibration")
              .filter(pk=review_id).first())
    if review is None or not can_see_review(user, review):
        raise Http404
    return review


def reviews_received(user: User) -> QuerySet[Review]:
    """Reviews crediting ``user`` (calibration reviews excluded: they are practice)."""
    return (Review.objects.filter(reviewees=user, calibration__isnull=True)
            .select_related("conversation", "scorecard", "reviewer")
            .prefetch_related("ratings__category", "disputes"))


# --- assignments ---------------------------------------------------------------------------

def week_start(day: date | datetime) -> date:
    """The Monday of ``day``'s week (UTC for a datetime)."""
    if isinstance(day, datetime):
        day = day.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def reviewers_by_default() -> QuerySet[User]:
    """Everyone active in a support team whose role lets them review."""
    roles = [role for role, perms in ROLE_PERMS.items() if Perm.REVIEW in perms]
    return (User.objects.filter(is_active=True, teams__is_support=True)
            .filter(Q(role__in=roles) | Q(is_superuser=True)).distinct())


@dataclass(frozen=True)
class AssignmentRun:
    week: date
    reviewers: int
    candidates: int       # conversations of the period with a public reply
    created: int
    total: int            # assignments of the week after the run
    short: int            # reviewers left below the goal (not enough conversations)


def build_assignments(week: date, *, per_reviewer: int = REVIEWS_PER_WEEK,
                      reviewers: Iterable[User] | None = None) -> AssignmentRun:
    """Assign conversations of the seven days before ``week``'s Monday (see the module
    docstring). Idempotent; safe to run again after people join (they get theirs)."""
    if per_reviewer < 1:
        raise QualityError(_("Each reviewer needs at least one conversation."))
    week = week_start(week)
    reviewer_ids = sorted({u.pk for u in (reviewers if reviewers is not None
                                          else reviewers_by_default())})
    start = datetime.combine(week - timedelta(days=7), time.min, tzinfo=UTC)
    end = start + timedelta(days=7)
    replies = (Message.objects
               .filter(kind=MessageKind.REPLY, author__isnull=False,
                       created_at__gte=start, created_at__lt=end,
                       conversation__last_activity_at__gte=start)
               .values_list("conversation_id", "author_id", "conversation__assignee_id")
               .annotate(n=Count("id")).order_by())
    authors: dict[int, dict[int, int]] = defaultdict(dict)
    assignee: dict[int, int | None] = {}
    for conversation_id, author_id, assignee_id, n in replies:
        authors[conversation_id][author_id] = n
        assignee[conversation_id] = assignee_id

    existing = list(Assignment.objects.filter(week=week)
                    .values_list("reviewer_id", "conversation_id", "reviewee_id"))
    picks = sampling.plan(
        {c: sampling.Candidate(authors[c], assignee[c]) for c in authors}, reviewer_ids,
        per_reviewer=per_reviewer, existing=existing,
        seed=f"comptoir-review-assignments-{week.isoformat()}")
    now = timezone.now()
    new = [Assignment(week=week, reviewer_id=p.reviewer, conversation_id=p.conversation,
                      reviewee_id=p.reviewee, created_at=now) for p in picks]
    with transaction.atomic():
        Assignment.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    total = Assignment.objects.filter(week=week).count()
    have = Counter(r for r, _c, _e in existing) + Counter(p.reviewer for p in picks)
    return AssignmentRun(week=week, reviewers=len(reviewer_ids), candidates=len(authors),
                         created=len(new), total=total,
                         short=sum(1 for r in reviewer_ids if have[r] < per_reviewer))


# --- calibration ---------------------------------------------------------------------------

def start_calibration(actor: User, conversation: Conversation, scorecard: Scorecard,
                      reviewers: Iterable[User], title: str = "") -> CalibrationSession:
    reviewers = list(reviewers)
    if len(reviewers) < 2:
        raise QualityError(_("A calibration session needs at least two reviewers."))
    if not reply_authors(conversation):
        raise QualityError(_("This conversation has no reply to review yet."))
    with transaction.atomic():
        session = CalibrationSession.objects.create(
            title=title.strip() or _("Calibration on #%(id)d") % {"id": conversation.pk},
            conversation=conversation, scorecard=scorecard, created_by=actor)
        session.reviewers.set(reviewers)
    return session


def reveal(session: CalibrationSession) -> CalibrationSession:
    """Show every participant's ratings side by side; ratings are final from now on."""
    if session.revealed_at is None:
        session.revealed_at = timezone.now()
        session.save(update_fields=["revealed_at"])
    return session


def calibration_reviews_for(user: User, session: CalibrationSession) -> list[Review]:
    """The session's reviews ``user`` may see: all once revealed (or for a lead who is not
    rating in it), else only their own."""
    reviews = list(session.reviews.select_related("reviewer")
                   .prefetch_related("ratings__category").order_by("reviewer__username"))
    participant = session.reviewers.filter(pk=user.pk).exists()
    if session.revealed_at is not None and (participant or has_perm(user, Perm.MANAGE_QUALITY)):
        return reviews
    if has_perm(user, Perm.MANAGE_QUALITY) and not participant:
        return reviews
    return [r for r in reviews if r.reviewer_id == user.pk]


# --- disputes ------------------------------------------------------------------------------

def open_dispute(actor: User, review: Review, reason: str) -> Dispute:
    """The reviewed person (or a lead) contests ``review``. One open dispute at a time."""
    if review.calibration_id is not None:
        raise QualityError(_("Calibration reviews cannot be disputed."))
    if not (review.reviewees.filter(pk=actor.pk).exists()
            or has_perm(actor, Perm.MANAGE_QUALITY)):
        raise PermissionDenied
    reason = reason.strip()
    if not reason:
        raise QualityError(_("Say why you dispute this review."))
    with transaction.atomic():
        Review.objects.select_for_update().filter(pk=review.pk).first()
        if review.disputes.filter(status=DisputeStatus.OPEN).exists():
            raise QualityError(_("This review is already disputed; wait for the answer."))
        return Dispute.objects.create(review=review, opened_by=actor, reason=reason)


def can_resolve(user: User, dispute: Dispute) -> bool:
    review = dispute.review
    if review.reviewees.filter(pk=user.pk).exists() or dispute.opened_by_id == user.pk:
        return False  # nobody judges their own case
    return review.reviewer_id == user.pk or has_perm(user, Perm.MANAGE_QUALITY)


def resolve_dispute(actor: User, dispute: Dispute, *, accept: bool, answer: str = "",
                    values: Mapping[int, int | None] | None = None) -> Dispute:
    """Accept (optionally with corrected ratings, which rescore the review) or reject."""
    if not can_resolve(actor, dispute):
        raise PermissionDenied
    if values and not accept:
        raise QualityError(_("Ratings are corrected only when the dispute is accepted."))
    with transaction.atomic():
        dispute = Dispute.objects.select_for_update().select_related("review__scorecard").get(
            pk=dispute.pk)
        if dispute.status != DisputeStatus.OPEN:
            raise QualityError(_("This dispute was already answered."))
        if accept and values:
            _rescore(dispute.review, values)
        dispute.status = DisputeStatus.ACCEPTED if accept else DisputeStatus.REJECTED
        dispute.resolved_by, dispute.resolution = actor, answer.strip()
        dispute.resolved_at = timezone.now()
        dispute.save()
    return dispute


def disputes_for(user: User) -> QuerySet[Dispute]:
    """Disputes ``user`` can answer or follow: all for leads; else those on their reviews,
    given or received."""
    qs = Dispute.objects.select_related("review__conversation", "review__reviewer", "opened_by")
    if has_perm(user, Perm.MANAGE_QUALITY):
        return qs
    return qs.filter(Q(review__reviewer=user) | Q(review__reviewees=user)).distinct()
