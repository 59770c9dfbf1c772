"""The live inbox in a real browser, on two ASGI processes sharing Channels on Redis: what
another agent changes through one process shows on the page served by the other, without
a reload."""

import json
import urllib.request

import pytest
from django.conf import settings
from django.test import Client

from comptoir.accounts.models import ApiToken, Role

from ..e2e.conftest import browser_page  # noqa: F401 - the fixture
from ..factories import make_conversation, make_user
from .conftest import REDIS_URL, free_port, require, wait_for
from .test_channels_redis import answers

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.postgres]


def patch(port: int, key: str, conversation_id: int, **changes) -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/conversations/{conversation_id}",
        data=json.dumps(changes).encode(), method="PATCH",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def test_inbox_rows_counts_and_the_conversation_page_follow_changes(cluster_factory,
                                                                     browser_page):  # noqa: F811
    require(REDIS_URL)
    agent = make_user(Role.ADVOCATE, first_name="Ada")
    teammate = make_user(Role.ADVOCATE, first_name="Teo")
    export = make_conversation(subject="Export is broken")
    invoice = make_conversation(subject="Invoice copy")
    _token, key = ApiToken.issue(teammate, "test")
    client = Client()
    client.force_login(agent)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value

    cluster = cluster_factory(COMPTOIR_REDIS_URL=REDIS_URL)
    one, two = free_port(), free_port()
    cluster.web("web-1", one)
    cluster.web("web-2", two)
    wait_for(lambda: answers(one) and answers(two), 60, "both ASGI processes", cluster)

    page = browser_page
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session,
                               "url": f"http://127.0.0.1:{two}"}])
    page.goto(f"http://127.0.0.1:{two}/inbox/?view=open")
    page.wait_for_selector("html[data-live=connected]")
    page.wait_for_selector("#count-open:text('2')")
    row = page.locator("#rows tr.row", has_text="Export is broken")
    assert row.locator(".priority").count() == 0

    patch(one, key, export.pk, priority=4)  # through the other process
    row.locator(".priority-4").wait_for()
    patch(one, key, invoice.pk, status="solved")
    page.locator("#rows tr.row", has_text="Invoice copy").wait_for(state="detached")
    page.wait_for_selector("#count-open:text('1')")

    page.goto(f"http://127.0.0.1:{two}/c/{export.pk}/")
    page.wait_for_selector("html[data-live=connected]")
    assert page.locator("#live-bar").count() == 0
    patch(one, key, export.pk, assignee_id=teammate.pk)
    page.locator("#live-bar", has_text="new activity").wait_for()
    with page.expect_navigation():
        page.locator("#live-bar button").click()
    page.wait_for_selector("html[data-live=connected]")
    assert page.locator("#live-bar").count() == 0
