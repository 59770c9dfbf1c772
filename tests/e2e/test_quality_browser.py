"""Peer review, in a real browser: an advocate does an assigned review on the scorecard
(a missing rating is refused and what was chosen stays), rates a calibration conversation
blind then sees it side by side, the reviewed colleague disputes the review, and the lead
reads the quality score — also in Japanese."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from comptoir.accounts.models import Role
from comptoir.conversations import services as conversations
from comptoir.quality import services as quality
from comptoir.quality.models import Dispute, Review, Scale

from ..factories import make_message, make_team, make_user
from .helpers import sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def answer(agent, subject):
    conversation = make_message(sender_name="Marie Curie", subject=subject,
                                text=f"{subject}: please help.").conversation
    conversations.reply(conversation, agent, f"Done: {subject.lower()}.")
    return conversation


def rate(page, category, value) -> None:
    page.check(f"input[name=rating-{category.pk}][value='{value}']")


def test_review_calibrate_dispute_and_read_the_score(live_server, browser_page, artifacts):
    team = make_team("Support EMEA", is_support=True, time_zone="Europe/Paris")
    lena = make_user(Role.LEAD, username="lena", first_name="Lena", last_name="Brooks")
    ada = make_user(Role.ADVOCATE, username="ada", first_name="Ada", last_name="Moreau")
    hugo = make_user(Role.ADVOCATE, username="hugo", first_name="Hugo", last_name="Lefèvre")
    marcus = make_user(Role.ADVOCATE, username="marcus", first_name="Marcus",
                       last_name="Reed")
    team.members.add(lena, ada, hugo, marcus)
    scorecard = quality.create_scorecard("Support quality")
    solution = quality.add_category(scorecard, "Solution", scale=Scale.FIVE, weight=50,
                                    critical=True)
    tone = quality.add_category(scorecard, "Tone", scale=Scale.FOUR, weight=30)
    grammar = quality.add_category(scorecard, "Grammar", scale=Scale.BINARY, weight=20)
    this_week = quality.week_start(timezone.now().date())
    answered = []  # last week, Marcus answered two customers
    with time_machine.travel(datetime.combine(this_week - timedelta(days=5),
                                              datetime.min.time(), tzinfo=UTC)
                             + timedelta(hours=10)):
        for subject in ("Refund for a double charge", "Posts stuck in the queue"):
            answered.append(answer(marcus, subject))
    calibrated = answer(marcus, "Change the invoice address")  # this week: not assigned
    run = quality.build_assignments(this_week, reviewers=[ada])
    assert run.created == 2
    session = quality.start_calibration(lena, calibrated, scorecard, [ada, hugo],
                                        title="Calibration: invoice address")
    quality.submit_review(hugo, calibrated, scorecard,
                          {solution.pk: 3, tone.pk: 4, grammar.pk: 2}, calibration=session)

    page = browser_page
    sign_in(page, live_server.url, "ada")
    page.click(".mainnav a:text('Reviews')")
    page.wait_for_url("**/reviews/")
    assignments = page.locator("ul.quality-assignments li")
    assert assignments.count() == 2
    assert "answered by Marcus Reed" in assignments.first.inner_text()
    assert "reviewed" not in page.inner_text("ul.quality-assignments")

    assignments.filter(has_text="Refund for a double charge").locator("a").click()
    page.wait_for_selector("h2:text('Support quality')")
    assert "Done: refund for a double charge." in page.inner_text("main")
    rate(page, solution, 2)
    rate(page, tone, 3)  # Grammar forgotten
    page.fill("textarea[name=comment]", "Right refund, but the amount came only later.")
    page.click("form.quality-form button.primary")
    page.wait_for_selector("p.error[role=alert]")
    assert page.is_checked(f"input[name=rating-{solution.pk}][value='2']")
    assert page.input_value("textarea[name=comment]").startswith("Right refund")
    rate(page, grammar, 2)
    page.click("form.quality-form button.primary")
    page.wait_for_selector("p.quality-score")
    review = Review.objects.get(reviewer=ada, calibration=None)
    assert f"{review.score:.2f}".rstrip("0").rstrip(".") in page.inner_text("p.quality-score")
    assert "Reviewed: Marcus Reed." in page.inner_text("main")
    # the score is 0 and says why: the critical category failed
    failed = page.locator("tr:has-text('Solution') .critical-failed")
    assert failed.inner_text() == "below 50 %: the review scores 0"
    assert page.locator(".critical-failed").count() == 1
    page.screenshot(path=str(artifacts / "quality-review.png"), full_page=True)
    page.click(".tabs a:text('This week')")
    page.wait_for_selector("ul.quality-assignments li:has-text('reviewed')")
    assert page.locator("ul.quality-assignments li:has-text('reviewed')").count() == 1

    # calibration: Ada rates blind, sees only her own until the lead reveals
    page.click(f"a:text('{session.title}')")
    page.wait_for_selector("h1:text('Calibration: invoice address')")
    assert "1 of 2 reviewers have rated." in page.inner_text("main")
    rate(page, solution, 5)
    rate(page, tone, 4)
    rate(page, grammar, 2)
    page.click("form.quality-form button.primary")
    page.wait_for_selector("text=2 of 2 reviewers have rated.")
    assert "Hugo" not in page.inner_text("main table.grid thead")  # blind
    quality.reveal(session)
    page.reload()
    header = page.inner_text("main table.grid thead")
    assert "Ada Moreau" in header and "Hugo Lefèvre" in header
    assert "Side by side" in page.inner_text("main")
    page.screenshot(path=str(artifacts / "quality-calibration.png"), full_page=True)

    # Marcus reads the review of his answer and disputes it
    sign_out(page)
    sign_in(page, live_server.url, "marcus")
    page.goto(f"{live_server.url}/reviews/received/")
    page.click(f"a[href$='/reviews/{review.pk}/']")
    page.fill("textarea[name=reason]", "The amount was in the first reply, see the PS.")
    page.click("button:text('Dispute')")
    page.wait_for_selector("article.quality-answer")
    assert "see the PS" in page.inner_text("article.quality-answer")
    assert Dispute.objects.get().opened_by == marcus
    page.screenshot(path=str(artifacts / "quality-dispute.png"), full_page=True)

    # the lead reads the quality score: one review counted, calibration left out
    sign_out(page)
    sign_in(page, live_server.url, "lena")
    page.goto(f"{live_server.url}/reviews/iqs/")
    page.wait_for_selector("h1:text('Internal quality score')")
    footer = page.locator("section.card").first.locator("tfoot")
    assert f"{review.score:.2f} %" in footer.inner_text()
    page.screenshot(path=str(artifacts / "quality-iqs.png"), full_page=True)
    page.select_option("#ui-language", "ja")
    page.wait_for_selector("html[lang=ja]")
    assert "受信箱" in page.inner_text(".mainnav")
    assert f"{review.score:.2f} %" in page.locator("section.card").first.inner_text()
    page.screenshot(path=str(artifacts / "quality-iqs-ja.png"), full_page=True)
