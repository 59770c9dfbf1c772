"""The pages of customer days: proposing (and being told why not), the day's workspace,
the required record, searching records, the team summary, the overview over time, and
reactions with who reacted."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from comptoir.accounts.models import Role
from comptoir.bugs import services as bugs
from comptoir.conversations import services as conversations
from comptoir.pairing import services
from comptoir.pairing.models import PairingRecord, Reaction
from comptoir.quality import services as quality
from comptoir.quality.models import Scale
from comptoir.routing import services as routing

from ..factories import make_conversation, make_user
from ..quality.conftest import answered
from .conftest import TUESDAY, WEDNESDAY, engineer, person, support_team


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def berlin():
    team = support_team("Berlin", "Europe/Berlin")
    advocates = [person(Role.ADVOCATE, name, "Europe/Berlin", team=team,
                        spoken_languages=["en", "de"]) for name in ("Ana", "Ben", "Cem")]
    return team, advocates


def held(engineer_user, day, time_machine, **kwargs):
    """A customer day booked ahead, then the clock moved to the evening of that day."""
    pairing = services.propose(engineer_user, [day], **kwargs)
    time_machine.move_to(datetime.combine(day, datetime.min.time(), tzinfo=UTC).replace(
        hour=19), tick=False)
    return pairing


def test_proposing_books_the_day_and_a_refusal_lists_the_reasons(berlin):
    eli = engineer("Eli")
    client = client_for(eli)
    response = client.post(reverse("pairing_propose"), {"first": "2027-03-02", "tag": "api"})
    assert response.status_code == 302
    pairing = eli.pairings_as_engineer.get()
    page = client.get(response["Location"]).content.decode()
    assert pairing.advocate.first_name in page and "Open the workspace" in page

    _team, advocates = berlin
    for advocate in advocates:
        routing.add_leave(advocate, WEDNESDAY, WEDNESDAY)
    response = client_for(engineer("Eve")).post(reverse("pairing_propose"),
                                                {"first": "2027-03-03", "tag": "api"})
    assert response.status_code == 422
    assert "Ana: on leave" in response.content.decode()


def test_proposing_without_a_product_area_is_refused_and_keeps_the_dates(berlin):
    response = client_for(engineer()).post(reverse("pairing_propose"), {"first": "2027-03-02"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Choose your product area" in page and 'value="2027-03-02"' in page


def test_the_workspace_lists_open_conversations_of_the_area_in_our_languages(berlin):
    billing_en = make_conversation(subject="Invoice wrong", text="My invoice is wrong, please")
    billing_ja = make_conversation(subject="請求書", text="請求書が間違っています。")
    other = make_conversation(subject="Login broken", text="I cannot log in to my account")
    solved = make_conversation(subject="Refund", text="Refund my last invoice please")
    for conversation in (billing_en, billing_ja, solved):
        conversations.add_tags(conversation, None, ["billing"])
    conversations.add_tags(other, None, ["login"])
    conversations.update(solved, None, status="solved")
    conversations.update(billing_en, None, language="en")
    conversations.update(billing_ja, None, language="ja")
    pairing = services.propose(engineer("Eli"), [TUESDAY], tag="billing")
    page = client_for(pairing.engineer).get(
        reverse("pairing_workspace", args=[pairing.pk])).content.decode()
    assert reverse("conversation", args=[billing_en.pk]) in page
    assert reverse("conversation", args=[other.pk]) not in page
    assert reverse("conversation", args=[solved.pk]) not in page
    assert reverse("conversation", args=[billing_ja.pk]) not in page  # nobody speaks it


def test_the_record_is_required_once_the_day_is_held(berlin, time_machine):
    eli = engineer("Eli")
    pairing = held(eli, TUESDAY, time_machine, tag="api")
    client = client_for(eli)
    assert "Record missing" in client.get(reverse("pairing_detail", args=[pairing.pk])
                                          ).content.decode()
    assert "write what you learned" in client.get(reverse("pairing_home")).content.decode()

    response = client.post(reverse("pairing_record", args=[pairing.pk]),
                           {"learnings": "  ", "ux_issues": "Export is hidden"})
    assert response.status_code == 422
    assert "Export is hidden" in response.content.decode()  # nothing typed is lost
    assert not PairingRecord.objects.exists()

    bug, _new = bugs.create_bug(eli, "CSV export drops accents")
    response = client.post(reverse("pairing_record", args=[pairing.pk]), {
        "learnings": "Customers export invoices weekly", "ux_issues": "Export is hidden",
        "bugs": [bug.pk], "follow_ups": "Move export to the toolbar"})
    assert response.status_code == 302
    page = client.get(reverse("pairing_detail", args=[pairing.pk])).content.decode()
    assert "Record missing" not in page
    assert "Customers export invoices weekly" in page and "CSV export drops accents" in page
    assert "write what you learned" not in client.get(reverse("pairing_home")).content.decode()


def test_the_record_waits_for_the_day_and_belongs_to_the_pair(berlin):
    eli = engineer("Eli")
    pairing = services.propose(eli, [TUESDAY], tag="api")
    with pytest.raises(services.PairingError, match="once the day has come"):
        services.write_record(pairing, eli, learnings="Too early")
    stranger = make_user(Role.TEAMMATE)
    response = client_for(stranger).post(reverse("pairing_record", args=[pairing.pk]),
                                         {"learnings": "Not mine"})
    assert response.status_code == 403


def test_records_are_searchable_and_summarised_by_engineering_team(berlin, time_machine):
    eli = engineer("Eli", team_name="Payments")
    eve = engineer("Eve", team_name="Identity")
    first = services.propose(eli, [TUESDAY], tag="billing")
    second = services.propose(eve, [TUESDAY], tag="login")
    time_machine.move_to(datetime(2027, 3, 3, 9, tzinfo=UTC), tick=False)
    found, _new = bugs.create_bug(eli, "Webhook retries twice")
    fixed, _new = bugs.create_bug(eli, "Invoice PDF blank")
    bugs.mark_fixed(fixed, eli)
    services.write_record(first, eli, learnings="Webhook setup confuses people",
                          bugs=[found, fixed])
    services.write_record(second, eve, learnings="Password resets land in spam")

    client = client_for(make_user(Role.OBSERVER))
    page = client.get(reverse("pairing_records"), {"q": "webhook"}).content.decode()
    summary, results = page.split("Records matching")
    assert "<td>Payments</td><td>1</td><td>1</td><td>2</td><td>1</td>" in summary
    assert "Webhook setup confuses people" in results
    assert "Password resets land in spam" not in results
    results = client.get(reverse("pairing_records"), {"q": "spam"}).content.decode().split(
        "Records matching")[1]
    assert "Password resets land in spam" in results
    assert "Webhook setup confuses people" not in results
    # a linked bug's title is searched too
    results = client.get(reverse("pairing_records"), {"q": "PDF"}).content.decode().split(
        "Records matching")[1]
    assert "Webhook setup confuses people" in results

    summaries = {s.name: s for s in services_summaries()}
    assert (summaries["Payments"].days, summaries["Payments"].records) == (1, 1)
    assert (summaries["Payments"].bugs_found, summaries["Payments"].bugs_fixed) == (2, 1)
    assert (summaries["Identity"].bugs_found, summaries["Identity"].bugs_fixed) == (0, 0)


def services_summaries():
    from django.utils import timezone

    from comptoir.pairing import queries
    return queries.team_summaries(timezone.localdate())


def test_the_overview_counts_days_held_per_month_time_zones_and_bugs(berlin, time_machine):
    americas = support_team("Americas", "America/New_York")
    for name in ("Nia", "Noa"):
        person(Role.ADVOCATE, name, "America/New_York", team=americas)
    eli = engineer("Eli", "Europe/Berlin")
    eva = engineer("Eva", "America/Chicago")
    march = services.propose(eli, [TUESDAY], tag="api")
    april = services.propose(eva, [datetime(2027, 4, 6).date()], tag="api")
    cancelled = services.propose(eli, [WEDNESDAY], tag="api")
    services.cancel(cancelled, eli)
    services.propose(eli, [datetime(2027, 6, 1).date()], tag="api")  # still ahead
    time_machine.move_to(datetime(2027, 4, 20, 12, tzinfo=UTC), tick=False)
    bug, _new = bugs.create_bug(eli, "Dates in the wrong zone")
    other, _new = bugs.create_bug(eva, "Typo on the invoice")
    bugs.mark_fixed(other, eva)
    services.write_record(march, eli, learnings="Time zones", bugs=[bug, other])
    services.write_record(april, eva, learnings="Invoices", bugs=[other])

    response = client_for(make_user(Role.OBSERVER)).get(reverse("pairing_overview"))
    assert response.status_code == 200
    figures = response.context["figures"]
    assert figures.months == [("2027-03", 1), ("2027-04", 1)]
    assert figures.days_held == 2 and figures.upcoming == 1 and figures.records_written == 2
    assert (figures.bugs_found, figures.bugs_fixed) == (2, 1)
    assert ("Europe/Berlin", "Europe/Berlin", 1) in figures.zones
    assert ("America/Chicago", "America/New_York", 1) in figures.zones
    page = response.content.decode()
    charts = json.loads(page.split('id="report-charts" type="application/json">')[1]
                        .split("</script>")[0])
    assert charts["pairing-months"]["datasets"][0]["data"] == [1, 1]
    assert "chartjs-4.6.1.umd.min.js" in page


def test_reactions_on_a_record_toggle_and_show_who_reacted(berlin, time_machine):
    eli = engineer("Eli")
    pairing = held(eli, TUESDAY, time_machine, tag="api")
    record = services.write_record(pairing, eli, learnings="Customers love the API")
    url = reverse("pairing_react", args=["record", record.pk])
    ana = pairing.advocate
    assert client_for(ana).post(url, {"emoji": "🎉"}, HTTP_HX_REQUEST="true").status_code == 200
    response = client_for(eli).post(url, {"emoji": "🎉"}, HTTP_HX_REQUEST="true")
    fragment = response.content.decode()
    assert f'title="{ana.display_name}, {eli.display_name}"' in fragment
    assert "<span>2</span>" in fragment
    page = client_for(make_user(Role.OBSERVER)).get(
        reverse("pairing_detail", args=[pairing.pk])).content.decode()
    assert ana.display_name in page and "🎉" in page

    client_for(eli).post(url, {"emoji": "🎉"})  # again: taken back
    assert list(Reaction.objects.values_list("user_id", flat=True)) == [ana.pk]
    assert client_for(eli).post(url, {"emoji": "abc"}).status_code == 400
    assert client_for(make_user(Role.OBSERVER)).post(url, {"emoji": "👍"}).status_code == 403


def test_reactions_on_a_review_comment(db):
    colleague, reviewer = make_user(Role.ADVOCATE), make_user(Role.ADVOCATE)
    card = quality.create_scorecard("Email")
    category = quality.add_category(card, "Tone", scale=Scale.FOUR, weight=10)
    review = quality.submit_review(reviewer, answered(colleague), card, {category.pk: 4},
                                   comment="Lovely tone")
    url = reverse("pairing_react", args=["review", review.pk])
    assert client_for(colleague).post(url, {"emoji": "❤️"}).status_code == 302
    page = client_for(reviewer).get(reverse("quality_review_detail", args=[review.pk])
                                    ).content.decode()
    assert "Lovely tone" in page and "❤️" in page and colleague.display_name in page
    # someone who may not see the review cannot react to it either
    assert client_for(make_user(Role.ADVOCATE)).post(url, {"emoji": "👀"}).status_code == 404
    assert Reaction.objects.count() == 1


def test_the_pair_is_reminded_once_when_the_record_is_missing(berlin, time_machine, mailoutbox):
    from comptoir.pairing.tasks import remind_missing_records

    eli = engineer("Eli")
    pairing = services.propose(eli, [TUESDAY], tag="api")
    written = services.propose(engineer("Eve"), [TUESDAY], tag="api")
    time_machine.move_to(datetime(2027, 3, 2, 19, tzinfo=UTC), tick=False)
    services.write_record(written, written.engineer, learnings="Done on the day")
    assert remind_missing_records.delay().get() == 0  # the day is not over yet

    time_machine.move_to(datetime(2027, 3, 3, 9, tzinfo=UTC), tick=False)
    assert remind_missing_records.delay().get() == 1
    assert sorted(m.to[0] for m in mailoutbox) == sorted([eli.email, pairing.advocate.email])
    assert reverse("pairing_record", args=[pairing.pk]) in mailoutbox[0].body
    assert remind_missing_records.delay().get() == 0  # once
    assert len(mailoutbox) == 2


def test_leads_set_each_support_teams_minimum(berlin):
    team, _advocates = berlin
    lead = make_user(Role.LEAD)
    client = client_for(lead)
    assert f'name="minimum-{team.pk}" value="1"' in client.get(
        reverse("pairing_coverage")).content.decode()
    client.post(reverse("pairing_coverage"), {f"minimum-{team.pk}": "3"})
    assert f'name="minimum-{team.pk}" value="3"' in client.get(
        reverse("pairing_coverage")).content.decode()
    page = client.post(reverse("pairing_coverage"), {f"minimum-{team.pk}": "lots"},
                       follow=True).content.decode()
    assert "a minimum is a whole number" in page and 'value="3"' in page
    assert client_for(engineer()).get(reverse("pairing_coverage")).status_code == 403
