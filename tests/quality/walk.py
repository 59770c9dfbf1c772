"""Objects the permission walk (tests/test_permissions.py) needs for the quality pages:
a review the walking user wrote, one they received, a dispute they can answer, and a
calibration session they are in."""

from comptoir.accounts.models import Role
from comptoir.quality import services
from comptoir.quality.models import Scale, Scorecard

from ..factories import make_user
from .conftest import answered


def quality_args(user) -> dict[str, list]:
    card = services.create_scorecard(f"Walk {Scorecard.objects.count()}")
    category = services.add_category(card, "Tone", scale=Scale.FOUR, weight=10)
    colleague = make_user(Role.ADVOCATE)
    given = services.submit_review(user, answered(colleague), card, {category.pk: 3})
    got = services.submit_review(colleague, answered(user), card, {category.pk: 2})
    dispute = services.open_dispute(colleague, given, "Walk")
    session = services.start_calibration(colleague, given.conversation, card, [user, colleague])
    spare = services.add_category(card, "Spare", scale=Scale.BINARY, weight=5)
    return {
        "quality_review": [given.conversation_id],
        "quality_review_detail": [given.pk],
        "quality_dispute_open": [got.pk],
        "quality_dispute_resolve": [dispute.pk],
        "quality_scorecard": [card.pk], "quality_scorecard_edit": [card.pk],
        "quality_category_add": [card.pk], "quality_category_edit": [spare.pk],
        "quality_category_remove": [spare.pk],
        "quality_calibration": [session.pk], "quality_calibration_reveal": [session.pk],
    }


def api_review_ids(user) -> dict[str, int]:
    """For the API walk (tests/api/test_permissions_walk.py): a review of ``user``'s reply
    (so ``/api/reviews/{review_id}`` is theirs to read) and its conversation."""
    card = services.create_scorecard(f"API walk {Scorecard.objects.count()}")
    category = services.add_category(card, "Tone", scale=Scale.FOUR, weight=10)
    got = services.submit_review(make_user(Role.ADVOCATE), answered(user), card,
                                 {category.pk: 3})
    return {"review_id": got.pk, "reviewed_conversation_id": got.conversation_id}
