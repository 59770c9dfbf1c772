"""Rollups: refreshed from the events since a watermark, or rebuilt from scratch.

:func:`refresh` is what the ``reports.refresh_rollups`` beat task runs every few seconds:

1. read the events appended since the watermark (an ``Event.id``; ids not yet committed
   below it are looked for again, see ``RollupState``);
2. recompute the facts of every conversation they touch, from *all* its events (so a
   refresh is idempotent, and an event seen twice changes nothing);
3. regroup the one-contact issues of the people concerned;
4. re-aggregate each rollup family on the days those conversations count on, before and
   after the change (the detail grain from the facts, the coarser grains from the detail
   rows), and participation on the days of the new replies.

How far behind real time the figures run: the beat interval (10 s) plus one refresh. A
refresh costs about the conversations it touches and the days they count on, not the size
of the log: see ``bench/reports.py`` (``refresh_*_ms``) for measured figures. The report
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


def _backlog(_p: str) -> dict[str, Any]:
    return {"opened": _sum("opened"), "resolved": _sum("resolved")}


@dataclass(frozen=True)
class Family:
    """One day rollup: the model, the facts field it is anchored on, its measures."""

    name: str
    model: Any
    day: str  # a ConversationFacts date field, or "flow" for FactFlow.day
    measures: Callable[[str], dict[str, Any]]

    def grouped(self, touched: bool, grain: int, *, tagged: bool) -> Any:
        """The query grouping the facts into this rollup's rows of one grain (``tagged``:
        one row per tag a conversation carries): of the days listed for this family in the
        ``reports_touched_days`` temporary table when ``touched``, of every day otherwise.
        One row per key, one column per measure (aliased ``m_<measure>``, apart from the
        facts columns they read)."""
        if self.day == "flow":
            qs, facts, day_path = FactFlow.objects.all(), "facts__", "day"
            tag_path = "facts__tags__tag"
        elif tagged:
            qs, facts, tag_path = FactTag.objects.all(), "facts__", "tag"
            day_path = f"facts__{self.day}"
        else:
            qs, facts, day_path, tag_path = ConversationFacts.objects.all(), "", self.day, ""
        if touched:
            days = RawSQL(f"SELECT day FROM {TOUCHED_TABLE} WHERE family = %s",  # noqa: S608, S611 - a constant
                          [self.name])
            qs = qs.filter(**{f"{day_path}__in": days})
        else:
            qs = qs.filter(**{f"{day_path}__isnull": False})
        paths = {"day": day_path}
        paths.update({dim: facts + dim for dim in GRAIN_DIMENSIONS[grain]})
        if tagged:
            paths["tag"] = tag_path
            qs = qs.filter(**{f"{tag_path}__isnull": False})
        plain = [name for name, path in paths.items() if name == path]
        aliased = {name: F(path) for name, path in paths.items() if name != path}
        measures = {f"m_{name}": expression for name, expression in self.measures(facts).items()}
        return qs.values(*plain, **aliased).annotate(**measures).order_by()

    def insert(self, touched: bool, grain: int, *, tagged: bool) -> int:
        """Write :meth:`grouped`'s rows in one ``INSERT … SELECT`` (no round trip)."""
        sql, params = self._statement(touched, grain, tagged)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return max(cursor.rowcount, 0)

    def _statement(self, touched: bool, grain: int, tagged: bool) -> tuple[str, list]:
        """The ``INSERT … SELECT``, built once per process: building the ORM query of sixty
        aggregates costs more than running it on a few days."""
        key = (self.name, touched, grain, tagged, connection.vendor)
        if key not in _STATEMENTS:
            grouped = self.grouped(touched, grain, tagged=tagged)
            sql, params = grouped.query.sql_with_params()
            q = connection.ops.quote_name
            kept = {"day", *GRAIN_DIMENSIONS[grain], *(["tag"] if tagged else [])}
            blank = {"grain": str(grain), "team_id": "NULL"}
            columns = [*self.model.KEY, *self.measures("")]
            selected = [f"g.{q(k)}" if k in kept else blank.get(k, "''") for k in self.model.KEY]
            selected += [f"g.{q('m_' + m)}" for m in self.measures("")]
            statement = (f"INSERT INTO {q(self.model._meta.db_table)} "  # noqa: S608
                         f"({', '.join(map(q, columns))}) SELECT {', '.join(selected)} "
                         f"FROM ({sql}) g")
            _STATEMENTS[key] = (statement, list(params))
        return _STATEMENTS[key]

    def insert_all(self, touched: bool) -> int:
        """Every grain's rows: the detail rows from the facts, the coarser ones from them."""
        written = self.insert(touched, Grain.DETAIL, tagged=False)
        written += self.insert(touched, Grain.DETAIL, tagged=True)
        for grain in (Grain.TOTAL, Grain.CHANNEL, Grain.PLAN, Grain.LANGUAGE, Grain.TEAM,
                      Grain.TAG):
            written += self.insert_coarser(touched, grain)
        return written

    def insert_coarser(self, touched: bool, grain: int) -> int:
        """A coarser grain's rows, summed from the detail rows just written (a few hundred
        rows a day, instead of every conversation again)."""
        q = connection.ops.quote_name
        table = q(self.model._meta.db_table)
        kept = [*GRAIN_DIMENSIONS[grain], *(["tag"] if grain == Grain.TAG else [])]
        blank = {"grain": str(grain), "team_id": "NULL"}
        measures = [f.column for f in self.model._meta.concrete_fields
                    if f.column not in (*self.model.KEY, "id")]
        selected = [q(k) if k in ("day", *kept) else blank.get(k, "''") for k in self.model.KEY]
        tags = "tag <> ''" if grain == Grain.TAG else "tag = ''"
        where = f"grain = {int(Grain.DETAIL)} AND {tags}"
        params: list = []
        if touched:
            where += f" AND day IN (SELECT day FROM {TOUCHED_TABLE} WHERE family = %s)"  # noqa: S608
            params.append(self.name)
        statement = (
            f"INSERT INTO {table} ({', '.join(map(q, (*self.model.KEY, *measures)))}) "  # noqa: S608
            f"SELECT {', '.join(selected)}, {', '.join(f'SUM({q(m)})' for m in measures)} "
            f"FROM {table} WHERE {where} GROUP BY {', '.join(map(q, ('day', *kept)))}")
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            return max(cursor.rowcount, 0)


DIMENSIONS = ("channel", "plan", "language", "team_id")
GRAIN_DIMENSIONS: dict[int, tuple[str, ...]] = {
    Grain.DETAIL: DIMENSIONS, Grain.TOTAL: (), Grain.CHANNEL: ("channel",),
    Grain.PLAN: ("plan",), Grain.LANGUAGE: ("language",), Grain.TEAM: ("team_id",),
    Grain.TAG: (),
}


_STATEMENTS: dict[tuple, tuple[str, list]] = {}
TOUCHED_TABLE = "reports_touched_days"  # temporary: the days a refresh step re-aggregates


FAMILIES = (
    Family("volume", VolumeDay, "created_day", _volume),
    Family("first_reply", FirstReplyDay, "first_reply_day", _first_reply),
    Family("resolution", ResolutionDay, "resolved_day", _resolution),
    Family("backlog", BacklogDay, "flow", _backlog),
)


def aggregate(family: Family, days: Iterable[date] | None) -> int:
    """Replace ``family``'s rows on ``days`` (every day when ``None``) with rows grouped
    from the facts. Returns the number of rows written."""
    days = None if days is None else sorted(set(days))
    if days is not None and not days:
        return 0
    model = family.model
    if days is None:
        _delete_all(model)
        return family.insert_all(False)
    _touch_days(family.name, days)
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {q(model._meta.db_table)} WHERE day IN "  # noqa: S608
                       f"(SELECT day FROM {TOUCHED_TABLE} WHERE family = %s)", [family.name])
    return family.insert_all(True)


def _touch_days(family: str, days: list[date]) -> None:
    """List ``days`` for ``family`` in the temporary table the statements read (one per
    database session, created on first use)."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {TOUCHED_TABLE} "
                       "(family varchar(20) NOT NULL, day date NOT NULL)")
        cursor.execute(f"DELETE FROM {TOUCHED_TABLE} WHERE family = %s", [family])  # noqa: S608
        cursor.executemany(f"INSERT INTO {TOUCHED_TABLE} (family, day) VALUES (%s, %s)",  # noqa: S608
                           [(family, connection.ops.adapt_datefield_value(d)) for d in days])


def aggregate_participation(days: Iterable[date] | None) -> int:
    """Replies per person and UTC day, straight from the ``reply.sent`` events."""
    days = None if days is None else sorted(set(days))
    if days is not None and not days:
        return 0
    events = Event.objects.filter(kind=REPLY_SENT, actor__isnull=False)
    if days is None:
        _delete_all(ParticipationDay)
        ranges: list[tuple[date, date] | None] = [None]
    else:
        ranges = list(_runs(days))
    written = 0
    for span in ranges:
        qs = events
        if span is not None:
            first, last = span
            ParticipationDay.objects.filter(day__gte=first, day__lte=last).delete()
            qs = qs.filter(created_at__gte=_midnight(first),
                           created_at__lt=_midnight(last + timedelta(days=1)))
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


def _runs(days: list[date]) -> Iterator[tuple[date, date]]:
    """Consecutive days as (first, last) runs."""
    start = prev = days[0]
    for day in days[1:]:
        if day != prev + timedelta(days=1):
            yield start, prev
            start = day
        prev = day
    yield start, prev


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
    days: dict[str, set[date]] = defaultdict(set)
    people: set[int] = set()
    for created, first_reply, resolved, person in ConversationFacts.objects.filter(
            pk__in=conversation_ids).values_list("created_day", "first_reply_day",
                                                 "resolved_day", "person_id"):
        days["volume"].add(created)
        if first_reply:
            days["first_reply"].add(first_reply)
        if resolved:
            days["resolution"].add(resolved)
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
                   ) -> int:
    """Group these people's conversations into issues again; rows whose issue figures
    change are saved and their creation day is marked for re-aggregation."""
    changed_rows = []
    for chunk in _chunks(sorted(set(people)), 500):
        by_person: dict[int, list[tuple]] = defaultdict(list)
        for row in ConversationFacts.objects.filter(person_id__in=chunk).values_list(
                "person_id", "pk", "created_at", "resolved_at", "solved", "one_touch",
                "created_day", *ISSUE_COLUMNS):
            by_person[row[0]].append(row)
        for rows in by_person.values():
            changed_rows += _regroup(rows, window, touched)
    write_issue_changes(changed_rows)
    return len(changed_rows)


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
                    .values_list("id", "conversation_id", "kind", "created_at")[:max_events])
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
        update_conversations(conversations, pol, touched)
        regroup_issues(touched.people, pol.ocr_window, touched)
        days = 0
        for family in FAMILIES:
            aggregate(family, touched.days[family.name])
            days += len(touched.days[family.name])
        reply_days = {r[3].astimezone(UTC).date() for r in rows if r[2] == REPLY_SENT}
        aggregate_participation(reply_days)
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
                result.rows += aggregate(family, None)
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
