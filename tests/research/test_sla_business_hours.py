"""The business-hours worked examples of the research notes, encoded exactly as given.

``../shared/research/sla-business-hours.md``: example A (pause, weekend, holiday), example B
(follow-the-sun coverage), example C (DST). ``../shared/research/metrics.md``: the worked
example (Berlin). Calendars, instants (UTC, as the documents give them), due times and
business minutes are copied from the documents; "calendar hours" figures use a 24/7 calendar.
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from comptoir.sla.calendar import BusinessCalendar, CoverageCalendar

MON_FRI_9_TO_17 = {weekday: [("09:00", "17:00")] for weekday in range(5)}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def check(calendar, kind, arguments, expected):
    """``add``: (start, minutes) → due; ``between``: (start, end) → business minutes;
    ``used``: running (start, end) segments of a paused clock → business minutes used;
    ``not-due``: (start, minutes) → an instant the due time must *not* be."""
    if kind == "add":
        assert calendar.add(*arguments) == expected
    elif kind == "between":
        assert calendar.minutes_between(*arguments) == expected
    elif kind == "used":
        assert sum(calendar.minutes_between(start, end) for start, end in arguments) == expected
    elif kind == "not-due":
        assert calendar.add(*arguments) != expected
    else:  # pragma: no cover
        raise AssertionError(kind)


# -- Example A: pause, weekend, holiday ------------------------------------------------------
# Europe/Paris, Mon–Fri 09:00–17:00, holidays 2026-12-25 and 2027-01-01. Priority high in
# business hours: first reply 240, next reply 120, requester wait 960 (warning at 768).
PARIS_A = BusinessCalendar("Europe/Paris", MON_FRI_9_TO_17, {date(2026, 12, 25), date(2027, 1, 1)})
PARIS_24_7 = BusinessCalendar.always_open("Europe/Paris")
CREATED_A = utc(2026, 12, 23, 15)  # 1: Wed 16:00 Paris
PENDING_A = utc(2026, 12, 24, 10, 30)  # 2: agent reply, pending (requester wait pauses)
RESUMED_A = utc(2026, 12, 24, 15)  # 3: customer replies, open (requester wait resumes)

EXAMPLE_A = [
    pytest.param(PARIS_A, "add", (CREATED_A, 240), utc(2026, 12, 24, 11), id="1-frt-due"),
    pytest.param(PARIS_A, "between", (CREATED_A, utc(2026, 12, 23, 16)), 60, id="1-60-wed"),
    pytest.param(PARIS_A, "between", (CREATED_A, PENDING_A), 210, id="2-frt-achieved-210"),
    pytest.param(PARIS_A, "used", [(CREATED_A, PENDING_A)], 210, id="2-rw-used-210"),
    pytest.param(PARIS_A, "add", (RESUMED_A, 750), utc(2026, 12, 29, 11, 30), id="3-rw-due"),
    pytest.param(PARIS_A, "add", (RESUMED_A, 120), utc(2026, 12, 28, 9), id="3-nrt-due"),
    pytest.param(
        PARIS_A, "between", (RESUMED_A, utc(2026, 12, 28, 8, 45)), 105, id="4-nrt-achieved-105"
    ),
    pytest.param(
        PARIS_24_7, "between", (RESUMED_A, utc(2026, 12, 28, 8, 45)), 5385, id="4-nrt-5385-cal"
    ),
    pytest.param(
        PARIS_A,
        "used",
        [(CREATED_A, PENDING_A), (RESUMED_A, utc(2026, 12, 28, 8, 45))],
        315,
        id="4-rw-used-315",
    ),
    pytest.param(
        PARIS_A,
        "used",
        [(CREATED_A, PENDING_A), (RESUMED_A, utc(2026, 12, 29, 8, 18))],
        768,
        id="5-rw-used-768",
    ),
    pytest.param(PARIS_A, "add", (RESUMED_A, 768 - 210), utc(2026, 12, 29, 8, 18), id="5-warning"),
    pytest.param(
        PARIS_A,
        "used",
        [(CREATED_A, PENDING_A), (RESUMED_A, utc(2026, 12, 29, 11, 30))],
        960,
        id="6-rw-used-960",
    ),
    pytest.param(
        PARIS_A, "add", (RESUMED_A, 960 - 210), utc(2026, 12, 29, 11, 30), id="6-rw-breach"
    ),
    pytest.param(
        PARIS_A,
        "used",
        [(CREATED_A, PENDING_A), (RESUMED_A, utc(2026, 12, 29, 13))],
        960 + 90,
        id="7-solved-1050-90-over",
    ),
    pytest.param(
        PARIS_A, "add", (CREATED_A, 960), utc(2026, 12, 28, 15), id="rw-due-without-pause"
    ),
    pytest.param(PARIS_24_7, "add", (CREATED_A, 240), utc(2026, 12, 23, 19), id="frt-due-cal"),
    pytest.param(PARIS_24_7, "between", (CREATED_A, PENDING_A), 1170, id="frt-reply-1170-cal"),
    pytest.param(
        PARIS_24_7,
        "between",
        (utc(2026, 12, 29, 11, 15), utc(2026, 12, 29, 11, 30)),
        15,
        id="amber-15-cal-min-before-due",
    ),
]


@pytest.mark.parametrize(("calendar", "kind", "arguments", "expected"), EXAMPLE_A)
def test_example_a_pause_weekend_holiday(calendar, kind, arguments, expected):
    check(calendar, kind, arguments, expected)


# -- Example B: follow-the-sun ---------------------------------------------------------------
SYDNEY = BusinessCalendar(
    "Australia/Sydney",
    MON_FRI_9_TO_17,
    {date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1)},
)
PARIS_B = BusinessCalendar("Europe/Paris", MON_FRI_9_TO_17, {date(2026, 12, 25), date(2027, 1, 1)})
NEW_YORK = BusinessCalendar(
    "America/New_York", MON_FRI_9_TO_17, {date(2026, 12, 25), date(2027, 1, 1)}
)
TEAMS = {"Sydney": SYDNEY, "Paris": PARIS_B, "NY": NEW_YORK}
UNION = CoverageCalendar(TEAMS.values())
CREATED_B = utc(2026, 12, 31, 20)  # Thu, first reply target 360 business minutes

COVERAGE_TUE_2026_12_29 = [  # UTC hours (inclusive) → who is open for the whole hour
    pytest.param(0, 5, {"Sydney"}, id="00-05-sydney"),
    pytest.param(6, 7, set(), id="06-07-gap"),
    pytest.param(8, 13, {"Paris"}, id="08-13-paris"),
    pytest.param(14, 15, {"Paris", "NY"}, id="14-15-paris-ny"),
    pytest.param(16, 21, {"NY"}, id="16-21-ny"),
    pytest.param(22, 23, {"Sydney"}, id="22-23-sydney-next-local-day"),
]


@pytest.mark.parametrize(("first_hour", "last_hour", "open_teams"), COVERAGE_TUE_2026_12_29)
def test_example_b_coverage_on_an_ordinary_weekday(first_hour, last_hour, open_teams):
    for hour in range(first_hour, last_hour + 1):
        start = utc(2026, 12, 29, hour)
        end = start + timedelta(hours=1)
        for name, team in TEAMS.items():
            assert team.minutes_between(start, end) == (60 if name in open_teams else 0), name
        assert UNION.minutes_between(start, end) == (60 if open_teams else 0)
    day = (utc(2026, 12, 29), utc(2026, 12, 30))
    assert list(UNION.gaps(*day)) == [(utc(2026, 12, 29, 6), utc(2026, 12, 29, 8))]


EXAMPLE_B_TICKET = [
    pytest.param(UNION, "add", (CREATED_B, 360), utc(2027, 1, 4, 2), id="union-due"),
    pytest.param(UNION, "between", (CREATED_B, utc(2026, 12, 31, 22)), 120, id="union-ny-120"),
    pytest.param(
        UNION,
        "between",
        (utc(2026, 12, 31, 22), utc(2027, 1, 3, 22)),
        0,
        id="union-no-open-minute-thu-22-to-sun-22",
    ),
    pytest.param(
        UNION, "between", (utc(2027, 1, 3, 22), utc(2027, 1, 4, 2)), 240, id="union-sydney-240"
    ),
    pytest.param(PARIS_B, "add", (CREATED_B, 360), utc(2027, 1, 4, 14), id="paris-only-due"),
    pytest.param(NEW_YORK, "add", (CREATED_B, 360), utc(2027, 1, 4, 18), id="ny-only-due"),
    pytest.param(NEW_YORK, "between", (CREATED_B, utc(2027, 1, 4, 14)), 120, id="ny-only-120-thu"),
    pytest.param(SYDNEY, "add", (CREATED_B, 360), utc(2027, 1, 4, 4), id="sydney-only-due"),
]


@pytest.mark.parametrize(("calendar", "kind", "arguments", "expected"), EXAMPLE_B_TICKET)
def test_example_b_ticket_on_new_years_eve(calendar, kind, arguments, expected):
    check(calendar, kind, arguments, expected)


def test_example_b_union_gap_over_new_year():
    assert list(UNION.gaps(CREATED_B, utc(2027, 1, 4, 2))) == [
        (utc(2026, 12, 31, 22), utc(2027, 1, 3, 22))
    ]
    assert UNION.next_opening(utc(2026, 12, 31, 22)) == utc(2027, 1, 3, 22)  # Sydney Mon 09:00


# -- Example C: DST ---------------------------------------------------------------------------
# Paris, Mon–Fri 09:00–17:00; summer time starts Sun 2027-03-28. Created Fri 15:00 UTC.
PARIS_C = BusinessCalendar("Europe/Paris", MON_FRI_9_TO_17, set())
CREATED_C = utc(2027, 3, 26, 15)

EXAMPLE_C = [
    pytest.param(PARIS_C, "add", (CREATED_C, 240), utc(2027, 3, 29, 10), id="due-mon-10-utc"),
    pytest.param(PARIS_C, "between", (CREATED_C, utc(2027, 3, 26, 16)), 60, id="60-friday"),
    pytest.param(
        PARIS_C, "between", (utc(2027, 3, 29, 7), utc(2027, 3, 29, 10)), 180, id="mon-from-07"
    ),
    pytest.param(PARIS_C, "add", (CREATED_C, 61), utc(2027, 3, 29, 7, 1), id="opens-07-utc"),
    pytest.param(PARIS_C, "not-due", (CREATED_C, 240), utc(2027, 3, 29, 11), id="not-fixed-plus-1"),
]


@pytest.mark.parametrize(("calendar", "kind", "arguments", "expected"), EXAMPLE_C)
def test_example_c_dst(calendar, kind, arguments, expected):
    check(calendar, kind, arguments, expected)


# -- metrics.md worked example ----------------------------------------------------------------
# Europe/Berlin, Mon–Fri 09:00–17:00, no holidays. FRT 2 h, NRT 1 h, requester wait 8 h.
BERLIN = BusinessCalendar("Europe/Berlin", MON_FRI_9_TO_17, set())
BERLIN_24_7 = BusinessCalendar.always_open("Europe/Berlin")
E1 = utc(2027, 2, 4, 15, 10)  # customer email creates the ticket (new)
E2 = utc(2027, 2, 4, 15, 40)  # internal note (open)
E3 = utc(2027, 2, 5, 8, 30)  # agent public reply (pending)
E4 = utc(2027, 2, 5, 10)  # customer reply (open)
E5 = utc(2027, 2, 5, 10, 45)  # agent public reply (on-hold)
E6 = utc(2027, 2, 8, 9)  # agent public reply (solved)
E7 = utc(2027, 2, 9, 7, 30)  # customer: "still broken" (open, reopen)
E8 = utc(2027, 2, 9, 9, 15)  # agent public reply (solved)
NEW, OPEN = [(E1, E2)], [(E2, E3), (E4, E5), (E7, E8)]
PENDING, ON_HOLD, SOLVED = [(E3, E4)], [(E5, E6)], [(E6, E7)]

# (name, segments, calendar minutes, business minutes), as in the document's table.
METRICS_DURATIONS = [
    ("frt", [(E1, E3)], 1040, 80),
    ("nrt-1", [(E4, E5)], 45, 45),
    ("nrt-2", [(E7, E8)], 105, 75),
    ("first-resolution", [(E1, E6)], 5390, 590),
    ("full-resolution", [(E1, E8)], 6845, 1085),
    ("new", NEW, 30, 30),
    ("open", OPEN, 1160, 170),
    ("pending", PENDING, 90, 90),
    ("on-hold", ON_HOLD, 4215, 375),
    ("solved", SOLVED, 1350, 420),
    ("requester-wait", NEW + OPEN + ON_HOLD, 5405, 575),
    ("agent-work", NEW + OPEN, 1190, 200),
    ("agent-wait", PENDING, 90, 90),
]
METRICS_EXAMPLE = [
    *(
        pytest.param(BERLIN, "used", segments, business, id=f"{name}-business")
        for name, segments, _, business in METRICS_DURATIONS
    ),
    *(
        pytest.param(BERLIN_24_7, "used", segments, calendar, id=f"{name}-calendar")
        for name, segments, calendar, _ in METRICS_DURATIONS
    ),
    pytest.param(BERLIN, "between", (E1, utc(2027, 2, 4, 16)), 50, id="frt-50-thu"),
    pytest.param(BERLIN, "between", (utc(2027, 2, 5), E3), 30, id="frt-30-fri"),
    pytest.param(BERLIN, "between", (utc(2027, 2, 9), E8), 75, id="nrt-2-from-09-local"),
    pytest.param(BERLIN, "add", (E1, 120), utc(2027, 2, 5, 9, 10), id="sla-frt-due-fri-09-10"),
    pytest.param(BERLIN, "add", (E4, 60), utc(2027, 2, 5, 11), id="sla-nrt-1-due"),
    pytest.param(BERLIN, "add", (E7, 60), utc(2027, 2, 9, 9), id="sla-nrt-2-breach-tue-09"),
    pytest.param(
        BERLIN,
        "used",
        [(E1, E3), (E4, utc(2027, 2, 8, 8, 40))],
        480,
        id="sla-rw-480th-minute-mon-08-40",
    ),
    pytest.param(
        BERLIN, "add", (E4, 480 - 80), utc(2027, 2, 8, 8, 40), id="sla-rw-breach-mon-08-40"
    ),
    pytest.param(BERLIN_24_7, "add", (E1, 120), utc(2027, 2, 4, 17, 10), id="cal-frt-thu-17-10"),
    pytest.param(BERLIN_24_7, "add", (E7, 60), utc(2027, 2, 9, 8, 30), id="cal-nrt-2-tue-08-30"),
    pytest.param(BERLIN_24_7, "add", (E1, 480), utc(2027, 2, 4, 23, 10), id="cal-rw-thu-23-10"),
]


@pytest.mark.parametrize(("calendar", "kind", "arguments", "expected"), METRICS_EXAMPLE)
def test_metrics_worked_example(calendar, kind, arguments, expected):
    check(calendar, kind, arguments, expected)


def test_metrics_first_resolution_check_line():
    # "first resolution = 30 + 1,010 + 90 + 45 + 4,215 = 5,390" (calendar minutes)
    segments = [(E1, E2), (E2, E3), (E3, E4), (E4, E5), (E5, E6)]
    parts = [BERLIN_24_7.minutes_between(start, end) for start, end in segments]
    assert parts == [30, 1010, 90, 45, 4215]
    assert sum(parts) == 5390
