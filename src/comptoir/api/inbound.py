"""Inbound: integrations post a customer's message; it is stored raw, committed, then
processed by a job like every other channel. Poll ``GET /inbound/{id}`` for the outcome."""

from typing import Any

from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.errors import HttpError
from ninja.params import P, PathEx

from comptoir.accounts.permissions import Perm, check
from comptoir.conversations import services
from comptoir.conversations.models import Channel, RawInbound
from comptoir.conversations.tasks import process_inbound

from .schemas import ERRORS, MAX_ID, ErrorOut, InboundAccepted, InboundIn, InboundOut

router = Router(tags=["inbound"])

RawId = PathEx[int, P(ge=1, le=MAX_ID)]
MAX_INBOUND_BYTES = 1024 * 1024  # JSON messages carry no attachments; email has its own door


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic JSON schema with its ``$defs`` put in place, to embed in OpenAPI as is."""
    definitions = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(definitions[ref.removeprefix("#/$defs/")])
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(schema)


INBOUND_BODY = {
    "required": True,
    "content": {"application/json": {
        "schema": _inline_refs(InboundIn.model_json_schema(by_alias=True)),
    }},
}


@router.post("", response={202: InboundAccepted, 413: ErrorOut, **ERRORS},
             openapi_extra={"requestBody": INBOUND_BODY})
def post_inbound(request: HttpRequest):
    """Store the JSON body exactly as sent (committed first), then queue its processing.

    Answers 202 with the raw payload's id: a payload that cannot become a message is kept
    with status ``failed`` and its error, never lost. Needs no transaction around the
    request (``ATOMIC_REQUESTS`` off): the raw row must be committed before anything else.
    """
    check(request.auth, Perm.REPLY)
    body = request.body
    if len(body) > MAX_INBOUND_BYTES:
        raise HttpError(413, _("The message is too large."))
    raw = services.store_raw(Channel.API, body, {"channel": Channel.API,
                                                 "user_id": request.auth.pk})
    # robust: if the broker is down the payload stays "received" for `comptoir replay
    # --include-received`; the client still gets its 202, since nothing was lost
    transaction.on_commit(lambda: process_inbound.delay(raw.pk), robust=True)
    raw.refresh_from_db(fields=["status"])  # already processed when jobs run eagerly
    return Status(202, {"raw_id": raw.pk, "status": raw.status})


@router.get("/{raw_id}", response={200: InboundOut, **ERRORS})
def get_inbound(request: HttpRequest, raw_id: RawId):
    """Where a posted message stands: status, error, and the message and conversation it
    became."""
    check(request.auth, Perm.VIEW)
    raw = (
        RawInbound.objects.defer("payload").select_related("message")
        .filter(pk=raw_id, channel=Channel.API).first()
    )
    if raw is None:
        raise Http404
    return raw
