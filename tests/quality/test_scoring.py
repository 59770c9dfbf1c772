"""The worked example of shared/research/quality-review.md, encoded exactly."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from comptoir.quality import scoring
from comptoir.quality.scoring import Rated

# The scorecard: Solution 4-point w40, Tone 5-point w20, Grammar binary w10 (N/A allowed),
# Privacy binary w10 critical. Values are the points picked (binary: 1 fail, 2 pass).
SCALE = {"Solution": (4, 40, False), "Tone": (5, 20, False), "Grammar": (2, 10, False),
         "Privacy": (2, 10, True)}
REVIEWS = {
    "R1": {"Solution": 3, "Tone": 4, "Grammar": 2, "Privacy": 2},
    "R2": {"Solution": 4, "Tone": 5, "Grammar": None, "Privacy": 2},
    "R3": {"Solution": 2, "Tone": 3, "Grammar": 1, "Privacy": 2},
    "R4": {"Solution": 4, "Tone": 4, "Grammar": 2, "Privacy": 1},
}
EXPECTED = {"R1": 77.083, "R2": 100.0, "R3": 41.667, "R4": 0.0}


def rated(review: dict) -> list[Rated]:
    out = []
    for name, value in review.items():
        points, weight, critical = SCALE[name]
        score = None if value is None else scoring.category_score(value, points)
        out.append(Rated(score, weight, critical))
    return out


@pytest.mark.parametrize(("points", "expected"), [
    (2, [0, 100]), (3, [0, 50, 100]), (4, [0, 33.333, 66.667, 100]),
    (5, [0, 25, 50, 75, 100]),
])
def test_category_scores_per_scale(points, expected):
    got = [scoring.category_score(v, points) for v in range(1, points + 1)]
    assert got == pytest.approx(expected, abs=0.001)


@pytest.mark.parametrize("name", sorted(REVIEWS))
def test_worked_example_review_scores(name):
    assert scoring.review_score(rated(REVIEWS[name])) == pytest.approx(EXPECTED[name], abs=0.001)


def test_r4_is_zeroed_by_its_failed_critical_category():
    assert scoring.review_score_before_gate(rated(REVIEWS["R4"])) == pytest.approx(81.25)
    assert scoring.review_score(rated(REVIEWS["R4"])) == 0


def test_worked_example_iqs_and_pass_rate():
    scores = [scoring.review_score(rated(REVIEWS[n])) for n in sorted(REVIEWS)]
    assert scoring.iqs(scores) == pytest.approx(54.69, abs=0.005)
    assert scoring.pass_rate(scores) == 25.0


def test_worked_example_scores_by_category_ignore_critical_failures():
    by_category = scoring.scores_by_category(
        {name: (None if v is None else scoring.category_score(v, SCALE[name][0]))
         for name, v in review.items()} for review in REVIEWS.values())
    assert by_category == pytest.approx(
        {"Solution": 75.0, "Tone": 75.0, "Grammar": 66.667, "Privacy": 75.0}, abs=0.001)


def test_zendesk_iqs_example():
    assert scoring.iqs([100, 9.91, 63.96, 90.99, 0]) == pytest.approx(52.97, abs=0.005)


def test_weighted_formula_not_points_reading():
    # the unweighted "points" reading of R1 is 81.8 % and would pass; ours fails it
    score = scoring.review_score(rated(REVIEWS["R1"]))
    assert score < scoring.PASS_BASELINE
    assert scoring.pass_rate([score]) == 0


def test_baseline_80_passes_and_79_9_fails():
    assert scoring.pass_rate([80.0, 79.9]) == 50.0


def test_na_leaves_both_sums_so_perfect_is_100():
    assert scoring.review_score([Rated(100, 40), Rated(None, 60)]) == 100


def test_passed_critical_counts_with_its_weight():
    # Privacy passed (100, w10) lifts R3 from 33.3 to 41.67
    without_privacy = [r for r in rated(REVIEWS["R3"]) if not r.critical]
    assert scoring.review_score(without_privacy) == pytest.approx(33.333, abs=0.001)
    assert scoring.review_score(rated(REVIEWS["R3"])) == pytest.approx(41.667, abs=0.001)


def test_critical_on_a_3_point_scale_fails_below_half_only():
    assert scoring.review_score([Rated(50, 10, True), Rated(100, 10)]) == 75
    assert scoring.review_score([Rated(0, 10, True), Rated(100, 10)]) == 0


def test_critical_na_does_not_fail():
    assert scoring.review_score([Rated(None, 10, True), Rated(100, 10)]) == 100


def test_nothing_rated_has_no_score_and_is_left_out_of_iqs():
    assert scoring.review_score([Rated(None, 10)]) is None
    assert scoring.iqs([None, 50]) == 50
    assert scoring.iqs([]) is None


def test_out_of_scale_is_refused():
    with pytest.raises(ValueError):
        scoring.category_score(5, 4)
    with pytest.raises(ValueError):
        scoring.category_score(1, 6)


@given(st.lists(st.tuples(st.integers(2, 5), st.integers(1, 5), st.integers(0, 100)),
                min_size=1, max_size=8))
def test_review_score_stays_between_0_and_100(items):
    ratings = [Rated(scoring.category_score(min(v, p), p), w) for p, v, w in items]
    score = scoring.review_score(ratings)
    assert score is None or 0 <= score <= 100
