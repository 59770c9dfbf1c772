"""Customer days pages: my days and the proposal form, one day with its record, the day's
workspace, the records (searched, summarised by team), the overview over time, coverage
minimums for leads, and reactions. Thin: parse, call a service or a query, render."""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comptoir.accounts.models import Team
from comptoir.accounts.permissions import Perm, has_perm, requires
from comptoir.quality.models import Review
from comptoir.quality.services import can_see_review
from comptoir.reports.shapes import Chart

from . import queries, services
from .forms import ProposeForm, ReactionForm, RecordForm
from .models import Pairing, PairingRecord, TeamCoverage

QUICK_REACTIONS = ("👀", "✅", "🎉", "👍", "❤️", "💡", "🐛")
# what can be reacted to: kind in the URL -> model
REACTION_TARGETS = {"record": PairingRecord, "review": Review}


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _pairing(pk: int) -> Pairing:
    return get_object_or_404(Pairing.objects.select_related(
        "engineer", "advocate", "skill", "engineering_team"), pk=pk)


@requires(Perm.VIEW)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    upcoming, past = queries.my_days(request.user, today, request.GET.get("cursor"))
    return render(request, "pairing/home.html", {
        "upcoming": upcoming, "past": past.items, "page": past,
        "missing": services.missing_records(request.user, today),
        "today": today, "can_propose": has_perm(request.user, Perm.REPLY),
    })


@requires(Perm.REPLY)
@require_http_methods(["GET", "POST"])
def propose(request: HttpRequest) -> HttpResponse:
    form = ProposeForm(request.POST or None)
    verdicts = None
    if request.method == "POST" and form.is_valid():
        try:
            pairing = services.propose(request.user, form.days(),
                                       skill=form.cleaned_data["skill"],
                                       tag=form.cleaned_data["tag"])
        except services.Refused as exc:
            verdicts = exc.verdicts
        except services.PairingError as exc:
            form.add_error(None, str(exc))
        else:
            flash.success(request, _("Your customer day is booked with %(name)s. "
                                     "A calendar invitation is on its way to you both.")
                          % {"name": pairing.advocate.display_name})
            return redirect("pairing_detail", pairing.pk)
    return render(request, "pairing/propose.html", {"form": form, "verdicts": verdicts},
                  status=422 if verdicts or form.errors else 200)


@requires(Perm.VIEW)
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = _pairing(pk)
    record = PairingRecord.objects.filter(pairing=pairing).prefetch_related("bugs").first()
    return render(request, "pairing/detail.html", {
        "pairing": pairing, "record": record,
        "missing": services.record_missing(pairing),
        "can_manage": services.may_manage(request.user, pairing)
        and has_perm(request.user, Perm.REPLY),
        "is_past": pairing.day <= timezone.localdate(),
        "is_over": pairing.ends_at <= timezone.now(),
    })


@requires(Perm.VIEW)
@require_GET
def workspace(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = _pairing(pk)
    return render(request, "pairing/workspace.html", {
        "pairing": pairing, "conversations": queries.workspace(pairing),
        "tags": queries.area_tags(pairing),
    })


@requires(Perm.REPLY)
@require_http_methods(["GET", "POST"])
def record(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = _pairing(pk)
    if not services.may_manage(request.user, pairing):
        raise PermissionDenied
    existing = PairingRecord.objects.filter(pairing=pairing).first()
    initial = {}
    if existing is not None:
        initial = {"learnings": existing.learnings, "bugs_found": existing.bugs_found,
                   "ux_issues": existing.ux_issues, "follow_ups": existing.follow_ups,
                   "bugs": list(existing.bugs.all())}
    form = RecordForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.write_record(pairing, request.user, learnings=data["learnings"],
                                  bugs_found=data["bugs_found"], ux_issues=data["ux_issues"],
                                  follow_ups=data["follow_ups"], bugs=data["bugs"])
        except services.PairingError as exc:
            form.add_error(None, str(exc))
        else:
            flash.success(request, _("Thank you: the record is saved for your team."))
            return redirect("pairing_detail", pairing.pk)
    return render(request, "pairing/record.html", {"pairing": pairing, "form": form},
                  status=422 if form.errors else 200)


@requires(Perm.REPLY)
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = _pairing(pk)
    if not services.may_manage(request.user, pairing):
        raise PermissionDenied
    try:
        services.cancel(pairing, request.user)
    except services.PairingError as exc:
        flash.error(request, str(exc))
    else:
        flash.success(request, _("Cancelled; both calendars are told."))
    return redirect("pairing_detail", pairing.pk)


@requires(Perm.VIEW)
@require_GET
def records(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "").strip()[:200]
    page = queries.records_page(text, request.GET.get("cursor"))
    return render(request, "pairing/records.html", {
        "q": text, "records": page.items, "page": page,
        "teams": queries.team_summaries(timezone.localdate()),
    })


@requires(Perm.VIEW)
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    figures = queries.overview(timezone.localdate())
    chart = Chart("pairing-months", _("Customer days held per month"), "bar",
                  [month for month, _n in figures.months],
                  [{"label": _("Days held"), "data": [n for _m, n in figures.months]}])
    return render(request, "pairing/overview.html", {
        "figures": figures, "chart": chart, "charts": {chart.name: chart.as_json()}})


@requires(Perm.MANAGE_SLA)
@require_http_methods(["GET", "POST"])
def coverage(request: HttpRequest) -> HttpResponse:
    teams = list(Team.objects.filter(is_support=True))
    if request.method == "POST":
        errors = 0
        for team in teams:
            raw = request.POST.get(f"minimum-{team.pk}", "").strip()
            if not raw:
                continue
            try:
                services.set_minimum(team, int(raw))
            except (ValueError, services.PairingError):
                errors += 1
                flash.error(request, _("%(team)s: a minimum is a whole number from 0 to 100.")
                            % {"team": team.name})
        if not errors:
            flash.success(request, _("Coverage minimums saved."))
        return redirect("pairing_coverage")
    minimums = dict(TeamCoverage.objects.values_list("team_id", "minimum_per_hour"))
    rows = [(team, minimums.get(team.pk, services.rules.DEFAULT_MINIMUM)) for team in teams]
    return render(request, "pairing/coverage.html", {"rows": rows})


def access_target(user, kind: str, object_id: int):
    """The pairing record or review ``user`` may react to; 404 otherwise."""
    model = REACTION_TARGETS.get(kind)
    if model is None:
        raise Http404
    target = get_object_or_404(model, pk=object_id)
    if isinstance(target, Review) and not can_see_review(user, target):
        raise Http404
    return target


@requires(Perm.REACT)
@require_POST
def react(request: HttpRequest, kind: str, object_id: int) -> HttpResponse:
    target = access_target(request.user, kind, object_id)
    form = ReactionForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("A reaction is one emoji."), status=400)
    try:
        services.toggle_reaction(target, request.user, form.cleaned_data["emoji"])
    except services.PairingError as exc:
        return HttpResponse(str(exc), status=400)
    if is_htmx(request):
        return render(request, "pairing/_reactions.html",
                      reactions_context(target, kind, request.user))
    if isinstance(target, Review):
        return redirect("quality_review_detail", target.pk)
    return redirect("pairing_detail", target.pairing_id)


def reactions_context(target, kind: str, user) -> dict:
    return {"kind": kind, "target_id": target.pk,
            "reactions": queries.reactions_of(target, user),
            "quick_reactions": QUICK_REACTIONS, "can_react": has_perm(user, Perm.REACT)}


def kind_of(target) -> str:
    content_type = ContentType.objects.get_for_model(target)
    for kind, model in REACTION_TARGETS.items():
        if ContentType.objects.get_for_model(model) == content_type:
            return kind
    raise ValueError(f"no reactions on {content_type}")

