"""Buffer's November 2012 month (shared/research/response-time-report.md) through the real
pipeline: event rows in the services' shape → rollups → the response-time report and page."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from comptoir.accounts.models import Role
from comptoir.conversations.models import Conversation, Event
from comptoir.people.models import Person
from comptoir.reports import queries, services
from comptoir.reports.filters import ReportFilter
from comptoir.reports.models import (
    BacklogDay,
    FirstReplyDay,
    ParticipationDay,
    ResolutionDay,
    RollupState,
    VolumeDay,
)

from ..factories import make_user
from ..research.test_response_time_report import (
    EMAILS,
    PUBLISHED_SHARES,
    RECONSTRUCTED_COUNTS,
    november_2012,
)

NOVEMBER = ReportFilter(start=date(2012, 11, 1), end=date(2012, 11, 30), preset="custom")


@pytest.fixture(scope="module")
def buffer_month(django_db_setup, django_db_blocker):
    """The research fixture's conversations written as the services write them; written
    once for the module (4,100 conversations), removed after it."""
    with django_db_blocker.unblock():
        agent = _write_month()
        yield agent
        for model in (Event, Conversation, Person, *ROLLUPS):
            model.objects.all().delete()
        agent.delete()


ROLLUPS = (VolumeDay, FirstReplyDay, ResolutionDay, BacklogDay, ParticipationDay, RollupState)


def _write_month():
    agent = make_user(Role.ADVOCATE)
    person = Person.objects.create(name="Buffer customer")
    histories = november_2012()
    conversations = Conversation.objects.bulk_create(
        Conversation(channel=h.channel, person=person, created_at=h.created_at)
        for h in histories)
    events = []
    for h, c in zip(histories, conversations, strict=True):
        events.append(Event(conversation=c, person=person, kind="conversation.created",
                            created_at=h.created_at,
                            data={"channel": h.channel, "plan": "paid", "language": "en",
                                  "person_id": person.pk}))
        events.append(Event(conversation=c, person=person, kind="message.received",
                            created_at=h.created_at, data={"channel": h.channel}))
        for e in h.events:
            if e.kind == "reply.sent":
                events.append(Event(conversation=c, person=person, kind="reply.sent",
                                    actor=agent, created_at=e.at, data={"channel": h.channel}))
                events.append(Event(conversation=c, person=person, kind="status.changed",
                                    actor=agent, created_at=e.at,
                                    data={"from": "new", "to": "open"}))
    Event.objects.bulk_create(sorted(events, key=lambda e: e.created_at), batch_size=2000)
    services.refresh()
    return agent


@pytest.fixture
def lead_client(db, client):
    client.force_login(make_user(Role.LEAD))
    return client


@pytest.mark.django_db
def test_the_report_reproduces_buffers_figures(buffer_month):
    email = queries.response_times(replace(NOVEMBER, channel="email"))
    breakdown = email["breakdown"]
    assert breakdown.answered == EMAILS
    assert breakdown.counts == RECONSTRUCTED_COUNTS
    assert [s.percent(0) for s in breakdown.shares()] == list(PUBLISHED_SHARES)
    assert [c.percent(1) for c in breakdown.cumulative()] == [
        Decimal(57), Decimal(71), Decimal(80), Decimal(93), Decimal(100)]
    # still waiting on Dec 1: four emails written 1 to 4 hours before, shown apart
    assert email["waiting"]["total"] == 4
    assert email["waiting"]["by_age"] == [0, 2, 2, 0, 0]
    months = next(t for t in email["tables"] if t.name == "months")
    assert [row[0] for row in months.rows] == ["2012-11"]
    assert months.rows[0][1:7] == [EMAILS, 57.0, 14.0, 9.0, 13.0, 7.0]


@pytest.mark.django_db
def test_per_channel_cut_keeps_social_apart(buffer_month):
    report = queries.response_times(NOVEMBER)
    channels = {row[0]: row for row in next(t for t in report["tables"]
                                            if t.name == "channels").rows}
    assert channels["Email"][1] == EMAILS
    assert channels["Social"][1:3] == [20, 100.0]
    assert report["breakdown"].answered == EMAILS + 20


def test_the_page_shows_the_figures_and_exports_them(buffer_month, lead_client):
    client = lead_client
    url = reverse("reports_response")
    query = "?range=custom&from=2012-11-01&to=2012-11-30&channel=email"
    page = client.get(url + query).content.decode()
    for figure in ("57.0 %", "71.0 %", "80.0 %", "93.0 %", "2,312", "4,056"):
        assert figure in page
    csv = client.get(url + query + "&format=csv&table=breakdown").content.decode("utf-8-sig")
    assert csv.splitlines() == [
        "First reply,Conversations,Share (%),Cumulative (%)",
        "< 1 h,2312,57.0,57.0", "1–3 h,568,14.0,71.0", "3–6 h,365,9.0,80.0",
        "6–24 h,527,13.0,93.0", "> 24 h,284,7.0,100.0",
    ]


@pytest.mark.django_db
def test_answered_in_the_month_is_anchored_on_the_first_reply(buffer_month):
    december = ReportFilter(start=date(2012, 12, 1), end=date(2012, 12, 31), preset="custom",
                            channel="email")
    assert queries.response_times(december)["breakdown"].answered == 5
    before = datetime(2012, 11, 1, tzinfo=UTC) - timedelta(days=1)
    october = ReportFilter(start=before.date().replace(day=1), end=before.date(),
                           preset="custom", channel="email")
    assert queries.response_times(october)["breakdown"].answered == 3  # written in October
