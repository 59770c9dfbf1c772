"""The numbers of conversation review, with no ORM: category score, review score, the
Internal Quality Score (IQS), pass rate and scores by category.

The formulas are Zendesk QA's, as chosen in ``shared/research/quality-review.md``:

- category score = (selected − min) ÷ (max − min) × 100, the scale's points numbered from 1
  (binary: 1 = fail, 2 = pass);
- review score = Σ(score × weight) ÷ Σ(weight) over the *rated* categories only (N/A leaves
  both sums, so a perfect review is always 100);
- a critical category scored below 50 sets the review score to 0; a passed critical
  category counts with its weight like any other;
- IQS = the mean of the review scores, every review counting equally;
- pass rate = reviews scoring at least the baseline (80 by default) ÷ all reviews.

Scores are kept at full precision; only display rounds them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PASS_BASELINE = 80.0
CRITICAL_FAIL_BELOW = 50.0
SCALES = (2, 3, 4, 5)  # points on a scale: binary, 3-, 4- and 5-point


def category_score(selected: int, points: int) -> float:
    """The 0–100 score of ``selected`` (1 to ``points``) on a scale of ``points`` points."""
    if points not in SCALES:
        raise ValueError(f"a scale has 2, 3, 4 or 5 points, not {points}")
    if not 1 <= selected <= points:
        raise ValueError(f"{selected} is not on a {points}-point scale")
    return (selected - 1) / (points - 1) * 100


@dataclass(frozen=True)
class Rated:
    """One category of a review: its score (None = N/A or skipped), weight and critical flag."""

    score: float | None
    weight: int
    critical: bool = False


def review_score(ratings: Sequence[Rated]) -> float | None:
    """The review's score, or None when nothing was rated (or only weight-0 categories and
    no critical failure): such a review has no score and does not count in IQS."""
    rated = [r for r in ratings if r.score is not None]
    if any(r.critical and r.score < CRITICAL_FAIL_BELOW for r in rated):  # type: ignore[operator]
        return 0.0
    total_weight = sum(r.weight for r in rated)
    if total_weight <= 0:
        return None
    return sum(r.score * r.weight for r in rated) / total_weight  # type: ignore[operator]


def review_score_before_gate(ratings: Sequence[Rated]) -> float | None:
    """The weighted mean without the critical gate (what the review would have scored)."""
    return review_score([Rated(r.score, r.weight) for r in ratings])


def iqs(scores: Iterable[float | None]) -> float | None:
    """Internal Quality Score: mean of the review scores (reviews without a score left out)."""
    values = [s for s in scores if s is not None]
    if not values:
        return None
    return sum(values) / len(values)


def pass_rate(scores: Iterable[float | None], baseline: float = PASS_BASELINE) -> float | None:
    """Percentage of scored reviews at or above ``baseline`` (80 passes, 79.9 fails)."""
    values = [s for s in scores if s is not None]
    if not values:
        return None
    return sum(1 for s in values if s >= baseline) / len(values) * 100


def scores_by_category(reviews: Iterable[dict[str, float | None]]) -> dict[str, float]:
    """Each category averaged on its own over the reviews that rated it; critical failures
    do not zero other categories here. ``reviews`` maps category name to score (None = N/A)."""
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for review in reviews:
        for name, score in review.items():
            if score is None:
                continue
            sums[name] = sums.get(name, 0.0) + score
            counts[name] = counts.get(name, 0) + 1
    return {name: sums[name] / counts[name] for name in sums}
