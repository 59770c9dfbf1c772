"""Customers' public API: find the person behind an identity, link identities with proof,
merge two people and undo it. Every change writes its ``Event`` in the same transaction."""

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.accounts.models import User
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import Conversation, Event

from .models import Identity, IdentityKind, Organisation, Person, PersonMerge, Plan, Proof

VERIFY_EMAIL_SALT = "comptoir.people.verify-email"
VERIFY_EMAIL_MAX_AGE = 7 * 24 * 3600


class IdentityError(ValueError):
    """An identity change that is not allowed (no proof, already someone else's...)."""


class MergeError(ValueError):
    pass


def normalise(kind: str, value: str) -> str:
    value = value.strip()
    if kind == IdentityKind.SOCIAL:
        value = value.lstrip("@")
    return value.lower()


def find_identity(kind: str, value: str, network: str = "") -> Identity | None:
    return (
        Identity.objects.select_related("person")
        .filter(kind=kind, network=network, value=normalise(kind, value))
        .first()
    )


def resolve_identity(
    kind: str, value: str, *, network: str = "", name: str = "", language: str = "",
    plan: str = Plan.FREE,
) -> Identity:
    """The identity for (kind, network, value), creating an unverified person if it is new.

    Only the exact identity key is matched: a name, a domain or a claim in the message body
    never attaches a message to an existing person. If the identity's person was merged, the
    identity has moved with the merge, so it already points at the person kept.
    """
    normalised = normalise(kind, value)
    identity = find_identity(kind, normalised, network)
    if identity is not None:
        return identity
    try:
        with transaction.atomic():
            person = Person.objects.create(name=name[:200], language=language, plan=plan)
            return Identity.objects.create(person=person, kind=kind, network=network,
                                           value=normalised, display=value.strip()[:320])
    except IntegrityError:  # lost a race with another intake: theirs (our person is undone)
        identity = find_identity(kind, normalised, network)
        if identity is None:
            raise
        return identity


def mark_bounced(address: str, reason: str) -> int:
    """Mail to this email address came back undeliverable (a delivery report): the identity
    keeps when and why, so replies can skip or warn about it. Returns how many identities were
    marked (0 when we do not know the address)."""
    return Identity.objects.filter(
        kind=IdentityKind.EMAIL, network="", value=normalise(IdentityKind.EMAIL, address),
    ).update(bounced_at=timezone.now(), bounce_reason=reason[:500])


PERSON_FIELDS = ("name", "language", "time_zone", "organisation", "plan", "notes")
ORGANISATION_FIELDS = ("name", "domain", "plan", "notes")


def _logged(value):
    return value.pk if hasattr(value, "pk") else value


def create_person(*, actor: User | None, **fields) -> Person:
    """A customer created by hand (no identity yet: link one with proof)."""
    with transaction.atomic():
        person = Person.objects.create(**{k: v for k, v in fields.items() if k in PERSON_FIELDS})
        Event.objects.create(person=person, kind=EventKind.PERSON_CREATED, actor=actor,
                             data={k: _logged(getattr(person, k)) for k in PERSON_FIELDS})
    return person


def update_person(person: Person, *, actor: User | None, **changes) -> dict:
    """Change a customer's details; the fields that really changed are logged, before and
    after. Returns those changes."""
    return _update(person, changes, PERSON_FIELDS, actor, EventKind.PERSON_UPDATED)


def create_organisation(*, actor: User | None, **fields) -> Organisation:
    with transaction.atomic():
        organisation = Organisation.objects.create(
            **{k: v for k, v in fields.items() if k in ORGANISATION_FIELDS})
        Event.objects.create(kind=EventKind.ORGANISATION_CREATED, actor=actor,
                             data={"organisation_id": organisation.pk, "name": organisation.name})
    return organisation


def update_organisation(organisation: Organisation, *, actor: User | None, **changes) -> dict:
    return _update(organisation, changes, ORGANISATION_FIELDS, actor,
                   EventKind.ORGANISATION_UPDATED)


def _update(obj, changes, allowed, actor, kind) -> dict:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        obj = type(obj).objects.select_for_update().get(pk=obj.pk)
        changed = {
            name: {"from": _logged(getattr(obj, name)), "to": _logged(value)}
            for name, value in changes.items() if _logged(getattr(obj, name)) != _logged(value)
        }
        for name in changed:
            setattr(obj, name, changes[name])
        if changed:
            obj.save(update_fields=list(changed))
            data = {"changes": changed, f"{obj._meta.model_name}_id": obj.pk}
            Event.objects.create(kind=kind, actor=actor, data=data,
                                 person=obj if isinstance(obj, Person) else None)
    return changed


def link_identity(
    person: Person, kind: str, value: str, *, proof: str, network: str = "",
    actor: User | None = None,
) -> Identity:
    """Attach an identity to ``person`` because of ``proof``.

    Without proof nothing happens (``IdentityError``). If the identity already belongs to
    another person, that person is merged into ``person``: the proof shows they are one.
    """
    if proof not in Proof.values or proof == Proof.NONE:
        raise IdentityError(_("An identity joins a person only with proof."))
    normalised = normalise(kind, value)
    with transaction.atomic():
        identity = Identity.objects.select_for_update().filter(
            kind=kind, network=network, value=normalised
        ).first()
        if identity is not None and identity.person_id != person.pk:
            merge_people(identity.person, person, actor=actor)
            identity.refresh_from_db()
        if identity is None:
            identity = Identity.objects.create(
                person=person, kind=kind, network=network, value=normalised, display=value.strip(),
            )
        identity.proof = proof
        identity.verified_at = timezone.now()
        identity.save(update_fields=["proof", "verified_at"])
        Event.objects.create(
            person=person, kind=EventKind.IDENTITY_LINKED, actor=actor,
            data={"identity_id": identity.pk, "kind": kind, "value": normalised, "proof": proof},
        )
    return identity


def email_verification_token(person: Person, email: str) -> str:
    """A signed token proving, when it comes back, that ``email``'s owner is ``person``."""
    return signing.dumps({"p": person.pk, "e": normalise(IdentityKind.EMAIL, email)},
                         salt=VERIFY_EMAIL_SALT)


def confirm_email_verification(token: str) -> Identity:
    """Link the address carried by a verification token; raises IdentityError if bad or old."""
    try:
        data = signing.loads(token, salt=VERIFY_EMAIL_SALT, max_age=VERIFY_EMAIL_MAX_AGE)
    except signing.BadSignature as exc:  # includes SignatureExpired
        raise IdentityError(_("This verification link is invalid or has expired.")) from exc
    person = Person.objects.get(pk=data["p"])
    return link_identity(person, IdentityKind.EMAIL, data["e"], proof=Proof.EMAIL_LINK)


def merge_people(source: Person, target: Person, *, actor: User | None = None) -> PersonMerge:
    """Move ``source``'s identities and conversations to ``target``; ``source`` is kept,
    marked merged, so ``undo_merge`` can put everything back."""
    if source.pk == target.pk:
        raise MergeError(_("A person cannot be merged into themselves."))
    with transaction.atomic():
        source, target = (
            Person.objects.select_for_update().get(pk=source.pk),
            Person.objects.select_for_update().get(pk=target.pk),
        )
        if source.merged_into_id or target.merged_into_id:
            raise MergeError(_("One of these people was already merged."))
        identity_ids = list(source.identities.values_list("pk", flat=True))
        conversation_ids = list(source.conversations.values_list("pk", flat=True))
        source.identities.update(person=target)
        source.conversations.update(person=target)
        if not target.organisation_id and source.organisation_id:
            target.organisation_id = source.organisation_id
            target.save(update_fields=["organisation"])
        source.merged_into = target
        source.save(update_fields=["merged_into"])
        merge = PersonMerge.objects.create(
            source=source, target=target, actor=actor,
            identity_ids=identity_ids, conversation_ids=conversation_ids,
        )
        data = {"merge_id": merge.pk, "source_id": source.pk, "target_id": target.pk,
                "identity_ids": identity_ids, "conversation_ids": conversation_ids}
        Event.objects.create(person=target, kind=EventKind.PERSON_MERGED, actor=actor, data=data)
        Event.objects.bulk_create(
            Event(conversation_id=cid, person=target, kind=EventKind.PERSON_MERGED, actor=actor,
                  data=data)
            for cid in conversation_ids
        )
    return merge


def undo_merge(merge: PersonMerge, *, actor: User | None = None) -> Person:
    """Give back to the merged person exactly what moved. Returns that person."""
    with transaction.atomic():
        merge = PersonMerge.objects.select_for_update().get(pk=merge.pk)
        if merge.undone_at:
            raise MergeError(_("This merge was already undone."))
        source = merge.source
        Identity.objects.filter(pk__in=merge.identity_ids).update(person=source)
        Conversation.objects.filter(pk__in=merge.conversation_ids).update(person=source)
        source.merged_into = None
        source.save(update_fields=["merged_into"])
        merge.undone_at = timezone.now()
        merge.save(update_fields=["undone_at"])
        data = {"merge_id": merge.pk, "source_id": source.pk, "target_id": merge.target_id}
        Event.objects.create(person=source, kind=EventKind.PERSON_UNMERGED, actor=actor, data=data)
        Event.objects.bulk_create(
            Event(conversation_id=cid, person=source, kind=EventKind.PERSON_UNMERGED, actor=actor,
                  data=data)
            for cid in merge.conversation_ids
        )
    return source
