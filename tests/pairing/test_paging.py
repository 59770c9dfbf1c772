"""My customer days and the records come in keyset pages: every day once, latest first,
no OFFSET, whatever the number of days."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from comptoir.accounts.models import Role
from comptoir.pairing.models import Pairing, PairingRecord, PairingStatus

from .conftest import MONDAY, NOW, engineer, person


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def walk(client, url, pattern):
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


def many_days(eli, count=120):
    """``count`` past days (two a day, with two advocates), a cancelled one among them,
    and three upcoming."""
    ana = person(Role.ADVOCATE, "Ana", "Europe/Berlin")
    ben = person(Role.ADVOCATE, "Ben", "Europe/Berlin")
    rows = []
    for n in range(count):
        day = MONDAY - timedelta(days=1 + n // 2)
        start = datetime.combine(day, datetime.min.time(), tzinfo=UTC).replace(hour=8)
        rows.append(Pairing(engineer=eli, advocate=(ana, ben)[n % 2], day=day,
                            starts_at=start, ends_at=start + timedelta(hours=8), tag="api",
                            status=PairingStatus.CANCELLED if n == 7 else
                            PairingStatus.SCHEDULED))
    for n in range(3):
        day = MONDAY + timedelta(days=2 + n)
        start = datetime.combine(day, datetime.min.time(), tzinfo=UTC).replace(hour=8)
        rows.append(Pairing(engineer=eli, advocate=ana, day=day, starts_at=start,
                            ends_at=start + timedelta(hours=8), tag="api"))
    return Pairing.objects.bulk_create(rows)


def test_my_past_days_page_through_120_days_latest_first():
    eli = engineer("Eli")
    many_days(eli)
    pages = walk(client_for(eli), reverse("pairing_home"),
                 r'<li><a href="/customer-days/(\d+)/"')
    upcoming = [p.pk for p in Pairing.objects.filter(day__gte=MONDAY).order_by("day", "pk")]
    # the first page: the three coming days, then 25 past ones
    assert pages[0][:3] == upcoming
    past = [pk for page in pages for pk in page if pk not in upcoming]
    assert [len(p) for p in pages] == [28, 25, 25, 25, 20]
    assert past == list(Pairing.objects.filter(day__lt=MONDAY).order_by("-day", "-pk")
                        .values_list("pk", flat=True))
    # the advocate sees the same days from their side
    ana = Pairing.objects.filter(day__gte=MONDAY).first().advocate  # 60 past, 3 to come
    assert sum(len(p) for p in walk(client_for(ana), reverse("pairing_home"),
                                    r'<li><a href="/customer-days/(\d+)/"')) == 63


def test_records_page_through_120_records_and_search_keeps_its_pages():
    eli = engineer("Eli")
    days = [p for p in many_days(eli) if p.day < MONDAY]
    PairingRecord.objects.bulk_create(
        PairingRecord(pairing=p, written_by=eli, written_at=NOW - timedelta(hours=n // 2),
                      learnings=("Webhooks confuse people" if n % 4 == 0 else "Exports slow"))
        for n, p in enumerate(days))
    client = client_for(engineer("Fay"))
    pages = walk(client, reverse("pairing_records"), r'id="record-(\d+)"')
    assert [len(p) for p in pages] == [25, 25, 25, 25, 20]
    assert [pk for page in pages for pk in page] == list(
        PairingRecord.objects.order_by("-written_at", "-pk").values_list("pk", flat=True))
    found = walk(client, reverse("pairing_records") + "?q=webhooks", r'id="record-(\d+)"')
    assert [len(p) for p in found] == [25, 5]
    assert "q=webhooks&amp;cursor=" in client.get(
        reverse("pairing_records") + "?q=webhooks").content.decode()
