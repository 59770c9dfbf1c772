"""The rules alone: no database, the instant given."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from comptoir.routing import rules

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # Tuesday: 11:00 in Paris, 19:00 in Tokyo
TEAM = rules.TeamInfo(1, "Support", True)


def agent(pk: int, *, languages=("en",), zone="Europe/Paris", hours=None, skills=(),
          leaves=(), teams=(1,)) -> rules.Agent:
    return rules.Agent(pk, f"Agent {pk}", zone, frozenset(languages), tuple(teams),
                       frozenset(skills), rules.calendar_for(zone, hours), tuple(leaves))


def test_an_agent_has_nothing_that_measures_speed():
    """No-numbers: the rules cannot read what they are not given."""
    fields = {f.name for f in dataclasses.fields(rules.Agent)}
    assert fields == {"id", "name", "time_zone", "languages", "team_ids", "skill_ids",
                      "calendar", "leaves"}


def test_keywords_start_words_except_in_japanese():
    skill = rules.SkillRule.build(1, "Billing", keywords=["Invoice", "請求"])
    assert skill.match(frozenset(), "", "my invoices") == ("keyword", "invoice")
    assert skill.match(frozenset(), "", "reinvoiced") is None
    assert skill.match(frozenset(), "", "この請求書") == ("keyword", "請求")


def test_unreadable_hours_and_zones_never_break_routing():
    assert rules.calendar_for("Europe/Paris", {"0": "nine to five"}).minutes_per_week == 0
    assert rules.calendar_for("Mars/Olympus", None).zone.key == "UTC"
    assert rules.calendar_for("Europe/Paris", None).is_open(NOW)


def test_the_next_shift_skips_leave():
    person = agent(1, leaves=((date(2026, 11, 24), date(2026, 11, 26)),))
    assert person.on_leave(NOW)
    # Friday 27 November, 09:00 in Paris
    assert person.next_shift(NOW) == datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    assert agent(2, hours={}).next_shift(NOW) is None


LANGUAGES = st.sampled_from(["en", "fr", "de", "es", "ja"])
ZONES = st.sampled_from(["Europe/Paris", "Asia/Tokyo", "America/New_York", "UTC"])


@st.composite
def rosters(draw):
    count = draw(st.integers(1, 12))
    agents = [agent(pk, languages=draw(st.sets(LANGUAGES, min_size=1, max_size=3)),
                    zone=draw(ZONES), skills=draw(st.sets(st.sampled_from([1, 2]), max_size=2)),
                    leaves=((date(2026, 11, 24), date(2026, 11, 24)),)
                    if draw(st.booleans()) and draw(st.booleans()) else ())
              for pk in range(1, count + 1)]
    loads = {a.id: draw(st.integers(0, 5)) for a in agents}
    last = {a.id: float(draw(st.integers(0, 10))) for a in agents if draw(st.booleans())}
    return agents, loads, last


@settings(max_examples=60, deadline=None)
@given(rosters(), LANGUAGES, st.sets(st.sampled_from(["billing", "api"]), max_size=2))
def test_whoever_is_chosen_passes_every_rule_and_has_the_least_load(roster_data, language,
                                                                    tags):
    agents, loads, last = roster_data
    skills = [rules.SkillRule.build(1, "Billing", tags=["billing"]),
              rules.SkillRule.build(2, "API", tags=["api"])]
    roster = rules.Roster(agents, [TEAM], skills, NOW)
    needs = roster.needs(language, tags, "", "")
    decision = roster.decide(needs, team_id=1, team_reason="set", loads=loads,
                             last_assigned=last)
    screen = decision.screen
    assert sorted([a.id for a in screen.kept]
                  + [pk for ids in screen.dropped.values() for pk in ids]) == sorted(loads)
    held = {s for a in agents for s in a.skill_ids} & needs.skill_ids
    fit = [a for a in agents if language in a.languages and held <= a.skill_ids
           and not a.on_leave(NOW) and a.on_shift(NOW)]
    assert {a.id for a in screen.kept} == {a.id for a in fit}
    if not fit:
        assert decision.outcome == "queued" and decision.assignee_id is None
        assert decision.reason in {rule.value for rule in rules.RULES}
        return
    chosen = decision.assignee_id
    assert decision.outcome == "assigned" and chosen in {a.id for a in fit}
    assert loads[chosen] == min(loads[a.id] for a in fit)
    tied = [a.id for a in fit if loads[a.id] == loads[chosen]]
    assert last.get(chosen, float("-inf")) == min(last.get(pk, float("-inf")) for pk in tied)
