"""An engineer doing support, in a real browser: links a conversation to a new bug from the
Bugs panel, finds it again from another conversation, marks it fixed on the bug's page, and
both customers have their follow-up."""

import pytest

from comptoir.accounts.models import Role
from comptoir.bugs.models import Bug, BugLink
from comptoir.conversations.models import MessageKind

from ..factories import make_message, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_link_find_and_fix_a_bug_in_the_browser(live_server, browser_page, artifacts,
                                                eager_tasks, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    make_user(Role.TEAMMATE, username="eng", first_name="Eli", language="en")
    first = make_message(sender_name="Marie Curie", subject="Export cassé", language="fr",
                         text="L'export CSV échoue.").conversation
    second = make_message(sender_name="Bo Berg", subject="Export broken",
                          text="CSV export fails.").conversation
    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_login", "eng")
    page.fill("#id_password", "pw-correct-horse")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/inbox/**")

    page.goto(f"{live_server.url}/c/{first.pk}/")
    page.wait_for_selector("#bugs h2")  # the panel arrives by htmx
    page.click("#bugs summary")
    page.fill("#bug-new-title", "CSV export returns 500")
    page.fill("#bug-new-tracker_url", "https://github.com/acme/app/issues/4821")
    page.click("#bugs .new-bug button[type=submit]")
    page.wait_for_selector("#bugs .bug-link:has-text('CSV export returns 500')")
    assert "acme/app#4821" in page.inner_text("#bugs")
    assert "Linked to a bug" in page.inner_text("#bugs .bug-history")

    page.goto(f"{live_server.url}/c/{second.pk}/")
    page.wait_for_selector("#bugs h2")
    page.fill(f"#bug-search-{second.pk}", "4821")
    page.wait_for_selector("#bugs .bug-results button")
    page.click("#bugs .bug-results button")
    page.wait_for_selector("#bugs .bug-link:has-text('CSV export returns 500')")
    assert BugLink.objects.count() == 2

    bug = Bug.objects.get()
    page.goto(f"{live_server.url}/bugs/")
    page.click("text=CSV export returns 500")
    page.wait_for_url(f"**/bugs/{bug.pk}/")
    assert page.locator(".bug-customers tbody tr").count() == 2
    page.fill("#id_note", "Exports work again since version 2.4.")
    page.screenshot(path=str(artifacts / "bug-page.png"), full_page=True)
    page.click(".mark-fixed button[type=submit]")
    page.wait_for_selector(".flash")
    assert page.locator(".bug-customers td.follow-up:has-text('✔')").count() == 2
    for conversation in (first, second):
        [reply] = conversation.messages.filter(kind=MessageKind.REPLY)
        assert "Exports work again since version 2.4." in reply.body_text

    page.goto(f"{live_server.url}/c/{first.pk}/")
    page.wait_for_selector("#bugs .bug-history:has-text('Customer told the bug is fixed')")
    page.screenshot(path=str(artifacts / "bug-panel.png"), full_page=True)
