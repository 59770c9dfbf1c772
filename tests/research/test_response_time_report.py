"""shared/research/response-time-report.md: Buffer's November 2012 month, and the rules of the
response-time report (half-open buckets, first reply, unanswered apart, rounding)."""

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from comptoir.reports.metrics import (
    MESSAGE_RECEIVED,
    NOTE_ADDED,
    REPLY_SENT,
    RESPONSE_BUCKETS,
    ConversationHistory,
    Event,
    Ratio,
    ResponseTimeBreakdown,
    breakdown_by,
    bucket_index,
    response_time_breakdown,
)

NOV, DEC = datetime(2012, 11, 1, tzinfo=UTC), datetime(2012, 12, 1, tzinfo=UTC)
EMAILS = 4056
PUBLISHED_SHARES = (57, 14, 9, 13, 7)  # 9 and 13 are derived in the note
RECONSTRUCTED_COUNTS = (2312, 568, 365, 527, 284)


def conversation(cid: int, replied_at: datetime | None, frt_minutes: int = 0, *,
                 channel: str = "email", created_at: datetime | None = None,
                 ) -> ConversationHistory:
    created = created_at or replied_at - timedelta(minutes=frt_minutes)
    events = [Event(created, MESSAGE_RECEIVED, public=True)]
    if replied_at is not None:
        events.append(Event(replied_at, REPLY_SENT, by_agent=True, public=True))
    return ConversationHistory(cid, cid, channel, created, events=events)


def minutes_in_bucket(index: int, n: int) -> int:
    """The n-th first reply time used for a bucket: edges first, then spread inside."""
    bucket = RESPONSE_BUCKETS[index]
    upper = bucket.upper or 3 * 1440
    edges = (bucket.lower, upper - 1)
    return edges[n] if n < 2 else bucket.lower + (n * 37) % (upper - bucket.lower)


def november_2012() -> list[ConversationHistory]:
    """Buffer's month: 4,056 emails first answered in November, 10 minutes apart (some were
    written in October), plus social mentions, emails written and answered in October or in
    December, and emails still waiting on Dec 1 — which must not change the email figures."""
    month, cid = [], 0
    for index, count in enumerate(RECONSTRUCTED_COUNTS):
        for n in range(count):
            month.append(conversation(cid, NOV + timedelta(minutes=10 * cid),
                                      minutes_in_bucket(index, n)))
            cid += 1
    month += [conversation(10_000 + n, NOV + timedelta(hours=n), 30, channel="social")
              for n in range(20)]
    month += [conversation(20_000 + n, DEC + timedelta(hours=n + 3), 120) for n in range(5)]
    month += [conversation(30_000 + n, NOV - timedelta(minutes=n + 1), 10) for n in range(3)]
    month += [conversation(40_000 + n, None, created_at=DEC - timedelta(hours=n + 1))
              for n in range(4)]
    return month


@pytest.fixture(scope="module")
def email() -> ResponseTimeBreakdown:
    emails = [h for h in november_2012() if h.channel == "email"]
    return response_time_breakdown(emails, answered_from=NOV, answered_before=DEC)


def test_the_month_has_buffers_denominator_and_counts(email):
    assert email.answered == EMAILS
    assert email.counts == RECONSTRUCTED_COUNTS


@pytest.mark.parametrize(("figure", "index", "published"), [
    ("57% within 1 hour", 0, 57),
    ("14% within 3 hours (the 1–3 h band)", 1, 14),
    ("3–6 h = 80 − 57 − 14 = 9% (derived)", 2, 9),
    ("6–24 h = 100 − 80 − 7 = 13% (derived)", 3, 13),
    ("7% waited more than a day", 4, 7),
])
def test_bucket_shares_reproduce_the_published_figures(email, figure, index, published):
    share = email.shares()[index]
    assert share.percent(0) == published
    assert share.percent(1) == Decimal(published)  # as displayed: one decimal


@pytest.mark.parametrize(("figure", "index", "published"), [
    ("57% within 1 h", 0, 57),
    ("71% within 3 h", 1, 71),
    ("80% within 6 hours", 2, 80),
    ("93% within 24 h", 3, 93),
    ("100% answered", 4, 100),
])
def test_cumulative_shares(email, figure, index, published):
    assert email.cumulative()[index].percent(1) == Decimal(published)


@pytest.mark.parametrize(("index", "share", "exact", "count", "cumulative_count"), [
    (0, 57, "2311.92", 2312, 2312),
    (1, 14, "567.84", 568, 2880),
    (2, 9, "365.04", 365, 3245),
    (3, 13, "527.28", 527, 3772),
    (4, 7, "283.92", 284, 4056),
])
def test_reconstructed_counts_table(index, share, exact, count, cumulative_count):
    assert Decimal(share) * EMAILS / 100 == Decimal(exact)
    assert Decimal(exact).quantize(Decimal(1), ROUND_HALF_UP) == count  # to the nearest
    assert RECONSTRUCTED_COUNTS[index] == count
    assert sum(RECONSTRUCTED_COUNTS[: index + 1]) == cumulative_count
    assert Ratio(count, EMAILS).percent(0) == share  # each count rounds back to its share


def test_published_shares_and_counts_add_up():
    assert sum(PUBLISHED_SHARES) == 100
    assert sum(RECONSTRUCTED_COUNTS) == EMAILS


def test_unanswered_emails_are_shown_apart_with_their_age(email):
    assert email.awaiting == 4
    assert email.awaiting_minutes == (240, 180, 120, 60)


def test_per_channel_cut_keeps_social_apart():
    cuts = breakdown_by(november_2012(), lambda h: h.channel, answered_from=NOV,
                        answered_before=DEC)
    assert cuts["email"].counts == RECONSTRUCTED_COUNTS
    assert cuts["social"].counts == (20, 0, 0, 0, 0)


def test_the_month_is_anchored_on_the_first_reply():
    written_in_october = conversation(1, NOV + timedelta(minutes=5), 30)
    answered_in_december = conversation(2, DEC + timedelta(minutes=5), 30)
    breakdown = response_time_breakdown([written_in_october, answered_in_december],
                                        answered_from=NOV, answered_before=DEC)
    assert (breakdown.answered, breakdown.awaiting) == (1, 1)  # #2 still waited on Dec 1


@pytest.mark.parametrize(("minutes", "bucket"), [
    (0, "under_1h"), (59, "under_1h"),
    (60, "1h_3h"),  # exactly 1 h falls in "1 h – < 3 h"
    (179, "1h_3h"), (180, "3h_6h"), (359, "3h_6h"), (360, "6h_24h"), (1439, "6h_24h"),
    (1440, "24h_plus"), (10_000, "24h_plus"),
])
def test_buckets_are_half_open(minutes, bucket):
    assert RESPONSE_BUCKETS[bucket_index(minutes)].key == bucket


def test_a_reply_a_second_before_the_hour_is_under_one_hour():
    created = NOV
    history = ConversationHistory(1, 1, "email", created, events=[
        Event(created, MESSAGE_RECEIVED, public=True),
        Event(created + timedelta(minutes=59, seconds=59), REPLY_SENT, by_agent=True,
              public=True),
    ])
    assert response_time_breakdown([history]).counts == (1, 0, 0, 0, 0)


def test_the_report_uses_the_first_reply_with_metrics_md_definition_of_reply():
    created = NOV
    history = ConversationHistory(1, 1, "email", created, events=[
        Event(created, MESSAGE_RECEIVED, public=True),
        Event(created + timedelta(minutes=5), NOTE_ADDED, by_agent=True),
        Event(created + timedelta(minutes=10), REPLY_SENT, public=True),  # a bot: not a reply
        Event(created + timedelta(minutes=90), REPLY_SENT, by_agent=True, public=True),
        Event(created + timedelta(minutes=100), MESSAGE_RECEIVED, public=True),
        Event(created + timedelta(minutes=101), REPLY_SENT, by_agent=True, public=True),
    ])
    assert response_time_breakdown([history]).counts == (0, 1, 0, 0, 0)


def test_shares_are_rounded_for_display_only_and_need_not_add_to_100():
    breakdown = ResponseTimeBreakdown.of_minutes([10, 100, 200])
    assert [s.percent() for s in breakdown.shares()[:3]] == [Decimal("33.3")] * 3
    assert sum(s.fraction for s in breakdown.shares()) == 1


def test_median():
    assert ResponseTimeBreakdown.of_minutes([5, 50, 500]).median_minutes() == 50
    assert ResponseTimeBreakdown.of_minutes([5, 50, 70, 500]).median_minutes() == 60
    assert ResponseTimeBreakdown().median_minutes() is None
