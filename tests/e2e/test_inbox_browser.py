"""An advocate's morning, in a real browser: log in, answer, react, switch to Japanese."""

import pytest

from comptoir.accounts.models import Role
from comptoir.conversations.models import MessageKind, Reaction

from ..factories import make_message, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_advocate_replies_reacts_and_switches_to_japanese(live_server, browser_page, artifacts):
    advocate = make_user(Role.ADVOCATE, username="ada", first_name="Ada", language="en")
    message = make_message(sender_name="Marie Curie", subject="Export is broken",
                           text="The CSV export fails since this morning.")
    make_message(sender_name="Ken Sato", subject="請求書について",
                 text="請求書を再送してください。", language="ja")
    page = browser_page

    page.goto(f"{live_server.url}/inbox/")
    page.fill("#id_login", "ada")
    page.fill("#id_password", "pw-correct-horse")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/inbox/**")
    assert page.locator("#rows tr.row").count() == 2
    page.wait_for_selector("#count-open:text('2')")  # counts arrive by htmx

    page.keyboard.press("j")  # keyboard: select the first row (most recent) and open it
    page.keyboard.press("j")
    page.keyboard.press("o")
    page.wait_for_url(f"**/c/{message.conversation_id}/")
    assert "The CSV export fails" in page.inner_text(".messages")

    page.keyboard.press("r")  # r focuses the reply composer
    page.keyboard.type("Thanks Marie, we are on it.")
    page.click(".composer button[type=submit]")
    page.wait_for_selector(".message.kind-reply:has-text('Thanks Marie, we are on it.')")
    assert message.conversation.messages.filter(kind=MessageKind.REPLY).count() == 1

    page.click(f"#m{message.pk} .add-reaction summary")
    page.click(f"#m{message.pk} .reaction-pick[aria-label='🎉']")
    page.wait_for_selector(f"#reactions-{message.pk} .reaction.mine:has-text('🎉')")
    assert Reaction.objects.filter(message=message, user=advocate, emoji="🎉").exists()

    page.goto(f"{live_server.url}/inbox/")
    page.select_option("#ui-language", "ja")
    page.wait_for_selector("html[lang=ja]")
    assert "受信箱" in page.inner_text(".mainnav")
    page.wait_for_selector("#count-open:text('2')")
    page.screenshot(path=str(artifacts / "inbox-ja.png"), full_page=True)
    advocate.refresh_from_db()
    assert advocate.language == "ja"
