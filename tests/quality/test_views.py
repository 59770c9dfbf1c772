"""The Reviews pages, as people use them."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from comptoir.accounts.models import Role
from comptoir.quality import services
from comptoir.quality.models import Assignment, DisputeStatus, Review, Scale

from ..factories import make_team, make_user
from .conftest import answered, values, worked_scorecard

R1 = {"Solution": 3, "Tone": 4, "Grammar": 2, "Privacy": 2}
R3 = {"Solution": 2, "Tone": 3, "Grammar": 1, "Privacy": 2}


@pytest.fixture
def card(db):
    return worked_scorecard()


def login(client, user):
    client.force_login(user)
    return client


def form(card, comment="", **ratings):
    data = {f"rating-{c.pk}": "na" if ratings[c.name] is None else str(ratings[c.name])
            for c in card.categories.all() if c.name in ratings}
    data["comment"] = comment
    return data


def test_my_assignments_and_rating_beside_the_conversation(client, card):
    agent, reviewer = make_user(), make_user()
    conversation = answered(agent, subject="Refund for my order")
    Assignment.objects.create(week=services.week_start(timezone.now()), reviewer=reviewer,
                              conversation=conversation, reviewee=agent)
    login(client, reviewer)
    home = client.get(reverse("quality_home")).content.decode()
    assert "Refund for my order" in home and "◻️" in home
    page = client.get(reverse("quality_review", args=[conversation.pk])).content.decode()
    assert f"Answer from {agent.username}" in page and "Solution" in page and "Privacy" in page
    response = client.post(reverse("quality_review", args=[conversation.pk]),
                           form(card, "Clear and kind", **R1))
    review = Review.objects.get()
    assert response.status_code == 302
    assert review.score == pytest.approx(77.083, abs=0.001) and review.comment == "Clear and kind"
    assert "✅" in client.get(reverse("quality_home")).content.decode()


def test_incomplete_scorecard_says_what_is_missing_and_keeps_the_input(client, card):
    conversation = answered(make_user())
    login(client, make_user())
    data = form(card, "My long careful comment", **{**R1, "Tone": None})
    data.pop(f"rating-{card.categories.get(name='Privacy').pk}")
    response = client.post(reverse("quality_review", args=[conversation.pk]), data)
    page = response.content.decode()
    assert response.status_code == 200 and not Review.objects.exists()
    assert "Tone" in page and "My long careful comment" in page
    assert 'value="3" checked' in page  # Solution's pick survives


def test_reviewed_person_sees_the_review_and_can_dispute(client, card):
    agent, reviewer = make_user(), make_user()
    review = services.submit_review(reviewer, answered(agent), card,
                                    values(card, **R3), comment="Missed the refund policy")
    login(client, agent)
    page = client.get(reverse("quality_received")).content.decode()
    assert "Missed the refund policy" in page and "41.67" in page
    detail = client.get(reverse("quality_review_detail", args=[review.pk])).content.decode()
    assert reverse("quality_dispute_open", args=[review.pk]) in detail
    client.post(reverse("quality_dispute_open", args=[review.pk]), {"reason": "Policy changed"})
    dispute = review.disputes.get()
    assert dispute.reason == "Policy changed"
    # the reviewer answers from the review page, correcting Grammar
    login(client, reviewer)
    detail = client.get(reverse("quality_review_detail", args=[review.pk])).content.decode()
    assert reverse("quality_dispute_resolve", args=[dispute.pk]) in detail
    data = {"outcome": "accept", "answer": "Fair", "correct": "1",
            **form(card, **{**R3, "Grammar": 2})}
    client.post(reverse("quality_dispute_resolve", args=[dispute.pk]), data)
    dispute.refresh_from_db()
    review.refresh_from_db()
    assert dispute.status == DisputeStatus.ACCEPTED
    assert review.score == pytest.approx(54.167, abs=0.001)  # (1,333.3+1,000+1,000+1,000) ÷ 80


def test_a_teammate_does_not_see_a_colleagues_review_but_a_lead_does(client, card):
    review = services.submit_review(make_user(), answered(make_user()), card,
                                    values(card, **R1))
    login(client, make_user(Role.TEAMMATE))
    assert client.get(reverse("quality_review_detail", args=[review.pk])).status_code == 404
    assert client.post(reverse("quality_dispute_open", args=[review.pk]),
                       {"reason": "x"}).status_code == 404
    login(client, make_user(Role.LEAD))
    assert client.get(reverse("quality_review_detail", args=[review.pk])).status_code == 200


def test_iqs_page_shows_organisation_and_teams_never_people(client, card):
    team = make_team("Billing crew", is_support=True)
    agent = make_user(first_name="Zelda", last_name="Unique")
    agent.teams.add(team)
    services.submit_review(make_user(), answered(agent), card, values(card, **R1))
    services.submit_review(make_user(), answered(agent), card, values(card, **R3))
    login(client, make_user(Role.TEAMMATE))
    assert client.get(reverse("quality_iqs")).status_code == 403
    login(client, make_user(Role.LEAD))
    page = client.get(reverse("quality_iqs")).content.decode()
    assert "Billing crew" in page and "59.38" in page  # (77.083 + 41.667) ÷ 2
    assert "Zelda" not in page and "Unique" not in page


def test_calibration_is_blind_until_revealed(client, card):
    lead, ann, ben = make_user(Role.LEAD), make_user(), make_user()
    conversation = answered(make_user())
    login(client, lead)
    client.post(reverse("quality_calibration_start"), {
        "title": "Tone check", "conversation": str(conversation.pk),
        "scorecard": str(card.pk), "reviewers": f"{ann.username} {ben.username}"})
    session = ann.calibrations.get()
    url = reverse("quality_calibration", args=[session.pk])
    login(client, ann)
    client.post(url, form(card, "Ann thinks it is fine", **R1))
    login(client, ben)
    client.post(url, form(card, "Ben finds it curt", **R3))
    page = client.get(url).content.decode()
    assert "Ben finds it curt" in page and "Ann thinks it is fine" not in page
    assert client.get(reverse("quality_calibration", args=[session.pk])).status_code == 200
    assert client.post(reverse("quality_calibration_reveal", args=[session.pk])).status_code \
        == 403
    login(client, lead)
    client.post(reverse("quality_calibration_reveal", args=[session.pk]))
    login(client, ben)
    page = client.get(url).content.decode()
    assert "Ben finds it curt" in page and "Ann thinks it is fine" in page
    outsider = make_user()
    login(client, outsider)
    assert client.get(url).status_code == 404


def test_best_answers_library_filters_by_language_topic_and_words(client, card):
    from comptoir.conversations import services as conversations

    reviewer, agent = make_user(), make_user()
    de = answered(agent, subject="Rechnung falsch")
    de.language = "de"
    de.save(update_fields=["language"])
    conversations.add_tags(de, None, ["billing"])
    ja = answered(agent, subject="ログインできない")
    ja.language = "ja"
    ja.save(update_fields=["language"])
    for conversation in (de, ja):
        services.submit_review(reviewer, conversation, card,
                               values(card, **{**R1, "Solution": 4, "Tone": 5}),
                               comment="Model answer")
    login(client, make_user(Role.TEAMMATE))
    url = reverse("quality_best_answers")
    page = client.get(url).content.decode()
    assert "Rechnung falsch" in page and "ログインできない" in page and "Model answer" in page
    page = client.get(url, {"language": "ja"}).content.decode()
    assert "ログインできない" in page and "Rechnung falsch" not in page
    page = client.get(url, {"tag": "billing"}).content.decode()
    assert "Rechnung falsch" in page and "ログインできない" not in page
    page = client.get(url, {"q": "rechnung"}).content.decode()
    assert "Rechnung falsch" in page and "ログインできない" not in page


def test_onboarding_track_lists_best_answers_in_the_new_hires_languages(client, card):
    agent = make_user()
    fr = answered(agent, subject="Facture en double")
    fr.language = "fr"
    fr.save(update_fields=["language"])
    en = answered(agent, subject="Double invoice")
    en.language = "en"
    en.save(update_fields=["language"])
    for conversation in (fr, en):
        services.submit_review(make_user(), conversation, card,
                               values(card, **{**R1, "Solution": 4, "Tone": 5}))
    newcomer = make_user(spoken_languages=["fr"])
    login(client, newcomer)
    page = client.get(reverse("quality_onboarding")).content.decode()
    assert "Day 1 of 14" in page and "Facture en double" in page and "Double invoice" not in page
    newcomer.date_joined = timezone.now() - timedelta(days=30)
    newcomer.save(update_fields=["date_joined"])
    page = client.get(reverse("quality_onboarding")).content.decode()
    assert "Day 1 of 14" not in page and "are over" in page


def test_scorecard_editor(client, db):
    admin = make_user(Role.ADMIN)
    login(client, admin)
    client.post(reverse("quality_scorecard_create"), {"name": "Chat"})
    card = services.Scorecard.objects.get(name="Chat")
    add = reverse("quality_category_add", args=[card.pk])
    client.post(add, {"name": "Empathy", "scale": "5", "weight": "30", "allow_na": "1"})
    client.post(add, {"name": "Security", "scale": "2", "weight": "10", "critical": "1"})
    response = client.post(add, {"name": "Broken", "scale": "7", "weight": "10"})
    assert response.status_code == 302
    categories = {c.name: c for c in card.categories.all()}
    assert set(categories) == {"Empathy", "Security"}
    assert categories["Security"].critical and not categories["Security"].allow_na
    assert categories["Empathy"].scale == Scale.FIVE
    page = client.get(reverse("quality_scorecard", args=[card.pk])).content.decode()
    assert "Empathy" in page and "Security" in page
    # once rated, a category keeps its scale and cannot be removed
    services.submit_review(admin, answered(make_user()), card,
                           {categories["Empathy"].pk: 5, categories["Security"].pk: 2})
    client.post(reverse("quality_category_edit", args=[categories["Empathy"].pk]),
                {"name": "Empathy", "scale": "3", "weight": "30"})
    client.post(reverse("quality_category_remove", args=[categories["Security"].pk]))
    categories["Empathy"].refresh_from_db()
    assert categories["Empathy"].scale == Scale.FIVE
    assert card.categories.filter(name="Security").exists()
