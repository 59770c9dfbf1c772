"""comptoir.reports.metrics: edge cases, then properties over random histories."""

import random
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comptoir.reports.metrics import (
    AGENT_WORK_STATUSES,
    CONVERSATION_CREATED,
    MESSAGE_RECEIVED,
    NOTE_ADDED,
    REOPENED,
    REPLY_SENT,
    STATUS_CHANGED,
    ConversationHistory,
    CsatTally,
    Event,
    MetricsSummary,
    Minutes,
    Ratio,
    ResponseTimeBreakdown,
    SlaOutcome,
    SlaTarget,
    Tally,
    add_minutes,
    conversation_metrics,
    customer_issues,
    first_reply_time,
    next_reply_times,
    one_contact_resolution,
    reply_targets,
    requester_wait_target,
    response_time_breakdown,
    sla_attainment,
    sla_outcome,
    status_spans,
    summarise,
)

BASE = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # a Monday


def at(minutes: float) -> datetime:
    return BASE + timedelta(minutes=minutes)


def weekday_nine_to_five(start: datetime, end: datetime) -> int:
    """A toy business calendar: Mon–Fri 09:00–17:00 UTC."""
    total = timedelta(0)
    day = start.date()
    while end > start and day <= end.date():
        if day.weekday() < 5:
            opens = datetime.combine(day, time(9), UTC)
            closes = datetime.combine(day, time(17), UTC)
            total += max(min(end, closes) - max(start, opens), timedelta(0))
        day += timedelta(days=1)
    return total // timedelta(minutes=1)


class Conversation:
    """Writes events the way conversations.services does (receive, reply, notes, status)."""

    def __init__(self, start: float = 0, *, cid: object = 1, person: object = 1,
                 channel: str = "email", by_agent: bool = False) -> None:
        self.cid, self.person, self.channel, self.by_agent = cid, person, channel, by_agent
        self.created_at, self.status = at(start), "new"
        self.events = [Event(self.created_at, CONVERSATION_CREATED, by_agent=by_agent,
                             data={"channel": channel})]
        if not by_agent:
            self.events.append(Event(self.created_at, MESSAGE_RECEIVED, public=True))

    def customer(self, minutes: float) -> "Conversation":
        if self.status == "closed":
            return self
        self.events.append(Event(at(minutes), MESSAGE_RECEIVED, public=True))
        if self.status == "solved":
            self.events.append(Event(at(minutes), REOPENED, data={"from": "solved"}))
            self._status(minutes, "open", by_agent=False)
        elif self.status == "pending":
            self._status(minutes, "open", by_agent=False)
        return self

    def reply(self, minutes: float, status: str | None = None) -> "Conversation":
        if self.status == "closed":
            return self
        self.events.append(Event(at(minutes), REPLY_SENT, by_agent=True, public=True))
        if status is None and self.status == "new":
            status = "open"
        if status:
            self._status(minutes, status)
        return self

    def bot(self, minutes: float) -> "Conversation":
        self.events.append(Event(at(minutes), REPLY_SENT, public=True))
        return self

    def note(self, minutes: float) -> "Conversation":
        self.events.append(Event(at(minutes), NOTE_ADDED, by_agent=True))
        return self

    def set(self, minutes: float, status: str, *, by_agent: bool = True) -> "Conversation":
        if self.status != "closed":
            self._status(minutes, status, by_agent=by_agent)
        return self

    def _status(self, minutes: float, status: str, *, by_agent: bool = True) -> None:
        if status != self.status:
            self.events.append(Event(at(minutes), STATUS_CHANGED, by_agent=by_agent,
                                     data={"from": self.status, "to": status}))
            self.status = status

    def history(self) -> ConversationHistory:
        return ConversationHistory(self.cid, self.person, self.channel, self.created_at,
                                   created_by_agent=self.by_agent, events=self.events)


def cal(minutes: int) -> Minutes:
    return Minutes(minutes)


# --- reply times ------------------------------------------------------------------------------


def test_no_reply_yet_is_unanswered_and_out_of_averages():
    history = Conversation().customer(10).history()
    m = conversation_metrics(history)
    assert first_reply_time(history) is None
    assert m.awaiting_first_reply
    summary = summarise([history])
    assert (summary.awaiting_first_reply, summary.first_reply) == (1, Tally())
    assert response_time_breakdown([history], as_of=at(90)).awaiting_minutes == (90,)


def test_agent_created_conversation_has_no_frt_until_the_customer_writes():
    opened = Conversation(by_agent=True).reply(0, "pending")
    assert first_reply_time(opened.history()) is None
    assert not conversation_metrics(opened.history()).awaiting_first_reply
    assert response_time_breakdown([opened.history()]) == ResponseTimeBreakdown()
    opened.customer(600).reply(630, "solved")
    m = conversation_metrics(opened.history())
    assert m.first_reply == cal(30)  # not 630: the customer's own delay is not our wait
    assert m.replies == 2  # the opening message is a public agent comment too
    assert not m.one_touch


def test_notes_and_bot_messages_are_not_replies():
    history = Conversation().note(5).bot(6).reply(45).history()
    assert first_reply_time(history) == cal(45)
    assert conversation_metrics(history).replies == 1


def test_consecutive_customer_messages_form_one_instance_from_the_oldest():
    history = (Conversation().reply(10).customer(100).customer(130).customer(150).reply(160)
               .customer(200).history())
    assert first_reply_time(history) == cal(10)
    assert next_reply_times(history) == (cal(60),)
    turns = conversation_metrics(history).reply_instances
    assert [(t.started_at, t.replied_at) for t in turns] == [
        (at(0), at(10)), (at(100), at(160)), (at(200), None)]


def test_an_agent_follow_up_with_nothing_waiting_creates_no_instance():
    history = Conversation().reply(10).reply(20).reply(30).history()
    assert next_reply_times(history) == ()
    assert conversation_metrics(history).replies == 3


def test_phone_ticket_solved_silently_then_reopened_gets_frt_at_the_reply_after_reopen():
    history = Conversation(channel="phone").set(5, "solved").customer(300).reply(320).history()
    assert first_reply_time(history) == cal(320)


def test_business_minutes_come_from_the_callable():
    # created Friday 16:30, answered Monday 09:15
    friday = BASE + timedelta(days=4, hours=8, minutes=30)
    history = Conversation(start=(friday - BASE) / timedelta(minutes=1)).reply(
        (friday - BASE) / timedelta(minutes=1) + 60 * 64 + 45).history()
    assert first_reply_time(history, business_minutes=weekday_nine_to_five) == Minutes(
        60 * 64 + 45, 30 + 15)


# --- resolution, reopens, one-touch -----------------------------------------------------------


def test_reopen_after_solve():
    history = (Conversation().reply(10, "solved").customer(100).reply(130, "solved")
               .history())
    m = conversation_metrics(history)
    assert (m.first_resolution, m.full_resolution) == (cal(10), cal(130))
    assert (m.reopens, m.replies, m.one_touch) == (1, 2, False)
    summary = summarise([history])
    assert summary.reopen_rate == Ratio(1, 1)
    assert summary.reopens == 1


def test_still_reopened_is_not_solved_and_counts_in_no_resolution_average():
    history = Conversation().reply(10, "solved").customer(100).history()
    m = conversation_metrics(history)
    assert not m.solved
    assert m.full_resolution == cal(10)  # the latest solve so far
    summary = summarise([history])
    assert (summary.solved, summary.full_resolution, summary.reopen_rate) == (
        0, Tally(), Ratio())


def test_solved_then_closed_by_rule_keeps_its_resolution_and_stays_one_touch():
    history = (Conversation().reply(10, "solved")
               .set(10 + 4 * 1440, "closed", by_agent=False).history())
    m = conversation_metrics(history)
    assert (m.first_resolution, m.full_resolution) == (cal(10), cal(10))
    assert m.solved and m.one_touch
    assert m.status_times.solved == cal(4 * 1440)
    assert conversation_metrics(history, until=at(10 * 1440)).status_times.solved == cal(4 * 1440)


def test_closed_without_being_solved_uses_the_close():
    m = conversation_metrics(Conversation().reply(10).set(50, "closed").history())
    assert (m.first_resolution, m.full_resolution, m.solved) == (cal(50), cal(50), True)


def test_a_thanks_after_solve_reopens_so_it_is_not_one_touch():
    # comptoir's rule is "exactly 1 reply and 0 reopens"; receive() reopens on any message.
    history = Conversation().reply(10, "solved").customer(60).set(70, "solved").history()
    m = conversation_metrics(history)
    assert (m.replies, m.reopens, m.one_touch) == (1, 1, False)
    assert m.reply_instances[-1].replied_at is None  # the "thanks" turn stays unanswered


def test_one_touch_needs_exactly_one_reply():
    assert not conversation_metrics(Conversation().set(10, "solved").history()).one_touch
    assert conversation_metrics(Conversation().reply(10, "solved").history()).one_touch


def test_until_measures_as_of_an_earlier_instant():
    history = Conversation().reply(10, "pending").customer(100).reply(130, "solved").history()
    m = conversation_metrics(history, until=at(110))
    assert (m.solved, m.next_replies, m.replies) == (False, (), 1)
    assert m.status_times.pending == cal(90)
    assert (m.status_times.new, m.status_times.open) == (cal(10), cal(10))


def test_status_spans_start_from_the_first_changes_from():
    history = ConversationHistory(1, 1, "email", at(0), events=[
        Event(at(5), STATUS_CHANGED, data={"from": "open", "to": "pending"})])
    assert [s.status for s in status_spans(history)] == ["open", "pending"]


# --- one-contact resolution -------------------------------------------------------------------


def solved(cid, person, start, channel="email", solve_after=10):
    """Created at ``start`` minutes, answered 10 minutes later, solved ``solve_after`` in."""
    return (Conversation(start, cid=cid, person=person, channel=channel)
            .reply(start + 10).set(start + solve_after, "solved").history())


DAY = 1440


def test_ocr_window_is_inclusive_and_configurable():
    within = [solved("a", 1, 0), solved("b", 1, 7 * DAY + 10, channel="chat")]
    assert len(customer_issues(within)) == 1  # exactly 7 days after the solve
    apart = [solved("a", 1, 0), solved("b", 1, 7 * DAY + 11)]
    assert len(customer_issues(apart)) == 2
    assert one_contact_resolution(apart) == Ratio(2, 2)
    assert one_contact_resolution(apart, window=timedelta(days=10)) == Ratio(0, 1)


def test_ocr_window_counts_from_the_previous_solve():
    slow = [solved("a", 1, 0, solve_after=5 * DAY), solved("b", 1, 11 * DAY)]
    assert [i.conversation_ids for i in customer_issues(slow)] == [("a", "b")]


def test_ocr_issue_with_an_unsolved_conversation_is_not_solved():
    issues = customer_issues([solved("a", 1, 0), Conversation(DAY, cid="b").history()])
    assert [(i.solved, i.one_contact) for i in issues] == [(False, False)]


def test_ocr_people_are_kept_apart():
    assert one_contact_resolution([solved("a", 1, 0), solved("b", 2, 0)]) == Ratio(2, 2)


# --- satisfaction, ratios ---------------------------------------------------------------------


def test_csat_rejects_unknown_states_and_handles_nothing_rated():
    with pytest.raises(ValueError, match="unknown"):
        CsatTally.of_states(["great"])
    assert CsatTally.of_states(["offered"]).score.percent() is None


@pytest.mark.parametrize(("ratio", "digits", "expected"), [
    (Ratio(1, 8), 1, "12.5"), (Ratio(1, 16), 1, "6.3"), (Ratio(1, 3), 1, "33.3"),
    (Ratio(2, 3), 0, "67"), (Ratio(0, 5), 1, "0.0"), (Ratio(5, 5), 1, "100.0"),
])
def test_percent_rounds_half_up(ratio, digits, expected):
    assert ratio.percent(digits) == Decimal(expected)


def test_ratio_guards():
    assert Ratio().percent() is None
    with pytest.raises(ValueError, match="not a ratio"):
        Ratio(3, 2)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        Event(datetime(2027, 1, 1), NOTE_ADDED)


# --- SLA --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fulfilled", "now", "expected"), [
    (at(60), None, SlaOutcome.ACHIEVED),  # at the due instant: achieved
    (at(60) + timedelta(seconds=1), None, SlaOutcome.BREACHED),
    (None, at(60), SlaOutcome.ACTIVE),
    (None, at(61), SlaOutcome.BREACHED),
    (None, None, SlaOutcome.ACTIVE),
])
def test_sla_outcome(fulfilled, now, expected):
    assert sla_outcome(at(60), fulfilled, now=now) == expected


def test_a_reply_exactly_at_the_due_instant_is_achieved():
    history = Conversation().reply(60).history()
    (target,) = reply_targets(history, first_reply_minutes=60, next_reply_minutes=None)
    assert (target.due_at, target.outcome()) == (at(60), SlaOutcome.ACHIEVED)


def test_add_minutes_in_business_time():
    friday_1630 = datetime(2027, 3, 5, 16, 30, tzinfo=UTC)
    assert add_minutes(friday_1630, 60, business_minutes=weekday_nine_to_five) == datetime(
        2027, 3, 8, 9, 30, tzinfo=UTC)
    assert add_minutes(friday_1630, 30, business_minutes=weekday_nine_to_five) == datetime(
        2027, 3, 5, 17, 0, tzinfo=UTC)
    assert add_minutes(friday_1630, 0, business_minutes=weekday_nine_to_five) == friday_1630
    with pytest.raises(ValueError, match="no 5 open minutes"):
        add_minutes(friday_1630, 5, business_minutes=lambda s, e: 0)


def test_requester_wait_target_pauses_in_pending_and_projects_while_running():
    running = Conversation().reply(30, "pending").customer(90)
    target = requester_wait_target(running.history(), 60)
    assert (target.due_at, target.outcome(now=at(100))) == (at(120), SlaOutcome.ACTIVE)
    paused = Conversation().reply(30, "pending").history()
    assert requester_wait_target(paused, 60).due_at is None
    work = Conversation().reply(30, "on_hold").customer(90).set(95, "solved").history()
    target = requester_wait_target(work, 60, statuses=AGENT_WORK_STATUSES, metric="agent_work")
    assert (target.due_at, target.outcome()) == (None, SlaOutcome.ACHIEVED)


def test_attainment_leaves_active_targets_out():
    targets = [SlaTarget("first_reply", at(0), at(60), at(30)),
               SlaTarget("next_reply", at(100), at(160), None)]
    attainment = sla_attainment(targets, now=at(120))
    assert (attainment.targets, attainment.conversations) == (Ratio(1, 1), Ratio())
    assert sla_attainment(targets, now=at(200)).conversations == Ratio(0, 1)


# --- properties -------------------------------------------------------------------------------

PROPERTY = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

ACTIONS = ("customer", "reply", "reply_pending", "reply_solved", "reply_on_hold", "note",
           "solve", "hold", "close", "bot")


@st.composite
def histories(draw, cid=1):
    conversation = Conversation(
        draw(st.integers(0, 3 * 1440)), cid=cid, person=draw(st.integers(1, 3)),
        channel=draw(st.sampled_from(["email", "chat", "social"])), by_agent=draw(st.booleans()))
    minutes = (conversation.created_at - BASE) / timedelta(minutes=1)
    for gap, action in draw(st.lists(st.tuples(st.integers(0, 2000), st.sampled_from(ACTIONS)),
                                     max_size=12)):
        minutes += gap
        match action:
            case "customer":
                conversation.customer(minutes)
            case "reply":
                conversation.reply(minutes)
            case "reply_pending" | "reply_solved" | "reply_on_hold":
                conversation.reply(minutes, action.removeprefix("reply_"))
            case "note":
                conversation.note(minutes)
            case "bot":
                conversation.bot(minutes)
            case "solve" | "hold":
                conversation.set(minutes, {"solve": "solved", "hold": "on_hold"}[action])
            case "close" if conversation.status == "solved":
                conversation.set(minutes, "closed", by_agent=False)
    return conversation.history()


many_histories = st.integers(0, 12).flatmap(
    lambda n: st.tuples(*(histories(cid=i) for i in range(n))).map(list))


def everything(history_list, *, business=None):
    return (
        [conversation_metrics(h, business_minutes=business) for h in history_list],
        summarise(history_list, business_minutes=business),
        response_time_breakdown(history_list, as_of=at(20_000), business_minutes=business),
        customer_issues(history_list),
        [reply_targets(h, first_reply_minutes=60, next_reply_minutes=30) for h in history_list],
        [requester_wait_target(h, 480) for h in history_list],
    )


@PROPERTY
@given(history=histories())
def test_reply_times_are_never_negative(history):
    for turn in conversation_metrics(history, business_minutes=weekday_nine_to_five
                                     ).reply_instances:
        assert turn.started_at <= (turn.replied_at or turn.started_at)
        if turn.wait is not None:
            assert turn.wait.calendar >= 0
            assert 0 <= turn.wait.business <= turn.wait.calendar


@PROPERTY
@given(history=histories(), offset=st.integers(-100, 30_000))
def test_adding_a_note_never_changes_any_metric(history, offset):
    noted = history.with_event(Event(history.created_at + timedelta(minutes=offset), NOTE_ADDED,
                                     by_agent=True, data={"message_id": 99}))
    assert everything([noted]) == everything([history])


@PROPERTY
@given(history_list=many_histories, seed=st.integers(0, 2**16))
def test_merging_partials_in_any_order_and_grouping_gives_the_same_aggregate(history_list,
                                                                             seed):
    at_once = summarise(history_list)
    partials = [MetricsSummary.of(conversation_metrics(h)) for h in history_list]
    rng = random.Random(seed)
    rng.shuffle(partials)
    while len(partials) > 1:  # merge random neighbours, like rollups of rollups
        i = rng.randrange(len(partials) - 1)
        partials[i : i + 2] = [partials[i] + partials[i + 1]]
    assert (partials[0] if partials else MetricsSummary()) == at_once
    # and the aggregate agrees with the per-conversation functions
    frts = [first_reply_time(h) for h in history_list]
    assert at_once.first_reply == Tally.of(f.calendar for f in frts if f is not None)
    assert at_once.conversations == len(history_list)


@PROPERTY
@given(history_list=many_histories, split=st.integers(0, 12))
def test_breakdowns_merge_like_the_whole(history_list, split):
    def breakdown(items):
        return response_time_breakdown(items, answered_before=at(6000), as_of=at(6000))

    merged = breakdown(history_list[:split]) + breakdown(history_list[split:])
    assert merged == breakdown(history_list)


@PROPERTY
@given(minutes=st.lists(st.integers(0, 5000), max_size=60))
def test_bucket_shares_sum_to_100_and_cumulative_shares_climb(minutes):
    breakdown = ResponseTimeBreakdown.of_minutes(minutes)
    if not minutes:
        assert all(s.fraction is None for s in breakdown.shares())
        return
    assert sum(s.fraction for s in breakdown.shares()) == 1
    cumulative = [c.fraction for c in breakdown.cumulative()]
    assert cumulative == sorted(cumulative)
    assert cumulative[-1] == 1
    assert abs(sum(s.percent() for s in breakdown.shares()) - 100) <= Decimal("0.25")
    assert min(minutes) <= breakdown.median_minutes() <= max(minutes)


@PROPERTY
@given(history=histories())
def test_status_times_partition_the_life_of_the_conversation(history):
    m = conversation_metrics(history)
    spans = status_spans(history)
    t = m.status_times
    total = sum((t.new, t.open, t.pending, t.on_hold, t.solved), Minutes(0)).calendar
    assert total == (spans[-1].end - history.created_at) // timedelta(minutes=1)
    if m.solved:
        assert m.first_resolution.calendar <= m.full_resolution.calendar
        assert m.reopens == len(m.resolutions) - 1
    assert m.one_touch <= m.solved
