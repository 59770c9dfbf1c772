"""Quality reviews (ratings and scores): the reviews of a conversation the caller may see,
the reviews crediting the caller, and one review. Read-only; reviewing happens on the
Reviews pages.

Who sees what is ``quality``'s rule: a lead every review, anyone else the reviews they wrote
and the reviews of their own replies; calibration reviews (practice, blind until revealed)
only their author. A review the caller may not see is a 404, never a 403, so its existence
is not disclosed.
"""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from comptoir.accounts.permissions import Perm, check
from comptoir.conversations.access import access_conversation
from comptoir.quality import queries, services
from comptoir.quality.models import Review

from .pagination import page_by_id
from .schemas import ERRORS, Id, PageQuery

router = Router(tags=["reviews"])


class PersonRef(Schema):
    id: int
    name: str


class ScorecardRef(Schema):
    id: int
    name: str


class RatingOut(Schema):
    category_id: int
    category: str
    scale: int
    weight: int
    critical: bool
    value: int | None
    comment: str


class DisputeRef(Schema):
    id: int
    status: str


class ReviewOut(Schema):
    id: int
    conversation_id: int
    scorecard: ScorecardRef
    reviewer: PersonRef
    reviewees: list[PersonRef]
    score: float | None
    counts_in_iqs: bool
    is_self: bool
    calibration_id: int | None
    comment: str
    ratings: list[RatingOut]
    disputes: list[DisputeRef]
    created_at: datetime
    updated_at: datetime


class ReviewPage(Schema):
    items: list[ReviewOut]
    next_cursor: str | None


def _with_details(qs):
    return qs.select_related("scorecard", "reviewer").prefetch_related(
        "reviewees", "ratings__category", "disputes")


def _out(review: Review) -> dict[str, Any]:
    return {
        "id": review.pk, "conversation_id": review.conversation_id,
        "scorecard": {"id": review.scorecard_id, "name": review.scorecard.name},
        "reviewer": {"id": review.reviewer_id, "name": review.reviewer.display_name},
        "reviewees": [{"id": u.pk, "name": u.display_name} for u in review.reviewees.all()],
        "score": review.score, "counts_in_iqs": review.counts_in_iqs,
        "is_self": review.is_self, "calibration_id": review.calibration_id,
        "comment": review.comment,
        "ratings": [{"category_id": r.category_id, "category": r.category.name,
                     "scale": r.category.scale, "weight": r.category.weight,
                     "critical": r.category.critical, "value": r.value, "comment": r.comment}
                    for r in review.ratings.all()],
        "disputes": [{"id": d.pk, "status": d.status} for d in review.disputes.all()],
        "created_at": review.created_at, "updated_at": review.updated_at,
    }


def _page(qs, page: PageQuery) -> dict[str, Any]:
    found = page_by_id(_with_details(qs), page.cursor, page.limit)
    return {"items": [_out(r) for r in found["items"]], "next_cursor": found["next_cursor"]}


@router.get("/conversations/{conversation_id}/reviews", response={200: ReviewPage, **ERRORS})
def conversation_reviews(request: HttpRequest, conversation_id: Id, page: Query[PageQuery]):
    """The conversation's reviews the caller may see, newest first."""
    check(request.auth, Perm.REVIEW)
    conversation = access_conversation(request.auth, conversation_id)
    return _page(queries.reviews_visible_to(request.auth).filter(conversation=conversation),
                 page)


@router.get("/reviews/received", response={200: ReviewPage, **ERRORS})
def received_reviews(request: HttpRequest, page: Query[PageQuery]):
    """Reviews of the caller's replies (calibration practice left out), newest first."""
    check(request.auth, Perm.REVIEW)
    return _page(services.reviews_received(request.auth), page)


@router.get("/reviews/{review_id}", response={200: ReviewOut, **ERRORS})
def get_review(request: HttpRequest, review_id: Id):
    """One review with its ratings; 404 when the caller may not see it."""
    check(request.auth, Perm.REVIEW)
    review = services.access_review(request.auth, review_id)
    return _out(_with_details(Review.objects.filter(pk=review.pk)).get())
