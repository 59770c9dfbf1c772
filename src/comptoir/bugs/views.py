"""Bug pages and the conversation's bugs panel. Thin: parse the request, call a service or a
query, render. Panel actions answer htmx with the panel, anything else with a redirect."""

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from comptoir.accounts.permissions import Perm, has_perm, requires
from comptoir.conversations.access import access_conversation

from . import queries, services
from .forms import FixForm, LinkForm, NewBugForm, ReopenForm
from .models import Bug, BugLink


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# --- bug pages ------------------------------------------------------------------------------


@requires(Perm.VIEW)
@require_GET
def bug_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    if status not in queries.STATUS_FILTERS:
        status = "open"
    query = request.GET.get("q", "")[:200]
    page = queries.bug_list(status, query, request.GET.get("cursor"))
    return render(request, "bugs/list.html", {
        "bugs": page.items, "page": page, "status": status, "q": query,
        "statuses": queries.STATUS_FILTERS,
    })


@requires(Perm.VIEW)
@require_GET
def bug_detail(request: HttpRequest, pk: int) -> HttpResponse:
    bug = get_object_or_404(
        Bug.objects.select_related("fixed_by", "created_by", "reopened_by"), pk=pk)
    return _render_bug(request, bug, FixForm())


def _render_bug(request, bug, fix_form, status=200, reopen_form=None):
    page = queries.bug_links(bug, request.GET.get("cursor"))
    counts = queries.link_counts(bug)
    return render(request, "bugs/detail.html", {
        "bug": bug, "links": page.items, "page": page, "fix_form": fix_form,
        "counts": counts, "customer_count": counts.customers,
        "reopen_form": reopen_form or ReopenForm(),
        "previews": queries.previews(bug),
        "can_update": has_perm(request.user, Perm.UPDATE),
        "can_reopen": has_perm(request.user, Perm.MANAGE_TEAMWORK),
    }, status=status)


@requires(Perm.UPDATE)
@require_POST
def bug_mark_fixed(request: HttpRequest, pk: int) -> HttpResponse:
    bug = get_object_or_404(Bug, pk=pk)
    form = FixForm(request.POST)
    if not form.is_valid():
        return _render_bug(request, bug, form, status=400)
    try:
        fixed = services.mark_fixed(bug, request.user, form.cleaned_data["note"])
    except services.BugError as exc:
        form.add_error("note", str(exc))
        return _render_bug(request, bug, form, status=400)
    if fixed:
        flash.success(request, _("Marked fixed: every linked customer gets a follow-up."))
    else:
        flash.info(request, _("This bug was already fixed: nothing more was sent."))
    return redirect("bug", pk=bug.pk)


@requires(Perm.MANAGE_TEAMWORK)
@require_POST
def bug_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    """A lead reopens a fixed bug that came back."""
    bug = get_object_or_404(Bug, pk=pk)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        return _render_bug(request, bug, FixForm(), status=400, reopen_form=form)
    try:
        reopened = services.reopen(bug, request.user, form.cleaned_data["reason"])
    except services.BugError as exc:
        form.add_error("reason", str(exc))
        return _render_bug(request, bug, FixForm(), status=400, reopen_form=form)
    if reopened:
        flash.success(request, _("Reopened. Customers linked from now on, and those you link "
                                 "again, are told when it is fixed again."))
    else:
        flash.info(request, _("This bug is already open: nothing changed."))
    return redirect("bug", pk=bug.pk)


# --- the conversation's panel ---------------------------------------------------------------


@requires(Perm.VIEW)
@require_GET
def bug_panel(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = access_conversation(request.user, pk)
    return _render_panel(request, conversation)


def _render_panel(request, conversation, new_form=None, status=200, error=""):
    context = {
        "panel": queries.panel(conversation), "c": conversation, "error": error,
        "new_form": new_form or NewBugForm(auto_id="bug-new-%s"),
        "can_update": has_perm(request.user, Perm.UPDATE),
        "can_reply": has_perm(request.user, Perm.REPLY),
    }
    template = "bugs/_panel.html" if is_htmx(request) else "bugs/panel_page.html"
    return render(request, template, context, status=status)


@requires(Perm.VIEW)
@require_GET
def bug_search(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = access_conversation(request.user, pk)
    query = request.GET.get("q", "")[:200]
    bugs = list(services.search(query)) if query.strip() else []
    linked = set(conversation.bug_links.values_list("bug_id", flat=True))
    return render(request, "bugs/_search.html", {
        "bugs": bugs, "linked": linked, "c": conversation, "q": query,
        "can_update": has_perm(request.user, Perm.UPDATE),
    })


@requires(Perm.UPDATE)
@require_POST
def bug_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Link to an existing bug (``bug``), or to a new one (``title``, ``tracker_url``)."""
    conversation = access_conversation(request.user, pk, Perm.UPDATE)
    if request.POST.get("bug"):
        form = LinkForm(request.POST)
        if not form.is_valid():
            return _panel_error(request, conversation, _("Choose a bug to link."))
        bug = get_object_or_404(Bug, pk=form.cleaned_data["bug"])
    else:
        new_form = NewBugForm(request.POST, auto_id="bug-new-%s")
        if not new_form.is_valid():
            return _panel_error(request, conversation, None, new_form)
        try:
            bug, _created = services.create_bug(request.user, new_form.cleaned_data["title"],
                                                new_form.cleaned_data["tracker_url"])
        except services.BugError as exc:
            new_form.add_error(None, str(exc))
            return _panel_error(request, conversation, None, new_form)
    services.link(conversation, bug, request.user)
    return _panel_done(request, conversation)


@requires(Perm.UPDATE)
@require_POST
def bug_unlink(request: HttpRequest, pk: int, bug_id: int) -> HttpResponse:
    conversation = access_conversation(request.user, pk, Perm.UPDATE)
    bug = get_object_or_404(Bug, pk=bug_id)
    services.unlink(conversation, bug, request.user)
    return _panel_done(request, conversation)


@requires(Perm.REPLY)
@require_POST
def bug_follow_up(request: HttpRequest, link_id: int) -> HttpResponse:
    """Send the follow-up of a fixed bug to a conversation linked after the fix."""
    bug_link = get_object_or_404(BugLink, pk=link_id)
    conversation = access_conversation(request.user, bug_link.conversation_id, Perm.REPLY)
    if services.follow_up(bug_link.pk, request.user) is None:
        error = _("Nothing was sent: the bug is not fixed, or this customer was already told.")
        if is_htmx(request):
            return _render_panel(request, conversation, error=error)
        flash.info(request, error)  # a double-clicked button: nothing went wrong
    return _panel_done(request, conversation)


def _panel_done(request, conversation):
    if is_htmx(request):
        return _render_panel(request, conversation)
    return redirect(reverse("conversation", args=[conversation.pk]) + "#bugs")


def _panel_error(request, conversation, error, new_form=None):
    """The panel again with what was wrong (htmx swaps only 2xx answers: 200 for it)."""
    return _render_panel(request, conversation, new_form, error=error or "",
                         status=200 if is_htmx(request) else 400)
