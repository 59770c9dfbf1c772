"""Changing plans, in a real browser: a lead moves next week's support day by a day, a roster
change that cannot be made keeps what was chosen, the on-call page shows who answers "ask an
advocate" now and in the next 24 hours, and the day is cancelled with its reason."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from comptoir.accounts.models import Role
from comptoir.teamwork.models import OnCallChange, SupportDay, SupportDayChange

from ..factories import make_user
from .helpers import sign_in, works_all_week

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_lead_moves_then_cancels_a_support_day(live_server, browser_page, artifacts):
    make_user(Role.LEAD, username="lena", first_name="Lena", last_name="Brooks",
              time_zone="Europe/Paris", email="lena@staff.example")
    ada = make_user(Role.ADVOCATE, username="ada", first_name="Ada", last_name="Moreau",
                    time_zone="Europe/Paris", email="ada@staff.example")
    make_user(Role.ADVOCATE, username="kenji", first_name="Kenji", last_name="Watanabe",
              time_zone="Asia/Tokyo")
    works_all_week(ada)
    today = timezone.now().astimezone(ZoneInfo("Europe/Paris")).date()
    planned, moved = today + timedelta(days=7), today + timedelta(days=8)

    page = browser_page
    sign_in(page, live_server.url, "lena")
    page.goto(f"{live_server.url}/support-days/")
    page.fill("#id_title", "Advocacy Day")
    page.fill("#id_day", planned.isoformat())
    page.check("#id_whole_company")
    page.click("form[action$='/support-days/new/'] button[type=submit]")
    page.wait_for_selector("h1:text('Advocacy Day')")
    day = SupportDay.objects.get()

    # moved by a day: the form opens with the day as it is, the change lands in the history
    page.click("summary:text('Change the date, scope, teams or time window')")
    assert page.input_value("#id_edit-day") == planned.isoformat()
    page.fill("#id_edit-day", moved.isoformat())
    page.fill("#id_edit-title", "Advocacy Day, moved")
    page.click("#edit-day button[type=submit]")
    page.wait_for_selector(".flash:has-text('Support day changed.')")
    assert page.inner_text("h1") == "Advocacy Day, moved"
    assert page.locator("ol.day-history li").count() >= 1
    day.refresh_from_db()
    assert day.day == moved
    page.screenshot(path=str(artifacts / "support-day-moved.png"), full_page=True)

    # the roster refuses someone who is not an advocate, and keeps the hour that was chosen
    page.click("text=Advocates on call, hour by hour")
    page.wait_for_selector("table.roster")
    page.select_option("#oc-hour", index=5)
    chosen = page.input_value("#oc-hour")
    page.evaluate("""() => {  // an id that is no advocate's (a stale page, a crafted form)
        const select = document.querySelector('#oc-advocate');
        select.add(new Option('Gone', '999999'));
        select.value = '999999';
    }""")
    page.click("form[action$='/roster/change/'] button[type=submit]")
    page.wait_for_selector("text=Choose an advocate.")
    assert page.input_value("#oc-hour") == chosen
    assert not OnCallChange.objects.exists()
    page.select_option("#oc-advocate", label="Kenji Watanabe")
    page.click("form[action$='/roster/change/'] button[type=submit]")
    page.wait_for_selector(".flash:has-text('Roster changed.')")
    assert OnCallChange.objects.get().advocate.username == "kenji"

    # who answers "ask an advocate" now: Ada, who works every hour, among others
    page.click(".mainnav a:text('On call')")
    page.wait_for_url("**/on-call/")
    assert "Ada Moreau" in page.inner_text("ul.on-call-now")
    assert page.locator("table.roster tbody tr").count() == 24
    assert "Nobody is on call right now." not in page.inner_text("main")
    page.screenshot(path=str(artifacts / "on-call.png"), full_page=True)

    # cancelled, with a reason: told once to the participants, the roster freed
    page.goto(f"{live_server.url}/support-days/{day.pk}/")
    page.click("summary:text('Cancel this day')")
    page.fill("#id_cancel-reason", "The launch moved to that week.")
    page.click("#cancel-day button[type=submit]")
    page.wait_for_selector("[data-status=cancelled]")
    assert "The launch moved to that week." in page.inner_text("#cancelled")
    assert "A cancelled day cannot be changed." in page.inner_text("main")
    assert day.changes.filter(kind=SupportDayChange.Kind.CANCELLED).count() == 1
    assert "ada@staff.example" in {to for message in mail.outbox for to in message.to}
    page.screenshot(path=str(artifacts / "support-day-cancelled.png"), full_page=True)
