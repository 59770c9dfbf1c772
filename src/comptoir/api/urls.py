"""The REST API: one ``NinjaAPI`` mounted at ``/api/``, one router per resource.

OpenAPI 3 at ``/api/openapi.json``, interactive docs at ``/api/docs``. Errors are
``{"detail": "..."}`` (validation errors: ``{"detail": [...]}``, 422).
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from comptoir.conversations.services import ConversationError, IdempotencyConflict
from comptoir.people.services import IdentityError, MergeError

from . import conversations, inbound, messages, organisations, people, reviews, tags
from .auth import SessionAuth, TokenAuth

api = NinjaAPI(
    title="comptoir API",
    version="1",
    description=(
        "Conversations, messages, notes, people, identities, organisations and tags; "
        "quality reviews (read-only). "
        "Authenticate with `Authorization: Bearer <token>` (a personal API token). "
        "Lists are keyset pages: pass `next_cursor` back as `cursor`."
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
)

api.add_router("/conversations", conversations.router)
api.add_router("/messages", messages.router)
api.add_router("/tags", tags.router)
api.add_router("/people", people.router)
api.add_router("/merges", people.merges_router)
api.add_router("/organisations", organisations.router)
api.add_router("/inbound", inbound.router)
api.add_router("", reviews.router)  # /conversations/{id}/reviews, /reviews/…


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request, {"detail": _("Authentication required: send a valid API token.")}, status=401,
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(
        request, {"detail": _("Your role does not allow this.")}, status=403,
    )


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


def refused(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A change the domain refuses: its message is meant for the user, shown as is."""
    return api.create_response(request, {"detail": str(exc)}, status=400)


for _error in (ConversationError, MergeError, IdentityError):
    api.add_exception_handler(_error, refused)


@api.exception_handler(IdempotencyConflict)
def conflict(request: HttpRequest, exc: IdempotencyConflict) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=409)
