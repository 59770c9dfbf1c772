"""Reviews, IQS through the database, calibration, disputes and who sees what."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from comptoir.accounts.models import Role
from comptoir.quality import queries, services
from comptoir.quality.models import DisputeStatus, Review

from ..factories import make_user
from .conftest import answered, values, worked_scorecard

WORKED = {
    "R1": {"Solution": 3, "Tone": 4, "Grammar": 2, "Privacy": 2},
    "R2": {"Solution": 4, "Tone": 5, "Grammar": None, "Privacy": 2},
    "R3": {"Solution": 2, "Tone": 3, "Grammar": 1, "Privacy": 2},
    "R4": {"Solution": 4, "Tone": 4, "Grammar": 2, "Privacy": 1},
}


@pytest.fixture
def card(db):
    return worked_scorecard()


def test_worked_example_through_reviews_gives_iqs_54_69(card):
    agent, reviewer = make_user(), make_user()
    scores = {}
    for name, ratings in WORKED.items():
        review = services.submit_review(reviewer, answered(agent), card,
                                        values(card, **ratings))
        scores[name] = review.score
    assert scores == pytest.approx({"R1": 77.083, "R2": 100, "R3": 41.667, "R4": 0}, abs=0.001)
    org = queries.iqs_over_time(weeks=1)
    assert org.reviews == 4
    assert round(org.iqs, 2) == 54.69
    assert org.pass_rate == 25.0
    assert queries.iqs_over_time(weeks=1, person=agent).iqs == pytest.approx(54.6875)
    by_category = queries.scores_by_category(weeks=1)
    assert by_category == pytest.approx({"Email · Grammar": 66.667, "Email · Privacy": 75.0,
                                         "Email · Solution": 75.0, "Email · Tone": 75.0},
                                        abs=0.001)


def test_failed_critical_category_zeroes_the_review(card):
    review = services.submit_review(make_user(), answered(make_user()), card,
                                    values(card, **WORKED["R4"]))
    assert review.score == 0
    assert review.ratings.get(category__name="Solution").value == 4  # the ratings are kept


def test_na_only_where_allowed_and_every_category_rated(card):
    conversation, reviewer = answered(make_user()), make_user()
    with pytest.raises(services.QualityError, match="Privacy"):
        services.submit_review(reviewer, conversation, card,
                               values(card, **{**WORKED["R1"], "Privacy": None}))
    partial = values(card, **WORKED["R1"])
    partial.pop(card.categories.get(name="Tone").pk)
    with pytest.raises(services.QualityError, match="Tone"):
        services.submit_review(reviewer, conversation, card, partial)
    with pytest.raises(services.QualityError, match="1 to 4"):
        services.submit_review(reviewer, conversation, card,
                               values(card, **{**WORKED["R1"], "Solution": 5}))
    assert not Review.objects.exists()


def test_review_credits_the_reply_authors_but_not_the_reviewer(card):
    alice, bob, carol = make_user(), make_user(), make_user()
    conversation = answered(alice, bob)
    review = services.submit_review(bob, conversation, card, values(card, **WORKED["R2"]))
    assert list(review.reviewees.all()) == [alice]
    assert not review.is_self
    other = services.submit_review(carol, conversation, card, values(card, **WORKED["R1"]))
    assert set(other.reviewees.all()) == {alice, bob}


def test_self_review_is_kept_apart_from_iqs(card):
    alice = make_user()
    services.submit_review(alice, answered(alice), card, values(card, **WORKED["R2"]))
    services.submit_review(make_user(), answered(alice), card, values(card, **WORKED["R3"]))
    summary = queries.iqs_over_time(weeks=1)
    assert summary.reviews == 1 and summary.iqs == pytest.approx(41.667, abs=0.001)
    assert summary.self_reviews == 1 and summary.self_iqs == 100


def test_submitting_again_edits_the_review(card):
    reviewer, conversation = make_user(), answered(make_user())
    services.submit_review(reviewer, conversation, card, values(card, **WORKED["R3"]))
    review = services.submit_review(reviewer, conversation, card, values(card, **WORKED["R2"]),
                                    comment="Better on a second read")
    assert Review.objects.count() == 1
    assert review.score == 100 and review.ratings.count() == 4


def test_conversation_without_reply_cannot_be_reviewed(card, conversation):
    with pytest.raises(services.QualityError):
        services.submit_review(make_user(), conversation, card, values(card, **WORKED["R1"]))


def test_visibility_reviewed_person_sees_teammate_does_not_lead_does(card):
    agent, reviewer, teammate = make_user(), make_user(), make_user(Role.TEAMMATE)
    lead = make_user(Role.LEAD)
    review = services.submit_review(reviewer, answered(agent), card, values(card, **WORKED["R1"]))
    assert services.access_review(agent, review.pk) == review
    assert services.access_review(reviewer, review.pk) == review
    assert services.access_review(lead, review.pk) == review
    with pytest.raises(Http404):
        services.access_review(teammate, review.pk)
    with pytest.raises(Http404):
        services.access_review(make_user(Role.OBSERVER), review.pk)
    assert list(services.reviews_received(agent)) == [review]
    assert list(services.reviews_received(teammate)) == []


def test_blind_calibration_then_side_by_side(card):
    agent = make_user()
    conversation = answered(agent)
    lead = make_user(Role.LEAD)
    ann, ben = make_user(), make_user()
    session = services.start_calibration(lead, conversation, card, [ann, ben])
    a = services.submit_review(ann, conversation, card, values(card, **WORKED["R1"]),
                               calibration=session)
    b = services.submit_review(ben, conversation, card, values(card, **WORKED["R3"]),
                               calibration=session)
    assert services.calibration_reviews_for(ann, session) == [a]
    assert services.calibration_reviews_for(ben, session) == [b]
    assert set(services.calibration_reviews_for(lead, session)) == {a, b}
    assert services.access_review(lead, b.pk) == b
    # a lead rating in the session is blind like everyone else
    rating_lead = make_user(Role.LEAD)
    session.reviewers.add(rating_lead)
    assert services.calibration_reviews_for(rating_lead, session) == []
    with pytest.raises(Http404):
        services.access_review(rating_lead, a.pk)
    with pytest.raises(Http404):
        services.access_review(ann, b.pk)
    # calibration never counts in IQS, nor shows in the agent's received reviews
    assert queries.iqs_over_time(weeks=1).reviews == 0
    assert list(services.reviews_received(agent)) == []
    services.reveal(session)
    assert set(services.calibration_reviews_for(ann, session)) == {a, b}
    assert services.access_review(ann, b.pk) == b
    with pytest.raises(services.QualityError):
        services.submit_review(ann, conversation, card, values(card, **WORKED["R2"]),
                               calibration=session)
    with pytest.raises(services.QualityError):
        services.submit_review(make_user(), conversation, card, values(card, **WORKED["R2"]),
                               calibration=session)


def test_dispute_accepted_with_corrected_ratings_rescores(card):
    agent, reviewer = make_user(), make_user()
    review = services.submit_review(reviewer, answered(agent), card, values(card, **WORKED["R4"]))
    with pytest.raises(services.QualityError):
        services.open_dispute(agent, review, "   ")
    with pytest.raises(PermissionDenied):
        services.open_dispute(make_user(), review, "Not even mine")
    dispute = services.open_dispute(agent, review, "I did not share any private data")
    with pytest.raises(services.QualityError):
        services.open_dispute(agent, review, "Again")
    with pytest.raises(PermissionDenied):
        services.resolve_dispute(agent, dispute, accept=True)
    with pytest.raises(PermissionDenied):
        services.resolve_dispute(make_user(), dispute, accept=True)
    services.resolve_dispute(reviewer, dispute, accept=True, answer="Right, my mistake",
                             values=values(card, **{**WORKED["R4"], "Privacy": 2}))
    dispute.refresh_from_db()
    review.refresh_from_db()
    assert dispute.status == DisputeStatus.ACCEPTED and dispute.resolved_by == reviewer
    assert review.score == pytest.approx(93.75)  # (4,000 + 1,500 + 1,000 + 1,000) ÷ 80
    with pytest.raises(services.QualityError):
        services.resolve_dispute(reviewer, dispute, accept=False)


def test_dispute_rejected_by_a_lead_keeps_the_score(card):
    agent = make_user()
    review = services.submit_review(make_user(), answered(agent), card,
                                    values(card, **WORKED["R3"]))
    dispute = services.open_dispute(agent, review, "Too harsh")
    lead = make_user(Role.LEAD)
    assert list(services.disputes_for(lead)) == [dispute]
    assert list(services.disputes_for(make_user())) == []
    services.resolve_dispute(lead, dispute, accept=False, answer="The grammar slip is real")
    review.refresh_from_db()
    assert review.score == pytest.approx(41.667, abs=0.001)
    assert review.disputes.get().status == DisputeStatus.REJECTED
    # a new dispute may be opened after the answer
    services.open_dispute(agent, review, "New facts")


def test_best_answers_by_language_tag_and_search(card):
    from comptoir.conversations import services as conversations

    reviewer, agent = make_user(), make_user()
    fr = answered(agent, text="Bonjour, ma facture est fausse", subject="Facture")
    fr.language = "fr"
    fr.save(update_fields=["language"])
    conversations.add_tags(fr, None, ["billing"])
    en = answered(agent, subject="Password reset")
    en.language = "en"
    en.save(update_fields=["language"])
    weak = answered(agent, subject="Weak one")
    services.submit_review(reviewer, fr, card, values(card, **WORKED["R2"]))
    services.submit_review(reviewer, en, card, values(card, **{**WORKED["R2"], "Tone": 4}))
    services.submit_review(reviewer, weak, card, values(card, **WORKED["R1"]))  # 77 < 80
    everything = queries.best_answers()
    assert [r.conversation for r in everything] == [fr, en]  # best first, the weak one left out
    assert everything[0].conversation.replies[0].author == agent
    assert [r.conversation for r in queries.best_answers(language="en")] == [en]
    assert [r.conversation for r in queries.best_answers(tag="billing")] == [fr]
    assert [r.conversation for r in queries.best_answers(search="password")] == [en]
    assert [r.conversation for r in queries.best_answers(search="answer from")] == [fr, en]
    newcomer = make_user(spoken_languages=["fr"])
    track = queries.onboarding(newcomer)
    assert track.is_new and track.day == 1
    assert [r.conversation for r in track.reading] == [fr]
