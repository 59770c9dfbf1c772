"""Duration histograms that rollups can add up: fixed, roughly log-spaced bins in minutes.

A median cannot be summed across days, but a histogram can: each rollup row holds the count of
conversations per bin, a report sums the bins over its rows and reads the median (or any
percentile) off the sum, interpolating inside the bin that holds it. The bins include every
edge of Buffer's response-time buckets (1 h, 3 h, 6 h, 24 h), so those five buckets are exact
sums of bins; only medians are approximate (to the width of one bin, shown with "≈").
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from .metrics import RESPONSE_BUCKETS

# Lower edges in minutes; bin i is [EDGES[i], EDGES[i + 1]), the last one is open-ended.
EDGES: tuple[int, ...] = (0, 5, 10, 15, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720, 1080,
                          1440, 2160, 2880, 4320, 7200, 10080, 20160, 43200)
COUNT = len(EDGES)


def bin_index(minutes: int) -> int:
    """The bin holding a duration (half-open, like the response-time buckets)."""
    if minutes < 0:
        raise ValueError("a duration cannot be negative")
    return bisect_right(EDGES, minutes) - 1


def bounds(index: int) -> tuple[int, int | None]:
    """[lower, upper) minutes of a bin; ``upper`` is ``None`` for the last one."""
    return EDGES[index], EDGES[index + 1] if index + 1 < COUNT else None


# Each of Buffer's buckets is a run of whole bins.
BUCKET_BINS: tuple[range, ...] = tuple(
    range(EDGES.index(bucket.lower),
          EDGES.index(bucket.upper) if bucket.upper is not None else COUNT)
    for bucket in RESPONSE_BUCKETS
)


def bucket_counts(bins: Sequence[int]) -> tuple[int, ...]:
    """The five response-time bucket counts of a histogram."""
    return tuple(sum(bins[i] for i in run) for run in BUCKET_BINS)


def percentile(bins: Sequence[int], fraction: float) -> float | None:
    """The duration (minutes) below which ``fraction`` of the histogram lies, interpolated
    linearly inside its bin. The open-ended last bin answers its lower edge. ``None`` when
    the histogram is empty."""
    total = sum(bins)
    if not total:
        return None
    target = fraction * total
    seen = 0
    for index, count in enumerate(bins):
        if count and seen + count >= target:
            lower, upper = bounds(index)
            if upper is None:
                return float(lower)
            return lower + (upper - lower) * (target - seen) / count
        seen += count
    return float(EDGES[-1])


def median(bins: Sequence[int]) -> float | None:
    return percentile(bins, 0.5)
