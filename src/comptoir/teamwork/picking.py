"""Who gets which conversation in their daily share: pure, no ORM, no clock of its own.

``services.pick_shares`` loads the people and the suitable conversations once, then calls
:func:`match`. The rules, in order:

- a conversation goes to one person at most (``taken`` holds those already offered);
- a person gets conversations in a language they speak (an unknown language, ``""``, or
  ``"other"`` is anyone's, as in routing) and needing no skill they lack;
- shares fill in rounds: everyone's first conversation before anyone's second, in an order
  that rotates with the day, so nobody is always served last;
- within what a person may take: good first replies first, then the oldest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time

from comptoir.routing import rules

ANY_LANGUAGE = rules.ANY_LANGUAGE


@dataclass(frozen=True, slots=True)
class Person:
    """Someone to offer ``wanted`` more conversations to."""

    id: int
    languages: frozenset[str]
    skill_ids: frozenset[int]
    wanted: int


@dataclass(frozen=True, slots=True)
class Candidate:
    """A conversation that suits a non-specialist. ``rank``: lower is offered first."""

    id: int
    language: str
    skill_ids: frozenset[int]
    rank: tuple


def match(people: Iterable[Person], candidates: Iterable[Candidate], *, day: date,
          taken: Iterable[int] = ()) -> dict[int, list[int]]:
    """Person id → conversation ids newly offered to them (in the order offered)."""
    taken_ids = set(taken)
    grouped: dict[tuple[str, frozenset[int]], list[tuple[tuple, int]]] = {}
    for candidate in candidates:
        if candidate.id in taken_ids:
            continue
        language = "" if candidate.language in ANY_LANGUAGE else candidate.language
        grouped.setdefault((language, candidate.skill_ids), []).append(
            (candidate.rank, candidate.id))
    buckets = {key: sorted(items) for key, items in grouped.items()}
    heads = dict.fromkeys(buckets, 0)  # next unread position of each bucket
    eligible_cache: dict[tuple[frozenset[str], frozenset[int]], list] = {}

    def eligible(person: Person) -> list:
        key = (person.languages, person.skill_ids)
        found = eligible_cache.get(key)
        if found is None:
            found = eligible_cache[key] = [
                bucket for bucket in buckets
                if (not bucket[0] or bucket[0] in person.languages)
                and bucket[1] <= person.skill_ids]
        return found

    def next_for(person: Person) -> int | None:
        best: tuple | None = None
        best_bucket = None
        for bucket in eligible(person):
            items, at = buckets[bucket], heads[bucket]
            while at < len(items) and items[at][1] in taken_ids:
                at += 1
            heads[bucket] = at
            if at < len(items) and (best is None or items[at] < best):
                best, best_bucket = items[at], bucket
        if best is None:
            return None
        heads[best_bucket] += 1
        taken_ids.add(best[1])
        return best[1]

    order = sorted((p for p in people if p.wanted > 0), key=lambda p: _rotation(p.id, day))
    offered: dict[int, list[int]] = {}
    waiting = order
    round_number = 0
    while waiting:
        still = []
        for person in waiting:
            if round_number >= person.wanted:
                continue
            picked = next_for(person)
            if picked is None:
                continue  # nothing left they can take: they leave the rounds
            offered.setdefault(person.id, []).append(picked)
            still.append(person)
        waiting = still
        round_number += 1
    return offered


def _rotation(person_id: int, day: date) -> tuple[int, int]:
    # a multiplicative hash: the order changes every day, the same on every run of one day
    return ((person_id * 2654435761 + day.toordinal() * 40503) % 4294967296, person_id)


def rank(good_first_reply: bool, created_epoch: float, conversation_id: int) -> tuple:
    return (0 if good_first_reply else 1, created_epoch, conversation_id)


# --- working days ----------------------------------------------------------------------------


def day_hours(weekly_hours: object | None, weekday: int) -> list[tuple[time, time | None]]:
    """The person's shifts on ``weekday`` as (start, end) local times, ``end`` None for
    "24:00". ``weekly_hours`` is a ``WorkingHours`` value or None (office hours, as routing
    reads it). Unreadable hours mean no shift (logged by routing's parser's callers)."""
    try:
        hours = rules.OFFICE_HOURS if weekly_hours is None else rules.parse_hours(weekly_hours)
        intervals = [(_clock(start), None if end == "24:00" else _clock(end))
                     for start, end in hours.get(weekday, ())]
    except (TypeError, ValueError, IndexError):
        return []
    return sorted(intervals, key=lambda pair: pair[0])


def _clock(text: str) -> time:
    hour, minute = text.split(":")
    return time(int(hour), int(minute))


def works_on(weekly_hours: object | None, day: date) -> bool:
    return bool(day_hours(weekly_hours, day.weekday()))


def in_working_day(weekly_hours: object | None, local_day: date, local_time: time) -> bool:
    """Whether ``local_time`` falls between the day's first start and its last end."""
    intervals = day_hours(weekly_hours, local_day.weekday())
    if not intervals:
        return False
    start = intervals[0][0]
    ends = [end for _start, end in intervals]
    last = None if None in ends else max(e for e in ends if e is not None)
    return start <= local_time and (last is None or local_time < last)


def on_leave(leaves: Sequence[tuple[date, date]], day: date) -> bool:
    return any(start <= day <= end for start, end in leaves)


def languages_of(spoken: object, interface_language: str) -> frozenset[str]:
    """What someone answers in: their spoken languages, else their interface language."""
    if isinstance(spoken, list) and spoken:
        return frozenset(str(code) for code in spoken)
    return frozenset({interface_language or "en"})


class SkillNeeds:
    """The skills a conversation needs, as routing reads them (``rules.needs_of``), faster
    for thousands of conversations: the subject is searched with one pattern of every
    keyword first, and each skill's own only when that one matched."""

    def __init__(self, skills: Sequence[rules.SkillRule]) -> None:
        self.skills = tuple(skills)
        self.tags = frozenset().union(*(skill.tags for skill in self.skills))
        self.mailboxes = frozenset().union(*(skill.mailboxes for skill in self.skills))
        keyword_skills = [skill for skill in self.skills if skill.keywords]
        self.any_keyword = None
        if keyword_skills:
            everything = rules.SkillRule.build(
                0, "", keywords=[k for skill in keyword_skills for k in skill.keywords])
            self.any_keyword = everything._pattern

    def __call__(self, tags: Iterable[str], mailbox: str, subject: str) -> frozenset[int]:
        if not self.skills:
            return frozenset()
        tag_set = frozenset(tag.lower() for tag in tags)
        mailbox = (mailbox or "").strip().lower()
        folded = (subject or "").casefold()
        if (not tag_set & self.tags and mailbox not in self.mailboxes
                and (self.any_keyword is None or self.any_keyword.search(folded) is None)):
            return frozenset()
        return rules.needs_of("", tag_set, mailbox, folded, self.skills).skill_ids
