"""People (customers): search, read, create and edit them; list and link their identities
(only with proof); merge two people and undo a merge."""

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.errors import HttpError
from ninja.params import P, PathEx

from comptoir.accounts.permissions import Perm, check
from comptoir.people import services
from comptoir.people.models import Identity, Organisation, Person, PersonMerge

from .pagination import page_by_id
from .schemas import (
    ERRORS,
    MAX_ID,
    IdentityIn,
    IdentityOut,
    IdentityPage,
    MergeIn,
    MergeOut,
    PageQuery,
    PeopleQuery,
    PersonIn,
    PersonOut,
    PersonPage,
    PersonPatch,
)

router = Router(tags=["people"])
merges_router = Router(tags=["people"])

ObjectId = PathEx[int, P(ge=1, le=MAX_ID)]


def _person(pk: int) -> Person:
    person = Person.objects.select_related("organisation").filter(pk=pk).first()
    if person is None:
        raise Http404
    return person


def _organisation_field(fields: dict[str, Any]) -> dict[str, Any]:
    """Turn ``organisation_id`` into ``organisation``; 400 if no such organisation."""
    if "organisation_id" in fields:
        pk = fields.pop("organisation_id")
        fields["organisation"] = None
        if pk is not None:
            fields["organisation"] = Organisation.objects.filter(pk=pk).first()
            if fields["organisation"] is None:
                raise HttpError(400, _("No organisation has this id."))
    return fields


@router.get("", response={200: PersonPage, **ERRORS})
def list_people(request: HttpRequest, filters: Query[PeopleQuery]):
    """People not merged into someone else, newest first; ``q`` searches names and
    identities (addresses, handles)."""
    check(request.auth, Perm.VIEW)
    qs: QuerySet[Person] = Person.objects.active().select_related("organisation")
    if filters.q and filters.q.strip():
        q = filters.q.strip()
        matching_identities = Identity.objects.filter(value__icontains=q.lower())
        qs = qs.filter(Q(name__icontains=q) | Q(pk__in=matching_identities.values("person_id")))
    if filters.organisation:
        qs = qs.filter(organisation_id=filters.organisation)
    return page_by_id(qs, filters.cursor, filters.limit)


@router.get("/{person_id}", response={200: PersonOut, **ERRORS})
def get_person(request: HttpRequest, person_id: ObjectId):
    """One person; ``merged_into_id`` says whether they were merged into someone else."""
    check(request.auth, Perm.VIEW)
    return _person(person_id)


@router.post("", response={201: PersonOut, **ERRORS})
def create_person(request: HttpRequest, payload: PersonIn):
    """Create a person (with no identity yet: link one with proof)."""
    check(request.auth, Perm.EDIT_PEOPLE)
    person = services.create_person(actor=request.auth,
                                    **_organisation_field(payload.model_dump()))
    return Status(201, _person(person.pk))


@router.patch("/{person_id}", response={200: PersonOut, **ERRORS})
def update_person(request: HttpRequest, person_id: ObjectId, payload: PersonPatch):
    """Change name, language, time zone, organisation, plan or notes; only the fields sent."""
    check(request.auth, Perm.EDIT_PEOPLE)
    person = _person(person_id)
    services.update_person(person, actor=request.auth,
                           **_organisation_field(payload.changes()))
    return _person(person_id)


@router.post("/{person_id}/merge", response={201: MergeOut, **ERRORS})
def merge_person(request: HttpRequest, person_id: ObjectId, payload: MergeIn):
    """Merge this person into ``target_id``: their identities and conversations move there.
    The merge can be undone with ``POST /merges/{id}/undo``."""
    check(request.auth, Perm.MERGE_PEOPLE)
    source = _person(person_id)
    target = Person.objects.filter(pk=payload.target_id).first()
    if target is None:
        raise HttpError(400, _("No person has this id."))
    return Status(201, services.merge_people(source, target, actor=request.auth))


@merges_router.post("/{merge_id}/undo", response={200: MergeOut, **ERRORS})
def undo_merge(request: HttpRequest, merge_id: ObjectId):
    """Give the merged person back exactly what moved with the merge."""
    check(request.auth, Perm.MERGE_PEOPLE)
    merge = PersonMerge.objects.filter(pk=merge_id).first()
    if merge is None:
        raise Http404
    services.undo_merge(merge, actor=request.auth)
    merge.refresh_from_db()
    return merge


@router.get("/{person_id}/identities", response={200: IdentityPage, **ERRORS})
def list_identities(request: HttpRequest, person_id: ObjectId, page: Query[PageQuery]):
    """The person's identities (addresses, handles, chat visitors...), newest first."""
    check(request.auth, Perm.VIEW)
    person = _person(person_id)
    return page_by_id(Identity.objects.filter(person=person), page.cursor, page.limit)


@router.post("/{person_id}/identities", response={201: IdentityOut, **ERRORS})
def link_identity(request: HttpRequest, person_id: ObjectId, payload: IdentityIn):
    """Link an identity to the person. ``proof`` is required (400 without): a claim is not
    proof. If the identity was someone else's, that person is merged into this one."""
    check(request.auth, Perm.MERGE_PEOPLE)
    person = _person(person_id)
    if person.merged_into_id:
        raise HttpError(400, _("This person was merged; link the identity to the person kept."))
    if not services.normalise(payload.kind, payload.value):
        raise HttpError(400, _("This identity is empty."))
    identity = services.link_identity(
        person, payload.kind, payload.value, proof=payload.proof or "", network=payload.network,
        actor=request.auth,
    )
    return Status(201, identity)
