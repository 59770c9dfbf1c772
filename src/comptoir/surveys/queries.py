"""The CSAT report: its figures from the ``reports.SurveyDay`` rollup, its comments from
the ``Survey`` rows.

A survey counts on the UTC day it was *offered* (sent); its latest rating counts, so a
customer who changes their mind moves it from bad to good, never twice. Score = good ÷
(good + bad), unanswered surveys left out; response rate = rated ÷ offered
(``reports.metrics.CsatTally``). The report filters (channel, plan, language, team, tag)
apply to the conversation as it is now, like every rollup's dimensions.

The workers keep ``SurveyDay`` up to date from the ``csat.offered`` / ``csat.rated`` events
like the other rollups (``reports.services``; figures run about 10–15 s behind real time),
so the page costs a few sums over one row a day and dimension, whatever the number of
surveys: ``bench/reports.py`` times it on 1,000,000 conversations. :func:`offered` and
:func:`tally` read the rows themselves (exact to the instant, for the comments and checks).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from comptoir.accounts.models import Team
from comptoir.conversations.models import Channel
from comptoir.reports.filters import ReportFilter
from comptoir.reports.metrics import CsatTally
from comptoir.reports.models import SurveyDay
from comptoir.reports.queries import percent
from comptoir.reports.shapes import Chart, Column, Kpi, Table

from .models import Rating, Reason, Survey, SurveyState

MAX_COMMENTS = 200  # listed on the page and in the CSV, newest first


def _utc_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def offered(f: ReportFilter, *, start: date | None = None, end: date | None = None,
            ) -> QuerySet[Survey]:
    """Surveys sent on the filter's days (or ``start``..``end``) matching its dimensions."""
    start, end = start or f.start, end or f.end
    qs = Survey.objects.filter(state=SurveyState.SENT, sent_at__gte=_utc_start(start),
                               sent_at__lt=_utc_start(end + timedelta(days=1)),
                               **f.dims("conversation__"))
    return qs.filter(conversation__tags__name=f.tag) if f.tag else qs


_MEASURES = {
    "offered": Count("pk"),
    "good": Count("pk", filter=Q(rating=Rating.GOOD)),
    "bad": Count("pk", filter=Q(rating=Rating.BAD)),
}


def tally(qs: QuerySet[Survey]) -> CsatTally:
    row = qs.aggregate(**_MEASURES)
    return CsatTally(row["offered"], row["good"], row["bad"])


def rolled_up(f: ReportFilter, by: str = "") -> dict[Any, CsatTally]:
    """The filter's surveys from the rollup, in all (key ``None``) or per ``by`` (``day``,
    ``channel``, ``team_id``, ``language``)."""
    qs = f.rows(SurveyDay, [by] if by else [])
    sums = {"o": Sum("offered"), "g": Sum("good"), "b": Sum("bad")}
    if not by:
        row = qs.aggregate(**sums)
        return {None: CsatTally(row["o"] or 0, row["g"] or 0, row["b"] or 0)}
    return {r[by]: CsatTally(r["o"], r["g"], r["b"])
            for r in qs.values(by).annotate(**sums).order_by()}


def kpis(f: ReportFilter) -> list[Kpi]:
    """CSAT and response rate, against the previous period of the same length."""
    return _kpis(rolled_up(f)[None], rolled_up(f.previous())[None])


def _kpis(now: CsatTally, before: CsatTally) -> list[Kpi]:
    note = _("%(n)s rated of %(m)s offered") % {"n": now.good + now.bad, "m": now.offered}
    return [
        Kpi(_("CSAT"), percent(now.score), "percent", percent(before.score), "up", note),
        Kpi(_("Survey response rate"), percent(now.response_rate), "percent",
            percent(before.response_rate), ""),
    ]


def _row(label: Any, t: CsatTally) -> list[Any]:
    return [label, t.offered, t.good + t.bad, t.good, t.bad, percent(t.score),
            percent(t.response_rate)]


def _columns(first: Column) -> list[Column]:
    return [first, Column("offered", pgettext("satisfaction surveys sent", "Offered")),
            Column("rated", _("Rated")),
            Column("good", _("Good")), Column("bad", _("Bad")),
            Column("csat", _("CSAT"), "percent"),
            Column("response_rate", _("Response rate"), "percent")]


def report(f: ReportFilter, search: str = "") -> dict[str, Any]:
    """The CSAT page: key figures, the score and response rate per day, per channel, team
    and language (from the rollup), and the customers' comments (``search`` finds words in
    them)."""
    total = rolled_up(f)[None]
    before = rolled_up(f.previous())[None]
    per_day = rolled_up(f, "day")
    days = [f.start + timedelta(days=i) for i in range(f.days)]
    labels = [d.isoformat() for d in days]
    empty = CsatTally()
    chart = Chart("csat", _("CSAT and response rate per day"), "line", labels, [
        {"label": str(_("CSAT")), "data": [percent(per_day.get(d, empty).score) for d in days],
         "spanGaps": True},
        {"label": str(_("Response rate")),
         "data": [percent(per_day.get(d, empty).response_rate) for d in days],
         "spanGaps": True},
    ], {"percent": True})
    day_table = Table("days", _("Per day"), _columns(Column("day", _("Day"), "date")),
                      shown=False)
    day_table.rows = [_row(d, per_day[d]) for d in days if d in per_day]

    channels = dict(Channel.choices)
    by_channel = Table("channels", _("Per channel"), _columns(Column("channel", _("Channel"),
                                                                      "text")))
    for code, t in sorted(rolled_up(f, "channel").items(), key=lambda item: -item[1].offered):
        by_channel.rows.append(_row(channels.get(code, code), t))
    by_channel.rows.append(_row(_("All channels"), total))

    team_tallies = rolled_up(f, "team_id")
    teams = dict(Team.objects.filter(pk__in=[k for k in team_tallies if k])
                 .values_list("pk", "name"))
    by_team = Table("teams", _("Per team"), _columns(Column("team", _("Team"), "text")))
    for team_id, t in sorted(team_tallies.items(), key=lambda item: -item[1].offered):
        by_team.rows.append(_row(teams.get(team_id, _("No team")), t))

    languages = dict(settings.LANGUAGES)
    by_language = Table("languages", _("Per language"),
                        _columns(Column("language", _("Language"), "text")))
    for code, t in sorted(rolled_up(f, "language").items(),
                          key=lambda item: -item[1].offered):
        by_language.rows.append(_row(languages.get(code, code or _("Unknown")), t))

    found = comments(offered(f), search)
    comment_table = Table("comments", _("Comments"), [
        Column("answered", _("Answered"), "text"), Column("conversation", _("Conversation")),
        Column("rating", _("Rating"), "text"), Column("reason", _("Reason"), "text"),
        Column("comment", _("Comment"), "text"), Column("language", _("Language"), "text"),
        Column("channel", _("Channel"), "text"),
    ], shown=False)
    ratings, reasons = dict(Rating.choices), dict(Reason.choices)
    comment_table.rows = [
        [s.answered_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"), s.conversation_id,
         ratings.get(s.rating, s.rating), reasons.get(s.reason, ""), s.comment,
         s.language, channels.get(s.channel, s.channel)]
        for s in found
    ]
    return {
        "kpis": [*_kpis(total, before), Kpi(_("Surveys offered"), total.offered, "int",
                                            better=""),
                 Kpi(_("Good"), total.good, "int", better=""),
                 Kpi(_("Bad"), total.bad, "int", better="")],
        "charts": [chart],
        "tables": [by_channel, by_team, by_language, day_table, comment_table],
        "comments": found, "search": search, "max_comments": MAX_COMMENTS,
        "total": total,
    }


def comments(qs: QuerySet[Survey], search: str = "") -> list[Survey]:
    """Rated surveys with a comment, newest answer first; ``search``: every word must be in
    the comment (any case)."""
    found = qs.filter(rating__in=Rating.values).exclude(comment="")
    for word in search.split()[:10]:
        found = found.filter(comment__icontains=word)
    return list(found.order_by("-answered_at", "-pk")[:MAX_COMMENTS])
