"""The reports, read from the rollups only (never from events or conversations).

Every report takes a :class:`ReportFilter` (a range of UTC days, inclusive, and optional
channel, plan, language, team and tag) and returns plain data: key figures, :class:`Table`
objects (rendered as HTML tables and exported as CSV) and :class:`Chart` objects (drawn by
``static/comptoir/reports.js`` with the vendored Chart.js). Each report costs a handful of
``SUM … GROUP BY`` queries over rollup rows, whatever the number of conversations.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from comptoir.accounts.models import Team
from comptoir.conversations.models import Channel, Tag
from comptoir.people.models import Plan

from . import bins
from .filters import NO_TEAM, ReportFilter
from .metrics import RESPONSE_BUCKETS, Ratio
from .models import (
    BacklogDay,
    FirstReplyDay,
    ResolutionDay,
    RollupState,
    VolumeDay,
)
from .policies import ocr_window
from .shapes import Chart, Column, Kpi, Table

FRT_BINS = [f"frt_{i:02d}" for i in range(bins.COUNT)]
FRTB_BINS = [f"frtb_{i:02d}" for i in range(bins.COUNT)]
RES_BINS = [f"res_{i:02d}" for i in range(bins.COUNT)]
RESB_BINS = [f"resb_{i:02d}" for i in range(bins.COUNT)]
HOURS = [f"h{h:02d}" for h in range(24)]
SLA_METRICS = ("first_reply", "next_reply", "resolution")

BUCKET_LABELS = {
    "under_1h": gettext_lazy("< 1 h"), "1h_3h": gettext_lazy("1–3 h"),
    "3h_6h": gettext_lazy("3–6 h"), "6h_24h": gettext_lazy("6–24 h"),
    "24h_plus": gettext_lazy("> 24 h"),
}
CUMULATIVE_LABELS = {
    "under_1h": gettext_lazy("within 1 h"), "1h_3h": gettext_lazy("within 3 h"),
    "3h_6h": gettext_lazy("within 6 h"), "6h_24h": gettext_lazy("within 24 h"),
    "24h_plus": gettext_lazy("all answered"),
}
SLA_LABELS = {"first_reply": gettext_lazy("First reply"),
              "next_reply": gettext_lazy("Next reply"),
              "resolution": gettext_lazy("Resolution")}


# --- helpers ----------------------------------------------------------------------------------


def _sum_by(qs: QuerySet, keys: Sequence[str], columns: Iterable[str]) -> list[dict[str, Any]]:
    """``SUM(column)`` per group of ``keys`` over a rollup queryset's rows, missing sums as 0.

    Written as plain SQL around the queryset's own WHERE clause: the ORM takes longer to
    build an annotation of fifty ``Sum`` than the database takes to run it.
    """
    columns = list(columns)
    model = qs.model
    q = connection.ops.quote_name
    table = q(model._meta.db_table)
    compiler = qs.query.get_compiler(using=qs.db)
    where, params = compiler.compile(qs.query.where) if qs.query.where else ("", [])
    select = [f"{table}.{q(model._meta.get_field(k).column)}" for k in keys]
    sums = [f"SUM({table}.{q(c)})" for c in columns]
    sql = f"SELECT {', '.join([*select, *sums])} FROM {table}"  # noqa: S608 - our names
    if where:
        sql += f" WHERE {where}"
    if keys:
        sql += f" GROUP BY {', '.join(select)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    rows = []
    for values in fetched:
        row: dict[str, Any] = dict(zip(keys, values[:len(keys)], strict=True))
        if isinstance(row.get("day"), str):  # SQLite hands dates back as text
            row["day"] = date.fromisoformat(row["day"])
        for column, value in zip(columns, values[len(keys):], strict=True):
            row[column] = int(value or 0)
        rows.append(row)
    return rows


def _total(rows: Iterable[Mapping[str, Any]], columns: Iterable[str]) -> dict[str, int]:
    totals: dict[str, int] = dict.fromkeys(columns, 0)
    for row in rows:
        for c in totals:
            totals[c] += row.get(c, 0) or 0
    return totals


def percent(ratio: Ratio) -> float | None:
    value = ratio.percent(1)
    return None if value is None else float(value)


def _share(part: int, whole: int) -> float | None:
    """A percentage for a chart point (tables use :func:`percent`, rounded half up)."""
    return round(100 * part / whole, 1) if whole else None


def _mean(total: int, count: int) -> float | None:
    return total / count if count else None


def range_days(f: ReportFilter) -> list[date]:
    return [f.start + timedelta(days=i) for i in range(f.days)]


def day_label(day: date) -> str:
    return day.isoformat()


def weekdays_between(start: date, end: date) -> int:
    """Monday-to-Friday days in [start, end]."""
    return sum(1 for i in range((end - start).days + 1)
               if (start + timedelta(days=i)).weekday() < 5)


@dataclass(frozen=True)
class Breakdown:
    """Buffer's response-time breakdown from a histogram of first reply times."""

    bins: tuple[int, ...]
    total_minutes: int = 0

    @property
    def counts(self) -> tuple[int, ...]:
        return bins.bucket_counts(self.bins)

    @property
    def answered(self) -> int:
        return sum(self.bins)

    def shares(self) -> list[Ratio]:
        return [Ratio(c, self.answered) for c in self.counts]

    def cumulative(self) -> list[Ratio]:
        running, out = 0, []
        for c in self.counts:
            running += c
            out.append(Ratio(running, self.answered))
        return out

    @property
    def median(self) -> float | None:
        return bins.median(self.bins)

    @property
    def mean(self) -> float | None:
        return _mean(self.total_minutes, self.answered)


def _breakdown(row: Mapping[str, Any], business: bool) -> Breakdown:
    columns = FRTB_BINS if business else FRT_BINS
    total = row.get("frt_business_total" if business else "frt_total", 0) or 0
    return Breakdown(tuple(row.get(c, 0) or 0 for c in columns), total)


def freshness() -> dict[str, Any]:
    """How far behind real time the figures run (for the "figures as of …" line)."""
    state = RollupState.objects.filter(pk=1).first()
    if state is None or state.as_of is None:
        return {"as_of": None, "lag_seconds": None, "rebuilding": bool(state and
                                                                       state.rebuilding)}
    lag = max(0.0, (timezone.now() - state.as_of).total_seconds())
    return {"as_of": state.as_of, "lag_seconds": lag, "rebuilding": state.rebuilding,
            "refreshed_at": state.refreshed_at}


def dimension_choices() -> dict[str, list[tuple[str, str]]]:
    """What the filter form offers: channels, plans, languages, teams and tags (small
    tables only: this runs on every report page)."""
    return {
        "channel": list(Channel.choices),
        "plan": list(Plan.choices),
        "language": [(code, str(name)) for code, name in settings.LANGUAGES],
        "team": [(str(t.pk), t.name) for t in Team.objects.order_by("name")]
        + [(NO_TEAM, _("No team"))],
        "tag": [(name, name) for name in Tag.objects.order_by("name")
                .values_list("name", flat=True)[:500]],
    }


def _team_names(ids: Iterable[int | None]) -> dict[int | None, str]:
    ids = list(ids)
    found = {t.pk: t.name for t in Team.objects.filter(pk__in=[i for i in ids if i])}
    return {i: found.get(i, _("(deleted team)")) if i else _("No team") for i in ids}


def _choice_names(name: str) -> dict[str, str]:
    choices = {"channel": Channel.choices, "plan": Plan.choices,
               "language": settings.LANGUAGES}[name]
    return {code: str(label) for code, label in choices}


# --- backlog ----------------------------------------------------------------------------------


def backlog_series(f: ReportFilter) -> list[int]:
    """Open conversations at the end of each day of the range."""
    before = _sum_by(f.rows(BacklogDay, start=date(1, 1, 1), end=f.start - timedelta(days=1)),
                     [], ["opened", "resolved"])
    level = sum(r["opened"] - r["resolved"] for r in before)
    net = {r["day"]: r["opened"] - r["resolved"]
           for r in _sum_by(f.rows(BacklogDay, ["day"]), ["day"], ["opened", "resolved"])}
    series = []
    for day in range_days(f):
        level += net.get(day, 0)
        series.append(level)
    return series


def awaiting_first_reply(f: ReportFilter, now: datetime | None = None) -> dict[str, Any]:
    """Conversations whose customer wrote and nobody had answered at the end of the range
    (or now, if sooner), with their ages in the response-time buckets. Conversations solved
    or closed without a reply are not waiting."""
    now = now or timezone.now()
    reference = min(now, datetime.combine(f.end + timedelta(days=1), time.min, tzinfo=UTC))
    waiting = f.facts().filter(
        Q(first_reply_at__isnull=True) | Q(first_reply_at__gte=reference),
        Q(resolved_at__isnull=True) | Q(resolved_at__gte=reference),
        first_message_at__lt=reference,
    )
    ages = {}
    for bucket in RESPONSE_BUCKETS:
        newest = reference - timedelta(minutes=bucket.lower)
        condition = Q(first_message_at__lte=newest)
        if bucket.upper is not None:
            condition &= Q(first_message_at__gt=reference - timedelta(minutes=bucket.upper))
        ages[bucket.key] = Count("pk", filter=condition)
    counts = waiting.aggregate(total=Count("pk"), **ages)
    return {"reference": reference, "total": counts.pop("total"),
            "by_age": [counts[b.key] for b in RESPONSE_BUCKETS]}


# --- overview ----------------------------------------------------------------------------------

VOLUME_COLUMNS = ["conversations", "issues", "issues_solved", "issues_one_contact",
                  "sla_attained", "sla_missed",
                  *(f"sla_{m}_{o}" for m in SLA_METRICS for o in ("achieved", "breached"))]
FIRST_REPLY_COLUMNS = ["answered", "frt_total", "frt_business_total", *FRT_BINS, *FRTB_BINS]
RESOLUTION_COLUMNS = ["solved", "reopened", "reopens", "one_touch", "replies",
                      "first_resolution_total", "first_resolution_business_total",
                      "full_resolution_total", "full_resolution_business_total",
                      "requester_wait_total", "requester_wait_business_total",
                      "next_replies", "next_reply_total", "next_reply_business_total",
                      *RES_BINS, *RESB_BINS]


@dataclass
class Totals:
    """Sums of the three main families over a filter's range."""

    volume: dict[str, int]
    first_reply: dict[str, int]
    resolution: dict[str, int]

    @classmethod
    def of(cls, f: ReportFilter) -> Totals:
        return cls(
            volume=_total(_sum_by(f.rows(VolumeDay), [], VOLUME_COLUMNS), VOLUME_COLUMNS),
            first_reply=_total(_sum_by(f.rows(FirstReplyDay), [], FIRST_REPLY_COLUMNS),
                               FIRST_REPLY_COLUMNS),
            resolution=_total(_sum_by(f.rows(ResolutionDay), [], RESOLUTION_COLUMNS),
                              RESOLUTION_COLUMNS),
        )

    def kpis(self, business: bool) -> dict[str, Any]:
        v, fr, r = self.volume, self.first_reply, self.resolution
        breakdown = _breakdown(fr, business)
        cumulative = breakdown.cumulative()
        res_bins = [r[c] for c in (RESB_BINS if business else RES_BINS)]
        achieved = sum(v[f"sla_{m}_achieved"] for m in SLA_METRICS)
        breached = sum(v[f"sla_{m}_breached"] for m in SLA_METRICS)
        return {
            "conversations": v["conversations"],
            "answered": fr["answered"],
            "solved": r["solved"],
            "frt_median": breakdown.median,
            "within_1h": percent(cumulative[0]),
            "within_6h": percent(cumulative[2]),
            "resolution_median": bins.median(res_bins),
            "one_touch": percent(Ratio(r["one_touch"], r["solved"])),
            "reopen_rate": percent(Ratio(r["reopened"], r["solved"])),
            "replies_per_conversation": _mean(r["replies"], r["solved"]),
            "ocr": percent(Ratio(v["issues_one_contact"], v["issues_solved"])),
            "sla": percent(Ratio(achieved, achieved + breached)),
            "sla_targets": achieved + breached,
        }


def overview(f: ReportFilter) -> dict[str, Any]:
    """The Monday page: volume, speed, outcome, backlog, against the previous period."""
    by_day_volume = {r["day"]: r for r in _sum_by(f.rows(VolumeDay, ["day"]), ["day"],
                                                    VOLUME_COLUMNS)}
    by_day_first = {r["day"]: r for r in _sum_by(f.rows(FirstReplyDay, ["day"]), ["day"],
                                                   FIRST_REPLY_COLUMNS)}
    by_day_res = {r["day"]: r for r in _sum_by(f.rows(ResolutionDay, ["day"]), ["day"],
                                                 RESOLUTION_COLUMNS)}
    now = Totals(_total(by_day_volume.values(), VOLUME_COLUMNS),
                 _total(by_day_first.values(), FIRST_REPLY_COLUMNS),
                 _total(by_day_res.values(), RESOLUTION_COLUMNS)).kpis(f.business)
    before = Totals.of(f.previous()).kpis(f.business)
    backlog = backlog_series(f)
    waiting = awaiting_first_reply(f)

    def kpi(key: str, label: str, kind: str, better: str = "up", note: str = "") -> Kpi:
        return Kpi(label, now[key], kind, before[key], better, note)

    hours_note = _("business hours") if f.business else _("calendar hours")
    kpis = [
        kpi("conversations", _("New conversations"), "int", ""),
        kpi("solved", _("Solved"), "int", "up"),
        Kpi(_("Open at the end"), backlog[-1] if backlog else 0, "int",
            backlog_series(f.previous())[-1] if f.days else None, "down"),
        Kpi(_("Waiting for a first reply"), waiting["total"], "int", None, ""),
        kpi("frt_median", _("Median first reply"), "minutes", "down", hours_note),
        kpi("within_1h", _("First replies within 1 h"), "percent", "up"),
        kpi("within_6h", _("First replies within 6 h"), "percent", "up"),
        kpi("resolution_median", _("Median resolution"), "minutes", "down", hours_note),
        kpi("one_touch", _("One-touch resolution"), "percent", "up"),
        kpi("ocr", _("One-contact resolution"), "percent", "up",
            _("across channels, %(days)s-day window") % {"days": ocr_window().days}),
        kpi("reopen_rate", _("Reopen rate"), "percent", "down"),
        kpi("replies_per_conversation", _("Replies per solved conversation"), "number", "down"),
    ]
    if now["sla_targets"] or before["sla_targets"]:
        kpis.append(kpi("sla", _("SLA targets achieved"), "percent", "up"))

    days = range_days(f)
    labels = [day_label(d) for d in days]
    created = [by_day_volume.get(d, {}).get("conversations", 0) for d in days]
    solved = [by_day_res.get(d, {}).get("solved", 0) for d in days]
    answered = [by_day_first.get(d, {}).get("answered", 0) for d in days]
    under_1h = [c for i, c in enumerate(FRTB_BINS if f.business else FRT_BINS)
                if i in bins.BUCKET_BINS[0]]
    within_1h = [_share(sum(by_day_first[d][c] for c in under_1h), by_day_first[d]["answered"])
                 if d in by_day_first else None for d in days]
    charts = [
        Chart("volume", _("Conversations per day"), "bar", labels, [
            {"label": str(_("New")), "data": created},
            {"label": str(_("Solved")), "data": solved},
            {"label": str(_("Open at the end of the day")), "data": backlog, "type": "line",
             "yAxisID": "y1"},
        ], {"y1": True}),
        Chart("first_reply", _("First replies within 1 h, per day"), "line", labels, [
            {"label": str(_("% within 1 h")), "data": within_1h},
        ], {"percent": True}),
    ]
    table = _periods_table(f, days, created, answered, solved, backlog, by_day_first)
    sla = sla_table(Totals(_total(by_day_volume.values(), VOLUME_COLUMNS), {}, {}).volume)
    return {"kpis": kpis, "charts": charts, "tables": [table, *([sla] if sla.rows else [])],
            "waiting": waiting}


WEEKLY_AFTER_DAYS = 62


def _periods_table(f: ReportFilter, days: list[date], created: list[int], answered: list[int],
                   solved: list[int], backlog: list[int],
                   by_day_first: Mapping[date, Mapping[str, int]]) -> Table:
    """Day by day, or week by week (weeks starting on Monday) past two months."""
    weekly = f.days > WEEKLY_AFTER_DAYS
    groups: dict[date, list[int]] = defaultdict(list)
    for i, d in enumerate(days):
        groups[d - timedelta(days=d.weekday()) if weekly else d].append(i)
    columns = FRTB_BINS if f.business else FRT_BINS
    rows = []
    for start, indexes in groups.items():
        histogram = [sum(by_day_first.get(days[i], {}).get(c, 0) for i in indexes)
                     for c in columns]
        b = Breakdown(tuple(histogram))
        rows.append([start, sum(created[i] for i in indexes), sum(answered[i] for i in indexes),
                     sum(solved[i] for i in indexes), backlog[indexes[-1]], b.median,
                     percent(b.cumulative()[0])])
    return Table("days", _("Week by week") if weekly else _("Day by day"), [
        Column("day", _("Week of (UTC)") if weekly else _("Day (UTC)"), "date"),
        Column("created", _("New")), Column("answered", _("First replies")),
        Column("solved", _("Solved")), Column("backlog", _("Open at the end")),
        Column("frt_median", _("Median first reply ≈"), "minutes"),
        Column("within_1h", _("Within 1 h"), "percent"),
    ], rows)


def sla_table(volume: Mapping[str, int]) -> Table:
    """Attainment per target, over the instances completed (conversations created in range)."""
    table = Table("sla", _("SLA attainment per target"), [
        Column("target", _("Target"), "text"), Column("achieved", _("Achieved")),
        Column("breached", _("Breached")), Column("attainment", _("Attainment"), "percent"),
    ], note=_("Targets completed on conversations opened in the period, from the SLA "
              "events (sla.met / sla.breached)."))
    for metric in SLA_METRICS:
        achieved = volume.get(f"sla_{metric}_achieved", 0)
        breached = volume.get(f"sla_{metric}_breached", 0)
        if achieved or breached:
            table.rows.append([str(SLA_LABELS[metric]), achieved, breached,
                               percent(Ratio(achieved, achieved + breached))])
    decided = volume.get("sla_attained", 0) + volume.get("sla_missed", 0)
    if decided:
        table.rows.append([_("Conversations (every target achieved)"),
                           volume.get("sla_attained", 0), volume.get("sla_missed", 0),
                           percent(Ratio(volume.get("sla_attained", 0), decided))])
    return table


# --- response times (Buffer) -------------------------------------------------------------------


def _breakdown_columns() -> list[Column]:
    return [
        Column("answered", _("First answered")),
        *(Column(f"share_{b.key}", str(BUCKET_LABELS[b.key]), "percent")
          for b in RESPONSE_BUCKETS),
        *(Column(f"cum_{b.key}", str(CUMULATIVE_LABELS[b.key]), "percent")
          for b in RESPONSE_BUCKETS[1:-1]),
        Column("median", _("Median ≈"), "minutes"), Column("mean", _("Mean"), "minutes"),
    ]


def _breakdown_cells(b: Breakdown) -> list[Any]:
    return [b.answered, *(percent(s) for s in b.shares()),
            *(percent(c) for c in b.cumulative()[1:-1]), b.median, b.mean]


def _month(day: date) -> date:
    return day.replace(day=1)


def response_times(f: ReportFilter) -> dict[str, Any]:
    """Buffer's breakdown: first replies within 1 h, 1–3 h, 3–6 h, 6–24 h, > 24 h and the
    cumulative shares, for the range, per month and per channel."""
    columns = ["answered", "frt_business_total" if f.business else "frt_total",
               *(FRTB_BINS if f.business else FRT_BINS)]
    by_day = _sum_by(f.rows(FirstReplyDay, ["day"]), ["day"], columns)
    by_channel = _sum_by(f.rows(FirstReplyDay, ["channel"]), ["channel"], columns)
    total = _breakdown(_total(by_day, columns), f.business)
    months: dict[date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(columns, 0))
    for row in by_day:
        month = months[_month(row["day"])]
        for c in columns:
            month[c] += row[c]
    waiting = awaiting_first_reply(f)

    summary = Table("breakdown", _("First reply times"), [
        Column("bucket", _("First reply"), "text"), Column("count", _("Conversations")),
        Column("share", _("Share"), "percent"), Column("cumulative", _("Cumulative"), "percent"),
    ], note=_("Conversations first answered in the period (the denominator); still "
              "waiting, shown apart: %(n)s.") % {"n": waiting["total"]})
    for bucket, count, share, cumulative in zip(RESPONSE_BUCKETS, total.counts, total.shares(),
                                                total.cumulative(), strict=True):
        summary.rows.append([str(BUCKET_LABELS[bucket.key]), count, percent(share),
                             percent(cumulative)])

    per_month = Table("months", _("Per month"), [Column("month", _("Month"), "text"),
                                                 *_breakdown_columns()])
    for month in sorted(months):
        b = _breakdown(months[month], f.business)
        per_month.rows.append([month.strftime("%Y-%m"), *_breakdown_cells(b)])
    channel_names = _choice_names("channel")
    per_channel = Table("channels", _("Per channel"), [Column("channel", _("Channel"), "text"),
                                                       *_breakdown_columns()])
    channel_breakdowns = {}
    for row in sorted(by_channel, key=lambda r: -r["answered"]):
        b = _breakdown(row, f.business)
        channel_breakdowns[row["channel"]] = b
        per_channel.rows.append([channel_names.get(row["channel"], row["channel"]),
                                 *_breakdown_cells(b)])
    waiting_table = Table("waiting", _("Still waiting for a first reply"), [
        Column("age", _("Waiting for"), "text"), Column("count", _("Conversations")),
    ], [[str(BUCKET_LABELS[b.key]), n] for b, n in zip(RESPONSE_BUCKETS, waiting["by_age"],
                                                       strict=True)])

    bucket_labels = [str(BUCKET_LABELS[b.key]) for b in RESPONSE_BUCKETS]
    month_labels = [m.strftime("%Y-%m") for m in sorted(months)]
    stacked = []
    for index, label in enumerate(bucket_labels):
        stacked.append({"label": label, "stack": "share", "data": [
            percent(_breakdown(months[m], f.business).shares()[index]) for m in sorted(months)]})
    charts = [
        Chart("breakdown", _("Share of conversations by first reply time"), "bar",
              bucket_labels, [
                  {"label": str(_("Share")), "data": [percent(s) for s in total.shares()]},
                  {"label": str(_("Cumulative")), "type": "line",
                   "data": [percent(c) for c in total.cumulative()]},
              ], {"percent": True}),
        Chart("months", _("Per month"), "bar", month_labels, stacked,
              {"percent": True, "stacked": True}),
        Chart("channels", _("Per channel"), "bar",
              [channel_names.get(c, c) for c in channel_breakdowns], [
                  {"label": label, "stack": "share",
                   "data": [percent(b.shares()[index]) for b in channel_breakdowns.values()]}
                  for index, label in enumerate(bucket_labels)
              ], {"percent": True, "stacked": True, "horizontal": True}),
    ]
    channel_summary = [(channel_names.get(c, c), b.answered, percent(b.cumulative()[0]),
                        percent(b.cumulative()[2])) for c, b in channel_breakdowns.items()]
    return {"breakdown": total, "waiting": waiting, "charts": charts,
            "channel_summary": channel_summary,
            "tables": [summary, per_month, per_channel, waiting_table],
            "cumulative": [(str(CUMULATIVE_LABELS[b.key]), percent(c))
                           for b, c in zip(RESPONSE_BUCKETS, total.cumulative(), strict=True)]}


# --- resolution --------------------------------------------------------------------------------


def resolution(f: ReportFilter) -> dict[str, Any]:
    """FCR per channel against one-contact resolution, reopens, resolution times."""
    res_columns = RESOLUTION_COLUMNS
    by_channel = _sum_by(f.rows(ResolutionDay, ["channel"]), ["channel"], res_columns)
    ocr_by_channel = {r["channel"]: r for r in _sum_by(
        f.rows(VolumeDay, ["channel"]), ["channel"], ["issues_solved", "issues_one_contact"])}
    totals = _total(by_channel, res_columns)
    ocr_totals = _total(ocr_by_channel.values(), ["issues_solved", "issues_one_contact"])
    window = ocr_window().days
    business = f.business
    suffix = "_business_total" if business else "_total"
    names = _choice_names("channel")

    table = Table("channels", _("Per channel"), [
        Column("channel", _("Channel"), "text"), Column("solved", _("Solved")),
        Column("fcr", _("First-contact resolution"), "percent"),
        Column("ocr", _("One-contact resolution"), "percent"),
        Column("reopen_rate", _("Reopen rate"), "percent"), Column("reopens", _("Reopens")),
        Column("replies", _("Replies per conversation"), "number"),
        Column("first_resolution", _("Mean first resolution"), "minutes"),
        Column("full_resolution", _("Mean full resolution"), "minutes"),
        Column("median_resolution", _("Median full resolution ≈"), "minutes"),
        Column("requester_wait", _("Mean requester wait"), "minutes"),
        Column("next_reply", _("Mean next reply"), "minutes"),
    ], note=_("First-contact resolution: one-touch ÷ solved on that channel. One-contact "
              "resolution: the customer's issues, on every channel, solved with one "
              "conversation and one reply (issues grouped over %(days)s days), by the "
              "channel the issue started on.") % {"days": window})

    def cells(row: Mapping[str, Any], ocr: Mapping[str, int]) -> list[Any]:
        solved = row["solved"]
        return [
            solved, percent(Ratio(row["one_touch"], solved)),
            percent(Ratio(ocr.get("issues_one_contact", 0), ocr.get("issues_solved", 0))),
            percent(Ratio(row["reopened"], solved)), row["reopens"],
            _mean(row["replies"], solved),
            _mean(row["first_resolution" + suffix], solved),
            _mean(row["full_resolution" + suffix], solved),
            bins.median([row[c] for c in (RESB_BINS if business else RES_BINS)]),
            _mean(row["requester_wait" + suffix], solved),
            _mean(row["next_reply" + suffix], row["next_replies"]),
        ]

    for row in sorted(by_channel, key=lambda r: -r["solved"]):
        table.rows.append([names.get(row["channel"], row["channel"]),
                           *cells(row, ocr_by_channel.get(row["channel"], {}))])
    table.rows.append([_("All channels"), *cells(totals, ocr_totals)])

    res_bins = [totals[c] for c in (RESB_BINS if business else RES_BINS)]
    distribution = Table("distribution", _("Full resolution time"), [
        Column("range", _("Resolved within"), "text"), Column("count", _("Conversations")),
        Column("share", _("Share"), "percent"),
    ])
    groups = [(0, 60), (60, 240), (240, 480), (480, 1440), (1440, 2880), (2880, 10080),
              (10080, 43200), (43200, None)]
    solved = sum(res_bins)
    for lower, upper in groups:
        count = sum(n for i, n in enumerate(res_bins)
                    if bins.EDGES[i] >= lower and (upper is None or bins.EDGES[i] < upper))
        distribution.rows.append([_range_label(lower, upper), count,
                                  percent(Ratio(count, solved))])
    fcr_rows = [r for r in table.rows[:-1]]
    charts = [
        Chart("fcr", _("First-contact vs one-contact resolution"), "bar",
              [str(r[0]) for r in fcr_rows], [
                  {"label": str(_("First-contact resolution")), "data": [r[2] for r in fcr_rows]},
                  {"label": str(_("One-contact resolution")), "data": [r[3] for r in fcr_rows]},
              ], {"percent": True}),
        Chart("distribution", _("Full resolution time"), "bar",
              [r[0] for r in distribution.rows],
              [{"label": str(_("Share")), "data": [r[2] for r in distribution.rows]}],
              {"percent": True}),
    ]
    kpis = [
        Kpi(_("Solved"), totals["solved"], "int", better=""),
        Kpi(_("One-touch resolution"), percent(Ratio(totals["one_touch"], totals["solved"])),
            "percent"),
        Kpi(_("One-contact resolution"), percent(Ratio(ocr_totals["issues_one_contact"],
                                                        ocr_totals["issues_solved"])), "percent",
            note=_("%(days)s-day window") % {"days": window}),
        Kpi(_("Reopen rate"), percent(Ratio(totals["reopened"], totals["solved"])), "percent",
            better="down"),
        Kpi(_("Median full resolution"), bins.median(res_bins), "minutes", better="down"),
    ]
    return {"kpis": kpis, "charts": charts, "tables": [table, distribution], "window": window}


def _range_label(lower: int, upper: int | None) -> str:
    def text(minutes: int) -> str:
        if minutes >= 1440:
            return _("%(n)s d") % {"n": minutes // 1440}
        return _("%(n)s h") % {"n": minutes // 60}

    if lower == 0 and upper is not None:
        return _("< %(upper)s") % {"upper": text(upper)}
    if upper is None:
        return _("> %(lower)s") % {"lower": text(lower)}
    return f"{text(lower)} – {text(upper)}"


# --- volume ----------------------------------------------------------------------------------


def volume(f: ReportFilter, time_zone: str = "UTC") -> dict[str, Any]:
    """Conversations by channel, plan, language, team and tag; day by day per channel; and
    the hour-of-day × weekday heatmap in the reader's time zone."""
    total = sum(r["conversations"] for r in _sum_by(f.rows(VolumeDay), [], ["conversations"]))
    tables = []
    names = {"channel": _choice_names("channel"), "plan": _choice_names("plan"),
             "language": _choice_names("language")}
    titles = {"channel": _("By channel"), "plan": _("By plan"), "language": _("By language"),
              "team": _("By team"), "tag": _("By tag")}
    labels = {"channel": _("Channel"), "plan": _("Plan"), "language": _("Language"),
              "team": _("Team"), "tag": _("Tag")}
    charts = []
    for dim in ("channel", "plan", "language", "team_id"):
        counts = {r[dim]: r["conversations"]
                  for r in _sum_by(f.rows(VolumeDay, [dim]), [dim], ["conversations"])}
        grouped = sorted(counts.items(), key=lambda kv: -kv[1])
        key = "team" if dim == "team_id" else dim
        lookup = _team_names(counts) if dim == "team_id" else names[dim]
        table = Table(key, titles[key], [Column(key, labels[key], "text"),
                                         Column("conversations", _("Conversations")),
                                         Column("share", _("Share"), "percent")])
        for value, n in grouped:
            table.rows.append([lookup.get(value, value or "—"), n, percent(Ratio(n, total))])
        tables.append(table)
        charts.append(Chart(f"by_{key}", titles[key], "doughnut",
                            [str(r[0]) for r in table.rows],
                            [{"label": str(_("Conversations")),
                              "data": [r[1] for r in table.rows]}]))
    tag_rows = sorted(_sum_by(f.rows(VolumeDay, ["tag"]), ["tag"], ["conversations"]),
                      key=lambda r: (-r["conversations"], r["tag"]))
    tag_table = Table("tag", titles["tag"], [Column("tag", labels["tag"], "text"),
                                             Column("conversations", _("Conversations")),
                                             Column("share", _("Share"), "percent")],
                      note=_("A conversation with several tags counts under each."))
    for r in tag_rows[:100]:
        tag_table.rows.append([r["tag"], r["conversations"],
                               percent(Ratio(r["conversations"], total))])
    tables.append(tag_table)

    days = range_days(f)
    per_day: dict[str, dict[date, int]] = defaultdict(dict)
    by_day_channel = _sum_by(f.rows(VolumeDay, ["day", "channel"]), ["day", "channel"],
                             ["conversations", *HOURS])
    for r in by_day_channel:
        per_day[r["channel"]][r["day"]] = r["conversations"]
    channels = [{"label": names["channel"].get(channel, channel), "stack": "volume",
                 "data": [per_day[channel].get(d, 0) for d in days]}
                for channel in sorted(per_day, key=lambda c: -sum(per_day[c].values()))]
    charts.insert(0, Chart("per_day", _("New conversations per day, by channel"), "bar",
                           [day_label(d) for d in days], channels, {"stacked": True}))

    heat = heatmap(by_day_channel, time_zone)
    tables.append(Table("heatmap", _("Hour of day × weekday"), [
        Column("weekday", _("Weekday"), "text"),
        *(Column(f"h{h:02d}", f"{h:02d}") for h in range(24)),
    ], [[str(WEEKDAY_NAMES[w]), *heat[w]] for w in range(7)],
        note=_("New conversations by the hour they came in, in %(zone)s.") % {"zone": time_zone},
        shown=False))
    return {"total": total, "tables": tables, "charts": charts, "heatmap": heat,
            "heatmap_rows": _heat_rows(heat), "hours": [f"{h:02d}" for h in range(24)],
            "time_zone": time_zone}


def _heat_rows(heat: list[list[int]]) -> list[tuple[Any, list[tuple[int, str, bool]]]]:
    """Per weekday: (count, cell opacity as CSS wants it, dark cell) for each hour."""
    peak = max((max(row) for row in heat), default=0) or 1
    return [(WEEKDAY_NAMES[w], [(n, f"{n / peak:.3f}", n / peak > 0.55) for n in heat[w]])
            for w in range(7)]


WEEKDAY_NAMES = (gettext_lazy("Monday"), gettext_lazy("Tuesday"), gettext_lazy("Wednesday"),
                 gettext_lazy("Thursday"), gettext_lazy("Friday"), gettext_lazy("Saturday"),
                 gettext_lazy("Sunday"))


def heatmap(rows: Iterable[Mapping[str, Any]], time_zone: str = "UTC") -> list[list[int]]:
    """7 × 24 counts of new conversations (Monday first) from rollup rows with a ``day`` and
    the ``hNN`` UTC-hour counts, shifted into ``time_zone`` day by day (so daylight-saving
    changes land on the right hour)."""
    try:
        zone = zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    per_day: dict[date, list[int]] = defaultdict(lambda: [0] * 24)
    for row in rows:
        hours = per_day[row["day"]]
        for hour, column in enumerate(HOURS):
            hours[hour] += row[column]
    grid = [[0] * 24 for _day in range(7)]
    for day, hours in per_day.items():
        midnight = datetime.combine(day, time.min, tzinfo=UTC)
        for hour, count in enumerate(hours):
            if count:
                local = (midnight + timedelta(hours=hour)).astimezone(zone)
                grid[local.weekday()][local.hour] += count
    return grid
