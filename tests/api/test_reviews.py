"""Quality reviews in the API: a conversation's reviews and one's own received reviews, with
their ratings and scores, seen only by those the Reviews pages show them to."""

import pytest

from comptoir.accounts.models import Role
from comptoir.quality import services
from comptoir.quality.models import Scale

from ..factories import make_user
from ..quality.conftest import answered, values, worked_scorecard

R1 = {"Solution": 3, "Tone": 4, "Grammar": 2, "Privacy": 2}  # 77.083
R3 = {"Solution": 2, "Tone": 3, "Grammar": 1, "Privacy": 2}  # 41.667

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(api_as):
    card = worked_scorecard()
    zelda = api_as(Role.TEAMMATE, first_name="Zelda", last_name="Z")
    yann = api_as(Role.TEAMMATE, first_name="Yann", last_name="Y")
    reviewer = make_user(Role.ADVOCATE, first_name="Rita", last_name="R")
    conversation = answered(zelda.user)
    first = services.submit_review(reviewer, conversation, card, values(card, **R1),
                                   comment="Clear and kind.")
    second = services.submit_review(make_user(Role.LEAD), conversation, card,
                                    values(card, **R3))
    elsewhere = services.submit_review(reviewer, answered(yann.user), card, values(card, **R3))
    return {"zelda": zelda, "yann": yann, "conversation": conversation, "card": card,
            "first": first, "second": second, "elsewhere": elsewhere}


def test_a_conversations_reviews_for_the_reviewed_person_a_lead_and_nobody_else(
    world, api_as,
):
    path = f"/conversations/{world['conversation'].pk}/reviews"
    body = world["zelda"].get(path).json()
    assert [r["id"] for r in body["items"]] == [world["second"].pk, world["first"].pk]
    first = body["items"][1]
    assert first["reviewer"]["name"].startswith("Rita")
    assert [p["name"] for p in first["reviewees"]] == [world["zelda"].user.display_name]
    assert round(first["score"], 3) == 77.083 and first["counts_in_iqs"] is True
    assert first["comment"] == "Clear and kind." and first["scorecard"]["name"] == "Email"
    ratings = {r["category"]: r for r in first["ratings"]}
    assert ratings["Solution"]["value"] == 3 and ratings["Solution"]["scale"] == Scale.FOUR
    assert ratings["Privacy"]["critical"] is True and ratings["Tone"]["weight"] == 20
    assert body["next_cursor"] is None
    # a colleague may read the conversation, not its reviews; a lead reads them all
    assert world["yann"].get(path).json() == {"items": [], "next_cursor": None}
    assert len(api_as(Role.LEAD).get(path).json()["items"]) == 2
    assert api_as(Role.OBSERVER).get(path).status_code == 403
    assert world["zelda"].get("/conversations/999999/reviews").status_code == 404


def test_my_received_reviews_page_by_page_and_one_review(world, api_as):
    zelda, yann = world["zelda"], world["yann"]
    page = zelda.get("/reviews/received", limit=1).json()
    assert [r["id"] for r in page["items"]] == [world["second"].pk]
    rest = zelda.get("/reviews/received", limit=1, cursor=page["next_cursor"]).json()
    assert [r["id"] for r in rest["items"]] == [world["first"].pk]
    assert rest["next_cursor"] is None
    assert [r["id"] for r in yann.get("/reviews/received").json()["items"]] == [
        world["elsewhere"].pk]
    assert zelda.get("/reviews/received", cursor="garbage").status_code == 400

    assert zelda.get(f"/reviews/{world['first'].pk}").json()["id"] == world["first"].pk
    # not theirs: not found (its existence is not disclosed)
    assert yann.get(f"/reviews/{world['first'].pk}").status_code == 404
    assert api_as(Role.LEAD).get(f"/reviews/{world['first'].pk}").status_code == 200
    assert api_as(Role.OBSERVER).get("/reviews/received").status_code == 403


def test_calibration_ratings_stay_blind(world, api_as):
    """Several reviewers rate the same conversation blind: the API does not reveal them."""
    zelda, yann = world["zelda"], world["yann"]
    lead = make_user(Role.LEAD)
    session = services.start_calibration(lead, world["conversation"], world["card"],
                                         [yann.user, lead])
    practice = services.submit_review(yann.user, world["conversation"], world["card"],
                                      values(world["card"], **R1), calibration=session)
    path = f"/conversations/{world['conversation'].pk}/reviews"
    assert practice.pk not in [r["id"] for r in zelda.get(path).json()["items"]]
    assert practice.pk not in [r["id"] for r in zelda.get("/reviews/received").json()["items"]]
    assert zelda.get(f"/reviews/{practice.pk}").status_code == 404
    assert [r["id"] for r in yann.get(path).json()["items"]] == [practice.pk]  # their own
