"""Proposing a customer day: the advocate picked is free that day in their own time zone,
not on leave, not already pairing, and their team stays covered every hour; otherwise the
refusal says why, date by date and person by person."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from comptoir.accounts.models import Role
from comptoir.pairing import services
from comptoir.pairing.models import Pairing
from comptoir.routing import services as routing
from comptoir.routing.models import Skill

from .conftest import THURSDAY, TUESDAY, WEDNESDAY, engineer, hours, person, support_team


def reasons(exc: services.Refused) -> dict:
    return {v.day: [r.text() for r in v.refusals] for v in exc.verdicts}


def test_pairs_with_an_advocate_whose_hours_overlap_the_engineers():
    """An engineer in Los Angeles works 17:00–02:00 UTC in March: Berlin's advocates (08:00–
    17:00 UTC) share nothing with them, New York's (14:00–23:00 UTC) share six hours."""
    berlin = support_team("Berlin", "Europe/Berlin")
    person(Role.ADVOCATE, "Ana", "Europe/Berlin", team=berlin)
    person(Role.ADVOCATE, "Ben", "Europe/Berlin", team=berlin)
    americas = support_team("Americas", "America/New_York")
    nia = person(Role.ADVOCATE, "Nia", "America/New_York", team=americas)
    person(Role.LEAD, "Noa", "America/New_York", team=americas)
    eli = engineer("Eli", "America/Los_Angeles")

    pairing = services.propose(eli, [TUESDAY], tag="billing")

    assert pairing.advocate.first_name in {"Nia", "Noa"}
    assert pairing.day == TUESDAY
    assert pairing.starts_at == datetime(2027, 3, 2, 17, 0, tzinfo=UTC)
    assert pairing.ends_at == datetime(2027, 3, 2, 23, 0, tzinfo=UTC)
    assert pairing.advocate == nia  # same overlap, same past days: the lowest id


def test_an_advocate_on_leave_is_skipped_and_named_when_nobody_is_left():
    team = support_team("Berlin", "Europe/Berlin")
    ana = person(Role.ADVOCATE, "Ana", "Europe/Berlin", team=team)
    ben = person(Role.ADVOCATE, "Ben", "Europe/Berlin", team=team)
    cem = person(Role.ADVOCATE, "Cem", "Europe/Berlin", team=team)
    routing.add_leave(ana, TUESDAY, TUESDAY)

    first = services.propose(engineer("Eli"), [TUESDAY], tag="api")
    assert first.advocate in (ben, cem)

    routing.add_leave(ben, WEDNESDAY, WEDNESDAY)
    routing.add_leave(cem, WEDNESDAY, WEDNESDAY)
    with pytest.raises(services.Refused) as refused:
        services.propose(engineer("Eve"), [WEDNESDAY], tag="api")
    assert "Ben: on leave" in reasons(refused.value)[WEDNESDAY]
    assert "Cem: on leave" in reasons(refused.value)[WEDNESDAY]


def test_refuses_when_the_team_would_drop_below_its_minimum_and_says_which_hours():
    """Ben works 09:00–11:00 Berlin only: without Ana, the rest of the day is empty; and
    two hours with Ben are too short a day."""
    berlin = support_team("Berlin", "Europe/Berlin")
    person(Role.ADVOCATE, "Ana", "Europe/Berlin", team=berlin)
    person(Role.ADVOCATE, "Ben", "Europe/Berlin", team=berlin, work=hours("09:00", "11:00"))
    eli = engineer("Eli")

    with pytest.raises(services.Refused) as refused:
        services.propose(eli, [TUESDAY], tag="api")
    # Berlin is UTC+1 in March: 11:00–18:00 local is 10:00–17:00 UTC
    assert reasons(refused.value)[TUESDAY] == [
        "Ana: Berlin team would have 0 advocates 10:00–17:00 UTC, minimum 1",
        "Ben: 2 h in common with your hours, 3 h needed",
    ]
    assert not Pairing.objects.exists()

    # a second full-day advocate keeps the team covered: then Ana or Cy may go
    person(Role.ADVOCATE, "Cy", "Europe/Berlin", team=berlin)
    pairing = services.propose(eli, [TUESDAY], tag="api")
    assert pairing.advocate.first_name in {"Ana", "Cy"}


def test_a_higher_minimum_refuses_what_one_allowed():
    berlin = support_team("Berlin", "Europe/Berlin")
    for name in ("Ana", "Ben"):
        person(Role.ADVOCATE, name, "Europe/Berlin", team=berlin)
    services.set_minimum(berlin, 2)
    with pytest.raises(services.Refused) as refused:
        services.propose(engineer(), [TUESDAY], tag="api")
    assert ("Ana: Berlin team would have 1 advocate 08:00–17:00 UTC, minimum 2"
            in reasons(refused.value)[TUESDAY])


def test_the_first_candidate_date_that_works_wins_and_earlier_ones_say_why():
    berlin = support_team("Berlin", "Europe/Berlin")
    ana = person(Role.ADVOCATE, "Ana", "Europe/Berlin", team=berlin)
    ben = person(Role.ADVOCATE, "Ben", "Europe/Berlin", team=berlin)
    cem = person(Role.ADVOCATE, "Cem", "Europe/Berlin", team=berlin)
    for advocate in (ana, ben, cem):
        routing.add_leave(advocate, TUESDAY, TUESDAY)

    pairing = services.propose(engineer(), [TUESDAY, WEDNESDAY, THURSDAY], tag="api")
    assert pairing.day == WEDNESDAY
    assert pairing.candidates == ["2027-03-02", "2027-03-03", "2027-03-04"]


def test_an_advocate_pairs_once_a_day_and_the_others_keep_the_team_covered():
    """Two advocates in New York: the first day takes one; a second engineer that day would
    leave the other alone, and the team below its minimum."""
    americas = support_team("Americas", "America/New_York")
    nia = person(Role.ADVOCATE, "Nia", "America/New_York", team=americas)
    noa = person(Role.ADVOCATE, "Noa", "America/New_York", team=americas)
    first = services.propose(engineer("Eli", "America/New_York"), [TUESDAY], tag="api")
    assert first.advocate == nia

    with pytest.raises(services.Refused) as refused:
        services.propose(engineer("Eve", "America/New_York"), [TUESDAY], tag="api")
    said = reasons(refused.value)[TUESDAY]
    assert "Nia: already pairing that day" in said
    assert any(s.startswith("Noa: Americas team would have 0 advocates") for s in said)
    assert noa.pairings_as_advocate.count() == 0


def test_prefers_the_advocate_with_the_product_area_skill():
    team = support_team("Berlin", "Europe/Berlin")
    person(Role.ADVOCATE, "Ana", "Europe/Berlin", team=team)
    ben = person(Role.ADVOCATE, "Ben", "Europe/Berlin", team=team)
    person(Role.ADVOCATE, "Cem", "Europe/Berlin", team=team)
    billing = Skill.objects.create(name="Billing", tags=["billing"])
    billing.members.add(ben)

    pairing = services.propose(engineer(), [TUESDAY], skill=billing)
    assert pairing.advocate == ben
    assert pairing.product_area == "Billing"


def test_the_engineer_must_work_that_day_and_dates_must_be_ahead():
    team = support_team("Berlin", "Europe/Berlin")
    for name in ("Ana", "Ben"):
        person(Role.ADVOCATE, name, "Europe/Berlin", team=team)
    eli = engineer(work=hours("09:00", "17:00", days=[0, 2, 3, 4]))  # not on Tuesdays
    with pytest.raises(services.Refused) as refused:
        services.propose(eli, [TUESDAY], tag="api")
    assert reasons(refused.value) == {TUESDAY: ["You do not work that day."]}
    with pytest.raises(services.PairingError, match="from today on"):
        services.propose(eli, [TUESDAY.replace(year=2026)], tag="api")
    with pytest.raises(services.PairingError, match="product area"):
        services.propose(eli, [WEDNESDAY])
