"""Customer pages: the list, one person's whole history, merge and undo."""

from django.contrib import messages as flash
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from comptoir.accounts.permissions import Perm, has_perm, requires

from . import services
from .forms import IdentityForm, MergeForm, PersonForm
from .models import Person, PersonMerge, Proof

PAGE_SIZE = 50


@requires(Perm.VIEW)
@require_GET
def person_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    people = Person.objects.active().select_related("organisation")
    if q:
        people = people.filter(
            Q(name__icontains=q) | Q(identities__value__icontains=q.lower())
            | Q(organisation__name__icontains=q)
        ).distinct()
    after = request.GET.get("after", "")
    if after.isdigit():
        people = people.filter(pk__lt=int(after))
    rows = list(people.order_by("-pk")[: PAGE_SIZE + 1])
    return render(request, "people/list.html", {
        "people": rows[:PAGE_SIZE], "q": q,
        "next_after": rows[PAGE_SIZE - 1].pk if len(rows) > PAGE_SIZE else None,
    })


@requires(Perm.VIEW)
@require_GET
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person.objects.select_related("organisation", "merged_into"), pk=pk)
    conversations = (
        person.conversations.select_related("assignee").annotate(n=Count("messages"))
        .order_by("-created_at")[:200]
    )
    return render(request, "people/detail.html", {
        "person": person,
        "identities": person.identities.all(),
        "conversations": conversations,
        "merges": PersonMerge.objects.filter(Q(source=person) | Q(target=person))
        .select_related("source", "target", "actor"),
        "merge_form": MergeForm(),
        "identity_form": IdentityForm(),
        "form": PersonForm(instance=person),
        "can_merge": has_perm(request.user, Perm.MERGE_PEOPLE),
        "can_edit": has_perm(request.user, Perm.EDIT_PEOPLE),
    })


@requires(Perm.EDIT_PEOPLE)
@require_POST
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person, pk=pk)
    form = PersonForm(request.POST, instance=person)
    if form.is_valid():
        services.update_person(person, actor=request.user,
                               **{name: form.cleaned_data[name] for name in form.changed_data})
        flash.success(request, _("Saved."))
    else:
        for field, errors in form.errors.items():
            for error in errors:
                flash.error(request, f"{form.fields[field].label if field in form.fields else ''} "
                                     f"{error}".strip())
    return redirect("person", pk=pk)


@requires(Perm.MERGE_PEOPLE)
@require_POST
def person_merge(request: HttpRequest, pk: int) -> HttpResponse:
    source = get_object_or_404(Person, pk=pk)
    form = MergeForm(request.POST)
    if not form.is_valid():
        flash.error(request, _("Choose an existing person to merge into."))
        return redirect("person", pk=pk)
    try:
        services.merge_people(source, form.cleaned_data["target"], actor=request.user)
    except services.MergeError as exc:
        flash.error(request, str(exc))
        return redirect("person", pk=pk)
    flash.success(request, _("Merged. You can undo this from the person's page."))
    return redirect("person", pk=form.cleaned_data["target"].pk)


@requires(Perm.MERGE_PEOPLE)
@require_POST
def merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    merge = get_object_or_404(PersonMerge, pk=pk)
    try:
        source = services.undo_merge(merge, actor=request.user)
    except services.MergeError as exc:
        flash.error(request, str(exc))
        return redirect("person", pk=merge.target_id)
    flash.success(request, _("Merge undone."))
    return redirect("person", pk=source.pk)


@requires(Perm.MERGE_PEOPLE)
@require_POST
def identity_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Link an identity the agent has checked (proof: the agent). If another person holds
    it, that person is merged into this one (undoable)."""
    person = get_object_or_404(Person.objects.active(), pk=pk)
    form = IdentityForm(request.POST)
    if not form.is_valid():
        flash.error(request, _("Give the kind and the address or handle."))
        return redirect("person", pk=pk)
    data = form.cleaned_data
    try:
        services.link_identity(person, data["kind"], data["value"], network=data["network"],
                               proof=Proof.AGENT, actor=request.user)
    except (services.IdentityError, services.MergeError) as exc:
        flash.error(request, str(exc))
    else:
        flash.success(request, _("Identity linked."))
    return redirect("person", pk=pk)
