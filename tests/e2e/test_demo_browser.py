"""The demo on first start, in a real browser: the whole-team features already have
something to show — today's share, support days with their outcomes and learnings, customer
day records, a bug whose customers were all told of the fix, a week of peer reviews with a
calibration and the best answers."""

import pytest

from comptoir import demo
from comptoir.bugs.models import Bug
from comptoir.demo import teamwork as teamwork_demo
from comptoir.quality.models import Assignment, CalibrationSession
from comptoir.teamwork.models import Share, SupportDay

from .helpers import sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_demo_shows_the_whole_team_at_work(live_server, browser_page, artifacts, eager_tasks):
    demo.load(scale=0.02)
    page = browser_page
    base = live_server.url

    # an engineer's share, if today is one of their working days (it depends on the clock)
    share = (Share.objects.filter(dropped_at__isnull=True, user__teams__is_support=False)
             .select_related("user").order_by("user__username").first())
    if share is not None:
        mine = Share.objects.filter(user=share.user, day=share.day, dropped_at__isnull=True)
        sign_in(page, base, share.user.username, demo.PASSWORD)
        page.wait_for_selector("section#todays-share li.share")
        assert f"0 of {mine.count()} answered" in page.inner_text("section#todays-share")
        page.screenshot(path=str(artifacts / "demo-share.png"), full_page=True)
        sign_out(page)

    sign_in(page, base, "camille", demo.PASSWORD)  # lead of Support EMEA, French interface
    page.select_option("#ui-language", "en")
    page.wait_for_selector("html[lang=en]")
    page.click(".mainnav a:text('Support days')")
    page.wait_for_url("**/support-days/")
    assert teamwork_demo.NEXT_DAY in page.inner_text("main")
    page.click(f"a:text('{teamwork_demo.PAST_DAY}')")
    past = SupportDay.objects.get(title=teamwork_demo.PAST_DAY)
    page.wait_for_url(f"**/support-days/{past.pk}/")
    assert int(page.inner_text("td[data-figure=replies]")) > 0
    assert "reconnect" in page.inner_text(".learnings")
    assert page.locator("ul.ux-problems li strong").count() >= 1
    page.screenshot(path=str(artifacts / "demo-support-day.png"), full_page=True)

    page.click(".mainnav a:text('Customer days')")
    page.wait_for_url("**/customer-days/")
    page.click(".tabs a:text('Records')")
    page.wait_for_url("**/customer-days/records/")
    assert page.locator("article.pairing-record").count() == 3
    assert "Shopify" in page.inner_text("main")
    page.screenshot(path=str(artifacts / "demo-customer-day-records.png"), full_page=True)

    fixed = Bug.objects.get(status="fixed")
    page.click(".mainnav a:text('Bugs')")
    page.wait_for_url("**/bugs/")
    assert page.locator("table.bugs tbody tr").count() == 2  # two still open
    page.click(".tabs a:text('Fixed')")
    page.wait_for_url("**/bugs/?status=fixed")
    page.click(f"text={fixed.title}")
    page.wait_for_url(f"**/bugs/{fixed.pk}/")
    customers = page.locator(".bug-customers tbody tr")
    assert customers.count() == fixed.links.count()
    assert page.locator(".bug-customers td.follow-up:has-text('✔')").count() == customers.count()
    page.screenshot(path=str(artifacts / "demo-bug-fixed.png"), full_page=True)

    page.click(".mainnav a:text('Reviews')")
    page.wait_for_url("**/reviews/")
    page.wait_for_selector("h2:has-text('My conversations to review')")
    assigned = Assignment.objects.filter(reviewer__username="camille").count()
    assert page.locator("ul.quality-assignments li").count() == assigned
    page.click(".tabs a:text('Calibration')")
    page.wait_for_url("**/reviews/calibration/")
    revealed = CalibrationSession.objects.get(revealed_at__isnull=False)
    page.click(f"a[href$='/reviews/calibration/{revealed.pk}/']")
    page.wait_for_url(f"**/reviews/calibration/{revealed.pk}/")
    assert "Side by side" in page.inner_text("main")
    assert page.locator("main table.grid thead th").count() == 1 + 3  # three reviewers
    page.screenshot(path=str(artifacts / "demo-calibration.png"), full_page=True)
    page.click(".tabs a:text('Best answers')")
    page.wait_for_url("**/reviews/best-answers/")
    assert page.locator("article.quality-answer").count() >= 1
    page.click(".tabs a:text('Quality score')")
    page.wait_for_url("**/reviews/iqs/")
    assert "%" in page.inner_text("section.card tfoot")
    page.screenshot(path=str(artifacts / "demo-iqs.png"), full_page=True)
