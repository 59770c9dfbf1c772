"""A customer engineering day, in a real browser: an engineer proposes dates, reads why the
first one is refused, is paired on the second, opens the pairing workspace; then writes the
required record of their last day (a missing learning is refused, what was typed stays)."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from comptoir.accounts.models import Role
from comptoir.conversations import services as conversations
from comptoir.pairing.models import Pairing, PairingRecord
from comptoir.routing.models import Leave

from ..factories import make_message, make_team, make_user
from .helpers import sign_in, works_all_week

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_an_engineer_proposes_pairs_and_writes_the_record(live_server, browser_page,
                                                          artifacts, eager_tasks):
    today = timezone.localdate()
    first, second = today + timedelta(days=7), today + timedelta(days=8)
    billing = make_message(sender_name="Marie Curie", subject="Invoice shows the wrong VAT",
                           text="My invoice has 19% VAT instead of 20%.")
    support = make_team("Support EMEA", is_support=True, time_zone="Europe/Paris")
    engineering = make_team("Engineering", time_zone="Europe/Berlin")
    teo = make_user(Role.TEAMMATE, username="teo", first_name="Teo", last_name="Marchetti",
                    time_zone="Europe/Berlin", spoken_languages=["en", "es"])
    ada = make_user(Role.ADVOCATE, username="ada", first_name="Ada", last_name="Moreau",
                    time_zone="Europe/Paris", spoken_languages=["en", "fr"])
    hugo = make_user(Role.ADVOCATE, username="hugo", first_name="Hugo", last_name="Lefèvre",
                     time_zone="Europe/Paris", spoken_languages=["fr", "en"])
    teo.teams.add(engineering)
    support.members.add(ada, hugo)
    works_all_week(teo, ada, hugo)
    Leave.objects.create(user=ada, starts_on=first, ends_on=first, note="Dentist")
    conversations.add_tags(billing.conversation, ada, ["billing"])
    # the day before: Teo's last customer day, whose record is still to write
    start = datetime.combine(today - timedelta(days=1), time(8), tzinfo=UTC)
    held = Pairing.objects.create(engineer=teo, advocate=hugo, day=today - timedelta(days=1),
                                  starts_at=start, ends_at=start + timedelta(hours=8),
                                  tag="billing", engineering_team=engineering)

    page = browser_page
    sign_in(page, live_server.url, "teo")
    page.click(".mainnav a:text('Customer days')")
    page.wait_for_url("**/customer-days/")
    assert "Customer day record missing" in page.inner_text(".pairing-reminder")

    page.click("a.button:text('Propose dates')")
    page.fill("#id_first", first.isoformat())
    page.fill("#id_second", second.isoformat())
    page.fill("#id_tag", "billing")
    # only the first date: Ada is away and Hugo alone would leave the team uncovered
    page.fill("#id_second", "")
    page.click("form button.primary")
    page.wait_for_selector("[role=alert]:has-text('No advocate can pair on these dates')")
    refusal = page.inner_text("[role=alert]")
    assert "Ada Moreau: on leave" in refusal
    assert "Hugo Lefèvre: Support EMEA team would have 0 advocates" in refusal
    assert page.input_value("#id_first") == first.isoformat()  # the form keeps its input
    assert page.input_value("#id_tag") == "billing"
    page.screenshot(path=str(artifacts / "customer-day-refused.png"), full_page=True)

    page.fill("#id_second", second.isoformat())
    page.click("form button.primary")
    page.wait_for_selector("h1:has-text('Customer day,')")
    pairing = Pairing.objects.exclude(pk=held.pk).get()
    assert pairing.day == second and pairing.engineer == teo
    assert "A calendar invitation is on its way to you both." in page.inner_text(".flash")
    partner = pairing.advocate.display_name
    assert f"Teo Marchetti pairs with {partner}." in page.inner_text("main")
    assert "Write the record" not in page.inner_text("main")  # not before the day
    page.screenshot(path=str(artifacts / "customer-day-booked.png"), full_page=True)

    page.click("text=Open the workspace")
    page.wait_for_selector("h1:text('Customer day workspace')")
    assert page.locator("table.grid tbody tr").count() == 1
    assert "Invoice shows the wrong VAT" in page.inner_text("table.grid")
    page.screenshot(path=str(artifacts / "customer-day-workspace.png"), full_page=True)

    page.goto(f"{live_server.url}/customer-days/")
    page.click(".pairing-reminder a")
    page.wait_for_url(f"**/customer-days/{held.pk}/record/")
    page.fill("#id_bugs_found", "VAT rate is wrong for Germany after the move.")
    page.fill("#id_ux_issues", "The invoice page hides the VAT number.")
    page.click("form button.primary")  # the learnings are required: nothing is sent
    page.wait_for_selector("#id_learnings:invalid")
    assert page.input_value("#id_bugs_found") == "VAT rate is wrong for Germany after the move."
    assert not PairingRecord.objects.exists()
    page.fill("#id_learnings", "Customers read the invoice before the app: fix VAT first.")
    page.click("form button.primary")
    page.wait_for_selector(".pairing-record")
    assert "Thank you: the record is saved for your team." in page.inner_text(".flash")
    record = page.inner_text(".pairing-record")
    assert "fix VAT first" in record and "hides the VAT number" in record
    assert PairingRecord.objects.get().pairing == held
    page.screenshot(path=str(artifacts / "customer-day-record.png"), full_page=True)
