"""Who reviews what this week, with no ORM: ``plan`` turns the week's answered conversations
and the reviewers into assignments.

Rules, in order:

1. a reviewer never gets a conversation they replied in or are assigned to;
2. a conversation goes to one reviewer at most, and is credited to its most active agent
   (most public replies; ties to the lowest id);
3. reviewers take turns (one conversation each per round, in a seeded order) until each has
   ``per_reviewer``, or nothing they may review is left;
4. at each turn the reviewer gets someone among the least-reviewed people, preferably
   someone they have not reviewed yet this week; a final pass moves assignments from the
   most-reviewed to the least-reviewed people until they are at most one apart (when the
   rules above allow it);
5. every random choice comes from ``seed``, so the same input gives the same plan; existing
   assignments are kept and only a reviewer's shortfall is filled.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    """A conversation of the period: replies per author, and its assignee."""

    replies: Mapping[int, int]
    assignee: int | None = None

    @property
    def most_active(self) -> int:
        return min(self.replies, key=lambda a: (-self.replies[a], a))

    def is_own(self, person: int) -> bool:
        return person in self.replies or self.assignee == person


@dataclass(frozen=True)
class Pick:
    reviewer: int
    conversation: int
    reviewee: int


class _Planner:
    def __init__(self, candidates: Mapping[int, Candidate],
                 existing: Iterable[tuple[int, int, int | None]], rng: random.Random):
        self.candidates = candidates
        self.received: Counter[int] = Counter()
        self.seen: dict[int, Counter[int]] = defaultdict(Counter)
        used = set()
        for reviewer, conversation, reviewee in existing:
            used.add(conversation)
            if reviewee is not None:
                self.received[reviewee] += 1
                self.seen[reviewer][reviewee] += 1
        self.pools: dict[int, list[int]] = defaultdict(list)
        for conversation in sorted(candidates):
            if conversation not in used and candidates[conversation].replies:
                self.pools[candidates[conversation].most_active].append(conversation)
        for reviewee in sorted(self.pools):
            rng.shuffle(self.pools[reviewee])
        tiebreak = {e: rng.random() for e in sorted(self.pools)}
        self.heap = [(self.received[e], tiebreak[e], e) for e in sorted(self.pools)]
        heapq.heapify(self.heap)

    def find(self, reviewer: int, reviewee: int) -> int | None:
        """Where, in the reviewee's pool, a conversation this reviewer may review is."""
        pool = self.pools[reviewee]
        for i in range(len(pool) - 1, -1, -1):
            if not self.candidates[pool[i]].is_own(reviewer):
                return i
        return None

    def take(self, reviewee: int, i: int) -> int:
        pool = self.pools[reviewee]
        pool[i], pool[-1] = pool[-1], pool[i]
        return pool.pop()

    def pick(self, reviewer: int) -> Pick | None:
        """Someone among the least reviewed; among them, preferably someone this reviewer
        has not reviewed yet this week."""
        popped: list[tuple[int, float, int]] = []
        chosen: tuple[tuple[int, float, int], int] | None = None
        fallback: tuple[tuple[int, float, int], int] | None = None
        while self.heap:
            entry = heapq.heappop(self.heap)
            if fallback is not None and entry[0] > fallback[0][0]:
                heapq.heappush(self.heap, entry)
                break
            popped.append(entry)
            if entry[2] == reviewer:
                continue
            i = self.find(reviewer, entry[2])
            if i is None:
                continue
            if not self.seen[reviewer][entry[2]]:
                chosen = (entry, i)
                break
            if fallback is None:
                fallback = (entry, i)
        chosen = chosen or fallback
        for entry in popped:
            if chosen is None or entry is not chosen[0]:
                heapq.heappush(self.heap, entry)
        if chosen is None:
            return None
        (count, tiebreak, reviewee), i = chosen
        conversation = self.take(reviewee, i)
        if self.pools[reviewee]:
            heapq.heappush(self.heap, (count + 1, tiebreak, reviewee))
        self.received[reviewee] += 1
        self.seen[reviewer][reviewee] += 1
        return Pick(reviewer, conversation, reviewee)

    def rebalance(self, picks: list[Pick]) -> list[Pick]:
        """Taking turns, and never reviewing oneself, can leave someone two reviews behind
        at the last turns: move new picks from the most-reviewed people to the least
        reviewed (who still have conversations to give) until they are at most one apart,
        or no move is allowed."""
        by_reviewee: dict[int, list[int]] = defaultdict(list)  # reviewee -> indexes in picks
        for n, pick in enumerate(picks):
            by_reviewee[pick.reviewee].append(n)
        for _attempt in range(len(picks)):
            lows = sorted((e for e in self.pools if self.pools[e]),
                          key=lambda e: (self.received[e], e))
            highs = sorted((e for e in by_reviewee if by_reviewee[e]),
                           key=lambda e: (-self.received[e], e))
            if not self._move_one(picks, by_reviewee, highs, lows):
                break
        return picks

    def _move_one(self, picks: list[Pick], by_reviewee: dict[int, list[int]],
                  highs: list[int], lows: list[int]) -> bool:
        for high in highs:
            for low in lows:
                if self.received[high] - self.received[low] <= 1:
                    break
                for n in by_reviewee[high]:
                    pick = picks[n]
                    i = None if pick.reviewer == low else self.find(pick.reviewer, low)
                    if i is None:
                        continue
                    self.pools[high].append(pick.conversation)
                    picks[n] = Pick(pick.reviewer, self.take(low, i), low)
                    by_reviewee[high].remove(n)
                    by_reviewee[low].append(n)
                    self.received[high] -= 1
                    self.received[low] += 1
                    self.seen[pick.reviewer][high] -= 1
                    self.seen[pick.reviewer][low] += 1
                    return True
        return False


def plan(candidates: Mapping[int, Candidate], reviewers: Iterable[int], *,
         per_reviewer: int, seed: str,
         existing: Iterable[tuple[int, int, int | None]] = ()) -> list[Pick]:
    """The new assignments (see the module docstring). ``existing``: (reviewer,
    conversation, reviewee) already assigned this week, kept as they are."""
    existing = list(existing)
    # sampling, not secrecy: the same week must draw the same assignments
    rng = random.Random(seed)  # noqa: S311
    planner = _Planner(candidates, existing, rng)
    have: Counter[int] = Counter(r for r, _c, _e in existing)
    order = sorted(set(reviewers))
    rng.shuffle(order)
    picks: list[Pick] = []
    exhausted: set[int] = set()
    for round_no in range(per_reviewer):
        for reviewer in order:
            if have[reviewer] > round_no or reviewer in exhausted:
                continue
            pick = planner.pick(reviewer)
            if pick is None:
                exhausted.add(reviewer)
                continue
            have[reviewer] += 1
            picks.append(pick)
    return planner.rebalance(picks)
