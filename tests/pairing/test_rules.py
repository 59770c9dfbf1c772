"""The pairing rules alone: no database, the calendars given."""

from datetime import UTC, date, datetime

from comptoir.pairing import rules
from comptoir.routing.rules import calendar_for

DAY = date(2027, 3, 2)  # a Tuesday


def someone(pk: int, name: str, zone: str, hours=None, **fields) -> rules.Person:
    return rules.Person(pk, name, calendar_for(zone, hours), team_ids=(1,), **fields)


def at(hour: int) -> datetime:
    return datetime(2027, 3, 2, hour, tzinfo=UTC)


def test_overlap_of_two_shifts_across_time_zones():
    tokyo = someone(1, "Kei", "Asia/Tokyo")  # 00:00–09:00 UTC
    london = someone(2, "Lee", "Europe/London")  # 09:00–18:00 UTC
    lisbon_early = someone(3, "Rui", "Europe/Lisbon", {"1": [["07:00", "12:00"]]})
    assert rules.overlap(tokyo.shifts(DAY), london.shifts(DAY)) == []
    assert rules.overlap(tokyo.shifts(DAY), lisbon_early.shifts(DAY)) == [(at(7), at(9))]


def test_coverage_gaps_merge_consecutive_hours_with_the_same_count():
    ana = someone(1, "Ana", "UTC", {"1": [["08:00", "20:00"]]})
    ben = someone(2, "Ben", "UTC", {"1": [["08:00", "12:00"]]})
    cy = someone(3, "Cy", "UTC", {"1": [["10:00", "16:00"]]})
    team = rules.TeamRule(1, "Paris", (1, 2, 3), minimum=1)
    people = {p.id: p for p in (ana, ben, cy)}
    assert rules.coverage_gaps(ana, DAY, team, people) == [(at(16), at(20), 0)]
    two = rules.TeamRule(1, "Paris", (1, 2, 3), minimum=2)
    assert rules.coverage_gaps(ana, DAY, two, people) == [
        (at(8), at(10), 1), (at(12), at(16), 1), (at(16), at(20), 0)]
    # someone on leave does not count
    ben_off = someone(2, "Ben", "UTC", {"1": [["08:00", "12:00"]]}, leaves=((DAY, DAY),))
    people[2] = ben_off
    assert rules.coverage_gaps(ana, DAY, team, people) == [(at(8), at(10), 0),
                                                            (at(16), at(20), 0)]


def test_the_refusal_reads_like_a_sentence():
    refusal = rules.Refusal(rules.Why.COVERAGE, "Ana", {
        "team": "Berlin", "count": 0, "minimum": 1, "start": at(14), "end": at(15)})
    assert refusal.text() == "Ana: Berlin team would have 0 advocates 14:00–15:00 UTC, minimum 1"
    late = rules.Refusal(rules.Why.COVERAGE, "Ana", {
        "team": "Berlin", "count": 1, "minimum": 2, "start": at(22),
        "end": datetime(2027, 3, 3, 0, tzinfo=UTC)})
    assert late.text() == "Ana: Berlin team would have 1 advocate 22:00–24:00 UTC, minimum 2"


def test_skill_then_overlap_decide_between_free_advocates():
    engineer = someone(9, "Eli", "UTC")
    short = someone(1, "Ana", "UTC", {"1": [["09:00", "13:00"]]})
    long = someone(2, "Ben", "UTC")
    skilled = someone(3, "Cy", "UTC", {"1": [["09:00", "13:00"]]}, skill_ids=frozenset({7}))
    spare = [someone(pk, f"S{pk}", "UTC", {"1": [["00:00", "24:00"]]}) for pk in (4, 5)]
    team = rules.TeamRule(1, "Paris", (1, 2, 3, 4, 5))
    everyone = [short, long, skilled, *spare]
    assert rules.choose(engineer, [DAY], everyone, [team]).match.advocate == long
    assert rules.choose(engineer, [DAY], everyone, [team], skill_id=7).match.advocate == skilled
