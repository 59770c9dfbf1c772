"""A support day, in a real browser: a lead schedules one for today, sees the roster of
advocates on call and puts one more on call, the guidance a first-timer reads, then a new
hire's first ever reply is celebrated on the day's page."""

from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from comptoir.accounts.models import Role
from comptoir.conversations import services as conversations
from comptoir.conversations.models import Macro
from comptoir.teamwork import support_days
from comptoir.teamwork.models import OnCallChange, SupportDay

from ..factories import make_message, make_user
from .helpers import sign_in, works_all_week

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_lead_runs_a_support_day(live_server, browser_page, artifacts):
    question = make_message(sender_name="Marie Curie", subject="Can I pause my plan?",
                            text="I am away in August: can I pause my plan?")
    lena = make_user(Role.LEAD, username="lena", first_name="Lena", last_name="Brooks",
                     time_zone="Europe/Paris")
    ada = make_user(Role.ADVOCATE, username="ada", first_name="Ada", last_name="Moreau",
                    time_zone="Europe/Paris")
    make_user(Role.ADVOCATE, username="kenji", first_name="Kenji", last_name="Watanabe",
              time_zone="Asia/Tokyo")
    nina = make_user(Role.TEAMMATE, username="nina", first_name="Nina", last_name="Berg",
                     time_zone="Europe/Paris")
    works_all_week(ada, nina)
    support_days.set_tone_note(lena, "en", "Friendly and direct; say what happens next.")
    Macro.objects.create(name="Pausing a plan", language="en", created_by=lena,
                         body="Hi {{ customer.first_name }}, you can pause it in Billing.")
    today = timezone.now().astimezone(ZoneInfo("Europe/Paris")).date()

    page = browser_page
    sign_in(page, live_server.url, "lena")
    page.click(".mainnav a:text('Support days')")
    page.wait_for_url("**/support-days/")
    assert "No support day scheduled." in page.inner_text("main")
    page.fill("#id_title", "")  # a missing title is refused and the rest is kept
    page.fill("#id_day", today.isoformat())
    page.check("#id_whole_company")
    page.fill("#id_notes", "Start with your share; ask the advocate on call.")
    page.click("form[action$='/support-days/new/'] button[type=submit]")
    page.wait_for_selector("#id_title:invalid, .errorlist")
    page.fill("#id_title", "Advocacy Day")
    page.click("form[action$='/support-days/new/'] button[type=submit]")
    page.wait_for_selector("h1:text('Advocacy Day')")
    day = SupportDay.objects.get()
    assert day.whole_company and day.day == today
    assert "Support day scheduled." in page.inner_text(".flash")
    assert "Start with your share" in page.inner_text("main")
    assert "4 participants" in page.inner_text("main")  # engineers too, not only support
    assert "Nina Berg" in page.inner_text("main")
    page.screenshot(path=str(artifacts / "support-day-scheduled.png"), full_page=True)

    page.click("text=Advocates on call, hour by hour")
    page.wait_for_selector("table.roster")
    assert "Ada Moreau" in page.inner_text("table.roster")
    # Kenji works Tokyo hours: put him on call for the first hour of the Paris day
    first_hour = page.locator("table.roster tbody tr").first
    assert "Kenji" not in first_hour.inner_text()
    page.select_option("#oc-hour", index=0)
    page.select_option("#oc-advocate", label="Kenji Watanabe")
    page.select_option("select[name=on_call]", "1")
    page.click("form[action$='/roster/change/'] button[type=submit]")
    page.wait_for_selector(".flash:has-text('Roster changed.')")
    first_hour = page.locator("table.roster tbody tr").first
    assert "Kenji Watanabe" in first_hour.inner_text()
    assert "added" in first_hour.inner_text()
    assert OnCallChange.objects.filter(advocate__username="kenji", on_call=True).count() == 1
    page.screenshot(path=str(artifacts / "support-day-roster.png"), full_page=True)

    page.goto(f"{live_server.url}/support-days/guidance/")
    assert "Friendly and direct" in page.inner_text("#tone-notes ~ article[lang=en]")
    assert "No tone notes for this language yet." in page.inner_text("article[lang=ja]")
    assert "Pausing a plan" in page.inner_text("main")
    page.screenshot(path=str(artifacts / "support-day-guidance.png"), full_page=True)

    # Nina, who joined this week, answers her first customer; the hourly job finds it
    conversations.reply(question.conversation, nina, "Hi Marie, yes: Billing → Pause.")
    assert [f.user for f in support_days.celebrate_first_replies()] == [nina]
    page.goto(f"{live_server.url}/support-days/{day.pk}/")
    assert ("🎉 Nina Berg answered a customer for the first time"
            in page.inner_text("ul.first-replies"))
    assert page.inner_text("td[data-figure=replies]") == "1"
    assert page.inner_text("td[data-figure=customers]") == "1"
    page.screenshot(path=str(artifacts / "support-day-first-reply.png"), full_page=True)
