"""The weekly IQS chart, in a real browser: Chart.js draws the organisation's and each team's
lines on the lead's Reviews page, a reviewer's own line on theirs, and the figures are
there as a table for anyone without the chart."""

from datetime import UTC, datetime, timedelta

import pytest

from comptoir.accounts.models import Role
from comptoir.quality import services as quality
from comptoir.quality.models import Scale

from ..factories import make_team, make_user
from ..quality.conftest import answered
from .helpers import sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_weekly_iqs_chart_is_drawn_with_a_table_beside_it(
    live_server, browser_page, artifacts, time_machine,
):
    team = make_team("Support EMEA", is_support=True)
    lena = make_user(Role.LEAD, username="lena", first_name="Lena", last_name="Brooks")
    marcus = make_user(Role.ADVOCATE, username="marcus", first_name="Marcus", last_name="Reed")
    team.members.add(marcus)
    card = quality.create_scorecard("Support quality")
    tone = quality.add_category(card, "Tone", scale=Scale.FOUR, weight=10)
    now = datetime.now(UTC)
    time_machine.move_to(now - timedelta(weeks=2))
    quality.submit_review(lena, answered(marcus), card, {tone.pk: 4})
    time_machine.move_to(now)
    quality.submit_review(lena, answered(marcus), card, {tone.pk: 3})

    page = browser_page
    sign_in(page, live_server.url, "lena")
    page.goto(f"{live_server.url}/reviews/")
    page.wait_for_selector("body[data-charts-drawn=true]")
    assert page.locator("canvas[data-chart=iqs-weekly][data-drawn=true]").count() == 1
    # nobody reviewed Lena's own replies: a sentence, not an empty axis
    assert page.locator("canvas[data-chart=iqs-mine]").count() == 0
    assert "No scored review in these weeks yet" in page.inner_text("#iqs-mine")
    lines = page.evaluate("Chart.getChart(document.querySelector("
                          "'canvas[data-chart=iqs-weekly]')).data.datasets.map(d => d.label)")
    assert lines == ["Organisation", "Support EMEA"]
    page.click("#iqs-weekly summary")
    assert "66.67 %" in page.inner_text("table[data-table=iqs-weekly]")
    page.screenshot(path=str(artifacts / "quality-iqs-chart.png"), full_page=True)

    page.goto(f"{live_server.url}/reviews/iqs/")
    page.wait_for_selector("canvas[data-chart=iqs-weekly][data-drawn=true]")

    sign_out(page)
    sign_in(page, live_server.url, "marcus")  # the reviewed advocate: their own line only
    page.goto(f"{live_server.url}/reviews/received/")
    page.wait_for_selector("canvas[data-chart=iqs-mine][data-drawn=true]")
    assert page.locator("canvas[data-chart=iqs-weekly]").count() == 0
