"""Reviews pages: my assignments and the scorecard beside the conversation, reviews I
received (with disputes), IQS for leads (organisation and teams, never per agent), calibration,
disputes, scorecard editing, the best-answers library and a new hire's onboarding track.
Thin: parse the request, call a query or a service, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comptoir.accounts.models import Team, User
from comptoir.accounts.permissions import Perm, has_perm, requires
from comptoir.conversations.access import access_conversation
from comptoir.conversations.models import MessageKind, Tag

from . import queries, services
from .models import CalibrationSession, Category, Dispute, DisputeStatus, Review, Scale, Scorecard

WEEK_CHOICES = (4, 12, 26)


def _ratings_from(post, scorecard: Scorecard) -> tuple[dict[int, int | None], dict[int, str]]:
    """``rating-<id>`` is a point value or ``na``; a missing one is left out (the service
    names it in its error)."""
    values: dict[int, int | None] = {}
    comments: dict[int, str] = {}
    for category in scorecard.categories.all():
        raw = post.get(f"rating-{category.pk}", "").strip()
        if raw == "na":
            values[category.pk] = None
        elif raw.isdigit():
            values[category.pk] = int(raw)
        comments[category.pk] = post.get(f"comment-{category.pk}", "")
    return values, comments


def _form_rows(scorecard: Scorecard | None, review: Review | None = None,
               post=None) -> list[dict]:
    if scorecard is None:
        return []
    current = {}
    if review is not None:
        current = {r.category_id: r for r in review.ratings.all()}
    rows = []
    for category in scorecard.categories.all():
        rating = current.get(category.pk)
        if post is not None:
            value = post.get(f"rating-{category.pk}", "")
            comment = post.get(f"comment-{category.pk}", "")
        elif rating is not None:
            value = "na" if rating.value is None else str(rating.value)
            comment = rating.comment
        else:
            value, comment = "", ""
        rows.append({"category": category, "value": value, "comment": comment})
    return rows


@requires(Perm.REVIEW)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    week = services.week_start(timezone.now())
    user = request.user
    to_answer = (services.disputes_for(user).filter(status=DisputeStatus.OPEN)
                 .exclude(review__reviewees=user))
    _mine, my_chart = _my_chart(user)
    charts = {my_chart.name: my_chart.chart.as_json()}
    org_chart = None
    if has_perm(user, Perm.MANAGE_QUALITY):  # leads: the organisation and teams, not people
        org_chart = _org_chart(*_org_and_teams(12))
        charts[org_chart.name] = org_chart.chart.as_json()
    return render(request, "quality/home.html", {
        "week": week, "assignments": queries.my_assignments(user, week),
        "to_answer": [d for d in to_answer[:20] if services.can_resolve(user, d)],
        "calibrations": CalibrationSession.objects.filter(reviewers=user, revealed_at=None),
        "my_chart": my_chart, "org_chart": org_chart, "charts": charts,
    })


@requires(Perm.REVIEW)
@require_http_methods(["GET", "POST"])
def review_conversation(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = access_conversation(request.user, pk)
    scorecards = list(Scorecard.objects.filter(is_active=True))
    review = (Review.objects.filter(reviewer=request.user, conversation=conversation,
                                    calibration=None).prefetch_related("ratings").first())
    wanted = request.POST.get("scorecard") or request.GET.get("scorecard")
    scorecard = next((s for s in scorecards if str(s.pk) == wanted), None)
    if scorecard is None and review is not None:
        scorecard = review.scorecard
    if scorecard is None and scorecards:
        scorecard = scorecards[0]
    error = ""
    if request.method == "POST":
        if scorecard is None:
            error = _("There is no active scorecard yet; ask a lead to create one.")
        else:
            values, comments = _ratings_from(request.POST, scorecard)
            try:
                saved = services.submit_review(request.user, conversation, scorecard, values,
                                               comments=comments,
                                               comment=request.POST.get("comment", ""))
            except services.QualityError as exc:
                error = str(exc)
            else:
                flash.success(request, _("Review saved."))
                return redirect("quality_review_detail", saved.pk)
    messages = (conversation.messages.exclude(kind=MessageKind.NOTE)
                .select_related("author", "person"))
    return render(request, "quality/review_form.html", {
        "conversation": conversation, "conversation_messages": messages,
        "scorecards": scorecards, "scorecard": scorecard, "review": review, "error": error,
        "rows": _form_rows(scorecard, review, request.POST if error else None),
        "comment": request.POST.get("comment", "") if error else (review.comment if review
                                                                  else ""),
        "action": "quality_review",
    })


@requires(Perm.REVIEW)
@require_GET
def received(request: HttpRequest) -> HttpResponse:
    mine, chart = _my_chart(request.user)
    return render(request, "quality/received.html", {
        "reviews": services.reviews_received(request.user)[:100],
        "mine": mine, "iqs_chart": chart, "charts": {chart.name: chart.chart.as_json()},
    })


@requires(Perm.REVIEW)
@require_GET
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = services.access_review(request.user, pk)
    disputes = list(review.disputes.select_related("opened_by", "resolved_by"))
    open_dispute = next((d for d in disputes if d.status == DisputeStatus.OPEN), None)
    can_dispute = (review.calibration_id is None and open_dispute is None
                   and (review.reviewees.filter(pk=request.user.pk).exists()
                        or has_perm(request.user, Perm.MANAGE_QUALITY)))
    return render(request, "quality/review_detail.html", {
        "review": review,
        "ratings": review.ratings.select_related("category"),
        "reviewees": review.reviewees.all(),
        "disputes": disputes, "open_dispute": open_dispute, "can_dispute": can_dispute,
        "can_resolve": open_dispute is not None and services.can_resolve(request.user,
                                                                         open_dispute),
        "rows": _form_rows(review.scorecard, review),
    })


@requires(Perm.REVIEW)
@require_POST
def dispute_open(request: HttpRequest, pk: int) -> HttpResponse:
    review = services.access_review(request.user, pk)
    try:
        services.open_dispute(request.user, review, request.POST.get("reason", ""))
    except services.QualityError as exc:
        flash.error(request, str(exc))
    else:
        flash.success(request, _("Dispute sent to the reviewer."))
    return redirect("quality_review_detail", review.pk)


@requires(Perm.REVIEW)
@require_GET
def disputes(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", DisputeStatus.OPEN)
    if status not in DisputeStatus.values:
        status = DisputeStatus.OPEN
    rows = services.disputes_for(request.user).filter(status=status)[:200]
    return render(request, "quality/disputes.html", {
        "disputes": rows, "status": status, "statuses": DisputeStatus.choices,
    })


@requires(Perm.REVIEW)
@require_POST
def dispute_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = get_object_or_404(Dispute.objects.select_related("review__scorecard"), pk=pk)
    if not services.can_see_review(request.user, dispute.review):
        raise Http404
    accept = request.POST.get("outcome") == "accept"
    values = None
    if accept and request.POST.get("correct"):
        values, _comments = _ratings_from(request.POST, dispute.review.scorecard)
    try:
        services.resolve_dispute(request.user, dispute, accept=accept,
                                 answer=request.POST.get("answer", ""), values=values)
    except services.QualityError as exc:
        flash.error(request, str(exc))
    else:
        flash.success(request, _("Dispute accepted.") if accept else _("Dispute rejected."))
    return redirect("quality_review_detail", dispute.review_id)


def _weeks(request: HttpRequest) -> int:
    try:
        weeks = int(request.GET.get("weeks", 12))
    except ValueError:
        weeks = 12
    return weeks if weeks in WEEK_CHOICES else 12


@requires(Perm.MANAGE_QUALITY)
@require_GET
def iqs(request: HttpRequest) -> HttpResponse:
    weeks = _weeks(request)
    org, teams = _org_and_teams(weeks)
    chart = _org_chart(org, teams)
    return render(request, "quality/iqs.html", {
        "weeks": weeks, "week_choices": WEEK_CHOICES, "org": org, "teams": teams,
        "by_category": queries.scores_by_category(weeks=weeks),
        "iqs_chart": chart, "charts": {chart.name: chart.chart.as_json()},
    })


def _org_and_teams(weeks: int):
    """The organisation's IQS and each team's that has reviews: never one person's."""
    teams = [(team, queries.iqs_over_time(weeks=weeks, team=team))
             for team in Team.objects.order_by("name")]
    return (queries.iqs_over_time(weeks=weeks),
            [(t, s) for t, s in teams if s.reviews or s.self_reviews])


def _org_chart(org, teams) -> queries.IqsChart:
    return queries.iqs_chart(
        "iqs-weekly", _("Weekly IQS: the organisation and each team"),
        [(_("Organisation"), org), *[(team.name, summary) for team, summary in teams]])


def _my_chart(user, weeks: int = 12) -> tuple[queries.IqsSummary, queries.IqsChart]:
    mine = queries.iqs_over_time(weeks=weeks, person=user)
    return mine, queries.iqs_chart("iqs-mine", _("My weekly quality score"),
                                   [(_("My IQS"), mine)])


@requires(Perm.MANAGE_QUALITY)
@require_GET
def scorecards(request: HttpRequest) -> HttpResponse:
    return render(request, "quality/scorecards.html", {
        "scorecards": Scorecard.objects.prefetch_related("categories"),
    })


@requires(Perm.MANAGE_QUALITY)
@require_POST
def scorecard_create(request: HttpRequest) -> HttpResponse:
    try:
        card = services.create_scorecard(request.POST.get("name", ""),
                                         request.POST.get("description", ""))
    except services.QualityError as exc:
        flash.error(request, str(exc))
        return redirect("quality_scorecards")
    return redirect("quality_scorecard", card.pk)


@requires(Perm.MANAGE_QUALITY)
@require_GET
def scorecard(request: HttpRequest, pk: int) -> HttpResponse:
    card = get_object_or_404(Scorecard, pk=pk)
    return render(request, "quality/scorecard.html", {
        "card": card, "categories": card.categories.all(), "scales": Scale.choices,
    })


@requires(Perm.MANAGE_QUALITY)
@require_POST
def scorecard_edit(request: HttpRequest, pk: int) -> HttpResponse:
    card = get_object_or_404(Scorecard, pk=pk)
    try:
        services.update_scorecard(card, name=request.POST.get("name", ""),
                                  description=request.POST.get("description", ""),
                                  is_active=bool(request.POST.get("is_active")))
    except services.QualityError as exc:
        flash.error(request, str(exc))
    else:
        flash.success(request, _("Scorecard saved."))
    return redirect("quality_scorecard", card.pk)


def _category_fields(request: HttpRequest) -> dict:
    def number(name: str) -> int:
        try:
            return int(request.POST.get(name, ""))
        except ValueError:
            return -1

    return {"name": request.POST.get("name", ""), "scale": number("scale"),
            "weight": number("weight"), "critical": bool(request.POST.get("critical")),
            "allow_na": bool(request.POST.get("allow_na")),
            "description": request.POST.get("description", "")}


@requires(Perm.MANAGE_QUALITY)
@require_POST
def category_add(request: HttpRequest, pk: int) -> HttpResponse:
    card = get_object_or_404(Scorecard, pk=pk)
    fields = _category_fields(request)
    try:
        services.add_category(card, fields.pop("name"), **fields)
    except services.QualityError as exc:
        flash.error(request, str(exc))
    return redirect("quality_scorecard", card.pk)


@requires(Perm.MANAGE_QUALITY)
@require_POST
def category_edit(request: HttpRequest, pk: int) -> HttpResponse:
    category = get_object_or_404(Category, pk=pk)
    try:
        services.update_category(category, **_category_fields(request))
    except services.QualityError as exc:
        flash.error(request, str(exc))
    else:
        flash.success(request, _("Category saved."))
    return redirect("quality_scorecard", category.scorecard_id)


@requires(Perm.MANAGE_QUALITY)
@require_POST
def category_remove(request: HttpRequest, pk: int) -> HttpResponse:
    category = get_object_or_404(Category, pk=pk)
    try:
        services.remove_category(category)
    except services.QualityError as exc:
        flash.error(request, str(exc))
    return redirect("quality_scorecard", category.scorecard_id)


@requires(Perm.REVIEW)
@require_GET
def calibrations(request: HttpRequest) -> HttpResponse:
    sessions = CalibrationSession.objects.select_related("conversation", "scorecard")
    if not has_perm(request.user, Perm.MANAGE_QUALITY):
        sessions = sessions.filter(reviewers=request.user)
    return render(request, "quality/calibrations.html", {
        "sessions": sessions.prefetch_related("reviewers")[:100],
        "scorecards": Scorecard.objects.filter(is_active=True),
    })


@requires(Perm.MANAGE_QUALITY)
@require_POST
def calibration_start(request: HttpRequest) -> HttpResponse:
    names = [n.strip() for n in request.POST.get("reviewers", "").replace(",", " ").split()]
    reviewers = list(User.objects.filter(username__in=names, is_active=True))
    unknown = sorted(set(names) - {u.username for u in reviewers})
    conversation_id = request.POST.get("conversation", "").lstrip("#")
    card = Scorecard.objects.filter(pk=request.POST.get("scorecard") or 0).first()
    if unknown:
        flash.error(request, _("Unknown people: %(names)s") % {"names": ", ".join(unknown)})
        return redirect("quality_calibrations")
    if not conversation_id.isdigit() or card is None:
        flash.error(request, _("Choose a conversation number and a scorecard."))
        return redirect("quality_calibrations")
    conversation = access_conversation(request.user, int(conversation_id))
    try:
        session = services.start_calibration(request.user, conversation, card, reviewers,
                                             request.POST.get("title", ""))
    except services.QualityError as exc:
        flash.error(request, str(exc))
        return redirect("quality_calibrations")
    return redirect("quality_calibration", session.pk)


def _access_calibration(user, pk: int) -> CalibrationSession:
    session = (CalibrationSession.objects.select_related("conversation", "scorecard")
               .filter(pk=pk).first())
    if session is None or not (session.reviewers.filter(pk=user.pk).exists()
                               or has_perm(user, Perm.MANAGE_QUALITY)):
        raise Http404
    return session


@requires(Perm.REVIEW)
@require_http_methods(["GET", "POST"])
def calibration(request: HttpRequest, pk: int) -> HttpResponse:
    session = _access_calibration(request.user, pk)
    participant = session.reviewers.filter(pk=request.user.pk).exists()
    mine = session.reviews.filter(reviewer=request.user).prefetch_related("ratings").first()
    error = ""
    if request.method == "POST":
        if not participant:
            raise PermissionDenied
        values, comments = _ratings_from(request.POST, session.scorecard)
        try:
            services.submit_review(request.user, session.conversation, session.scorecard,
                                   values, comments=comments,
                                   comment=request.POST.get("comment", ""),
                                   calibration=session)
        except services.QualityError as exc:
            error = str(exc)
        else:
            flash.success(request, _("Your calibration rating is saved."))
            return redirect("quality_calibration", session.pk)
    visible = services.calibration_reviews_for(request.user, session)
    categories = list(session.scorecard.categories.all())
    side_by_side = []
    for category in categories:
        cells = []
        for review in visible:
            rating = next((r for r in review.ratings.all() if r.category_id == category.pk),
                          None)
            cells.append(rating)
        side_by_side.append((category, cells))
    messages = (session.conversation.messages.exclude(kind=MessageKind.NOTE)
                .select_related("author", "person"))
    return render(request, "quality/calibration.html", {
        "session": session, "participant": participant, "mine": mine, "error": error,
        "visible": visible, "side_by_side": side_by_side,
        "rated": session.reviews.count(), "invited": session.reviewers.count(),
        "rows": _form_rows(session.scorecard, mine, request.POST if error else None),
        "comment": mine.comment if mine else "",
        "conversation": session.conversation, "conversation_messages": messages,
    })


@requires(Perm.MANAGE_QUALITY)
@require_POST
def calibration_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(CalibrationSession, pk=pk)
    services.reveal(session)
    flash.success(request, _("Ratings are now shown side by side."))
    return redirect("quality_calibration", session.pk)


@requires(Perm.REVIEW)
@require_GET
def best_answers(request: HttpRequest) -> HttpResponse:
    language = request.GET.get("language", "")
    tag = request.GET.get("tag", "")
    search = request.GET.get("q", "").strip()[:200]
    return render(request, "quality/best_answers.html", {
        "reviews": queries.best_answers(language=language, tag=tag, search=search),
        "language": language, "tag": tag, "q": search, "languages": settings.LANGUAGES,
        "tags": Tag.objects.filter(conversations__reviews__score__gte=queries.BEST_ANSWER_BAR)
        .distinct().values_list("name", flat=True),
        "bar": queries.BEST_ANSWER_BAR,
    })


@requires(Perm.REVIEW)
@require_GET
def onboarding(request: HttpRequest) -> HttpResponse:
    return render(request, "quality/onboarding.html", {
        "track": queries.onboarding(request.user),
    })
