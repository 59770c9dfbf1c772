"""Rollups fed by the real services: refresh, lag, late commits, rebuild, one-contact
resolution across channels, backlog, participation, the beat task and the commands."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from comptoir import demo
from comptoir.accounts.models import Role
from comptoir.conversations import services as conversations
from comptoir.conversations.models import Event
from comptoir.people import services as people
from comptoir.people.models import IdentityKind
from comptoir.reports import queries, services, tasks
from comptoir.reports.filters import ReportFilter
from comptoir.reports.models import (
    ConversationFacts,
    FactTag,
    Grain,
    ParticipationDay,
    ResolutionDay,
    RollupState,
    VolumeDay,
)

from ..factories import make_message, make_team, make_user

MONDAY = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def days(first: date, last: date | None = None, **dims) -> ReportFilter:
    return ReportFilter(start=first, end=last or first, preset="custom", **dims)


@pytest.fixture
def agent(db):
    return make_user(Role.ADVOCATE)


def test_a_conversation_through_the_services(agent):
    with time_machine.travel(MONDAY, tick=False) as clock:
        conversation = make_message(subject="Export").conversation
        team = make_team(time_zone="Europe/Paris")
        conversations.update(conversation, agent, team=team)
        conversations.add_tags(conversation, agent, ["billing"])
        clock.shift(timedelta(minutes=42))
        conversations.reply(conversation, agent, "Fixed.", status="solved")
        result = services.refresh()
    assert result.events == len(Event.objects.all()) and result.conversations == 1
    facts = ConversationFacts.objects.get()
    assert (facts.frt, facts.frt_business, facts.full_resolution) == (42, 42, 42)
    assert (facts.team_id, facts.solved, facts.one_touch, facts.replies) == (team.pk, True,
                                                                            True, 1)
    assert list(FactTag.objects.values_list("tag", flat=True)) == ["billing"]
    assert VolumeDay.objects.get(grain=Grain.DETAIL, tag="").conversations == 1
    assert VolumeDay.objects.get(grain=Grain.TOTAL).conversations == 1
    assert VolumeDay.objects.get(grain=Grain.DETAIL, tag="billing").h09 == 1
    assert VolumeDay.objects.get(grain=Grain.TAG, tag="billing").h09 == 1
    assert VolumeDay.objects.get(grain=Grain.TEAM).team_id == team.pk
    assert ResolutionDay.objects.get(grain=Grain.CHANNEL, channel="email").one_touch == 1
    assert ParticipationDay.objects.get(user_id=agent.pk).replies == 1
    kpis = {k.label: k.value for k in queries.overview(days(MONDAY.date()))["kpis"]}
    assert kpis["Median first reply"] == pytest.approx(42.0, abs=7.5)  # within its bin
    assert kpis["First replies within 1 h"] == 100.0


def test_refresh_is_incremental_and_idempotent(agent):
    conversation = make_message().conversation
    services.refresh()
    before = list(VolumeDay.objects.values())
    again = services.refresh()
    assert (again.events, again.conversations) == (0, 0)
    assert list(VolumeDay.objects.values()) == before
    conversations.reply(conversation, agent, "Hello")
    assert services.refresh().conversations == 1
    assert ConversationFacts.objects.get().first_reply_at is not None


def test_lag_is_the_age_of_the_last_complete_refresh(agent):
    with time_machine.travel(MONDAY, tick=False) as clock:
        make_message()
        assert services.lag_seconds() is None
        services.refresh()
        clock.shift(timedelta(seconds=12))
        assert services.lag_seconds() == 12
        assert queries.freshness()["lag_seconds"] == 12


def test_an_event_committed_late_below_the_watermark_is_still_counted(agent):
    conversation = make_message().conversation
    late = conversations.reply(conversation, agent, "first")  # its events take some ids...
    late_events = list(Event.objects.filter(data__message_id=late.pk).values())
    Event.objects.filter(data__message_id=late.pk).delete()  # ...not committed yet
    conversations.add_note(conversation, agent, "a note after it")
    services.refresh()
    state = RollupState.objects.get()
    assert {row["id"] for row in late_events} <= {i for i, _seen in state.pending_ids}
    assert ConversationFacts.objects.get().replies == 0
    Event.objects.bulk_create(Event(**row) for row in late_events)  # the commit lands
    services.refresh()
    assert ConversationFacts.objects.get().replies == 1
    still_missing = {i for i, _seen in RollupState.objects.get().pending_ids}
    assert not still_missing & {row["id"] for row in late_events}


def test_ids_that_never_come_are_forgotten_after_ten_minutes(agent):
    with time_machine.travel(MONDAY, tick=False) as clock:
        conversation = make_message().conversation
        gone = conversations.add_note(conversation, agent, "rolled back")
        Event.objects.filter(data__message_id=gone.pk).delete()
        conversations.add_note(conversation, agent, "kept")
        services.refresh()
        assert RollupState.objects.get().pending_ids
        clock.shift(timedelta(minutes=11))
        services.refresh()
        assert RollupState.objects.get().pending_ids == []


def test_fcr_and_one_contact_resolution_of_the_worked_example(agent):
    """metrics.md: A email 1 reply; B1 chat 1 reply; B2 email 1 reply (same person, two days
    later); C email 3 replies. FCR email 2/3, chat 1/1; OCR 1/3."""
    with time_machine.travel(MONDAY, tick=False) as clock:
        a = make_message(identity_value="a@example.com").conversation
        b1 = make_message(channel="chat", identity_value="b@example.com").conversation
        c = make_message(identity_value="c@example.com").conversation
        for conversation in (a, b1):
            conversations.reply(conversation, agent, "Done.", status="solved")
        for n in range(3):
            conversations.reply(c, agent, f"Reply {n}", status="solved" if n == 2 else None)
        clock.shift(timedelta(days=2))
        b2 = make_message(identity_value="b@example.com", subject="Again").conversation
        assert b2.person_id == b1.person_id
        conversations.reply(b2, agent, "Done again.", status="solved")
        services.refresh()
    report = queries.resolution(days(MONDAY.date(), MONDAY.date() + timedelta(days=2)))
    channels = {row[0]: row for row in report["tables"][0].rows}
    assert channels["Email"][1:3] == [3, 66.7]
    assert channels["Chat"][1:3] == [1, 100.0]
    kpis = {k.label: k.value for k in report["kpis"]}
    assert kpis["One-contact resolution"] == 33.3


def test_a_merge_puts_two_histories_into_one_issue(agent):
    with time_machine.travel(MONDAY, tick=False) as clock:
        first = make_message(identity_value="x@example.com").conversation
        conversations.reply(first, agent, "Done.", status="solved")
        clock.shift(timedelta(days=1))
        second = make_message(channel="social", identity_kind=IdentityKind.SOCIAL,
                              identity_value="@x", network="twitter").conversation
        conversations.reply(second, agent, "Done.", status="solved")
        services.refresh()
        f = days(MONDAY.date(), MONDAY.date() + timedelta(days=1))
        assert queries.Totals.of(f).kpis(False)["ocr"] == 100.0  # two people, two issues
        people.merge_people(second.person, first.person)
        services.refresh()
    assert queries.Totals.of(f).kpis(False)["ocr"] == 0.0  # one person, one issue, 2 contacts
    assert ConversationFacts.objects.get(pk=second.pk).person_id == first.person_id


def test_backlog_counts_what_is_open_at_the_end_of_each_day(agent):
    with time_machine.travel(MONDAY, tick=False) as clock:
        one = make_message().conversation
        make_message()
        clock.shift(timedelta(days=1))
        conversations.reply(one, agent, "Done.", status="solved")
        clock.shift(timedelta(days=1))
        make_message(identity_value=one.person.identities.first().value, subject="Re")
        services.refresh()
    assert queries.backlog_series(days(MONDAY.date(), MONDAY.date() + timedelta(days=2))) == \
        [2, 1, 2]


def test_filters_and_tags(agent):
    billing = make_message(channel="chat").conversation
    conversations.add_tags(billing, agent, ["billing", "vip"])
    make_message(channel="email")
    services.refresh()
    today = datetime.now(UTC).date()
    assert queries.Totals.of(days(today)).volume["conversations"] == 2
    assert queries.Totals.of(days(today, tag="billing")).volume["conversations"] == 1
    assert queries.Totals.of(days(today, channel="email")).volume["conversations"] == 1
    assert queries.Totals.of(days(today, channel="email", tag="vip")).volume["conversations"] == 0
    conversations.remove_tag(billing, agent, "vip")
    services.refresh()
    assert queries.Totals.of(days(today, tag="vip")).volume["conversations"] == 0


def test_rebuild_gives_what_the_refreshes_gave_on_the_demo(db):
    demo.load(scale=0.03)
    services.refresh(max_events=500, max_steps=1000)
    def rows_of(model):
        return sorted(repr({k: v for k, v in row.items() if k != "id"})
                      for row in model.objects.values())

    rows = {model: rows_of(model) for model in (VolumeDay, ResolutionDay, ParticipationDay)}
    facts = sorted(map(repr, ConversationFacts.objects.values()))
    result = services.rebuild()
    assert result.conversations == ConversationFacts.objects.count()
    assert sorted(map(repr, ConversationFacts.objects.values())) == facts
    for model, before in rows.items():
        assert rows_of(model) == before


def test_the_beat_task_and_the_command(agent):
    make_message()
    assert tasks.refresh_rollups.apply().get()["conversations"] == 1
    out = StringIO()
    call_command("rebuild_rollups", stdout=out, stderr=StringIO())
    assert "Rollups rebuilt" in out.getvalue() and "1 conversations" in out.getvalue()
    assert RollupState.objects.get().rebuilt_at is not None


def test_business_hours_follow_the_team_calendar(agent):
    friday_evening = datetime(2027, 3, 5, 16, 30, tzinfo=UTC)  # 17:30 in Paris: closed
    with time_machine.travel(friday_evening, tick=False) as clock:
        conversation = make_message().conversation
        conversations.update(conversation, agent, team=make_team(time_zone="Europe/Paris"))
        clock.shift(timedelta(days=2, hours=17, minutes=15))  # Monday 09:45 UTC = 10:45 Paris
        conversations.reply(conversation, agent, "Morning!")
        services.refresh()
    facts = ConversationFacts.objects.get()
    assert (facts.frt, facts.frt_business) == (3915, 105)  # 09:00 → 10:45 in Paris
    monday = friday_evening.date() + timedelta(days=3)
    breakdown = queries.response_times(days(monday, monday, business=True))["breakdown"]
    assert breakdown.counts == (0, 1, 0, 0, 0)
    assert queries.response_times(days(monday))["breakdown"].counts == (0, 0, 0, 0, 1)


def test_sla_outcomes_come_from_the_sla_events(agent):
    conversation = make_message().conversation
    for kind, metric in (("sla.met", "first_reply"), ("sla.breached", "next_reply"),
                         ("sla.met", "resolution")):
        Event.objects.create(conversation=conversation, person=conversation.person, kind=kind,
                             data={"metric": metric})
    conversations.reply(conversation, agent, "Done", status="solved")
    services.refresh()
    overview = queries.overview(days(datetime.now(UTC).date()))
    sla = next(t for t in overview["tables"] if t.name == "sla")
    assert sla.rows == [["First reply", 1, 0, 100.0], ["Next reply", 0, 1, 0.0],
                        ["Resolution", 1, 0, 100.0],
                        ["Conversations (every target achieved)", 0, 1, 0.0]]
    assert {k.label: k.value for k in overview["kpis"]}["SLA targets achieved"] == \
        float(Decimal("66.7"))


@pytest.mark.django_db(transaction=True)
def test_rebuild_in_several_processes_gives_what_one_process_gives():
    """Several processes on a database they share (PostgreSQL, a SQLite file); one process
    with an in-memory test database, which a fork cannot share. The same figures either way."""
    demo.load(scale=0.02)
    one = services.rebuild(workers=1)
    facts = sorted(map(repr, ConversationFacts.objects.values()))
    volume = sorted(VolumeDay.objects.values_list("day", "grain", "conversations"))
    several = services.rebuild(workers=2)
    assert (several.conversations, several.events) == (one.conversations, one.events) != (0, 0)
    assert sorted(map(repr, ConversationFacts.objects.values())) == facts
    assert sorted(VolumeDay.objects.values_list("day", "grain", "conversations")) == volume
