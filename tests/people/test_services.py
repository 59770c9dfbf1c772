import pytest
from django.core import signing

from comptoir.conversations.events import EventKind
from comptoir.conversations.models import Event
from comptoir.people import services
from comptoir.people.models import IdentityKind, Person, Proof

from ..factories import make_conversation, make_message, make_user

pytestmark = pytest.mark.django_db


def test_merge_moves_identities_and_conversations_and_undo_puts_them_back():
    lead = make_user("lead")
    email = make_message(identity_value="sam@example.com", sender_name="Sam")
    social = make_message(identity_kind=IdentityKind.SOCIAL, network="twitter",
                          identity_value="@samtweets", channel="social")
    source, target = social.person, email.person

    merge = services.merge_people(source, target, actor=lead)
    assert set(target.conversations.values_list("pk", flat=True)) == {
        email.conversation_id, social.conversation_id}
    assert target.identities.count() == 2
    source.refresh_from_db()
    assert source.merged_into == target
    assert Person.objects.active().filter(pk=source.pk).count() == 0
    event = Event.objects.get(person=target, conversation=None, kind=EventKind.PERSON_MERGED)
    assert event.actor == lead and event.data["conversation_ids"] == [social.conversation_id]
    # the next social message from that handle lands in the kept person's history
    assert make_message(identity_kind=IdentityKind.SOCIAL, network="twitter",
                        identity_value="samtweets", channel="social").person_id == target.pk

    services.undo_merge(merge, actor=lead)
    source.refresh_from_db()
    assert source.merged_into is None
    assert set(source.conversations.values_list("pk", flat=True)) == {social.conversation_id}
    assert list(source.identities.values_list("value", flat=True)) == ["samtweets"]
    assert Event.objects.filter(kind=EventKind.PERSON_UNMERGED, person=source).exists()
    with pytest.raises(services.MergeError):
        services.undo_merge(merge)


def test_merge_refuses_self_and_already_merged():
    a = make_conversation().person
    b = make_conversation().person
    c = make_conversation().person
    with pytest.raises(services.MergeError):
        services.merge_people(a, a)
    services.merge_people(a, b)
    with pytest.raises(services.MergeError):
        services.merge_people(a, c)


def test_identity_joins_only_with_proof():
    person = make_conversation().person
    with pytest.raises(services.IdentityError):
        services.link_identity(person, IdentityKind.EMAIL, "second@example.com", proof="")
    with pytest.raises(services.IdentityError):
        services.link_identity(person, IdentityKind.EMAIL, "second@example.com",
                               proof="the customer said so")
    identity = services.link_identity(person, IdentityKind.EMAIL, "Second@example.com",
                                      proof=Proof.PORTAL_LOGIN)
    assert identity.person == person and identity.is_verified
    assert identity.value == "second@example.com"


def test_proof_for_an_identity_held_by_another_person_merges_them():
    kept = make_message(identity_value="main@example.com").person
    other = make_message(identity_value="alt@example.com").person
    services.link_identity(kept, IdentityKind.EMAIL, "alt@example.com", proof=Proof.EMAIL_LINK)
    other.refresh_from_db()
    assert other.merged_into == kept
    assert kept.conversations.count() == 2


def test_email_verification_link_round_trip_and_tampering():
    person = make_conversation().person
    token = services.email_verification_token(person, "New@Example.com")
    identity = services.confirm_email_verification(token)
    assert identity.person == person and identity.proof == Proof.EMAIL_LINK
    forged = signing.dumps({"p": person.pk, "e": "victim@example.com"}, salt="wrong")
    with pytest.raises(services.IdentityError):
        services.confirm_email_verification(forged)
    with pytest.raises(services.IdentityError):
        services.confirm_email_verification(token[:-2] + "xx")


def test_verification_link_expires(time_machine):
    person = make_conversation().person
    time_machine.move_to("2026-01-01T00:00:00Z")
    token = services.email_verification_token(person, "late@example.com")
    time_machine.move_to("2026-01-09T00:00:00Z")
    with pytest.raises(services.IdentityError):
        services.confirm_email_verification(token)


def test_person_and_organisation_edits_are_logged_with_before_and_after():
    lead = make_user("lead")
    person = services.create_person(actor=lead, name="Nadia", plan="paid")
    org = services.create_organisation(actor=lead, name="Acme", plan="enterprise")
    changed = services.update_person(person, actor=lead, plan="enterprise", organisation=org,
                                     name="Nadia")
    assert changed == {"plan": {"from": "paid", "to": "enterprise"},
                       "organisation": {"from": None, "to": org.pk}}
    assert services.update_person(person, actor=lead, plan="enterprise") == {}
    events = Event.objects.filter(person=person).order_by("pk")
    assert [e.kind for e in events] == [EventKind.PERSON_CREATED, EventKind.PERSON_UPDATED]
    assert events[1].actor == lead
    services.update_organisation(org, actor=lead, notes="VIP")
    logged = Event.objects.get(kind=EventKind.ORGANISATION_UPDATED)
    assert logged.data == {"changes": {"notes": {"from": "", "to": "VIP"}},
                           "organisation_id": org.pk}
    with pytest.raises(ValueError, match="merged_into"):
        services.update_person(person, actor=lead, merged_into=None)
