"""The assignment rules, pure: no ORM, no clock of their own (the instant is given).

A new conversation goes to a **team**, then to an **agent** of it:

Team
    1. The team it already has: its mailbox's (``receive()`` sets it) or one set by hand.
    2. Otherwise follow-the-sun over the support teams (``Team.is_support``): every
       assignable member of every support team is screened (below) and the best one wins;
       the conversation joins that agent's support team (the first by name if several).
    3. When nobody anywhere can take it now, it waits in the queue of the support team whose
       people who speak its language come on shift the soonest (any team's people when no
       team speaks it); ``next_on_shift``.
    4. No support team at all: it stays without a team (``no_support_team``).

Agent: who may get it
    Only active advocates and leads. Teammates (engineers, designers, founders) take their
    daily share instead (issue 7); observers and admins answer nobody. Each candidate then
    passes these rules in order; the first one failed is recorded as why they were dropped:

    ``language``
        speaks the conversation's language (``User.spoken_languages``). An unknown language
        (``""``, too short to tell) or ``"other"`` (none of ours) is anyone's.
    ``skill``
        has every skill the conversation needs (:func:`needs_of`: from its tags, its
        mailbox, the words of its subject). A needed skill that nobody in the pool has at all
        is ignored (and shown as such): a skill configured for another team must not leave
        this team's conversations waiting forever.
    ``leave``
        is not on leave today, in their own time zone.
    ``shift``
        is on shift now in their own time zone (``WorkingHours``; no row: Monday to Friday
        09:00–18:00; empty hours: never).

Agent: who gets it
    The candidate with the fewest conversations waiting on them (``new`` or ``open``; a
    conversation pending on the customer or on hold waits on someone else), then round-robin:
    the one whose latest automatic assignment is the oldest (never: first), then the lowest id
    so that the result is deterministic.

"No-numbers": no rule reads how fast anyone replies or solves, how long they spend, their
satisfaction scores or how many conversations they closed. Load is what is on someone's plate
now, not how quickly they cleared it.
"""

from __future__ import annotations

import heapq
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from comptoir.sla.calendar import BusinessCalendar

logger = logging.getLogger(__name__)

ASSIGNABLE_ROLES = ("advocate", "lead")
LOAD_STATUSES = ("new", "open")
ANY_LANGUAGE = ("", "other")
OFFICE_HOURS: dict[int, list[tuple[str, str]]] = {
    weekday: [("09:00", "18:00")] for weekday in range(5)
}
RANKED_KEPT = 10  # people kept whose standing each decision records (the rest: in the pool)
_NEXT_SHIFT_LOOKAHEAD = 8  # leave periods skipped when looking for someone's next shift


class Rule(StrEnum):
    """The screening rules, in the order they are applied."""

    LANGUAGE = "language"
    SKILL = "skill"
    LEAVE = "leave"
    SHIFT = "shift"


RULES = tuple(Rule)


class Reason(StrEnum):
    """Why a conversation waits in a queue (beyond the rule that emptied the pool)."""

    NO_AGENTS = "no_agents"  # the team has no active advocate or lead
    NO_SUPPORT_TEAM = "no_support_team"
    ERROR = "error"  # routing failed; the message is kept and the failure logged


class TeamReason(StrEnum):
    MAILBOX = "mailbox"  # the mailbox the customer wrote to belongs to the team
    SET = "set"  # the conversation already had it
    FOLLOW_THE_SUN = "follow_the_sun"  # the chosen agent's support team
    NEXT_ON_SHIFT = "next_on_shift"  # nobody now: the team whose people start the soonest
    NONE = "none"


# --- configuration ---------------------------------------------------------------------------


def parse_hours(raw: object) -> dict[int, list[tuple[str, str]]]:
    """``{"0": [["09:00", "18:00"]], ...}`` (JSON) → ``{0: [("09:00", "18:00")]}``; the
    calendar validates the times. Raises ``ValueError``/``TypeError`` on another shape."""
    if not isinstance(raw, Mapping):
        raise TypeError("weekly hours are a mapping of weekday to intervals")
    hours: dict[int, list[tuple[str, str]]] = {}
    for key, intervals in raw.items():
        weekday = int(key)
        if isinstance(intervals, str | bytes) or not isinstance(intervals, Iterable):
            raise TypeError(f"weekday {weekday}: expected a list of [start, end] pairs")
        hours[weekday] = [(str(pair[0]), str(pair[1])) for pair in intervals]
    return hours


def hours_to_json(hours: Mapping[int, Iterable[tuple[str, str]]]) -> dict[str, list[list[str]]]:
    return {str(day): [[start, end] for start, end in intervals]
            for day, intervals in sorted(hours.items()) if intervals}


def calendar_for(time_zone: str, weekly_hours: object | None) -> BusinessCalendar:
    """Someone's shifts as a calendar: ``None`` is office hours; unreadable hours or zone are
    logged and read as "never on shift" / UTC, so that bad data never breaks intake."""
    try:
        hours = OFFICE_HOURS if weekly_hours is None else parse_hours(weekly_hours)
        frozen = tuple(sorted((day, tuple(intervals)) for day, intervals in hours.items()))
    except (TypeError, ValueError, IndexError):
        logger.warning("unreadable working hours %r: never on shift", weekly_hours)
        frozen = ()
    try:
        return _calendar(time_zone, frozen)
    except (TypeError, ValueError):
        logger.warning("unusable working hours %r in %r: never on shift", weekly_hours, time_zone)
        return _calendar("UTC", ())


@lru_cache(maxsize=1024)
def _calendar(time_zone: str, frozen: tuple) -> BusinessCalendar:
    try:
        return BusinessCalendar(time_zone, dict(frozen))
    except ValueError:
        if time_zone == "UTC":
            raise
        return BusinessCalendar("UTC", dict(frozen))


_CJK = ("W", "F")  # East Asian wide characters: words are not separated by spaces


@dataclass(frozen=True, slots=True)
class SkillRule:
    """A skill and what calls for it (lower-case)."""

    id: int
    name: str
    tags: frozenset[str] = frozenset()
    mailboxes: frozenset[str] = frozenset()
    keywords: tuple[str, ...] = ()
    _pattern: re.Pattern | None = field(default=None, compare=False, repr=False)

    @classmethod
    def build(cls, id: int, name: str, tags: Iterable[str] = (), mailboxes: Iterable[str] = (),
              keywords: Iterable[str] = ()) -> SkillRule:
        words = tuple(sorted({k.strip().casefold() for k in keywords if k.strip()}))
        parts = [re.escape(word) if unicodedata.east_asian_width(word[0]) in _CJK
                 else r"(?<!\w)" + re.escape(word) for word in words]
        return cls(id, name, frozenset(t.strip().lower() for t in tags),
                   frozenset(m.strip().lower() for m in mailboxes), words,
                   re.compile("|".join(parts)) if parts else None)

    def match(self, tags: frozenset[str], mailbox: str, subject: str) -> tuple[str, str] | None:
        """What calls for this skill: ``("tag", "billing")``, ``("mailbox", address)``,
        ``("keyword", word)``, or None. ``subject`` is case-folded."""
        common = tags & self.tags
        if common:
            return "tag", min(common)
        if mailbox and mailbox in self.mailboxes:
            return "mailbox", mailbox
        if self._pattern is not None:
            found = self._pattern.search(subject)
            if found is not None:
                return "keyword", found.group(0)
        return None


@dataclass(frozen=True, slots=True)
class NeededSkill:
    id: int
    name: str
    by: str  # "tag", "mailbox" or "keyword"
    value: str


@dataclass(frozen=True, slots=True)
class Needs:
    """What a conversation asks of whoever takes it."""

    language: str = ""
    skills: tuple[NeededSkill, ...] = ()
    mailbox: str = ""

    @property
    def any_language(self) -> bool:
        return self.language in ANY_LANGUAGE

    @property
    def skill_ids(self) -> frozenset[int]:
        return frozenset(skill.id for skill in self.skills)

    def as_json(self, ignored: Iterable[int] = ()) -> dict:
        ignored = set(ignored)
        return {
            "language": self.language, "mailbox": self.mailbox,
            "skills": [{"id": s.id, "name": s.name, "by": s.by, "value": s.value,
                        "ignored": s.id in ignored} for s in self.skills],
        }


def needs_of(language: str, tags: Iterable[str], mailbox: str, subject: str,
             skills: Iterable[SkillRule]) -> Needs:
    tag_set = frozenset(tag.lower() for tag in tags)
    mailbox = (mailbox or "").strip().lower()
    folded = (subject or "").casefold()
    needed = []
    for skill in skills:
        found = skill.match(tag_set, mailbox, folded)
        if found is not None:
            needed.append(NeededSkill(skill.id, skill.name, *found))
    return Needs(language or "", tuple(needed), mailbox)


# --- people ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Agent:
    """An assignable person as the rules see them."""

    id: int
    name: str
    time_zone: str
    languages: frozenset[str]
    team_ids: tuple[int, ...]
    skill_ids: frozenset[int]
    calendar: BusinessCalendar
    leaves: tuple[tuple[date, date], ...] = ()

    def local_date(self, now: datetime) -> date:
        return now.astimezone(self.calendar.zone).date()

    def on_leave(self, now: datetime) -> bool:
        if not self.leaves:
            return False
        today = self.local_date(now)
        return any(start <= today <= end for start, end in self.leaves)

    def on_shift(self, now: datetime) -> bool:
        return self.calendar.is_open(now)

    def next_shift(self, now: datetime) -> datetime | None:
        """When this person is next on shift and not on leave (now if they are); None if
        they have no hours."""
        if not self.calendar.minutes_per_week:
            return None
        at = self.calendar.next_opening(now)
        for _ in range(_NEXT_SHIFT_LOOKAHEAD):
            day = self.local_date(at)
            ends = [end for start, end in self.leaves if start <= day <= end]
            if not ends:
                return at
            after = datetime.combine(max(ends) + timedelta(days=1), datetime.min.time(),
                                     tzinfo=self.calendar.zone)
            at = self.calendar.next_opening(after)
        return at


@dataclass(frozen=True, slots=True)
class TeamInfo:
    id: int
    name: str
    is_support: bool


@dataclass(eq=False)
class Screen:
    """A pool screened against one set of needs at one instant: who is kept, who is
    dropped and by which rule. Shared by every conversation with the same needs in a batch
    (stored once, as a ``CandidatePool``: ``stored_id`` is its row once saved)."""

    kept: list[Agent]
    dropped: dict[str, list[int]]
    ignored_skills: frozenset[int]
    empty_reason: str = ""  # why nobody is kept: the last rule that dropped someone
    teams: list = field(default_factory=list)  # support teams weighed (follow-the-sun)
    stored_id: int | None = None

    def dropped_json(self) -> dict[str, list[int]]:
        return {rule: ids for rule, ids in self.dropped.items() if ids}


@dataclass
class Decision:
    """Where one conversation goes, and why (the ``RoutingDecision`` row's content).

    ``ranked``: the first :data:`RANKED_KEPT` people kept, best first, as ``[user id, open
    conversations, latest automatic assignment (epoch seconds) or None]``; the first one got
    it when assigned. ``screen``: everyone kept and dropped (None without a pool at all).
    """

    outcome: str  # "assigned" or "queued"
    team_id: int | None
    assignee_id: int | None
    team_reason: str
    reason: str
    needs: dict
    ranked: list
    screen: Screen | None


class Roster:
    """Everyone assignable, their teams and the skills, at one instant ``now``.

    Built once per routing (or per batch: screens are cached by pool and needs, presence by
    person, so routing thousands of conversations screens each distinct need once).
    ``agents`` must already be limited to active advocates and leads.
    """

    def __init__(self, agents: Iterable[Agent], teams: Iterable[TeamInfo],
                 skills: Iterable[SkillRule], now: datetime) -> None:
        self.now = now
        self.agents = {agent.id: agent for agent in sorted(agents, key=lambda a: a.id)}
        self.teams = {team.id: team for team in teams}
        self.skills = tuple(skills)
        members: dict[int, list[Agent]] = {}
        for agent in self.agents.values():
            for team_id in agent.team_ids:
                members.setdefault(team_id, []).append(agent)
        self._members = {team_id: tuple(agents) for team_id, agents in members.items()}
        self._support_teams = sorted((t for t in self.teams.values() if t.is_support),
                                     key=lambda t: (t.name, t.id))
        support_ids = {t.id for t in self._support_teams}
        self._support_pool = tuple(a for a in self.agents.values()
                                   if support_ids.intersection(a.team_ids))
        self._absence: dict[int, str | None] = {}
        self._screens: dict[tuple, Screen] = {}
        self._next_team: dict[str, tuple[int, list]] = {}

    # -- what the rules read -------------------------------------------------------------

    def needs(self, language: str, tags: Iterable[str], mailbox: str, subject: str) -> Needs:
        return needs_of(language, tags, mailbox, subject, self.skills)

    def members(self, team_id: int) -> tuple[Agent, ...]:
        return self._members.get(team_id, ())

    def absence(self, agent: Agent) -> str | None:
        """``"leave"``, ``"shift"`` (off shift) or None (here now)."""
        if agent.id not in self._absence:
            if agent.on_leave(self.now):
                self._absence[agent.id] = Rule.LEAVE
            elif not agent.on_shift(self.now):
                self._absence[agent.id] = Rule.SHIFT
            else:
                self._absence[agent.id] = None
        return self._absence[agent.id]

    def screen(self, pool_key: object, pool: Sequence[Agent], needs: Needs) -> Screen:
        language = "" if needs.any_language else needs.language
        key = (pool_key, language, needs.skill_ids)
        cached = self._screens.get(key)
        if cached is not None:
            return cached
        held = frozenset().union(*(agent.skill_ids for agent in pool)) & needs.skill_ids
        kept: list[Agent] = []
        dropped: dict[str, list[int]] = {rule: [] for rule in RULES}
        for agent in pool:
            if language and language not in agent.languages:
                dropped[Rule.LANGUAGE].append(agent.id)
            elif not held <= agent.skill_ids:
                dropped[Rule.SKILL].append(agent.id)
            elif (absent := self.absence(agent)) is not None:
                dropped[absent].append(agent.id)
            else:
                kept.append(agent)
        empty_reason = ""
        if not kept:
            empty_reason = next((rule.value for rule in reversed(RULES) if dropped[rule]),
                                Reason.NO_AGENTS.value)
        screen = Screen(kept, dropped, needs.skill_ids - held, empty_reason)
        self._screens[key] = screen
        return screen

    # -- the decision --------------------------------------------------------------------

    def decide(self, needs: Needs, *, team_id: int | None, team_reason: str,
               loads: Mapping[int, int], last_assigned: Mapping[int, float]) -> Decision:
        """Where a conversation with these needs goes. ``team_id``: the team it has (its
        mailbox's, or set by hand), else None for follow-the-sun. ``loads`` and
        ``last_assigned`` (epoch seconds) are per agent id; the caller updates them after
        an assignment when it routes several conversations in a row."""
        if team_id is not None:
            screen = self.screen(("team", team_id), self.members(team_id), needs)
        elif not self._support_teams:
            return Decision("queued", None, None, TeamReason.NONE, Reason.NO_SUPPORT_TEAM,
                            needs.as_json(), [], None)
        else:
            screen = self.screen(("support",), self._support_pool, needs)
            team_reason = TeamReason.FOLLOW_THE_SUN
        # (open conversations, latest automatic assignment, id): plain tuples compare fast
        never = float("-inf")
        ranked = heapq.nsmallest(RANKED_KEPT, [
            (loads.get(agent.id, 0), last_assigned.get(agent.id, never), agent.id)
            for agent in screen.kept])
        shown = [[pk, load, None if last == never else int(last)] for load, last, pk in ranked]
        needs_json = needs.as_json(screen.ignored_skills)
        if ranked:
            chosen = self.agents[ranked[0][2]]
            if team_id is None:
                team_id = self._home_team(chosen)
                screen.teams = screen.teams or self._available_teams(screen)
            return Decision("assigned", team_id, chosen.id, team_reason, "", needs_json, shown,
                            screen)
        if team_id is None:
            team_id, screen.teams = self._next_team_for(needs)
            team_reason = TeamReason.NEXT_ON_SHIFT
        return Decision("queued", team_id, None, team_reason, screen.empty_reason, needs_json,
                        shown, screen)

    def _home_team(self, agent: Agent) -> int:
        for team in self._support_teams:
            if team.id in agent.team_ids:
                return team.id
        raise AssertionError("a follow-the-sun candidate belongs to a support team")

    def _available_teams(self, screen: Screen) -> list[dict]:
        counts: dict[int, int] = {}
        for agent in screen.kept:
            for team_id in agent.team_ids:
                counts[team_id] = counts.get(team_id, 0) + 1
        return [{"id": team.id, "available": counts[team.id]}
                for team in self._support_teams if counts.get(team.id)]

    def _next_team_for(self, needs: Needs) -> tuple[int, list]:
        """The support team to wait in: the one whose people who speak the language start
        their next shift the soonest; when no team speaks it, whose people start soonest."""
        language = "" if needs.any_language else needs.language
        if language in self._next_team:
            return self._next_team[language]
        weighed = []
        for team in self._support_teams:
            members = self.members(team.id)
            speakers = [a for a in members if not language or language in a.languages]
            starts = [at for a in speakers if (at := a.next_shift(self.now)) is not None]
            weighed.append((0 if speakers else 1, min(starts) if starts else None, team))
        if not any(speakers == 0 for speakers, _start, _team in weighed):
            weighed = []
            for team in self._support_teams:
                starts = [at for a in self.members(team.id)
                          if (at := a.next_shift(self.now)) is not None]
                weighed.append((1, min(starts) if starts else None, team))
        far = datetime.max.replace(tzinfo=self.now.tzinfo)
        weighed.sort(key=lambda item: (item[0], item[1] or far, item[2].name, item[2].id))
        teams = [{"id": team.id, "speaks": speakers == 0,
                  "next_shift": start.isoformat() if start else None}
                 for speakers, start, team in weighed]
        result = (weighed[0][2].id, teams)
        self._next_team[language] = result
        return result
