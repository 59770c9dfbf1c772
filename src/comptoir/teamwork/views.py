"""Today's share (a page and the inbox's panel), the person's own share setting, "ask an
advocate" on the conversation page, and the leads' coverage by team. Thin: parse the
request, call a service or a query, render."""

import uuid

from django.conf import settings
from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from comptoir.accounts.permissions import Perm, requires
from comptoir.conversations.access import access_conversation
from comptoir.routing.models import Leave

from . import on_call, queries, services, support_days
from .forms import (
    AskForm,
    CancelSupportDayForm,
    LearningsForm,
    OnCallForm,
    ShareSettingsForm,
    SupportDayForm,
    ToneNoteForm,
    UxProblemForm,
)
from .models import SupportDay


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _share_context(request: HttpRequest) -> dict:
    user = request.user
    share = queries.my_share(user)
    return {
        "share": share, "daily_count": services.daily_count_of(user),
        "on_leave": Leave.objects.filter(user=user, starts_on__lte=share.day,
                                         ends_on__gte=share.day).exists(),
    }


@requires(Perm.REPLY)
@require_GET
def today(request: HttpRequest) -> HttpResponse:
    context = _share_context(request)
    context["form"] = ShareSettingsForm(initial={"daily_count": context["daily_count"]})
    context.update(_progress_context(request))
    return render(request, "teamwork/today.html", context)


def _progress_context(request: HttpRequest) -> dict:
    progress = queries.my_progress(request.user)
    return {"progress": progress, "charts": {progress.chart.name: progress.chart.as_json()}}


@requires(Perm.REPLY)
@require_GET
def today_panel(request: HttpRequest) -> HttpResponse:
    """The inbox's "Today's share" panel (loaded there by htmx)."""
    return render(request, "teamwork/_today_panel.html", _share_context(request))


@requires(Perm.REPLY)
@require_POST
def share_settings(request: HttpRequest) -> HttpResponse:
    form = ShareSettingsForm(request.POST)
    if not form.is_valid():
        context = _share_context(request)
        context["form"] = form
        context.update(_progress_context(request))
        return render(request, "teamwork/today.html", context, status=400)
    services.set_daily_count(request.user, form.cleaned_data["daily_count"])
    flash.success(request, _("Saved. Your share changes at the next picking."))
    return redirect("teamwork_today")


@requires(Perm.VIEW_REPORTS)
@require_GET
def coverage(request: HttpRequest) -> HttpResponse:
    report = queries.coverage(queries.local_today(request.user))
    return render(request, "teamwork/coverage.html", {
        "report": report, "charts": {report.chart.name: report.chart.as_json()},
    })


@requires(Perm.REPLY)
@require_GET
def ask_panel(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = access_conversation(request.user, pk, Perm.REPLY)
    return _render_ask(request, conversation)


def _render_ask(request, conversation, *, notice: str = "", status: int = 200):
    context = {"c": conversation, "history": queries.help_history(conversation.pk),
               "form": AskForm(initial={"key": uuid.uuid4().hex}), "notice": notice}
    template = "teamwork/_ask_panel.html" if is_htmx(request) else "teamwork/ask_page.html"
    return render(request, template, context, status=status)


@requires(Perm.REPLY)
@require_POST
def ask(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = access_conversation(request.user, pk, Perm.REPLY)
    form = AskForm(request.POST)
    if not form.is_valid():
        notice = _("The form expired: reload the page and ask again.")
        return _render_ask(request, conversation, notice=notice,
                           status=200 if is_htmx(request) else 400)
    try:
        result = services.ask_advocate(conversation, request.user, form.cleaned_data["key"])
    except services.ShareError as exc:
        return _render_ask(request, conversation, notice=str(exc),
                           status=200 if is_htmx(request) else 400)
    advocate = result.request.advocate
    if not result.pinged:
        notice = _("Already asked: the advocate on call has been pinged.")
    elif advocate is None:
        notice = _queued_notice(request, result)
    else:
        notice = _("%(name)s, on call now, has been pinged.") % {"name": advocate.display_name}
    if is_htmx(request):
        return _render_ask(request, conversation, notice=notice)
    flash.info(request, notice)
    return redirect(reverse("conversation", args=[conversation.pk]) + "#ask-advocate")


def _queued_notice(request: HttpRequest, result: services.AskResult) -> str:
    """Nobody was on call: say so, where the request waits, and when someone comes."""
    team = result.request.team
    where = (_("Nobody is on call right now. Your request is queued for the %(team)s team.")
             % {"team": team.name} if team is not None else
             _("Nobody is on call right now. Your request is queued for the support team."))
    if result.next_on_call is None:
        return where + " " + _("Nobody is on call in the next 24 hours either: leave a note "
                               "on the conversation, the team queue will pick it up.")
    at, people = result.next_on_call
    local = timezone.localtime(at, queries.zone_of(request.user))
    return where + " " + _(
        "%(names)s comes on call at %(time)s (your time) and will be pinged then.") % {
        "names": ", ".join(entry.name for entry in people[:3]),
        "time": local.strftime("%H:%M")}


@requires(Perm.REPLY)
@require_GET
def on_call_page(request: HttpRequest) -> HttpResponse:
    """Who is on call now and in the next 24 hours, in the viewer's time and UTC."""
    viewer_zone = queries.zone_of(request.user)
    hours = on_call.ahead()
    return render(request, "teamwork/on_call.html", {
        "hours": hours, "viewer_zone": str(viewer_zone),
        "rows": [(row, row.start.astimezone(viewer_zone)) for row in hours.hours],
        "now_local": hours.now.astimezone(viewer_zone),
        "next": None if hours.current else hours.next_on_call(),
        "queued": list(on_call.queued(hours.now)[:50]),
    })


# --- support days ----------------------------------------------------------------------------


def _day(pk: int) -> SupportDay:
    return get_object_or_404(SupportDay, pk=pk)


def _days_context(request: HttpRequest, form=None) -> dict:
    query = request.GET.get("q", "").strip()[:200]
    today = queries.local_today(request.user)
    days = list(support_days.search_days(query)[:200])
    return {
        "query": query, "today": today,
        "upcoming": sorted((d for d in days if d.day >= today), key=lambda d: (d.day, d.pk)),
        "past": [d for d in days if d.day < today],
        "form": form or SupportDayForm(initial={"whole_company": True}),
    }


@requires(Perm.REPLY)
@require_GET
def support_days_list(request: HttpRequest) -> HttpResponse:
    return render(request, "teamwork/support_days.html", _days_context(request))


@requires(Perm.MANAGE_TEAMWORK)
@require_POST
def support_day_create(request: HttpRequest) -> HttpResponse:
    form = SupportDayForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            support_day = support_days.schedule(
                request.user, day=data["day"], title=data["title"],
                whole_company=data["whole_company"], teams=data["teams"],
                notes=data["notes"], window_start=data["window_start"],
                window_end=data["window_end"], today=queries.local_today(request.user))
        except support_days.SupportDayError as exc:
            form.add_error(None, str(exc))
        else:
            flash.success(request, _("Support day scheduled."))
            away = support_days.leave_warnings(support_day)
            if away:
                flash.warning(request, ngettext(
                    "%(count)s participant is on leave that day.",
                    "%(count)s participants are on leave that day.", len(away))
                    % {"count": len(away)})
            return redirect("support_day", support_day.pk)
    return render(request, "teamwork/support_days.html", _days_context(request, form),
                  status=400)


def _edit_initial(support_day: SupportDay) -> dict:
    return {"day": support_day.day, "title": support_day.title,
            "whole_company": support_day.whole_company,
            "teams": list(support_day.teams.all()), "notes": support_day.notes,
            "window_start": support_day.window_start, "window_end": support_day.window_end}


def _day_context(request: HttpRequest, support_day: SupportDay, **forms) -> dict:
    now = timezone.now()
    started = support_days.has_started(support_day, now)
    return {
        "started": started,
        "editable": not started and not support_day.cancelled,
        "edit_form": forms.get("edit_form") or SupportDayForm(
            initial=_edit_initial(support_day), prefix="edit"),
        "cancel_form": forms.get("cancel_form") or CancelSupportDayForm(prefix="cancel"),
        "history": support_days.history(support_day),
        "d": support_day, "teams": list(support_day.teams.all()),
        "participants": list(support_days.participants(support_day)),
        "warnings": support_days.leave_warnings(support_day),
        "span": support_days.day_span(support_day),
        "running": support_days.is_running(support_day, now),
        "outcomes": support_days.outcomes(support_day),
        "ux_form": forms.get("ux_form") or UxProblemForm(),
        "learnings_form": forms.get("learnings_form")
        or LearningsForm(initial={"learnings": support_day.learnings}),
    }


@requires(Perm.REPLY)
@require_GET
def support_day(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "teamwork/support_day.html", _day_context(request, _day(pk)))


@requires(Perm.REPLY)
@require_POST
def support_day_ux(request: HttpRequest, pk: int) -> HttpResponse:
    day = _day(pk)
    form = UxProblemForm(request.POST)
    if form.is_valid():
        try:
            support_days.add_ux_problem(day, request.user, title=form.cleaned_data["title"],
                                        note=form.cleaned_data["note"],
                                        conversation_id=form.cleaned_data["conversation"])
        except support_days.SupportDayError as exc:
            form.add_error(None, str(exc))
        else:
            flash.success(request, _("UX problem noted. Thank you."))
            return redirect(reverse("support_day", args=[day.pk]) + "#ux-problems")
    return render(request, "teamwork/support_day.html",
                  _day_context(request, day, ux_form=form), status=400)


@requires(Perm.MANAGE_TEAMWORK)
@require_POST
def support_day_learnings(request: HttpRequest, pk: int) -> HttpResponse:
    day = _day(pk)
    form = LearningsForm(request.POST)
    if form.is_valid():
        try:
            support_days.record_learnings(day, request.user, form.cleaned_data["learnings"])
        except support_days.SupportDayError as exc:
            form.add_error(None, str(exc))
        else:
            flash.success(request, _("Learnings saved."))
            return redirect(reverse("support_day", args=[day.pk]) + "#learnings")
    return render(request, "teamwork/support_day.html",
                  _day_context(request, day, learnings_form=form), status=400)


@requires(Perm.MANAGE_TEAMWORK)
@require_POST
def support_day_edit(request: HttpRequest, pk: int) -> HttpResponse:
    day = _day(pk)
    form = SupportDayForm(request.POST, prefix="edit")
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = support_days.edit(
                day, request.user, day=data["day"], title=data["title"],
                whole_company=data["whole_company"], teams=data["teams"], notes=data["notes"],
                window_start=data["window_start"], window_end=data["window_end"],
                today=queries.local_today(request.user))
        except support_days.SupportDayError as exc:
            form.add_error(None, str(exc))
        else:
            if not result.changed:
                flash.info(request, _("Nothing changed."))
            else:
                flash.success(request, _("Support day changed."))
                if result.roster_changes_dropped:
                    flash.warning(request, ngettext(
                        "%(count)s change to the on-call roster no longer fits the day and "
                        "was removed.",
                        "%(count)s changes to the on-call roster no longer fit the day and "
                        "were removed.", result.roster_changes_dropped)
                        % {"count": result.roster_changes_dropped})
            return redirect("support_day", day.pk)
    return render(request, "teamwork/support_day.html",
                  _day_context(request, day, edit_form=form), status=400)


@requires(Perm.MANAGE_TEAMWORK)
@require_POST
def support_day_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    day = _day(pk)
    form = CancelSupportDayForm(request.POST, prefix="cancel")
    if form.is_valid():
        try:
            result = support_days.cancel(day, request.user, form.cleaned_data["reason"])
        except support_days.SupportDayError as exc:
            form.add_error(None, str(exc))
        else:
            if result.cancelled:
                flash.success(request, _("Support day cancelled. Participants are told by "
                                         "email; its on-call roster is freed."))
            else:
                flash.info(request, _("This support day was already cancelled."))
            return redirect("support_day", day.pk)
    return render(request, "teamwork/support_day.html",
                  _day_context(request, day, cancel_form=form), status=400)


def _roster_context(request: HttpRequest, support_day: SupportDay, form=None) -> dict:
    viewer_zone = queries.zone_of(request.user)
    hours = support_days.roster(support_day)
    return {
        "d": support_day, "hours": hours, "viewer_zone": str(viewer_zone),
        "rows": [(row, row.start.astimezone(viewer_zone)) for row in hours],
        "gaps": sum(1 for row in hours if row.gap),
        "advocates": list(support_days.advocates()),
        "form": form or OnCallForm(),
        # a refused change shows the hour and advocate that were chosen, not the first ones
        "chosen_hour": form.data.get("hour", "") if form else "",
        "chosen_advocate": form.data.get("advocate", "") if form else "",
    }


@requires(Perm.REPLY)
@require_GET
def support_day_roster(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "teamwork/support_day_roster.html",
                  _roster_context(request, _day(pk)))


@requires(Perm.MANAGE_TEAMWORK)
@require_POST
def support_day_on_call(request: HttpRequest, pk: int) -> HttpResponse:
    day = _day(pk)
    form = OnCallForm(request.POST)
    if form.is_valid():
        try:
            support_days.set_on_call(day, request.user, hour=form.cleaned_data["hour"],
                                     advocate_id=form.cleaned_data["advocate"],
                                     on_call=form.cleaned_data["on_call"])
        except support_days.SupportDayError as exc:
            form.add_error(None, str(exc))
        else:
            flash.success(request, _("Roster changed."))
            return redirect("support_day_roster", day.pk)
    return render(request, "teamwork/support_day_roster.html",
                  _roster_context(request, day, form), status=400)


def _guidance_context(request: HttpRequest, form=None) -> dict:
    notes = support_days.tone_notes()
    return {
        "day": support_days.day_of(request.user),
        "languages": support_days.languages_of(request.user),
        "macros": list(support_days.saved_replies(request.user)),
        "notes": [(code, name, notes[code]) for code, name in settings.LANGUAGES],
        "form": form or ToneNoteForm(),
    }


@requires(Perm.REPLY)
@require_GET
def support_day_guidance(request: HttpRequest) -> HttpResponse:
    return render(request, "teamwork/guidance.html", _guidance_context(request))


@requires(Perm.MANAGE_TEAMWORK)
@require_POST
def tone_note_save(request: HttpRequest) -> HttpResponse:
    form = ToneNoteForm(request.POST)
    if form.is_valid():
        try:
            support_days.set_tone_note(request.user, form.cleaned_data["language"],
                                       form.cleaned_data["text"])
        except support_days.SupportDayError as exc:
            form.add_error(None, str(exc))
        else:
            flash.success(request, _("Tone notes saved."))
            return redirect(reverse("support_day_guidance") + "#tone-notes")
    return render(request, "teamwork/guidance.html", _guidance_context(request, form),
                  status=400)


@requires(Perm.REPLY)
@require_GET
def support_day_banner(request: HttpRequest) -> HttpResponse:
    """The inbox's "Support day today" banner (loaded by htmx; empty on other days)."""
    return render(request, "teamwork/_support_day_banner.html",
                  {"day": support_days.day_of(request.user)})
