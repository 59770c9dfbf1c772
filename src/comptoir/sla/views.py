"""Service-levels pages for leads and admins: the overview (calendars, the coverage week,
plans and policies), the "about to breach" board, and editing a calendar's hours and
holidays. Thin: parse the request, call a query or a service, render."""

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from comptoir.accounts.models import Team
from comptoir.accounts.permissions import Perm, requires

from . import queries, services
from .forms import CalendarForm, HolidayForm
from .models import Calendar, Holiday

BOARD_HOURS = (1, 2, 4, 8, 24, 72)


@requires(Perm.MANAGE_SLA)
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    data = queries.overview()
    cards = [(view,
              CalendarForm(calendar=view.calendar, auto_id=f"calendar-{view.calendar.pk}-%s"),
              HolidayForm(auto_id=f"holiday-{view.calendar.pk}-%s"))
             for view in data.calendars]
    return render(request, "sla/overview.html", {
        "data": data, "calendar_cards": cards,
        "now": timezone.now(),
    })


@requires(Perm.MANAGE_SLA)
@require_GET
def breaches(request: HttpRequest) -> HttpResponse:
    try:
        hours = int(request.GET.get("hours", 4))
    except ValueError:
        hours = 4
    hours = min(max(hours, 1), max(BOARD_HOURS))
    team = request.GET.get("team", "")
    board = queries.about_to_breach(hours, team=team)
    return render(request, "sla/breaches.html", {
        "board": board, "hours": hours, "team": team, "hour_choices": BOARD_HOURS,
        "teams": Team.objects.order_by("name").values_list("slug", "name"),
    })


@requires(Perm.MANAGE_SLA)
@require_POST
def calendar_edit(request: HttpRequest, pk: int) -> HttpResponse:
    calendar = get_object_or_404(Calendar, pk=pk)
    form = CalendarForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                flash.error(request, f"{calendar.name}: {label} {error}".strip())
        return redirect("sla_overview")
    data = form.cleaned_data
    try:
        services.update_calendar(
            calendar, time_zone=data["time_zone"], weekly_hours=data["weekly_hours"],
            holiday_country=data["holiday_country"],
            holiday_subdivision=data["holiday_subdivision"])
    except services.SlaError as exc:
        flash.error(request, f"{calendar.name}: {exc}")
    else:
        flash.success(request, _("%(name)s saved; due times are being recomputed.")
                      % {"name": calendar.name})
    return redirect("sla_overview")


@requires(Perm.MANAGE_SLA)
@require_POST
def holiday_add(request: HttpRequest, pk: int) -> HttpResponse:
    calendar = get_object_or_404(Calendar, pk=pk)
    form = HolidayForm(request.POST)
    if not form.is_valid():
        flash.error(request, _("A holiday needs a name and a date."))
        return redirect("sla_overview")
    try:
        services.add_holiday(calendar, **form.cleaned_data)
    except services.SlaError as exc:
        flash.error(request, str(exc))
    return redirect("sla_overview")


@requires(Perm.MANAGE_SLA)
@require_POST
def holiday_remove(request: HttpRequest, pk: int) -> HttpResponse:
    services.remove_holiday(get_object_or_404(Holiday, pk=pk))
    return redirect("sla_overview")
