"""The bug list and a bug's customers come in keyset pages: every row once, in order, each
page costing the same (no OFFSET in the SQL)."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from comptoir.accounts.models import Role
from comptoir.bugs import queries, services
from comptoir.bugs.models import Bug, BugLink, BugStatus

from ..factories import make_conversation, make_user

pytestmark = pytest.mark.django_db


def walk(client, url, pattern):
    """Follow "Next page" links from ``url``; the ids matched on each page, page by page."""
    pages = []
    while url:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        assert not any("OFFSET" in q["sql"].upper() for q in captured.captured_queries)
        page = response.content.decode()
        pages.append([int(x) for x in re.findall(pattern, page)])
        found = re.search(r'href="(\?[^"]*cursor=[^"]+)" rel="next"', page)
        url = url.split("?")[0] + found.group(1).replace("&amp;", "&") if found else None
    return pages


def test_the_bug_list_pages_through_120_bugs_newest_first(client):
    lead = make_user(Role.LEAD)
    start = timezone.now() - timedelta(days=1)
    Bug.objects.bulk_create(
        # two bugs at each instant: the id breaks the tie and no bug is shown twice
        Bug(title=f"Bug {n}", created_at=start + timedelta(minutes=n // 2),
            status=BugStatus.FIXED if n % 3 == 0 else BugStatus.OPEN)
        for n in range(120))
    client.force_login(lead)
    expected = list(Bug.objects.order_by("-created_at", "-pk").values_list("pk", flat=True))
    pages = walk(client, reverse("bugs") + "?status=all", r'href="/bugs/(\d+)/"')
    assert [len(p) for p in pages] == [50, 50, 20]
    assert [pk for page in pages for pk in page] == expected
    fixed = walk(client, reverse("bugs") + "?status=fixed", r'href="/bugs/(\d+)/"')
    assert [len(p) for p in fixed] == [40]
    # a cursor edited by hand is the first page, not an error
    assert client.get(reverse("bugs") + "?status=all&cursor=garbage").status_code == 200


def test_the_bug_page_pages_through_120_customers_in_the_order_linked(client):
    lead = make_user(Role.LEAD)
    bug, _new = services.create_bug(lead, "Export fails")
    conversations = [make_conversation(sender_name=f"Customer {n}") for n in range(120)]
    now = timezone.now()
    BugLink.objects.bulk_create(
        BugLink(bug=bug, conversation=c, linked_at=now + timedelta(seconds=n // 3))
        for n, c in enumerate(conversations))
    client.force_login(lead)
    pages = walk(client, reverse("bug", args=[bug.pk]), r'<tr id="link-(\d+)"')
    assert [len(p) for p in pages] == [50, 50, 20]
    expected = list(BugLink.objects.order_by("linked_at", "pk").values_list("pk", flat=True))
    assert [pk for page in pages for pk in page] == expected
    page = client.get(reverse("bug", args=[bug.pk])).content.decode()
    assert "120 affected customers" in page
    assert "Mark fixed and tell 120 conversations" in page


def test_a_page_of_bugs_costs_the_same_number_of_queries_however_many_bugs(
    django_assert_num_queries,
):
    Bug.objects.bulk_create(Bug(title=f"Bug {n}") for n in range(120))
    with django_assert_num_queries(2):  # the page, then its counts
        page = queries.bug_list("all", "", None)
    with django_assert_num_queries(2):
        queries.bug_list("all", "", page.next_cursor)


@pytest.mark.parametrize("cursor", ["", "garbage", "!!!", "dDF8Mnwz", "eHx5fHo",
                                    "dHwyMDI2LTAxLTAxVDAwOjAwOjAwfDE"])  # the last: no zone
def test_a_cursor_that_does_not_decode_is_the_first_page(cursor):
    from comptoir import keyset

    assert keyset.decode(cursor) is None


def test_cursors_round_trip_datetimes_dates_and_numbers():
    from datetime import date

    from comptoir import keyset

    moment = timezone.now()
    assert keyset.decode(keyset.encode(moment, 7)) == (moment, 7)
    assert keyset.decode(keyset.encode(date(2027, 3, 1), 8)) == (date(2027, 3, 1), 8)
    assert keyset.decode(keyset.encode(42, 9)) == (42, 9)
