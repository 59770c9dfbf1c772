"""What every channel adapter produces: one ``Inbound`` per message received.

Adapters turn a ``RawInbound`` into an ``Inbound`` with a normaliser registered here by
channel; ``services.process_raw`` looks it up and hands the result to ``services.receive``.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from comptoir.people.models import IdentityKind


@dataclass(frozen=True)
class InboundAttachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Inbound:
    """A normalised inbound message, whatever channel it came from."""

    channel: str
    identity_kind: str
    identity_value: str
    network: str = ""
    sender_name: str = ""
    subject: str = ""
    text: str = ""
    html: str = ""  # sanitised by receive(), whatever the adapter did
    external_id: str = ""
    thread_refs: tuple[str, ...] = ()  # external ids this message answers (In-Reply-To...)
    conversation_id: int | None = None  # an adapter's proven thread (signed token, chat session)
    language: str = ""
    received_at: datetime | None = None
    attachments: tuple[InboundAttachment, ...] = field(default_factory=tuple)
    # Others in the conversation (email CC): (name, address) pairs; they become participants.
    cc: tuple[tuple[str, str], ...] = ()
    # The address it was delivered to (a ``Mailbox``): decides team and default language.
    mailbox: str = ""
    # False when the sender failed authentication (SPF/DKIM/DMARC): the message is never
    # attached to an existing person by its From alone.
    trusted_sender: bool = True
    # May join the sender's recent conversation with the same subject (email without refs).
    thread_by_subject: bool = False
    # Stored on ``Message.meta``: authentication verdicts, automated-mail reasons, bounces.
    meta: dict = field(default_factory=dict)


class NormaliseError(ValueError):
    """The raw payload cannot become a message; kept raw with this error."""


MAX_IDENTITY_LENGTH = 320  # RFC 5321's longest address; handles are far shorter

Normaliser = Callable[[bytes, dict], Inbound]
NORMALISERS: dict[str, Normaliser] = {}


def register(channel: str) -> Callable[[Normaliser], Normaliser]:
    def decorator(func: Normaliser) -> Normaliser:
        NORMALISERS[channel] = func
        return func

    return decorator


def normalise(channel: str, payload: bytes, meta: dict) -> Inbound:
    try:
        normaliser = NORMALISERS[channel]
    except KeyError:
        raise NormaliseError(f"No adapter reads the {channel!r} channel.") from None
    return normaliser(payload, meta)


@register("api")
@register("web")
def normalise_json(payload: bytes, meta: dict) -> Inbound:
    """Messages posted to the API (and web forms): a JSON object, see ``api.schemas.InboundIn``."""
    try:
        data = json.loads(payload)
        sender = data["from"]
        kind = sender.get("kind", IdentityKind.EMAIL)
        if kind not in IdentityKind.values:
            raise NormaliseError(f"Unknown identity kind {kind!r}.")
        value = str(sender["value"]).strip()
        if not value or len(value) > MAX_IDENTITY_LENGTH:
            raise NormaliseError("The sender's address or handle is empty or too long.")
        return Inbound(
            channel=meta.get("channel", "api"),
            identity_kind=kind,
            identity_value=value,
            network=str(sender.get("network", ""))[:32],
            sender_name=str(sender.get("name", "")),
            subject=str(data.get("subject", "")),
            text=str(data.get("text", "")),
            html=str(data.get("html", "")),
            external_id=str(data.get("external_id", "")),
            language=str(data.get("language", ""))[:8],
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        if isinstance(exc, NormaliseError):
            raise
        raise NormaliseError(f"Not a valid inbound message: {exc!r}") from exc
