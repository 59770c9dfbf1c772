"""Report pages: who sees what, filters, CSV of every table, no per-agent numbers by default."""

import csv
import io

import pytest
from django.urls import reverse

from comptoir.accounts.models import Role
from comptoir.conversations import services as conversations
from comptoir.reports import services

from ..factories import make_message, make_team, make_user

ORG_PAGES = ("reports", "reports_response", "reports_resolution", "reports_volume",
             "reports_participation")


@pytest.fixture
def data(db):
    support = make_team("Support", is_support=True)
    product = make_team("Product")
    advocate = make_user(Role.ADVOCATE, username="ada")
    advocate.teams.add(support)
    engineer = make_user(Role.TEAMMATE, username="teo", first_name="Teo")
    engineer.teams.add(product)
    formula = make_team("=HYPERLINK(\"http://x.example\")")  # a team name anyone can type
    for n in range(3):
        c = make_message(channel="email" if n else "chat").conversation
        conversations.add_tags(c, advocate, ["vip"] if n == 1 else ["billing"])
        conversations.update(c, advocate, team=formula if n == 1 else support)
        conversations.reply(c, engineer if n == 2 else advocate, "Hi", status="solved")
    services.refresh()
    return {"advocate": advocate, "engineer": engineer}


def login(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", ORG_PAGES)
def test_every_table_of_every_page_exports_csv(data, client, name):
    login(client, make_user(Role.LEAD))
    page = client.get(reverse(name))
    assert page.status_code == 200
    assert b'id="report-charts"' in page.content and b"chartjs-4.6.1" in page.content
    tables = page.context["tables"]
    assert tables
    for table in tables:
        response = client.get(reverse(name), {"format": "csv", "table": table.name})
        assert response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert len(rows) == len(table.rows) + 1
        assert all(len(row) == len(table.columns) for row in rows)


def test_a_formula_in_a_team_name_is_not_a_formula_in_the_spreadsheet(data, client):
    login(client, make_user(Role.LEAD))
    body = client.get(reverse("reports_volume"), {"format": "csv", "table": "team"}).content
    assert "'=HYPERLINK" in body.decode("utf-8-sig")


def test_unknown_table_is_404_and_bad_filters_are_ignored(data, client):
    login(client, make_user(Role.LEAD))
    assert client.get(reverse("reports"), {"format": "csv", "table": "nope"}).status_code == 404
    response = client.get(reverse("reports"), {"range": "forever", "team": "x'; drop",
                                               "channel": "pigeon", "from": "yesterday"})
    assert response.status_code == 200
    assert response.context["f"].days == 30 and not response.context["f"].filtered


def test_filters_narrow_the_figures(data, client):
    login(client, make_user(Role.LEAD))
    kpis = client.get(reverse("reports"), {"channel": "chat"}).context["report"]["kpis"]
    assert kpis[0].value == 1
    kpis = client.get(reverse("reports"), {"tag": "billing"}).context["report"]["kpis"]
    assert kpis[0].value == 2


def test_a_teammate_sees_only_their_own_figures(data, client):
    login(client, data["engineer"])
    for name in ORG_PAGES:
        assert client.get(reverse(name)).status_code == 403
    page = client.get(reverse("reports_mine"))
    assert page.status_code == 200
    report = page.context["report"]
    assert report["mine"]["conversations"] == 1
    assert "kpis" not in report and [t.name for t in report["tables"]] == ["mine"]
    assert b"My figures" in page.content


def test_no_per_agent_comparison_by_default(data, client, settings):
    login(client, make_user(Role.LEAD))
    page = client.get(reverse("reports_participation"))
    assert "people" not in [t.name for t in page.context["tables"]]
    assert b"Teo" not in page.content
    teams = next(t for t in page.context["tables"] if t.name == "teams")
    assert teams.rows[0][:4] == ["Product", 1, 1, 1]
    settings.REPORTS_PER_AGENT = True
    page = client.get(reverse("reports_participation"))
    assert "people" in [t.name for t in page.context["tables"]]


def test_the_page_says_how_fresh_the_figures_are(data, client):
    login(client, make_user(Role.OBSERVER))
    assert b"Figures as of" in client.get(reverse("reports")).content


def test_overview_runs_a_fixed_number_of_queries(data, client, django_assert_max_num_queries):
    login(client, make_user(Role.LEAD))
    client.get(reverse("reports"))
    with django_assert_max_num_queries(25):
        client.get(reverse("reports"), {"range": "365", "tag": "billing"})


def test_the_nav_links_to_reports_or_to_my_figures(data, client):
    login(client, make_user(Role.LEAD))
    assert reverse("reports").encode() in client.get(reverse("inbox")).content
    login(client, data["engineer"])
    assert reverse("reports_mine").encode() in client.get(reverse("inbox")).content


def test_pages_render_in_the_readers_language(data, client):
    lead = make_user(Role.LEAD, language="ja", time_zone="Asia/Tokyo")
    login(client, lead)
    page = client.get(reverse("reports_volume"))
    assert page.status_code == 200 and b'lang="ja"' in page.content
    assert page.context["report"]["time_zone"] == "Asia/Tokyo"
