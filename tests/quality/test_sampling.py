"""The assignment planner on its own: properties over random weeks."""

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from comptoir.quality.sampling import Candidate, plan

PEOPLE = range(1, 13)


@st.composite
def weeks(draw):
    people = draw(st.lists(st.sampled_from(PEOPLE), min_size=2, max_size=12, unique=True))
    candidates = {}
    for conversation in range(1, draw(st.integers(0, 120)) + 1):
        authors = draw(st.lists(st.sampled_from(people), min_size=1, max_size=3))
        assignee = draw(st.one_of(st.none(), st.sampled_from(people)))
        candidates[conversation] = Candidate(Counter(authors), assignee)
    reviewers = draw(st.lists(st.sampled_from(people), min_size=1, unique=True))
    return candidates, reviewers, draw(st.integers(1, 10))


@settings(max_examples=150, deadline=None)
@given(weeks())
def test_never_own_at_most_the_goal_each_conversation_once(week):
    candidates, reviewers, goal = week
    picks = plan(candidates, reviewers, per_reviewer=goal, seed="w")
    for pick in picks:
        assert not candidates[pick.conversation].is_own(pick.reviewer)
        assert pick.reviewee == candidates[pick.conversation].most_active
        assert pick.reviewer in reviewers
    assert len({p.conversation for p in picks}) == len(picks)
    assert max(Counter(p.reviewer for p in picks).values(), default=0) <= goal
    assert plan(candidates, reviewers, per_reviewer=goal, seed="w") == picks


@settings(max_examples=100, deadline=None)
@given(weeks())
def test_a_reviewer_short_of_the_goal_had_nothing_left_to_review(week):
    candidates, reviewers, goal = week
    picks = plan(candidates, reviewers, per_reviewer=goal, seed="w")
    taken = {p.conversation for p in picks}
    got = Counter(p.reviewer for p in picks)
    for reviewer in reviewers:
        if got[reviewer] < goal:
            left = [c for c, cand in candidates.items()
                    if c not in taken and not cand.is_own(reviewer)]
            assert left == []


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 40), st.integers(1, 10), st.data())
def test_one_agent_per_conversation_spreads_within_one(people, goal, data):
    """Everyone reviews and answers, each conversation has one author, and there is more
    than enough to review: each person is reviewed the same number of times, give or take
    one, however unequal their volumes."""
    volumes = data.draw(st.lists(st.integers(goal + 2, 60), min_size=people, max_size=people))
    candidates, n = {}, 0
    for person, volume in enumerate(volumes, start=1):
        for _ in range(volume):
            n += 1
            candidates[n] = Candidate({person: 1}, person)
    picks = plan(candidates, range(1, people + 1), per_reviewer=goal, seed="spread")
    assert len(picks) == people * goal
    received = Counter(p.reviewee for p in picks)
    counts = [received[p] for p in range(1, people + 1)]
    assert max(counts) - min(counts) <= 1


def test_existing_assignments_are_kept_and_only_the_shortfall_is_filled():
    candidates = {c: Candidate({1 + c % 3: 1}) for c in range(1, 31)}
    first = plan(candidates, [1, 2, 3], per_reviewer=4, seed="s")
    existing = [(p.reviewer, p.conversation, p.reviewee) for p in first if p.reviewer != 3]
    again = plan(candidates, [1, 2, 3], per_reviewer=4, seed="s", existing=existing)
    assert {p.reviewer for p in again} == {3} and len(again) == 4
    assert not {p.conversation for p in again} & {c for _r, c, _e in existing}
