"""The matching rules, pure (no database)."""

from datetime import date, time

from comptoir.teamwork import picking
from comptoir.teamwork.picking import Candidate, Person, match

DAY = date(2026, 11, 25)  # a Wednesday


def person(pk, wanted=5, languages=("en",), skills=()):
    return Person(pk, frozenset(languages), frozenset(skills), wanted)


def candidate(pk, language="en", skills=(), good=True, age=0.0):
    return Candidate(pk, language, frozenset(skills), picking.rank(good, age or pk, pk))


def test_a_person_gets_only_languages_they_speak_or_unknown_ones():
    offered = match([person(1, languages=("fr",))],
                    [candidate(10, "en"), candidate(11, "fr"), candidate(12, ""),
                     candidate(13, "other"), candidate(14, "ja")], day=DAY)
    assert sorted(offered[1]) == [11, 12, 13]


def test_a_conversation_needing_a_skill_goes_only_to_someone_who_has_it():
    offered = match([person(1, wanted=1), person(2, wanted=1, skills=(7,))],
                    [candidate(10, skills=(7,))], day=DAY)
    assert offered == {2: [10]}


def test_never_the_same_conversation_twice_and_everyone_gets_one_before_anyone_gets_two():
    people = [person(pk, wanted=3) for pk in (1, 2, 3)]
    offered = match(people, [candidate(pk) for pk in range(10, 14)], day=DAY)
    picked = [cid for cids in offered.values() for cid in cids]
    assert len(picked) == len(set(picked)) == 4
    assert sorted(len(cids) for cids in offered.values()) == [1, 1, 2]


def test_conversations_already_offered_are_skipped():
    offered = match([person(1)], [candidate(10), candidate(11)], day=DAY, taken={10})
    assert offered == {1: [11]}


def test_good_first_replies_come_before_older_low_risk_ones():
    offered = match([person(1, wanted=1)],
                    [candidate(10, good=False, age=1.0), candidate(11, good=True, age=9.0)],
                    day=DAY)
    assert offered == {1: [11]}


def test_the_same_input_gives_the_same_shares():
    people = [person(pk, wanted=2) for pk in range(1, 30)]
    candidates = [candidate(pk) for pk in range(100, 140)]
    assert match(people, candidates, day=DAY) == match(people, candidates, day=DAY)


def test_working_days_follow_the_persons_hours():
    assert picking.works_on(None, DAY)  # office hours: Monday to Friday
    assert not picking.works_on(None, date(2026, 11, 28))  # Saturday
    mondays = {"0": [["08:00", "12:00"]]}
    assert not picking.works_on(mondays, DAY)
    assert picking.in_working_day(None, DAY, time(9, 30))
    assert not picking.in_working_day(None, DAY, time(8, 59))
    assert not picking.in_working_day(None, DAY, time(18, 0))
    assert not picking.works_on({"2": "nonsense"}, DAY)  # unreadable: no shift, no crash
