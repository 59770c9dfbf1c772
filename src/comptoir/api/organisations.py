"""Organisations (customer companies): list, read, create and edit them."""

from django.db.models import Q
from django.http import Http404, HttpRequest
from ninja import Query, Router, Status
from ninja.params import P, PathEx

from comptoir.accounts.permissions import Perm, check
from comptoir.people import services
from comptoir.people.models import Organisation

from .pagination import page_by_id
from .schemas import (
    ERRORS,
    MAX_ID,
    OrganisationIn,
    OrganisationOut,
    OrganisationPage,
    OrganisationPatch,
    OrganisationQuery,
)

router = Router(tags=["organisations"])

OrganisationId = PathEx[int, P(ge=1, le=MAX_ID)]


def _organisation(pk: int) -> Organisation:
    organisation = Organisation.objects.filter(pk=pk).first()
    if organisation is None:
        raise Http404
    return organisation


@router.get("", response={200: OrganisationPage, **ERRORS})
def list_organisations(request: HttpRequest, filters: Query[OrganisationQuery]):
    """Organisations, newest first; ``q`` searches names and domains."""
    check(request.auth, Perm.VIEW)
    qs = Organisation.objects.all()
    if filters.q and filters.q.strip():
        q = filters.q.strip()
        qs = qs.filter(Q(name__icontains=q) | Q(domain__icontains=q))
    return page_by_id(qs, filters.cursor, filters.limit)


@router.get("/{organisation_id}", response={200: OrganisationOut, **ERRORS})
def get_organisation(request: HttpRequest, organisation_id: OrganisationId):
    """One organisation."""
    check(request.auth, Perm.VIEW)
    return _organisation(organisation_id)


@router.post("", response={201: OrganisationOut, **ERRORS})
def create_organisation(request: HttpRequest, payload: OrganisationIn):
    """Create an organisation."""
    check(request.auth, Perm.EDIT_PEOPLE)
    return Status(201, services.create_organisation(actor=request.auth, **payload.model_dump()))


@router.patch("/{organisation_id}", response={200: OrganisationOut, **ERRORS})
def update_organisation(request: HttpRequest, organisation_id: OrganisationId,
                        payload: OrganisationPatch):
    """Change name, domain, plan or notes; only the fields sent change."""
    check(request.auth, Perm.EDIT_PEOPLE)
    organisation = _organisation(organisation_id)
    services.update_organisation(organisation, actor=request.auth, **payload.changes())
    return _organisation(organisation_id)
