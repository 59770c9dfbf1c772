"""IQS over time, drawn: weekly lines for the organisation and each team on the leads' pages,
one's own line for everyone, the figures also as a table; never one line per person."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from comptoir.accounts.models import Role
from comptoir.quality import services
from comptoir.quality.services import week_start

from ..factories import make_team, make_user
from .conftest import answered, values, worked_scorecard

R1 = {"Solution": 3, "Tone": 4, "Grammar": 2, "Privacy": 2}  # 77.083
R3 = {"Solution": 2, "Tone": 3, "Grammar": 1, "Privacy": 2}  # 41.667
NOW = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)  # a Wednesday


@pytest.fixture
def world(db, time_machine):
    """Zelda (Billing) reviewed 77.08 last week and 41.67 this week; Yann (Support) 41.67
    this week."""
    card = worked_scorecard()
    billing = make_team("Billing crew", is_support=True)
    support = make_team("Support crew", is_support=True)
    zelda = make_user(first_name="Zelda", last_name="Unique")
    zelda.teams.add(billing)
    yann = make_user(first_name="Yann", last_name="Other")
    yann.teams.add(support)
    time_machine.move_to(NOW - timedelta(days=7), tick=False)
    services.submit_review(make_user(), answered(zelda), card, values(card, **R1))
    time_machine.move_to(NOW, tick=False)
    services.submit_review(make_user(), answered(zelda), card, values(card, **R3))
    services.submit_review(make_user(), answered(yann), card, values(card, **R3))
    return zelda, yann


def charts_of(page: str) -> dict:
    found = re.search(r'<script id="report-charts" type="application/json">(.*?)</script>',
                      page, re.S)
    assert found, "the page embeds its charts"
    return json.loads(found.group(1))


def get(client, user, name) -> str:
    client.force_login(user)
    response = client.get(reverse(name))
    assert response.status_code == 200
    return response.content.decode()


def test_leads_see_weekly_iqs_of_the_organisation_and_each_team(client, world):
    page = get(client, make_user(Role.LEAD), "quality_iqs")
    chart = charts_of(page)["iqs-weekly"]
    assert chart["type"] == "line" and chart["options"] == {"percent": True}
    this_week = week_start(NOW)
    assert len(chart["labels"]) == 12 and chart["labels"][-1] == this_week.isoformat()
    assert chart["labels"][-2] == (this_week - timedelta(weeks=1)).isoformat()
    lines = {d["label"]: d["data"] for d in chart["datasets"]}
    assert list(lines) == ["Organisation", "Billing crew", "Support crew"]
    assert lines["Organisation"][-2:] == [77.08, 41.67]
    assert lines["Billing crew"][-2:] == [77.08, 41.67]
    assert lines["Support crew"][-2:] == [None, 41.67]  # no review: a gap, not 0
    assert lines["Organisation"][:-2] == [None] * 10
    assert 'data-chart="iqs-weekly"' in page and "chartjs-4.6.1.umd.min.js" in page
    # the table fallback: the same figures, week by week
    table = page.split('data-table="iqs-weekly"')[1].split("</table>")[0]
    assert table.count("<tr>") == 13 and "77.08 %" in table and "41.67 %" in table
    assert "Zelda" not in page and "Yann" not in page  # no person, ranked or not


def test_everyone_sees_their_own_line_and_leads_the_organisation_on_the_reviews_page(
    client, world,
):
    zelda, _yann = world
    page = get(client, zelda, "quality_home")
    charts = charts_of(page)
    assert list(charts) == ["iqs-mine"]  # a reviewer sees no one else's figures
    [mine] = charts["iqs-mine"]["datasets"]
    assert mine["data"][-2:] == [77.08, 41.67]
    assert 'data-chart="iqs-mine"' in page and 'data-table="iqs-mine"' in page

    charts = charts_of(get(client, make_user(Role.LEAD), "quality_home"))
    assert set(charts) == {"iqs-mine", "iqs-weekly"}
    assert [d["label"] for d in charts["iqs-weekly"]["datasets"]] == [
        "Organisation", "Billing crew", "Support crew"]

    received = charts_of(get(client, zelda, "quality_received"))
    assert received["iqs-mine"]["datasets"][0]["data"][-1] == 41.67


def test_without_reviews_no_empty_chart_is_drawn(client, db):
    page = get(client, make_user(Role.ADVOCATE), "quality_home")
    assert 'data-chart="iqs-mine"' not in page
    assert "No scored review in these weeks yet" in page
