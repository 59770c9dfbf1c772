"""Rollups: refreshed from the events since a watermark, or rebuilt from scratch.

:func:`refresh` is what the ``reports.refresh_rollups`` beat task runs every few seconds:

1. read the events appended since the watermark (an ``Event.id``; ids not yet committed
   below it are looked for again, see ``RollupState``);
2. take the contribution of every conversation they touch out of each day rollup (its
   rows grouped from the facts as they stand, with a minus sign, into a temporary table);
3. recompute those conversations' facts from *all* their events (so a refresh is
   idempotent, and an event seen twice changes nothing), regroup the one-contact issues of
   the people concerned (a conversation whose issue figures change is taken out and put back
   too), and put their new contribution in;
4. add the net change per key, at every grain, to the rollup rows (update, insert, delete
   the rows nobody counts on any more), and recount participation for the people and days
   of the new replies.

Every measure is a sum over conversations, so this ends where a rebuild ends, and a refresh
costs what the touched conversations weigh: not the size of the tables, nor the number of
conversations on the days they count on. (Until 2026-11 a refresh re-aggregated whole days
from the facts: 4 s for 300 events at 1 M conversations, 10 s when they touched old ones.)

How far behind real time the figures run: the beat interval (10 s) plus one refresh, about
0.5–1 s for a few hundred events whatever the size of the log: see ``bench/reports.py``
(``refresh_*_ms``, and ``compare_refresh_*_ms`` on a data set a tenth the size). The report
pages show the age of ``RollupState.as_of`` ("figures as of 12 s ago").

:func:`rebuild` does the same for every conversation at once (``comptoir rebuild-rollups``).
Each day rollup row is a pure function of the facts, so refreshing in any number of steps
ends where a rebuild ends; ``tests/reports/test_rollups_property.py`` checks it against a
recomputation from the raw events through ``metrics``.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any

from django.db import connection, connections, transaction
from django.db.models import Count, F, Max, Min, Q, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDate
from django.utils import timezone

from comptoir.conversations.models import Event

from . import bins
from . import policies as policy_module
from .facts import EVENT_COLUMNS, EventRow, Facts, IssueInput, facts_of, group_issues
from .models import (
    BacklogDay,
    ConversationFacts,
    FactFlow,
    FactTag,
    FirstReplyDay,
    Grain,
    ParticipationDay,
    ResolutionDay,
    RollupState,
    SurveyDay,
    VolumeDay,
)
from .policies import Policies

log = logging.getLogger(__name__)

REPLY_SENT = "reply.sent"
BATCH_EVENTS = 20_000  # events read per refresh step (a step is one transaction)
CONVERSATION_CHUNK = 500  # conversations recomputed per query
GAP_TTL = timedelta(minutes=10)  # a missing id older than this was rolled back, not slow
MAX_PENDING = 2_000  # ids below the watermark worth looking for again (the latest ones)


# --- families of day rollups -----------------------------------------------------------------


def _count(prefix: str, **conditions: Any) -> Count:
    q = Q(**{prefix + k: v for k, v in conditions.items()})
    return Count(prefix + "pk", filter=q) if conditions else Count(prefix + "pk")


def _sum(path: str) -> Sum:
    return Sum(path, default=0)


def _bins(prefix: str, column: str, name: str) -> dict[str, Count]:
    out = {}
    for index in range(bins.COUNT):
        lower, upper = bins.bounds(index)
        conditions = {f"{column}__gte": lower}
        if upper is not None:
            conditions[f"{column}__lt"] = upper
        out[f"{name}_{index:02d}"] = _count(prefix, **conditions)
    return out


def _volume(p: str) -> dict[str, Any]:
    measures: dict[str, Any] = {
        "conversations": _count(p),
        "issues": _count(p, issue_head=True),
        "issues_solved": _count(p, issue_head=True, issue_solved=True),
        "issues_one_contact": _count(p, issue_head=True, issue_one_contact=True),
        "sla_attained": _count(p, sla_attained=True),
        "sla_missed": _count(p, sla_attained=False),
    }
    for name in ("first_reply", "next_reply", "resolution"):
        for outcome in ("achieved", "breached"):
            column = f"sla_{name}_{outcome}"
            measures[column] = _sum(p + column)
    for hour in range(24):
        measures[f"h{hour:02d}"] = _count(p, created_hour=hour)
    return measures


def _first_reply(p: str) -> dict[str, Any]:
    return {"answered": _count(p), "frt_total": _sum(p + "frt"),
            "frt_business_total": _sum(p + "frt_business"),
            **_bins(p, "frt", "frt"), **_bins(p, "frt_business", "frtb")}


def _resolution(p: str) -> dict[str, Any]:
    measures: dict[str, Any] = {
        "solved": _count(p), "reopened": _count(p, reopens__gt=0),
        "reopens": _sum(p + "reopens"), "one_touch": _count(p, one_touch=True),
        "replies": _sum(p + "replies"), "next_replies": _sum(p + "next_replies"),
        "next_reply_total": _sum(p + "next_reply_total"),
        "next_reply_business_total": _sum(p + "next_reply_business_total"),
    }
    for column in ("first_resolution", "full_resolution", "requester_wait"):
        measures[f"{column}_total"] = _sum(p + column)
        measures[f"{column}_business_total"] = _sum(p + f"{column}_business")
    return {**measures, **_bins(p, "full_resolution", "res"),
            **_bins(p, "full_resolution_business", "resb")}


def _csat(p: str) -> dict[str, Any]:
    return {"offered": _count(p), "good": _count(p, csat_rating="good"),
            "bad": _count(p, csat_rating="bad")}


def _backlog(_p: str) -> dict[str, Any]:
    return {"opened": _sum("opened"), "resolved": _sum("resolved")}


@dataclass(frozen=True)
class Family:
    """One day rollup: the model, the facts field it is anchored on, its measures, and the
    measures whose all being zero means no conversation counts on a row any more."""

    name: str
    model: Any
    day: str  # a ConversationFacts date field, or "flow" for FactFlow.day
    measures: Callable[[str], dict[str, Any]]
    presence: tuple[str, ...]

    def grouped(self, grain: int, *, tagged: bool, touched: bool = False) -> Any:
        """The query grouping the facts into this rollup's rows of one grain (``tagged``:
        one row per tag a conversation carries): of the conversations listed in the
        ``reports_touched_conversations`` temporary table when ``touched``, of all of them
        otherwise. One row per key, one column per measure (aliased ``m_<measure>``, apart
        from the facts columns they read)."""
        if self.day == "flow":
            qs, facts, day_path = FactFlow.objects.all(), "facts__", "day"
            tag_path, id_path = "facts__tags__tag", "facts_id"
        elif tagged:
            qs, facts, tag_path = FactTag.objects.all(), "facts__", "tag"
            day_path, id_path = f"facts__{self.day}", "facts_id"
        else:
            qs, facts, day_path, tag_path = ConversationFacts.objects.all(), "", self.day, ""
            id_path = "pk"
        qs = qs.filter(**{f"{day_path}__isnull": False})
        if touched:
            ids = RawSQL(f"SELECT id FROM {CONVERSATIONS_TABLE}", [])  # noqa: S608, S611 - a constant
            qs = qs.filter(**{f"{id_path}__in": ids})
        paths = {"day": day_path}
        paths.update({dim: facts + dim for dim in GRAIN_DIMENSIONS[grain]})
        if tagged:
            paths["tag"] = tag_path
            qs = qs.filter(**{f"{tag_path}__isnull": False})
        plain = [name for name, path in paths.items() if name == path]
        aliased = {name: F(path) for name, path in paths.items() if name != path}
        measures = {f"m_{name}": expression for name, expression in self.measures(facts).items()}
        return qs.values(*plain, **aliased).annotate(**measures).order_by()

    @property
    def columns(self) -> list[str]:
        """The measure columns of the rollup table."""
        return [f.column for f in self.model._meta.concrete_fields
                if f.column not in (*self.model.KEY, "id")]

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def delta_tables(self) -> tuple[str, str]:
        """Temporary tables of one refresh step: signed detail rows, then the net change
        per key of every grain."""
        return f"reports_delta_{self.name}", f"reports_net_{self.name}"

    def insert(self, grain: int, *, tagged: bool, into: str | None = None,
               touched: bool = False, sign: int = 1) -> int:
        """Write :meth:`grouped`'s rows in one ``INSERT … SELECT`` (no round trip) into the
        rollup table, or into ``into`` with each measure times ``sign``."""
        sql, params = self._statement(grain, tagged, into or self.table, touched, sign)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return max(cursor.rowcount, 0)

    def _statement(self, grain: int, tagged: bool, into: str, touched: bool, sign: int,
                   ) -> tuple[str, list]:
        """The ``INSERT … SELECT``, built once per process: building the ORM query of sixty
        aggregates costs more than running it on a few conversations."""
        key = (self.name, grain, tagged, into, touched, sign, connection.vendor)
        if key not in _STATEMENTS:
            grouped = self.grouped(grain, tagged=tagged, touched=touched)
            sql, params = grouped.query.sql_with_params()
            q = connection.ops.quote_name
            kept = {"day", *GRAIN_DIMENSIONS[grain], *(["tag"] if tagged else [])}
            blank = {"grain": str(grain), "team_id": "NULL"}
            columns = [*self.model.KEY, *self.measures("")]
            selected = [f"g.{q(k)}" if k in kept else blank.get(k, "''") for k in self.model.KEY]
            minus = "-" if sign < 0 else ""
            selected += [f"{minus}g.{q('m_' + m)}" for m in self.measures("")]
            statement = (f"INSERT INTO {q(into)} "  # noqa: S608
                         f"({', '.join(map(q, columns))}) SELECT {', '.join(selected)} "
                         f"FROM ({sql}) g")
            _STATEMENTS[key] = (statement, list(params))
        return _STATEMENTS[key]

    def insert_all(self) -> int:
        """Every grain's rows: the detail rows from the facts, the coarser ones from them."""
        written = self.insert(Grain.DETAIL, tagged=False)
        written += self.insert(Grain.DETAIL, tagged=True)
        for grain in COARSER_GRAINS:
            written += self.insert_coarser(grain, self.table)
        return written

    def insert_coarser(self, grain: int, table: str) -> int:
        """A coarser grain's rows, summed from the detail rows of ``table`` (a few hundred
        rows a day, instead of every conversation again)."""
        q = connection.ops.quote_name
        kept = [*GRAIN_DIMENSIONS[grain], *(["tag"] if grain == Grain.TAG else [])]
        blank = {"grain": str(grain), "team_id": "NULL"}
        measures = self.columns
        selected = [q(k) if k in ("day", *kept) else blank.get(k, "''") for k in self.model.KEY]
        tags = "tag <> ''" if grain == Grain.TAG else "tag = ''"
        statement = (
            f"INSERT INTO {q(table)} ({', '.join(map(q, (*self.model.KEY, *measures)))}) "  # noqa: S608
            f"SELECT {', '.join(selected)}, {', '.join(f'SUM({q(m)})' for m in measures)} "
            f"FROM {q(table)} WHERE grain = {int(Grain.DETAIL)} AND {tags} "
            f"GROUP BY {', '.join(map(q, ('day', *kept)))}")
        with connection.cursor() as cursor:
            cursor.execute(statement)
            return max(cursor.rowcount, 0)

    # --- incremental: the change the touched conversations make ------------------------------

    def start_delta(self) -> None:
        """Create (once per database session) and empty this family's delta tables."""
        q = connection.ops.quote_name
        columns = ", ".join([
            "day date NOT NULL", "grain integer NOT NULL", "tag varchar(50) NOT NULL",
            "channel varchar(16) NOT NULL", "plan varchar(16) NOT NULL",
            "language varchar(8) NOT NULL", "team_id bigint",
            *(f"{q(m)} bigint NOT NULL" for m in self.columns)])
        with connection.cursor() as cursor:
            for table in self.delta_tables:
                cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {table} ({columns})")
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608

    def capture(self, sign: int) -> None:
        """Add the detail rows of the touched conversations, times ``sign``, to the delta:
        −1 before their facts change, +1 after."""
        raw = self.delta_tables[0]
        self.insert(Grain.DETAIL, tagged=False, into=raw, touched=True, sign=sign)
        self.insert(Grain.DETAIL, tagged=True, into=raw, touched=True, sign=sign)

    def apply_delta(self) -> int:
        """Add the net change of every key, at every grain, to the rollup rows: update the
        rows that exist, insert those that do not, delete those no conversation counts on
        any more. A few statements whose cost follows the touched conversations, not the
        size of the tables. Returns the number of keys changed."""
        q = connection.ops.quote_name
        raw, net = self.delta_tables
        for grain in COARSER_GRAINS:
            self.insert_coarser(grain, raw)
        key = ", ".join(map(q, self.model.KEY))
        measures = self.columns
        sums = ", ".join(f"SUM({q(m)})" for m in measures)
        nonzero = " OR ".join(f"{q(m)} <> 0" for m in measures)
        table = q(self.table)
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {net} ({key}, {', '.join(map(q, measures))}) "  # noqa: S608
                           f"SELECT {key}, {sums} FROM {raw} GROUP BY {key}")
            cursor.execute(f"DELETE FROM {net} WHERE NOT ({nonzero})")  # noqa: S608
            cursor.execute(f"SELECT count(*) FROM {net}")  # noqa: S608
            changed = cursor.fetchone()[0]
            if not changed:
                return 0
            if connection.vendor == "postgresql":
                cursor.execute(f"ANALYZE {net}")  # temporary tables have no statistics
            same = " AND ".join(
                [f"t.{q(k)} = d.{q(k)}" for k in self.model.KEY if k != "team_id"]
                + [f"t.team_id {_NULL_SAFE_EQUAL[connection.vendor]} d.team_id"])
            assignments = ", ".join(f"{q(m)} = t.{q(m)} + d.{q(m)}" for m in measures)
            cursor.execute(f"UPDATE {table} AS t SET {assignments} FROM {net} d "  # noqa: S608
                           f"WHERE {same}")
            cursor.execute(
                f"INSERT INTO {table} ({key}, {', '.join(map(q, measures))}) "  # noqa: S608
                f"SELECT {', '.join(f'd.{q(c)}' for c in (*self.model.KEY, *measures))} "
                f"FROM {net} d WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {same})")
            empty = " AND ".join(f"t.{q(m)} = 0" for m in self.presence)
            cursor.execute(f"DELETE FROM {table} WHERE id IN (SELECT t.id FROM {table} t "  # noqa: S608
                           f"JOIN {net} d ON {same} WHERE {empty})")
        return changed


_NULL_SAFE_EQUAL = {"postgresql": "IS NOT DISTINCT FROM", "sqlite": "IS"}

DIMENSIONS = ("channel", "plan", "language", "team_id")
GRAIN_DIMENSIONS: dict[int, tuple[str, ...]] = {
    Grain.DETAIL: DIMENSIONS, Grain.TOTAL: (), Grain.CHANNEL: ("channel",),
    Grain.PLAN: ("plan",), Grain.LANGUAGE: ("language",), Grain.TEAM: ("team_id",),
    Grain.TAG: (),
}
COARSER_GRAINS = (Grain.TOTAL, Grain.CHANNEL, Grain.PLAN, Grain.LANGUAGE, Grain.TEAM,
                  Grain.TAG)


_STATEMENTS: dict[tuple, tuple[str, list]] = {}
CONVERSATIONS_TABLE = "reports_touched_conversations"  # temporary: a refresh step's scope


FAMILIES = (
    Family("volume", VolumeDay, "created_day", _volume, ("conversations",)),
    Family("first_reply", FirstReplyDay, "first_reply_day", _first_reply, ("answered",)),
    Family("resolution", ResolutionDay, "resolved_day", _resolution, ("solved",)),
    Family("backlog", BacklogDay, "flow", _backlog, ("opened", "resolved")),
    Family("csat", SurveyDay, "csat_offered_day", _csat, ("offered",)),
)
VOLUME = FAMILIES[0]  # the family that reads the issue figures


def aggregate(family: Family) -> int:
    """Replace all of ``family``'s rows with rows grouped from the facts (a rebuild).
    Returns the number of rows written."""
    _delete_all(family.model)
    return family.insert_all()


def touch_conversations(ids: Iterable[int], *, reset: bool = True) -> None:
    """List the conversations whose contributions :meth:`Family.capture` reads, in a
    temporary table (one per database session, created on first use)."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {CONVERSATIONS_TABLE} "
                       "(id bigint PRIMARY KEY)")
        if reset:
            cursor.execute(f"DELETE FROM {CONVERSATIONS_TABLE}")  # noqa: S608
        for chunk in _chunks(sorted(set(ids)), 1000):
            values = ", ".join(["(%s)"] * len(chunk))
            cursor.execute(f"INSERT INTO {CONVERSATIONS_TABLE} (id) VALUES {values}", chunk)  # noqa: S608
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {CONVERSATIONS_TABLE}")


def aggregate_participation(touched: dict[date, set[int]] | None) -> int:
    """Replies per person and UTC day, straight from the ``reply.sent`` events: of the
    people and days in ``touched`` (day → user ids: those with new replies), of everyone
    on every day when ``None``."""
    events = Event.objects.filter(kind=REPLY_SENT, actor__isnull=False)
    if touched is None:
        _delete_all(ParticipationDay)
        scopes: list[Any] = [events]
    else:
        scopes = []
        for day, users in sorted(touched.items()):
            users = sorted(users)
            ParticipationDay.objects.filter(day=day, user_id__in=users).delete()
            scopes.append(events.filter(created_at__gte=_midnight(day),
                                        created_at__lt=_midnight(day + timedelta(days=1)),
                                        actor_id__in=users))
    written = 0
    for qs in scopes:
        grouped = (qs.annotate(day=TruncDate("created_at", tzinfo=UTC))
                   .values("day", "actor_id")
                   .annotate(replies=Count("pk"),
                             conversations=Count("conversation_id", distinct=True))
                   .order_by())
        rows = [ParticipationDay(day=r["day"], user_id=r["actor_id"], replies=r["replies"],
                                 conversations=r["conversations"]) for r in grouped]
        ParticipationDay.objects.bulk_create(rows, batch_size=2000)
        written += len(rows)
    return written


def _midnight(day: date) -> datetime:
    return datetime.combine(day, dtime.min, tzinfo=UTC)


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _delete_all(model: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608


# --- facts -------------------------------------------------------------------------------------


@dataclass
class Touched:
    """What changed in one step: days per family, and people whose issues may regroup."""

    days: dict[str, set[date]] = field(default_factory=lambda: defaultdict(set))
    people: set[int] = field(default_factory=set)

    def add_facts_days(self, days: dict[str, set[date]]) -> None:
        for family, family_days in days.items():
            self.days[family] |= family_days


def event_rows(conversation_ids: Iterable[int]) -> dict[int, list[EventRow]]:
    """Every event of these conversations, in time order."""
    rows: dict[int, list[EventRow]] = defaultdict(list)
    qs = (Event.objects.filter(conversation_id__in=list(conversation_ids))
          .order_by("conversation_id", "created_at", "id").values_list(*EVENT_COLUMNS))
    for values in qs:
        rows[values[1]].append(EventRow(*values))
    return rows


def _old_days(conversation_ids: list[int]) -> tuple[dict[str, set[date]], set[int]]:
    """The days these conversations count on now, and their people (whose issues regroup)."""
    days: dict[str, set[date]] = defaultdict(set)
    people: set[int] = set()
    for created, first_reply, resolved, surveyed, person in ConversationFacts.objects.filter(
            pk__in=conversation_ids).values_list("created_day", "first_reply_day",
                                                 "resolved_day", "csat_offered_day",
                                                 "person_id"):
        days["volume"].add(created)
        if first_reply:
            days["first_reply"].add(first_reply)
        if resolved:
            days["resolution"].add(resolved)
        if surveyed:
            days["csat"].add(surveyed)
        if person is not None:
            people.add(person)
    days["backlog"].update(FactFlow.objects.filter(facts_id__in=conversation_ids)
                           .values_list("day", flat=True).distinct())
    return days, people


def write_facts(computed: list[Facts], *, replace: Iterable[int] = ()) -> None:
    """Insert facts rows with their tags and flows, after deleting those of ``replace``."""
    replace = list(replace)
    for chunk in _chunks(replace, 900):
        ConversationFacts.objects.filter(pk__in=chunk).delete()
    ConversationFacts.objects.bulk_create(
        [ConversationFacts(**f.row()) for f in computed], batch_size=1000)
    FactTag.objects.bulk_create(
        [FactTag(facts_id=f.conversation_id, tag=t) for f in computed for t in sorted(f.tags)],
        batch_size=2000)
    FactFlow.objects.bulk_create(
        [FactFlow(facts_id=f.conversation_id, day=day, opened=opened, resolved=resolved)
         for f in computed for day, (opened, resolved) in f.flows.items()], batch_size=2000)


def _singleton_issue(f: Facts) -> None:
    """Until its person's conversations are grouped, a conversation is an issue alone."""
    f.issue_head, f.issue_size = True, 1
    f.issue_solved, f.issue_one_contact = f.solved, f.one_touch


def update_conversations(conversation_ids: Iterable[int], pol: Policies,
                         touched: Touched) -> int:
    """Recompute the facts of these conversations from all their events."""
    ids = sorted(set(conversation_ids))
    for chunk in _chunks(ids, CONVERSATION_CHUNK):
        old_days, old_people = _old_days(chunk)
        touched.add_facts_days(old_days)
        touched.people |= old_people
        computed = []
        for rows in event_rows(chunk).values():
            f = facts_of(rows, pol)
            if f is not None:
                _singleton_issue(f)
                computed.append(f)
                touched.add_facts_days(f.days())
                if f.person_id is not None:
                    touched.people.add(f.person_id)
        write_facts(computed, replace=chunk)
    return len(ids)


ISSUE_COLUMNS = ("issue_head", "issue_size", "issue_solved", "issue_one_contact")


def regroup_issues(people: Iterable[int], window: timedelta, touched: Touched | None = None,
                   ) -> list[tuple]:
    """Group these people's conversations into issues again. Returns the rows whose issue
    figures change, (conversation id, *ISSUE_COLUMNS), for :func:`write_issue_changes`;
    their creation days are marked in ``touched``."""
    changed_rows = []
    for chunk in _chunks(sorted(set(people)), 500):
        by_person: dict[int, list[tuple]] = defaultdict(list)
        for row in ConversationFacts.objects.filter(person_id__in=chunk).values_list(
                "person_id", "pk", "created_at", "resolved_at", "solved", "one_touch",
                "created_day", *ISSUE_COLUMNS):
            by_person[row[0]].append(row)
        for rows in by_person.values():
            changed_rows += _regroup(rows, window, touched)
    return changed_rows


ISSUE_TABLE = "reports_issue_changes"  # temporary: new issue figures, applied in one UPDATE


def write_issue_changes(rows: list[tuple]) -> None:
    """Save new issue figures, rows of (conversation id, *ISSUE_COLUMNS): through a
    temporary table and one ``UPDATE … FROM``, a fraction of the cost of an ``UPDATE`` per
    row when a rebuild changes a hundred thousand."""
    if not rows:
        return
    q = connection.ops.quote_name
    table = q(ConversationFacts._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {ISSUE_TABLE} "
                       "(conversation_id bigint PRIMARY KEY, issue_head boolean NOT NULL, "
                       "issue_size integer NOT NULL, issue_solved boolean NOT NULL, "
                       "issue_one_contact boolean NOT NULL)")
        cursor.execute(f"DELETE FROM {ISSUE_TABLE}")  # noqa: S608
        for chunk in _chunks(rows, 1000):  # a thousand rows a statement: few round trips
            values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {ISSUE_TABLE} (conversation_id, {', '.join(ISSUE_COLUMNS)}) "  # noqa: S608
                f"VALUES {values}", [value for row in chunk for value in row])
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {ISSUE_TABLE}")  # else it guesses, and scans the facts
        assignments = ", ".join(f"{q(c)} = c.{c}" for c in ISSUE_COLUMNS)
        cursor.execute(f"UPDATE {table} SET {assignments} FROM {ISSUE_TABLE} c "  # noqa: S608
                       f"WHERE {table}.{q('conversation_id')} = c.conversation_id")


def regroup_everyone(window: timedelta, done: Callable[[int], None]) -> int:
    """:func:`regroup_issues` for every person, streaming the facts in person order."""
    changed: list[tuple] = []
    count = 0
    rows: list[tuple] = []
    qs = (ConversationFacts.objects.filter(person_id__isnull=False)
          .order_by("person_id", "created_at", "pk")
          .values_list("person_id", "pk", "created_at", "resolved_at", "solved", "one_touch",
                       "created_day", *ISSUE_COLUMNS))

    def flush() -> None:
        nonlocal count
        with transaction.atomic():
            write_issue_changes(changed)
        count += len(changed)
        done(len(changed))
        changed.clear()

    for row in qs.iterator(chunk_size=20_000):
        if rows and row[0] != rows[0][0]:
            if len(rows) > 1:
                changed.extend(_regroup(rows, window, None))
            rows = []
            if len(changed) >= 20_000:
                flush()
        rows.append(row)
    if len(rows) > 1:
        changed.extend(_regroup(rows, window, None))
    flush()
    return count


def _regroup(rows: list[tuple], window: timedelta, touched: Touched | None,
             ) -> list[tuple]:
    grouped = group_issues((IssueInput(r[1], r[2], r[3], r[4], r[5]) for r in rows), window)
    changed = []
    for r in rows:
        new = grouped[r[1]]
        if tuple(new) != tuple(r[7:]):
            changed.append((r[1], *new))
            if touched is not None:
                touched.days["volume"].add(r[6])
    return changed


# --- refresh -----------------------------------------------------------------------------------


@dataclass
class RefreshResult:
    events: int = 0
    conversations: int = 0
    days: int = 0
    duration_ms: int = 0
    more: bool = False
    skipped: str = ""


def state() -> RollupState:
    return RollupState.objects.get_or_create(pk=1)[0]


def _locked_state() -> RollupState:
    RollupState.objects.get_or_create(pk=1)
    return RollupState.objects.select_for_update().get(pk=1)


def refresh_step(*, max_events: int = BATCH_EVENTS, pol: Policies | None = None,
                 ) -> RefreshResult:
    """One transaction: read up to ``max_events`` new events and bring the rollups up to
    them. Concurrent calls wait for each other (row lock on the state)."""
    started = time.perf_counter()
    with transaction.atomic():
        st = _locked_state()
        if st.rebuilding:
            return RefreshResult(skipped="rebuilding")
        now = timezone.now()
        pending = {int(i): seen for i, seen in st.pending_ids}
        new = Q(id__gt=st.last_event_id)
        if pending:
            new |= Q(id__in=list(pending))
        rows = list(Event.objects.filter(new).order_by("id")
                    .values_list("id", "conversation_id", "kind", "created_at", "actor_id")
                    [:max_events])
        more = len(rows) == max_events
        seen = {r[0] for r in rows}
        watermark = max([st.last_event_id, *seen])
        # a transaction still in flight took one of the latest ids: older holes are deletions
        for missing in range(max(st.last_event_id + 1, watermark - MAX_PENDING + 1),
                             watermark + 1):
            if missing not in seen:
                pending[missing] = now.isoformat()
        cutoff = now - GAP_TTL
        pending = {i: t for i, t in pending.items()
                   if i not in seen and datetime.fromisoformat(t) > cutoff}
        touched = Touched()
        pol = pol or policy_module.load()
        conversations = {r[1] for r in rows if r[1] is not None}
        if conversations:
            _fold_in(conversations, pol, touched)
        days = sum(len(touched.days[family.name]) for family in FAMILIES)
        replies: dict[date, set[int]] = defaultdict(set)
        for r in rows:
            if r[2] == REPLY_SENT and r[4] is not None:
                replies[r[3].astimezone(UTC).date()].add(r[4])
        aggregate_participation(replies)
        st.last_event_id = watermark
        st.pending_ids = sorted([i, t] for i, t in pending.items())
        if not more:
            st.as_of = now
        st.refreshed_at = timezone.now()
        st.last_events = len(rows)
        st.last_duration_ms = round((time.perf_counter() - started) * 1000)
        if not st.settings_key:
            st.settings_key = pol.key
        st.save()
    return RefreshResult(events=len(rows), conversations=len(conversations), days=days,
                         duration_ms=st.last_duration_ms, more=more)


def _fold_in(conversations: set[int], pol: Policies, touched: Touched) -> None:
    """Bring the facts of these conversations up to their events and add the difference
    they make to every rollup: their old contribution out, their new one in (and the same
    for the conversations whose one-contact issue changes with them). Costs what these
    conversations weigh, whatever the size of the tables or of their days."""
    ids = sorted(conversations)
    for family in FAMILIES:
        family.start_delta()
    touch_conversations(ids)
    for family in FAMILIES:
        family.capture(-1)
    update_conversations(ids, pol, touched)
    changed = regroup_issues(touched.people, pol.ocr_window, touched)
    others = {row[0] for row in changed} - conversations
    for family in FAMILIES:
        if family is not VOLUME:
            family.capture(+1)
    if others:  # their issue figures change, counted on the volume rows only
        touch_conversations(others)
        VOLUME.capture(-1)
        touch_conversations(ids, reset=False)
    write_issue_changes(changed)
    VOLUME.capture(+1)
    for family in FAMILIES:
        family.apply_delta()


def refresh(*, max_events: int = BATCH_EVENTS, max_steps: int = 50) -> RefreshResult:
    """Bring the rollups up to the event log, a step (one transaction) at a time."""
    total = RefreshResult()
    pol = policy_module.load()
    for _step in range(max_steps):
        result = refresh_step(max_events=max_events, pol=pol)
        total.events += result.events
        total.conversations += result.conversations
        total.days += result.days
        total.duration_ms += result.duration_ms
        total.more, total.skipped = result.more, result.skipped
        if not result.more or result.skipped:
            break
    if total.events:
        log.info("rollups: %s events, %s conversations, %s days in %s ms", total.events,
                 total.conversations, total.days, total.duration_ms)
    return total


def lag_seconds(now: datetime | None = None) -> float | None:
    """How far behind real time the rollups run: the age of their as-of instant."""
    as_of = RollupState.objects.filter(pk=1).values_list("as_of", flat=True).first()
    if as_of is None:
        return None
    return max(0.0, ((now or timezone.now()) - as_of).total_seconds())


# --- rebuild ---------------------------------------------------------------------------------


@dataclass
class RebuildResult:
    conversations: int = 0
    events: int = 0
    rows: int = 0
    seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)


Progress = Callable[[str, int, int | None], None]
"""``progress(step, advance, total)``: called as work gets done (total on the first call)."""


def rebuild(*, progress: Progress | None = None, batch: int = 2000,
            workers: int = 1) -> RebuildResult:
    """Recompute every fact and rollup from the events. Reports read partial figures while
    it runs (the state says so); refreshes wait until it is done and then catch up.

    ``workers`` > 1 computes the facts in that many processes, each on its own ranges of
    conversation ids with its own database connection (``comptoir rebuild-rollups`` uses
    one per core). Not with an in-memory SQLite database, which a process cannot share, nor
    inside a transaction, whose uncommitted rows other processes cannot see (and whose
    connection a fork must not close): then one process does it all.
    """
    report = progress or (lambda step, advance, total: None)
    result = RebuildResult()
    started = time.perf_counter()
    with transaction.atomic():
        st = _locked_state()
        st.rebuilding = True
        st.save(update_fields=["rebuilding"])
    try:
        pol = policy_module.load()
        watermark = Event.objects.aggregate(m=Max("id"))["m"] or 0
        as_of = timezone.now()
        for model in (FactTag, FactFlow, ConversationFacts, *(f.model for f in FAMILIES),
                      ParticipationDay):
            _delete_all(model)

        t = time.perf_counter()
        bounds = Event.objects.filter(conversation_id__isnull=False, id__lte=watermark) \
            .aggregate(lo=Min("conversation_id"), hi=Max("conversation_id"))
        lo, hi = bounds["lo"] or 0, bounds["hi"] or -1
        report("facts", 0, hi - lo + 1)  # conversation ids, a few of which may be gaps
        if workers > 1 and hi >= lo and not _in_memory() and not connection.in_atomic_block:
            pieces = max(1, workers * 16)
            step = max(1, (hi - lo + pieces) // pieces)
            ranges = [(a, min(a + step - 1, hi)) for a in range(lo, hi + 1, step)]
            connections.close_all()  # each process opens its own
            global _WORKER_POLICIES  # handed to the forked processes
            _WORKER_POLICIES = pol
            context = multiprocessing.get_context("fork")
            with context.Pool(workers) as pool:
                for (a, b), (conversations, events) in zip(
                        ranges, pool.imap(_facts_worker, [(a, b, watermark, batch)
                                                          for a, b in ranges]), strict=True):
                    result.conversations += conversations
                    result.events += events
                    report("facts", b - a + 1, None)
        elif hi >= lo:
            def done(n: int) -> None:
                report("facts", n, None)

            result.conversations, result.events = _facts_of_range(
                lo, hi, watermark, pol, batch, done)
        result.steps["facts_s"] = round(time.perf_counter() - t, 1)

        t = time.perf_counter()
        report("issues", 0, None)  # conversations whose issue figures change
        regroup_everyone(pol.ocr_window, lambda n: report("issues", n, None))
        result.steps["issues_s"] = round(time.perf_counter() - t, 1)

        t = time.perf_counter()
        report("rollups", 0, len(FAMILIES) + 1)
        for family in FAMILIES:
            with transaction.atomic():
                result.rows += aggregate(family)
            report("rollups", 1, None)
        with transaction.atomic():
            result.rows += aggregate_participation(None)
        report("rollups", 1, None)
        result.steps["rollups_s"] = round(time.perf_counter() - t, 1)
    finally:
        with transaction.atomic():
            st = _locked_state()
            st.rebuilding = False
            if result.steps.get("rollups_s") is not None:
                present = set(Event.objects.filter(id__gt=watermark - 1000, id__lte=watermark)
                              .values_list("id", flat=True))
                st.last_event_id = watermark
                st.pending_ids = [[i, as_of.isoformat()]
                                  for i in range(max(1, watermark - 999), watermark + 1)
                                  if i not in present]
                st.as_of = as_of
                st.rebuilt_at = timezone.now()
                st.settings_key = pol.key
            st.save()
    result.seconds = round(time.perf_counter() - started, 1)
    return result


_WORKER_POLICIES: Policies | None = None


def _in_memory() -> bool:
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


def _facts_worker(args: tuple[int, int, int, int]) -> tuple[int, int]:
    """In a forked process: the facts of one range of conversation ids."""
    lo, hi, watermark, batch = args
    try:
        assert _WORKER_POLICIES is not None  # noqa: S101 - set before the fork
        return _facts_of_range(lo, hi, watermark, _WORKER_POLICIES, batch, lambda n: None)
    finally:
        connections.close_all()


def _facts_of_range(lo: int, hi: int, watermark: int, pol: Policies, batch: int,
                    done: Callable[[int], None]) -> tuple[int, int]:
    """Compute and write the facts of the conversations with ids in [lo, hi]; returns
    (conversations, events) read. ``done(n)`` hears about each written batch (its id span)."""
    conversations = events = 0
    pending: list[Facts] = []
    last_id = lo - 1

    def flush() -> None:
        nonlocal last_id
        with transaction.atomic():
            write_facts(pending)
        if pending:
            done(pending[-1].conversation_id - last_id)
            last_id = pending[-1].conversation_id
        pending.clear()

    for rows in _stream_conversations(watermark, lo, hi):
        conversations += 1
        events += len(rows)
        f = facts_of(rows, pol)
        if f is not None:
            _singleton_issue(f)
            pending.append(f)
        if len(pending) >= batch:
            flush()
    flush()
    done(hi - last_id)
    return conversations, events


def _stream_conversations(watermark: int, lo: int, hi: int) -> Iterator[list[EventRow]]:
    """The events of the conversations with ids in [lo, hi], one conversation at a time."""
    qs = (Event.objects.filter(conversation_id__gte=lo, conversation_id__lte=hi,
                               id__lte=watermark)
          .order_by("conversation_id", "created_at", "id").values_list(*EVENT_COLUMNS))
    current: list[EventRow] = []
    for values in qs.iterator(chunk_size=20_000):
        row = EventRow(*values)
        if current and row.conversation_id != current[0].conversation_id:
            yield current
            current = []
        current.append(row)
    if current:
        yield current
