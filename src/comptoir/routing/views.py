"""Routing pages: "Why here?" for a conversation (leads and admins), and a person's own
working hours, leave and skills (posted from the preferences page)."""

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from comptoir.accounts.permissions import Perm, requires
from comptoir.accounts.views import render_preferences
from comptoir.conversations.access import access_conversation

from . import forms, queries, rules, services


@requires(Perm.VIEW_RAW)
@require_GET
def why(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Every routing of the conversation with the reason each candidate was kept or
    dropped. An htmx request gets the fragment alone (for the conversation page)."""
    conversation = access_conversation(request.user, conversation_id, Perm.VIEW_RAW)
    explanations, failures = queries.why(conversation)
    template = "routing/_why.html" if request.headers.get("HX-Request") else "routing/why.html"
    return render(request, template, {"c": conversation, "explanations": explanations,
                                      "failures": failures})


@requires(Perm.VIEW)
@require_POST
def my_hours(request: HttpRequest) -> HttpResponse:
    if "office_hours" in request.POST:
        services.set_working_hours(request.user, None)
        flash.success(request, _("You are back on office hours, Monday to Friday 09:00–18:00."))
        return redirect("preferences")
    form = forms.HoursForm(request.POST)
    if not form.is_valid():
        return render_preferences(request, status=400, hours_form=form)
    services.set_working_hours(request.user, form.cleaned_data["weekly_hours"])
    flash.success(request, _("Your working hours are saved."))
    return redirect("preferences")


@requires(Perm.VIEW)
@require_POST
def my_leave_add(request: HttpRequest) -> HttpResponse:
    calendar = rules.calendar_for(request.user.time_zone, None)
    form = forms.LeaveForm(request.POST, today=timezone.now().astimezone(calendar.zone).date())
    if not form.is_valid():
        return render_preferences(request, status=400, leave_form=form)
    data = form.cleaned_data
    services.add_leave(request.user, data["starts_on"], data["ends_on"], data["note"])
    flash.success(request, _("Your leave is saved: nothing will be assigned to you then."))
    return redirect("preferences")


@requires(Perm.VIEW)
@require_POST
def my_leave_remove(request: HttpRequest, pk: int) -> HttpResponse:
    if services.cancel_leave(request.user, pk):
        flash.success(request, _("Leave removed."))
    return redirect("preferences")


@requires(Perm.VIEW)
@require_POST
def my_skills(request: HttpRequest) -> HttpResponse:
    form = forms.SkillsForm(request.POST)
    if form.is_valid():
        services.set_skills(request.user, form.cleaned_data["skills"])
        flash.success(request, _("Your skills are saved."))
    return redirect("preferences")
