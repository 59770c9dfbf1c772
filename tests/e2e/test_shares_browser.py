"""An engineer's daily share, in a real browser: "Today's share" in the inbox, one share
answered by replying (the progress moves), then help asked from the advocate on call."""

from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from comptoir.accounts.models import Role
from comptoir.conversations import services as conversations
from comptoir.teamwork import services as shares
from comptoir.teamwork.models import HelpRequest

from ..factories import make_message, make_user
from .helpers import sign_in, works_all_week

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_an_engineer_answers_their_share_and_asks_an_advocate(live_server, browser_page,
                                                                artifacts):
    nina = make_user(Role.TEAMMATE, username="nina", first_name="Nina", last_name="Berg",
                     language="en", time_zone="Europe/Berlin", spoken_languages=["en"])
    lead = make_user(Role.LEAD, username="lena", first_name="Lena")
    questions = [
        make_message(sender_name="Marie Curie", subject="How do I add a second account?",
                     text="Hello, how can I add my shop's second Instagram account?"),
        make_message(sender_name="Bo Berg", subject="Where is the dark mode?",
                     text="Is there a dark mode in the app?"),
    ]
    for message in questions:  # a lead keeps the easy ones for everyone's share
        conversations.add_tags(message.conversation, lead, ["good-first-reply"])
    works_all_week(nina)
    today = timezone.now().astimezone(ZoneInfo(nina.time_zone)).date()
    assert shares.pick_shares(today, user_ids=[nina.pk]).offered == 2
    # the advocate comes on shift afterwards (else routing would have given them the two)
    ada = make_user(Role.ADVOCATE, username="ada", first_name="Ada", last_name="Moreau",
                    spoken_languages=["en", "fr"])
    works_all_week(ada)

    page = browser_page
    sign_in(page, live_server.url, "nina")
    panel = page.locator("section#todays-share")
    panel.wait_for()  # arrives by htmx
    assert "0 of 2 answered" in panel.inner_text()
    assert panel.locator("li.share").count() == 2
    assert panel.locator("li.share.done").count() == 0
    page.screenshot(path=str(artifacts / "share-inbox.png"), full_page=True)

    panel.locator("li.share a", has_text="dark mode").click()
    dark = questions[1].conversation
    page.wait_for_url(f"**/c/{dark.pk}/")
    page.fill(".composer textarea", "Hi Bo, yes: Settings → Appearance → Dark.")
    page.click(".composer button[type=submit]")
    page.wait_for_selector(".message.kind-reply:has-text('Appearance')")

    # stuck on the other one: ask the advocate on call from the conversation
    page.goto(f"{live_server.url}/c/{questions[0].conversation_id}/")
    ask = page.locator("section#ask-advocate")
    ask.wait_for()
    ask.locator("button[type=submit]").click()
    page.wait_for_selector("#ask-advocate .notice")
    assert "Ada Moreau, on call now, has been pinged." in ask.inner_text()
    assert "Nina Berg asked Ada Moreau" in page.inner_text("#ask-advocate .help-history")
    request = HelpRequest.objects.get()
    assert (request.asked_by, request.advocate) == (nina, ada)
    page.screenshot(path=str(artifacts / "share-ask-advocate.png"), full_page=True)

    page.click(".mainnav a:text('Inbox')")
    panel = page.locator("section#todays-share")
    panel.wait_for()
    assert "1 of 2 answered" in panel.inner_text()
    done = panel.locator("li.share.done")
    assert done.count() == 1 and "dark mode" in done.inner_text()
    assert "answered" in done.inner_text()
    page.screenshot(path=str(artifacts / "share-progress.png"), full_page=True)
