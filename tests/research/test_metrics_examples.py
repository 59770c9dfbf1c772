"""The worked examples of shared/research/metrics.md, figure by figure."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from comptoir.reports.metrics import (
    CONVERSATION_CREATED,
    FIRST_REPLY,
    MESSAGE_RECEIVED,
    NEXT_REPLY,
    NOTE_ADDED,
    REOPENED,
    REPLY_SENT,
    REQUESTER_WAIT,
    STATUS_CHANGED,
    ConversationHistory,
    ConversationMetrics,
    CsatTally,
    Event,
    NpsTally,
    Ratio,
    SlaOutcome,
    conversation_metrics,
    customer_issues,
    fcr_by_channel,
    one_contact_resolution,
    reply_targets,
    requester_wait_target,
    sla_attainment,
    status_times,
)

BERLIN = ZoneInfo("Europe/Berlin")
MINUTE = timedelta(minutes=1)


def berlin_business_minutes(start: datetime, end: datetime) -> int:
    """Mon–Fri 09:00–17:00 Europe/Berlin, no holidays: the example's calendar."""
    total = timedelta(0)
    day = start.astimezone(BERLIN).date() - timedelta(days=1)
    while end > start and day <= end.astimezone(BERLIN).date():
        if day.weekday() < 5:
            opens = datetime.combine(day, time(9), BERLIN)
            closes = datetime.combine(day, time(17), BERLIN)
            overlap = min(end, closes) - max(start, opens)
            total += max(overlap, timedelta(0))
        day += timedelta(days=1)
    return total // MINUTE


def berlin_minute_by_minute(start: datetime, end: datetime) -> int:
    """The note's own method: count each minute [t, t+1) whose local time is open."""
    count, t = 0, start
    while t < end:
        local = t.astimezone(BERLIN)
        count += local.weekday() < 5 and time(9) <= local.time() < time(17)
        t += MINUTE
    return count


def utc(day: int, hour: int, minute: int) -> datetime:
    return datetime(2027, 2, day, hour, minute, tzinfo=UTC)


T1, T2, T3, T4 = utc(4, 15, 10), utc(4, 15, 40), utc(5, 8, 30), utc(5, 10, 0)
T5, T6, T7, T8 = utc(5, 10, 45), utc(8, 9, 0), utc(9, 7, 30), utc(9, 9, 15)


def customer(at: datetime) -> Event:
    return Event(at, MESSAGE_RECEIVED, public=True, data={"channel": "email"})


def agent_reply(at: datetime) -> Event:
    return Event(at, REPLY_SENT, by_agent=True, public=True, data={"channel": "email"})


def status(at: datetime, before: str, after: str, *, by_agent: bool = True) -> Event:
    return Event(at, STATUS_CHANGED, by_agent=by_agent, data={"from": before, "to": after})


# The table, event by event, as conversations.services writes it.
EXAMPLE = ConversationHistory(
    conversation_id=1, person_id=10, channel="email", created_at=T1, events=[
        Event(T1, CONVERSATION_CREATED, data={"channel": "email", "plan": "", "person_id": 10,
                                              "language": "en"}),
        customer(T1),                                                  # 1 new
        Event(T2, NOTE_ADDED, by_agent=True, data={"message_id": 2}),  # 2 note
        status(T2, "new", "open"),
        agent_reply(T3), status(T3, "open", "pending"),                # 3
        customer(T4), status(T4, "pending", "open", by_agent=False),   # 4
        agent_reply(T5), status(T5, "open", "on_hold"),                # 5
        agent_reply(T6), status(T6, "on_hold", "solved"),              # 6
        customer(T7), Event(T7, REOPENED, data={"from": "solved"}),    # 7 "still broken"
        status(T7, "solved", "open", by_agent=False),
        agent_reply(T8), status(T8, "open", "solved"),                 # 8
    ])


@pytest.fixture(scope="module")
def measured() -> ConversationMetrics:
    return conversation_metrics(EXAMPLE, business_minutes=berlin_business_minutes)


FIGURES = {
    "FRT (1→3)": (lambda m: m.first_reply, 1040, 80),
    "NRT #1 (4→5)": (lambda m: m.next_replies[0], 45, 45),
    "NRT #2 (7→8)": (lambda m: m.next_replies[1], 105, 75),
    "first resolution (1→6)": (lambda m: m.first_resolution, 5390, 590),
    "full resolution (1→8)": (lambda m: m.full_resolution, 6845, 1085),
    "new": (lambda m: m.status_times.new, 30, 30),
    "open": (lambda m: m.status_times.open, 1160, 170),
    "pending": (lambda m: m.status_times.pending, 90, 90),
    "on-hold": (lambda m: m.status_times.on_hold, 4215, 375),
    "solved": (lambda m: m.status_times.solved, 1350, 420),
    "requester wait": (lambda m: m.status_times.requester_wait, 5405, 575),
    "agent work": (lambda m: m.status_times.agent_work, 1190, 200),
    "agent wait": (lambda m: m.status_times.agent_wait, 90, 90),
}


@pytest.mark.parametrize("name", FIGURES)
def test_worked_example_minutes(measured, name):
    get, calendar, business = FIGURES[name]
    value = get(measured)
    assert (value.calendar, value.business) == (calendar, business)


def test_event_6_answers_no_customer_message_so_no_nrt_instance(measured):
    assert [turn.started_at for turn in measured.reply_instances] == [T1, T4, T7]
    assert len(measured.next_replies) == 2


@pytest.mark.parametrize(("name", "expected"), [
    ("replies", 4), ("reopens", 1), ("one_touch", False),
])
def test_worked_example_counts(measured, name, expected):
    assert getattr(measured, name) == expected


def test_worked_example_fcr_on_email_is_no():
    assert fcr_by_channel([EXAMPLE]) == {"email": Ratio(0, 1)}


def test_check_first_resolution_is_the_sum_of_statuses_before_the_first_solve(measured):
    before_solve = status_times(EXAMPLE, until=T6)
    parts = [before_solve.new, before_solve.open, before_solve.pending, before_solve.on_hold]
    assert [p.calendar for p in parts] == [30, 1010 + 45, 90, 4215]
    assert sum(p.calendar for p in parts) == measured.first_resolution.calendar == 5390


@pytest.mark.parametrize(("start", "end", "expected"), [
    (T1, T3, 80), (T7, T8, 75), (T1, T6, 590), (T1, T8, 1085), (T5, T6, 375),
])
def test_the_test_calendar_agrees_with_counting_minute_by_minute(start, end, expected):
    assert berlin_business_minutes(start, end) == berlin_minute_by_minute(start, end) == expected


def example_targets(business: bool):
    calendar = berlin_business_minutes if business else None
    return (*reply_targets(EXAMPLE, first_reply_minutes=120, next_reply_minutes=60,
                           business_minutes=calendar),
            requester_wait_target(EXAMPLE, 480, business_minutes=calendar))


ACHIEVED, BREACHED = SlaOutcome.ACHIEVED, SlaOutcome.BREACHED


@pytest.mark.parametrize(("business", "index", "metric", "due", "outcome"), [
    (True, 0, FIRST_REPLY, utc(5, 9, 10), ACHIEVED),
    (True, 1, NEXT_REPLY, utc(5, 11, 0), ACHIEVED),
    (True, 2, NEXT_REPLY, utc(9, 9, 0), BREACHED),
    (True, 3, REQUESTER_WAIT, utc(8, 8, 40), BREACHED),  # 480th minute used
    (False, 0, FIRST_REPLY, utc(4, 17, 10), BREACHED),
    (False, 1, NEXT_REPLY, utc(5, 11, 0), ACHIEVED),
    (False, 2, NEXT_REPLY, utc(9, 8, 30), BREACHED),
    (False, 3, REQUESTER_WAIT, utc(4, 23, 10), BREACHED),
], ids=lambda v: str(v))
def test_worked_example_sla(business, index, metric, due, outcome):
    target = example_targets(business)[index]
    assert (target.metric, target.due_at, target.outcome()) == (metric, due, outcome)


def test_worked_example_attainment_is_two_of_four_and_the_ticket_missed_its_policy():
    attainment = sla_attainment(example_targets(business=True))
    assert attainment.targets == Ratio(2, 4)
    assert attainment.targets.percent() == Decimal("50.0")
    assert attainment.by_metric == {FIRST_REPLY: Ratio(1, 1), NEXT_REPLY: Ratio(1, 2),
                                    REQUESTER_WAIT: Ratio(0, 1)}
    assert attainment.conversations == Ratio(0, 1)


# --- FCR vs OCR ---------------------------------------------------------------------------------

DAY0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def solved_conversation(cid: str, person: int, channel: str, start: datetime,
                        replies: int) -> ConversationHistory:
    events, at = [customer(start)], start
    for n in range(replies):
        if n:
            at += timedelta(minutes=30)
            events.append(customer(at))
        at += timedelta(minutes=30)
        events.append(agent_reply(at))
    events.append(status(at, "new", "solved"))
    return ConversationHistory(cid, person, channel, start, events=events)


FCR_OCR = [
    solved_conversation("A", 1, "email", DAY0, replies=1),
    solved_conversation("B1", 2, "chat", DAY0, replies=1),
    solved_conversation("B2", 2, "email", DAY0 + timedelta(days=2), replies=1),  # same issue
    solved_conversation("C", 3, "email", DAY0, replies=3),
]


@pytest.mark.parametrize(("channel", "expected"), [("email", Ratio(2, 3)), ("chat", Ratio(1, 1))])
def test_fcr_per_channel(channel, expected):
    assert fcr_by_channel(FCR_OCR)[channel] == expected


def test_ocr_is_one_third_only_a():
    issues = customer_issues(FCR_OCR)
    assert sorted(i.conversation_ids for i in issues) == [("A",), ("B1", "B2"), ("C",)]
    assert [i.conversation_ids for i in issues if i.one_contact] == [("A",)]
    assert one_contact_resolution(FCR_OCR) == Ratio(1, 3)


# --- CSAT and NPS -------------------------------------------------------------------------------

CSAT = CsatTally.of_states(["good"] * 42 + ["bad"] * 8 + ["offered"] * 70 + ["unoffered"] * 30)
NPS = NpsTally.of_scores([10] * 60 + [9] * 50 + [8] * 30 + [7] * 20 + [6] * 25 + [0] * 15)


@pytest.mark.parametrize(("figure", "expected"), [
    ("offered", Decimal(120)),
    ("CSAT", Decimal("84.0")),
    ("response rate", Decimal("41.7")),
    ("unanswered as bad (wrong)", Decimal("35.0")),
    ("NPS answers", Decimal(200)),
    ("NPS", Decimal(35)),
])
def test_csat_and_nps(figure, expected):
    values = {
        "offered": Decimal(CSAT.offered),
        "CSAT": CSAT.score.percent(),
        "response rate": CSAT.response_rate.percent(),
        "unanswered as bad (wrong)": Ratio(CSAT.good, CSAT.offered).percent(),
        "NPS answers": Decimal(NPS.promoters + NPS.passives + NPS.detractors),
        "NPS": NPS.score(),
    }
    assert values[figure] == expected
    assert (NPS.promoters, NPS.detractors) == (110, 40)


def test_example_dates_are_what_the_note_says():
    assert [d.strftime("%a") for d in (T1, T3, T6, T7)] == ["Thu", "Fri", "Mon", "Tue"]
    assert T1.astimezone(BERLIN).date() == date(2027, 2, 4)
