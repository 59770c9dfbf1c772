"""CSAT in the reports (score, response rate, per channel/team/language, comments with a
search box, CSV), on the conversation page for agents, and the settings page."""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from comptoir.accounts.models import Role
from comptoir.conversations import services as conversations
from comptoir.reports import services as rollups
from comptoir.reports.filters import ReportFilter
from comptoir.surveys import queries, services
from comptoir.surveys.models import Survey, SurveySettings

from ..factories import make_team, make_user
from .conftest import T0, run_beat, solved_conversation

pytestmark = pytest.mark.django_db
SENT = T0 + timedelta(days=1)
DAY = SENT.date()


@pytest.fixture
def answered(agent, mailbox, django_capture_on_commit_callbacks):
    """7 surveys offered on one day: 3 good, 1 bad, 3 unanswered. Two on chat, one of them
    good; the bad one in French, for the team Billing."""
    billing = make_team("Billing")
    made = []
    for n in range(7):
        channel = "chat" if n in (0, 4) else "email"
        conversation = solved_conversation(
            agent, channel=channel, identity_kind="chat" if channel == "chat" else "email",
            language="fr" if n == 3 else "en")
        if n == 3:
            with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
                conversations.update(conversation, agent, team=billing)
            conversation.refresh_from_db()
            conversation.person.language = "fr"
            conversation.person.save()
        made.append(conversation)
    run_beat(django_capture_on_commit_callbacks, SENT)
    surveys = {s.conversation_id: s for s in Survey.objects.all()}
    answers = [("good", "", "Quick and kind, thank you!"), ("good", "", ""),
               ("good", "", "Ana found the invoice in minutes."),
               ("bad", "slow", "Two days for an invoice is too long.")]
    with time_machine.travel(SENT + timedelta(hours=3), tick=False):
        for conversation, (rating, reason, comment) in zip(made, answers, strict=False):
            services.answer(surveys[conversation.pk], rating, reason=reason, comment=comment)
    rollups.refresh()  # what the beat does every few seconds: the page reads the rollups
    return made


def day_filter(**dims) -> ReportFilter:
    return ReportFilter(start=DAY, end=DAY, preset="custom", **dims)


def test_score_and_response_rate_are_exact(answered):
    tally = queries.tally(queries.offered(day_filter()))
    assert (tally.offered, tally.good, tally.bad) == (7, 3, 1)
    csat, rate = queries.kpis(day_filter())
    assert csat.value == 75.0  # 3 ÷ (3 + 1): unanswered surveys are left out
    assert rate.value == 57.1  # 4 ÷ 7
    chat = queries.tally(queries.offered(day_filter(channel="chat")))
    assert (chat.offered, chat.good, chat.bad) == (2, 1, 0)
    billing = queries.tally(queries.offered(day_filter(team=str(answered[3].team_id))))
    assert (billing.offered, billing.bad) == (1, 1)
    assert queries.tally(queries.offered(day_filter(language="fr"))).bad == 1
    # a day outside the range counts nothing
    assert queries.tally(queries.offered(ReportFilter(start=T0.date(), end=T0.date(),
                                                      preset="custom"))).offered == 0


def test_the_rollup_gives_the_same_figures_as_the_surveys(answered):
    for dims in ({}, {"channel": "chat"}, {"language": "fr"},
                 {"team": str(answered[3].team_id)}, {"channel": "email", "language": "en"}):
        f = day_filter(**dims)
        assert queries.rolled_up(f)[None] == queries.tally(queries.offered(f)), dims
    per_channel = queries.rolled_up(day_filter(), "channel")
    assert {k: (t.offered, t.good, t.bad) for k, t in per_channel.items()} == {
        "email": (5, 2, 1), "chat": (2, 1, 0)}


def test_a_changed_rating_counts_once(answered):
    survey = Survey.objects.get(conversation=answered[3])
    with time_machine.travel(SENT + timedelta(hours=5), tick=False):
        services.answer(survey, "good")
    tally = queries.tally(queries.offered(day_filter()))
    assert (tally.good, tally.bad) == (4, 0)
    rollups.refresh()
    csat, rate = queries.kpis(day_filter())
    assert (csat.value, rate.value) == (100.0, 57.1)  # the bad rating became good: 4 ÷ 4


def test_comments_are_listed_and_searchable(answered):
    qs = queries.offered(day_filter())
    assert {s.comment for s in queries.comments(qs)} == {
        "Quick and kind, thank you!", "Ana found the invoice in minutes.",
        "Two days for an invoice is too long."}
    assert [s.comment for s in queries.comments(qs, "INVOICE too")] == [
        "Two days for an invoice is too long."]
    assert queries.comments(qs, "refund") == []


@pytest.fixture
def lead_client(client):
    client.force_login(make_user(Role.LEAD))
    return client


def test_the_satisfaction_page(answered, lead_client):
    url = reverse("reports_csat")
    query = f"?range=custom&from={DAY}&to={DAY}"
    response = lead_client.get(url + query)
    assert response.status_code == 200, response
    html = response.content.decode()
    assert "75,0" in html or "75.0" in html
    assert "Quick and kind" in html and 'name="q"' in html
    assert f'href="{reverse("conversation", args=[answered[3].pk])}"' in html
    assert 'data-chart="csat"' in html
    searched = lead_client.get(url + query + "&q=invoice").content.decode()
    assert "Two days for an invoice" in searched and "Quick and kind" not in searched
    filtered = lead_client.get(url + query + "&channel=chat").content.decode()
    assert "Quick and kind" in filtered and "Two days" not in filtered

    response = lead_client.get(url + query + "&format=csv&table=channels")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Channel", "Offered", "Rated", "Good", "Bad", "CSAT (%)",
                       "Response rate (%)"]
    assert rows[-1] == ["All channels", "7", "4", "3", "1", "75.0", "57.1"]
    assert ["Chat", "2", "1", "1", "0", "100.0", "50.0"] in rows

    response = lead_client.get(url + query + "&q=invoice&format=csv&table=comments")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r[4] for r in rows[1:]] == ["Two days for an invoice is too long.",
                                        "Ana found the invoice in minutes."]
    assert rows[1][2:4] == ["Bad, I'm unsatisfied", "It took too long"]

    overview = lead_client.get(reverse("reports") + query).content.decode()
    assert "CSAT" in overview and reverse("reports_csat") in overview


def test_teammates_do_not_see_the_satisfaction_report(answered, client):
    client.force_login(make_user(Role.TEAMMATE))
    assert client.get(reverse("reports_csat")).status_code == 403


def test_agents_see_the_rating_on_the_conversation(answered, client):
    client.force_login(make_user(Role.TEAMMATE))
    html = client.get(reverse("conversation", args=[answered[3].pk])).content.decode()
    assert "Two days for an invoice is too long." in html and "It took too long" in html
    unanswered = client.get(reverse("conversation", args=[answered[5].pk])).content.decode()
    assert "not answered yet" in unanswered


def test_leads_change_the_settings(lead_client):
    url = reverse("survey_settings")
    assert lead_client.get(url).status_code == 200
    response = lead_client.post(url, {"is_active": "on", "delay_hours": "4",
                                      "suppression_days": "7", "expiry_days": "30",
                                      "channels": ["email"], "reasons": ["slow", "other"]})
    assert response.status_code == 302
    config = SurveySettings.objects.get()
    assert (config.delay_hours, config.suppression_days, config.expiry_days) == (4, 7, 30)
    assert config.channels == ["email"] and config.reasons == ["slow", "other"]

    refused = lead_client.post(url, {"delay_hours": "-1", "suppression_days": "7",
                                     "expiry_days": "0", "channels": ["fax"]})
    assert refused.status_code == 400
    assert SurveySettings.objects.get().delay_hours == 4


def test_advocates_cannot_change_the_settings(client):
    client.force_login(make_user(Role.ADVOCATE))
    assert client.post(reverse("survey_settings"), {"delay_hours": "1"}).status_code == 403
