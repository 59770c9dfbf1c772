"""Read side of quality review: IQS over time (organisation, team, one person), scores by
category, the best-answers library and a new hire's onboarding reading list."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from comptoir.accounts.models import Team, User
from comptoir.accounts.permissions import Perm, has_perm
from comptoir.conversations.models import Message, MessageKind
from comptoir.reports.shapes import Chart

from . import scoring
from .models import Assignment, Rating, Review
from .services import week_start

BEST_ANSWER_BAR = 80.0
ONBOARDING_DAYS = 14


@dataclass(frozen=True)
class IqsWeek:
    week: date
    reviews: int
    iqs: float | None
    pass_rate: float | None


@dataclass(frozen=True)
class IqsSummary:
    weeks: list[IqsWeek]
    reviews: int
    iqs: float | None
    pass_rate: float | None
    self_reviews: int          # shown apart, never in IQS
    self_iqs: float | None


def _since(weeks: int, today: date | None) -> datetime:
    monday = week_start(today or timezone.now())
    return datetime.combine(monday - timedelta(weeks=weeks - 1), time.min, tzinfo=UTC)


def iqs_over_time(*, weeks: int = 12, team: Team | None = None, person: User | None = None,
                  today: date | None = None) -> IqsSummary:
    """IQS week by week over the last ``weeks`` weeks, for the organisation, a team (reviews
    crediting one of its members) or one person. Calibration reviews never count."""
    since = _since(weeks, today)
    reviews = Review.objects.filter(calibration__isnull=True, score__isnull=False,
                                    created_at__gte=since)
    if team is not None:
        reviews = reviews.filter(reviewees__teams=team)
    if person is not None:
        reviews = reviews.filter(reviewees=person)
    rows = list(reviews.values_list("pk", "created_at", "score", "is_self").distinct())
    by_week: dict[date, list[float]] = defaultdict(list)
    counted, selfs = [], []
    for _pk, created_at, score, is_self in rows:
        if is_self:
            selfs.append(score)
            continue
        counted.append(score)
        by_week[week_start(created_at)].append(score)
    first = since.date()
    series = []
    for i in range(weeks):
        monday = first + timedelta(weeks=i)
        scores = by_week.get(monday, [])
        series.append(IqsWeek(monday, len(scores), scoring.iqs(scores),
                              scoring.pass_rate(scores)))
    return IqsSummary(series, len(counted), scoring.iqs(counted), scoring.pass_rate(counted),
                      len(selfs), scoring.iqs(selfs))


@dataclass(frozen=True)
class IqsChart:
    """Weekly IQS lines for the page's chart (drawn by ``reports.js`` with Chart.js) and
    the same figures as a table, for readers without JavaScript or a screen."""

    chart: Chart
    headers: list[str]
    rows: list[tuple[date, list[float | None]]]

    @property
    def name(self) -> str:
        return self.chart.name

    @property
    def has_data(self) -> bool:
        """Any week with a scored review (an empty chart would only show an empty axis)."""
        return any(value is not None for _week, values in self.rows for value in values)


def iqs_chart(name: str, title: str, series: list[tuple[str, IqsSummary]]) -> IqsChart:
    """One line per series (the organisation, each team, or one person for themself), one
    point per week; a week without reviews is a gap, not a zero."""
    weeks = [row.week for row in series[0][1].weeks] if series else []
    datasets = [{"label": str(label), "spanGaps": True,
                 "data": [None if row.iqs is None else round(row.iqs, 2)
                          for row in summary.weeks]}
                for label, summary in series]
    chart = Chart(name, title, "line", [week.isoformat() for week in weeks], datasets,
                  {"percent": True})
    rows = [(week, [dataset["data"][i] for dataset in datasets])
            for i, week in enumerate(weeks)]
    return IqsChart(chart, [str(label) for label, _summary in series], rows)


def scores_by_category(*, weeks: int = 12, today: date | None = None) -> dict[str, float]:
    """Each category averaged on its own (critical failures do not zero the others)."""
    ratings = (Rating.objects.filter(review__calibration__isnull=True, review__is_self=False,
                                     review__created_at__gte=_since(weeks, today))
               .values_list("review_id", "category__scorecard__name", "category__name",
                            "category__scale", "value"))
    reviews: dict[int, dict[str, float | None]] = defaultdict(dict)
    for review_id, card, name, scale, value in ratings:
        reviews[review_id][f"{card} · {name}"] = (
            None if value is None else scoring.category_score(value, scale))
    return dict(sorted(scoring.scores_by_category(reviews.values()).items()))


def reviews_visible_to(user: User) -> QuerySet[Review]:
    """The reviews ``user`` may read, in one query (``services.can_see_review`` row by row):
    a lead every review, others those they wrote and those crediting them. Calibration
    reviews are practice, blind until revealed: only one's own are listed here."""
    if not has_perm(user, Perm.REVIEW):
        return Review.objects.none()
    own = Q(reviewer=user)
    if has_perm(user, Perm.MANAGE_QUALITY):
        return Review.objects.filter(own | Q(calibration__isnull=True))
    credited = Review.reviewees.through.objects.filter(review_id=OuterRef("pk"),
                                                       user_id=user.pk)
    return Review.objects.filter(own | (Q(calibration__isnull=True) & Exists(credited)))


def my_assignments(user: User, week: date) -> QuerySet[Assignment]:
    done = Review.objects.filter(reviewer=OuterRef("reviewer"),
                                 conversation=OuterRef("conversation"),
                                 calibration__isnull=True)
    return (Assignment.objects.filter(week=week, reviewer=user)
            .select_related("conversation", "reviewee")
            .annotate(done=Exists(done)).order_by("id"))


def best_answers(*, language: str = "", tag: str = "", search: str = "",
                 languages: list[str] | None = None, bar: float = BEST_ANSWER_BAR,
                 limit: int = 50) -> list[Review]:
    """Reviews scoring at least ``bar`` (not self-reviews, not calibration), best first, one
    per conversation, each with ``conversation.replies`` (its public replies)."""
    reviews = (Review.objects
               .filter(calibration__isnull=True, is_self=False, score__gte=bar)
               .select_related("conversation", "reviewer", "scorecard"))
    if language:
        reviews = reviews.filter(conversation__language=language)
    if languages:
        reviews = reviews.filter(conversation__language__in=languages)
    if tag:
        reviews = reviews.filter(conversation__tags__name=tag)
    if search:
        matching = Message.objects.filter(conversation=OuterRef("conversation"),
                                          kind=MessageKind.REPLY, body_text__icontains=search)
        reviews = reviews.filter(Q(conversation__subject__icontains=search)
                                 | Q(comment__icontains=search) | Exists(matching))
    reviews = reviews.order_by("-score", "-created_at", "-id").prefetch_related(
        "reviewees", "conversation__tags",
        Prefetch("conversation__messages",
                 queryset=Message.objects.filter(kind=MessageKind.REPLY).select_related("author"),
                 to_attr="replies"))
    picked: list[Review] = []
    seen: set[int] = set()
    for review in reviews[: limit * 3]:
        if review.conversation_id in seen:
            continue
        seen.add(review.conversation_id)
        picked.append(review)
        if len(picked) >= limit:
            break
    return picked


@dataclass(frozen=True)
class Onboarding:
    is_new: bool
    day: int               # 1..14 during the first two weeks
    ends_on: date
    languages: list[str]
    reading: list[Review]


def onboarding(user: User, *, now: datetime | None = None, limit: int = 20) -> Onboarding:
    """A new hire's first two weeks: the best answers in the languages they speak."""
    now = now or timezone.now()
    joined = user.date_joined
    day = (now - joined).days + 1
    languages = list(user.spoken_languages or [])
    return Onboarding(
        is_new=day <= ONBOARDING_DAYS, day=max(1, min(day, ONBOARDING_DAYS)),
        ends_on=(joined + timedelta(days=ONBOARDING_DAYS)).date(), languages=languages,
        reading=best_answers(languages=languages or None, limit=limit))
