import base64
import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from comptoir.accounts.models import ApiToken, Role
from comptoir.conversations import services
from comptoir.conversations.events import EventKind
from comptoir.conversations.inbound import InboundAttachment
from comptoir.conversations.models import (
    Conversation,
    Event,
    Message,
    MessageKind,
    RawInbound,
    RawStatus,
    Status,
)
from comptoir.conversations.tasks import process_inbound
from comptoir.people import services as people_services
from comptoir.people.models import Identity, IdentityKind, Organisation, Person, Proof

from ..factories import make_conversation, make_message, make_team, make_user

pytestmark = pytest.mark.django_db


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def walk(api, path, limit, **params) -> list[int]:
    """Every id of a list, page by page."""
    seen: list[int] = []
    cursor = None
    for _page in range(100):
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        response = api.get(path, **query)
        seen += ids(response)
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("pagination never ended")


# --- authentication -------------------------------------------------------------------------


def test_no_token_is_401(client):
    for response in (client.get("/api/conversations"),
                     client.post("/api/people", "{}", content_type="application/json")):
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Bearer"
        assert response.json()["detail"]


def test_unknown_and_revoked_tokens_are_401(api):
    assert api.get("/conversations").status_code == 200
    ApiToken.objects.filter(user=api.user).update(revoked_at=timezone.now())
    assert api.get("/conversations").status_code == 401
    api.key = "ct_not-a-token"
    assert api.get("/conversations").status_code == 401


def test_inactive_users_token_is_401(api):
    api.user.is_active = False
    api.user.save()
    assert api.get("/conversations").status_code == 401


def test_signed_in_session_works_and_unsafe_methods_need_csrf(advocate):
    client = Client(enforce_csrf_checks=True)
    client.force_login(advocate)
    assert client.get("/api/conversations").status_code == 200
    response = client.post("/api/organisations", json.dumps({"name": "Acme"}),
                           content_type="application/json")
    assert response.status_code == 403
    assert not Organisation.objects.exists()

    # the docs page hands Swagger UI the CSRF token, so "Try it out" works when signed in
    docs = client.get("/api/docs").content.decode()
    # (CDN template: a request interceptor; bundled one, with "ninja" installed: a data attribute)
    found = re.search(r"X-CSRFToken'\] = \"([^\"]+)\"|data-csrf-token=\"([^\"]+)\"", docs)
    token = found.group(1) or found.group(2)
    response = client.post("/api/organisations", json.dumps({"name": "Acme"}),
                           content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201


def test_openapi_document_and_docs_page(client, advocate):
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.")
    assert "/api/conversations" in schema.json()["paths"]
    assert client.get("/api/docs").status_code == 200
    client.force_login(advocate)
    assert client.get("/api/docs").status_code == 200


# --- conversations --------------------------------------------------------------------------


def test_list_filters(api_as):
    api = api_as(Role.ADVOCATE)
    other = make_user(Role.ADVOCATE)
    team = make_team(slug="billing")
    email_en = make_conversation(channel="email", language="en")
    chat_fr = make_conversation(channel="chat", language="fr")
    web_es = make_conversation(channel="web", language="es")
    services.update(email_en, api.user, assignee=api.user, status=Status.OPEN)
    services.update(chat_fr, api.user, team=team, status=Status.PENDING, assignee=other)
    services.add_tags(web_es, api.user, ["refund"])
    Person.objects.filter(pk=web_es.person_id).update(plan="premium")
    premium = make_conversation(identity_value=web_es.person.identities.get().value,
                                language="de")
    Conversation.objects.filter(pk=premium.pk).update(plan="premium")

    assert ids(api.get("/conversations", channel="chat")) == [chat_fr.pk]
    assert ids(api.get("/conversations", language="es")) == [web_es.pk]
    assert ids(api.get("/conversations", plan="premium")) == [premium.pk]
    assert ids(api.get("/conversations", tag="refund")) == [web_es.pk]
    assert ids(api.get("/conversations", team="billing")) == [chat_fr.pk]
    assert ids(api.get("/conversations", assignee=other.pk)) == [chat_fr.pk]
    assert ids(api.get("/conversations", person=web_es.person_id)) == [premium.pk, web_es.pk]
    assert ids(api.get("/conversations", status="pending")) == [chat_fr.pk]
    assert ids(api.get("/conversations", view="mine")) == [email_en.pk]
    assert ids(api.get("/conversations", view="unassigned")) == [premium.pk, web_es.pk]
    assert ids(api.get("/conversations", view="pending")) == [chat_fr.pk]
    assert ids(api.get("/conversations", view="open", channel="web")) == [web_es.pk]
    assert ids(api.get("/conversations", tag="nothing")) == []
    assert api.get("/conversations", view="nope").status_code == 422
    assert api.get("/conversations", status="nope").status_code == 422


def test_list_shape(api):
    conversation = make_conversation(subject="Refund", sender_name="Ana Lima")
    services.add_tags(conversation, api.user, ["b", "a"])
    item = api.get("/conversations").json()["items"][0]
    assert item["subject"] == "Refund"
    assert item["person"] == {"id": conversation.person_id, "name": "Ana Lima"}
    assert item["tags"] == ["a", "b"]
    assert item["assignee"] is None
    assert item["status"] == "new"
    assert item["priority"] == 2


def test_conversation_pages_have_no_duplicates_and_miss_nothing(api):
    made = [make_conversation() for _ in range(7)]
    # ties on the ordering column are broken by id
    same = timezone.now() - timedelta(hours=1)
    Conversation.objects.filter(pk__in=[c.pk for c in made[2:5]]).update(last_activity_at=same)
    expected = list(Conversation.objects.order_by("-last_activity_at", "-pk")
                    .values_list("pk", flat=True))
    assert walk(api, "/conversations", 3) == expected
    assert walk(api, "/conversations", 1) == expected
    first = api.get("/conversations", limit=7).json()
    assert first["next_cursor"] is None


def test_default_limit_is_50(api):
    for _ in range(51):
        make_conversation()
    page = api.get("/conversations").json()
    assert len(page["items"]) == 50
    assert page["next_cursor"]


@pytest.mark.parametrize("cursor", [
    "!!!", "bm9wZQ", "MjAyNC0wMS0wMXwx",  # not base64; "nope"; a naive timestamp
    base64.urlsafe_b64encode(b"2024-01-01T00:00:00+00:00|99999999999999999999").decode(),
    base64.urlsafe_b64encode(b"0001-01-01T00:00:00+05:00|1").decode(),
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
])
def test_malformed_conversation_cursor_is_400(api, cursor):
    make_conversation()
    response = api.get("/conversations", cursor=cursor)
    assert response.status_code == 400
    assert response.json()["detail"]


@pytest.mark.parametrize("cursor", [
    "!!!", "aWQ6", base64.urlsafe_b64encode(b"id:99999999999999999999").decode(),
    base64.urlsafe_b64encode(b"id:-1").decode(), base64.urlsafe_b64encode(b"id:0").decode(),
])
def test_malformed_id_cursor_is_400(api, cursor):
    assert api.get("/people", cursor=cursor).status_code == 400


@pytest.mark.parametrize("limit", [0, -1, 201, "x"])
def test_limit_out_of_range_is_422(api, limit):
    assert api.get("/conversations", limit=limit).status_code == 422


def test_list_query_count_is_constant(api, django_assert_num_queries):
    team = make_team()
    agents = [make_user(Role.ADVOCATE) for _ in range(3)]

    def make(n):
        for i in range(n):
            conversation = make_conversation()
            services.update(conversation, None, assignee=agents[i % 3], team=team)
            services.add_tags(conversation, None, [f"t{i}", "common"])

    api.get("/conversations")  # the token's last use is recorded once a minute
    make(5)
    # token lookup, the page (with person, assignee, team), the tags of the page
    with django_assert_num_queries(3):
        assert len(api.get("/conversations").json()["items"]) == 5
    make(15)
    with django_assert_num_queries(3):
        assert len(api.get("/conversations").json()["items"]) == 20


def test_message_list_query_count_is_constant(api, django_assert_num_queries, settings,
                                              tmp_path):
    settings.MEDIA_ROOT = tmp_path
    conversation = make_conversation()
    api.get("/conversations")

    def add(n):
        for i in range(n):
            message = services.add_note(conversation, api.user, "note", attachments=[
                InboundAttachment(f"f{i}.txt", "text/plain", f"file {i}".encode())])
            services.toggle_reaction(message, api.user, "👀")

    # token, conversation, messages (with authors), reactions, attachments, their files
    add(2)
    with django_assert_num_queries(6):
        assert len(api.get(f"/conversations/{conversation.pk}/messages").json()["items"]) == 3
    add(10)
    with django_assert_num_queries(6):
        assert len(api.get(f"/conversations/{conversation.pk}/messages").json()["items"]) == 13


def test_get_conversation(api):
    conversation = make_conversation()
    response = api.get(f"/conversations/{conversation.pk}")
    assert response.status_code == 200
    assert response.json()["id"] == conversation.pk
    assert api.get("/conversations/999999").status_code == 404
    assert api.get(f"/conversations/{2**63}").status_code == 422
    assert api.get("/conversations/0").status_code == 422
    assert api.get("/conversations/abc").status_code == 422


def test_patch_conversation(api):
    conversation = make_conversation()
    agent = make_user(Role.TEAMMATE)
    team = make_team()
    response = api.patch(f"/conversations/{conversation.pk}", {
        "status": "pending", "priority": 4, "assignee_id": agent.pk, "team_id": team.pk,
        "language": "fr",
    })
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["priority"], body["language"]) == ("pending", 4, "fr")
    assert body["assignee"]["id"] == agent.pk
    assert body["team"]["id"] == team.pk
    kinds = set(Event.objects.filter(conversation=conversation).values_list("kind", flat=True))
    assert {EventKind.STATUS_CHANGED, EventKind.PRIORITY_CHANGED, EventKind.ASSIGNEE_CHANGED,
            EventKind.TEAM_CHANGED, EventKind.LANGUAGE_CHANGED} <= kinds

    # only the fields sent change; null unassigns
    body = api.patch(f"/conversations/{conversation.pk}",
                     {"assignee_id": None, "team_id": None}).json()
    assert body["assignee"] is None and body["team"] is None
    assert body["status"] == "pending" and body["priority"] == 4


@pytest.mark.parametrize("payload, status", [
    ({"status": "nope"}, 422),
    ({"status": None}, 422),
    ({"priority": 9}, 422),
    ({"language": "xx"}, 422),
    ({"assignee_id": 2**63}, 422),
    ({"assignee_id": 999999}, 400),
    ({"team_id": 999999}, 400),
])
def test_patch_conversation_refusals(api, payload, status):
    conversation = make_conversation()
    version = conversation.version
    response = api.patch(f"/conversations/{conversation.pk}", payload)
    assert response.status_code == status
    conversation.refresh_from_db()
    assert conversation.status == Status.NEW and conversation.version == version


def test_reply_and_its_idempotency(api):
    conversation = make_conversation()
    payload = {"text": "We are on it.", "idempotency_key": "k-1", "status": "pending"}
    first = api.post(f"/conversations/{conversation.pk}/messages", payload)
    again = api.post(f"/conversations/{conversation.pk}/messages", payload)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["kind"] == "reply" and first.json()["text"] == "We are on it."
    assert first.json()["author"]["id"] == api.user.pk
    assert Message.objects.filter(conversation=conversation, kind=MessageKind.REPLY).count() == 1
    conversation.refresh_from_db()
    assert conversation.status == Status.PENDING
    assert conversation.assignee_id == api.user.pk

    # without a key, two posts are two replies
    api.post(f"/conversations/{conversation.pk}/messages", {"text": "one"})
    api.post(f"/conversations/{conversation.pk}/messages", {"text": "one"})
    assert Message.objects.filter(conversation=conversation, kind=MessageKind.REPLY).count() == 3


def test_idempotency_key_of_another_conversation_is_409(api):
    first, second = make_conversation(), make_conversation()
    api.post(f"/conversations/{first.pk}/messages", {"text": "a", "idempotency_key": "same"})
    response = api.post(f"/conversations/{second.pk}/messages",
                        {"text": "b", "idempotency_key": "same"})
    assert response.status_code == 409
    assert not second.messages.filter(kind=MessageKind.REPLY).exists()


def test_reply_refusals(api):
    conversation = make_conversation()
    url = f"/conversations/{conversation.pk}/messages"
    blank = api.post(url, {"text": "   "})
    assert blank.status_code == 400
    assert blank.json() == {"detail": "Write something first."}
    assert api.post(url, {}).status_code == 422
    assert api.post(url, {"text": "nul \x00 byte"}).status_code == 422
    assert api.post(url, {"text": "x", "idempotency_key": "has space"}).status_code == 422
    assert api.post("/conversations/999999/messages", {"text": "x"}).status_code == 404


def test_note_and_message_list(api):
    conversation = make_conversation(text="Hello")
    note = api.post(f"/conversations/{conversation.pk}/notes", {"text": "Customer is VIP"})
    assert note.status_code == 201
    assert note.json()["kind"] == "note"
    conversation.refresh_from_db()
    assert conversation.preview == "Hello"  # a note is never the preview
    items = api.get(f"/conversations/{conversation.pk}/messages").json()["items"]
    assert [m["kind"] for m in items] == ["note", "inbound"]
    assert items[1]["text"] == "Hello"
    assert items[1]["person_id"] == conversation.person_id


def test_message_pages(api):
    conversation = make_conversation()
    for i in range(4):
        services.add_note(conversation, api.user, f"note {i}")
    expected = list(conversation.messages.order_by("-pk").values_list("pk", flat=True))
    assert walk(api, f"/conversations/{conversation.pk}/messages", 2) == expected


def test_reaction_toggle(api_as):
    api, other = api_as(Role.ADVOCATE), api_as(Role.TEAMMATE)
    message = make_message()
    url = f"/messages/{message.pk}/reactions"
    added = api.post(url, {"emoji": "👀"})
    assert added.status_code == 200
    assert added.json() == {"added": True, "reactions": [
        {"emoji": "👀", "count": 1, "user_ids": [api.user.pk]}]}
    both = other.post(url, {"emoji": "👀"}).json()
    assert both["reactions"] == [{"emoji": "👀", "count": 2,
                                  "user_ids": [api.user.pk, other.user.pk]}]
    listed = api.get(f"/conversations/{message.conversation_id}/messages").json()
    assert listed["items"][0]["reactions"] == both["reactions"]
    removed = api.post(url, {"emoji": "👀"}).json()
    assert removed == {"added": False, "reactions": [
        {"emoji": "👀", "count": 1, "user_ids": [other.user.pk]}]}
    assert api.post(url, {"emoji": "abc"}).status_code == 400
    assert api.post("/messages/999999/reactions", {"emoji": "👀"}).status_code == 404


def test_tags(api):
    conversation = make_conversation()
    url = f"/conversations/{conversation.pk}/tags"
    response = api.post(url, {"names": ["Billing", "bug"]})
    assert response.status_code == 200
    assert response.json() == {"added": ["billing", "bug"], "tags": ["billing", "bug"]}
    assert api.post(url, {"names": ["bug"]}).json() == {"added": [], "tags": ["billing", "bug"]}
    assert api.post(url, {"names": ["not valid!"]}).status_code == 400
    assert api.post(url, {"names": []}).status_code == 422
    assert sorted(t["name"] for t in api.get("/tags").json()["items"]) == ["billing", "bug"]

    assert api.delete(f"{url}/bug").status_code == 204
    assert api.delete(f"{url}/bug").status_code == 404
    assert api.get(f"/conversations/{conversation.pk}").json()["tags"] == ["billing"]


def test_tag_with_a_slash_can_be_removed(api):
    conversation = make_conversation()
    services.add_tags(conversation, api.user, ["area/billing"])
    assert api.delete(f"/conversations/{conversation.pk}/tags/area/billing").status_code == 204
    assert not conversation.tags.exists()


# --- people and organisations ---------------------------------------------------------------


def test_people_crud_and_search(api):
    acme = Organisation.objects.create(name="Acme")
    created = api.post("/people", {"name": "Ana Lima", "language": "es",
                                   "time_zone": "Europe/Madrid", "organisation_id": acme.pk})
    assert created.status_code == 201, created.content
    person = created.json()
    assert person["organisation"] == {"id": acme.pk, "name": "Acme"}
    assert person["plan"] == "free" and person["merged_into_id"] is None

    by_address = make_message(identity_value="zed@example.com", sender_name="Z").person
    assert ids(api.get("/people", q="ana")) == [person["id"]]
    assert ids(api.get("/people", q="ZED@example")) == [by_address.pk]
    assert ids(api.get("/people", organisation=acme.pk)) == [person["id"]]
    assert api.get(f"/people/{person['id']}").json()["name"] == "Ana Lima"

    patched = api.patch(f"/people/{person['id']}", {"plan": "premium", "organisation_id": None,
                                                     "notes": "Prefers chat"})
    assert patched.status_code == 200
    assert patched.json()["plan"] == "premium"
    assert patched.json()["organisation"] is None
    assert patched.json()["name"] == "Ana Lima"
    assert Person.objects.get(pk=person["id"]).notes == "Prefers chat"


@pytest.mark.parametrize("payload, status", [
    ({"time_zone": "Mars/Olympus"}, 422),
    ({"language": "klingon"}, 422),
    ({"name": None}, 422),
    ({"name": "x" * 201}, 422),
    ({"plan": "gold"}, 422),
    ({"organisation_id": 999999}, 400),
])
def test_person_refusals(api, payload, status):
    person = make_message().person
    assert api.patch(f"/people/{person.pk}", payload).status_code == status
    assert api.post("/people", payload).status_code == status


def test_people_pages(api):
    made = [make_message().person.pk for _ in range(5)]
    assert walk(api, "/people", 2) == sorted(made, reverse=True)


def test_organisations_crud(api):
    created = api.post("/organisations", {"name": "Acme", "domain": "acme.example",
                                          "plan": "enterprise"})
    assert created.status_code == 201
    pk = created.json()["id"]
    assert api.get(f"/organisations/{pk}").json()["plan"] == "enterprise"
    assert ids(api.get("/organisations", q="acme.ex")) == [pk]
    patched = api.patch(f"/organisations/{pk}", {"notes": "Key account"}).json()
    assert patched["notes"] == "Key account" and patched["name"] == "Acme"
    assert api.post("/organisations", {"name": ""}).status_code == 422
    assert api.patch(f"/organisations/{pk}", {"name": None}).status_code == 422
    assert api.get("/organisations/999999").status_code == 404


def test_merge_and_undo(api):
    source = make_conversation(identity_value="old@example.com")
    target = make_conversation(identity_value="new@example.com")
    response = api.post(f"/people/{source.person_id}/merge", {"target_id": target.person_id})
    assert response.status_code == 201, response.content
    merge = response.json()
    assert merge["conversation_ids"] == [source.pk]
    source.refresh_from_db()
    assert source.person_id == target.person_id
    assert merge["source_id"] not in ids(api.get("/people"))
    assert ids(api.get("/conversations", person=target.person_id)) == [target.pk, source.pk]
    merged = api.get(f"/people/{merge['source_id']}").json()
    assert merged["merged_into_id"] == target.person_id

    undone = api.post(f"/merges/{merge['id']}/undo")
    assert undone.status_code == 200
    assert undone.json()["undone_at"] is not None
    source.refresh_from_db()
    assert source.person_id == merge["source_id"]
    again = api.post(f"/merges/{merge['id']}/undo")
    assert again.status_code == 400
    assert again.json()["detail"]
    assert api.post("/merges/999999/undo").status_code == 404


def test_merge_refusals(api):
    person = make_message().person
    same = api.post(f"/people/{person.pk}/merge", {"target_id": person.pk})
    assert same.status_code == 400 and same.json()["detail"]
    assert api.post(f"/people/{person.pk}/merge", {"target_id": 999999}).status_code == 400
    assert api.post("/people/999999/merge", {"target_id": person.pk}).status_code == 404
    assert api.post(f"/people/{person.pk}/merge", {}).status_code == 422


def test_identity_needs_proof(api):
    person = make_message(identity_value="ana@example.com").person
    url = f"/people/{person.pk}/identities"
    for payload in ({"kind": "social", "value": "@ana", "network": "x"},
                    {"kind": "social", "value": "@ana", "network": "x", "proof": ""}):
        refused = api.post(url, payload)
        assert refused.status_code == 400
        assert refused.json()["detail"]
    assert not Identity.objects.filter(kind=IdentityKind.SOCIAL).exists()

    linked = api.post(url, {"kind": "social", "value": "@Ana", "network": "x",
                            "proof": Proof.VERIFIED_HANDLE})
    assert linked.status_code == 201, linked.content
    assert linked.json()["value"] == "ana"
    assert linked.json()["verified_at"] is not None
    assert [i["kind"] for i in api.get(url).json()["items"]] == ["social", "email"]
    assert api.post(url, {"kind": "social", "value": "x", "proof": "trust-me"}).status_code == 422
    assert api.post(url, {"kind": "social", "value": "@@", "proof": "agent"}).status_code == 400


def test_linking_someone_elses_identity_merges_them(api):
    kept = make_message(identity_value="ana@example.com").person
    other = make_message(identity_value="ana.lima@example.com").person
    response = api.post(f"/people/{kept.pk}/identities", {
        "kind": "email", "value": "ana.lima@example.com", "proof": Proof.EMAIL_LINK})
    assert response.status_code == 201
    assert response.json()["person_id"] == kept.pk
    other.refresh_from_db()
    assert other.merged_into_id == kept.pk


# --- inbound ------------------------------------------------------------------------------


def post_raw(api, body: bytes):
    return api.client.post("/api/inbound", body, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {api.key}")


def test_inbound_becomes_a_conversation(api, django_capture_on_commit_callbacks, eager_tasks):
    payload = {"from": {"kind": "email", "value": "Ana@Example.com", "name": "Ana"},
               "subject": "Invoice", "text": "Where is my invoice?", "language": "en"}
    body = json.dumps(payload).encode()
    with django_capture_on_commit_callbacks(execute=True):
        response = post_raw(api, body)
    assert response.status_code == 202
    raw_id = response.json()["raw_id"]
    raw = RawInbound.objects.get(pk=raw_id)
    assert bytes(raw.payload) == body
    assert raw.channel == "api"

    status = api.get(f"/inbound/{raw_id}").json()
    assert status["status"] == "processed" and status["error"] == ""
    conversation = api.get(f"/conversations/{status['conversation_id']}").json()
    assert conversation["subject"] == "Invoice"
    assert conversation["channel"] == "api"
    assert conversation["person"]["name"] == "Ana"
    message = Message.objects.get(pk=status["message_id"])
    assert message.body_text == "Where is my invoice?"


@pytest.mark.usefixtures("eager_tasks")
@pytest.mark.parametrize("body", [b'{"text": "no sender"}', b"not json", b"[]", b""])
def test_bad_inbound_is_kept_failed_with_its_error(api, body, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_raw(api, body)
    assert response.status_code == 202
    raw = RawInbound.objects.get(pk=response.json()["raw_id"])
    assert bytes(raw.payload) == body
    status = api.get(f"/inbound/{raw.pk}").json()
    assert status["status"] == RawStatus.FAILED
    assert "Not a valid inbound message" in status["error"]
    assert status["message_id"] is None and status["conversation_id"] is None
    assert not Conversation.objects.exists()


def test_inbound_is_queued_only_after_commit(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_raw(api, b'{"from": {"value": "a@example.com"}, "text": "hi"}')
    assert response.json()["status"] == "received"
    assert len(callbacks) == 1


def test_inbound_is_kept_when_the_broker_is_down(api, django_capture_on_commit_callbacks,
                                                 monkeypatch):
    def broker_down(raw_id):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(process_inbound, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_raw(api, b'{"from": {"value": "a@example.com"}, "text": "hi"}')
    assert response.status_code == 202
    assert RawInbound.objects.get(pk=response.json()["raw_id"]).status == RawStatus.RECEIVED


def test_inbound_too_large_is_413(api):
    assert post_raw(api, b" " * (1024 * 1024 + 1)).status_code == 413
    assert not RawInbound.objects.exists()


def test_inbound_of_another_channel_is_not_shown(api):
    raw = services.store_raw("email", b"From: a@example.com\r\n\r\nhi")
    assert api.get(f"/inbound/{raw.pk}").status_code == 404


# --- roles --------------------------------------------------------------------------------


def _writes(conversation, message, person, other_person, organisation):
    c, m = conversation.pk, message.pk
    return {
        "patch": ("patch", f"/conversations/{c}", {"priority": 3}, 200),
        "reply": ("post", f"/conversations/{c}/messages", {"text": "hi"}, 201),
        "note": ("post", f"/conversations/{c}/notes", {"text": "hi"}, 201),
        "react": ("post", f"/messages/{m}/reactions", {"emoji": "👍"}, 200),
        "tag": ("post", f"/conversations/{c}/tags", {"names": ["x"]}, 200),
        "inbound": ("post", "/inbound", {"from": {"value": "a@example.com"}}, 202),
        "person_create": ("post", "/people", {"name": "New"}, 201),
        "person_patch": ("patch", f"/people/{person.pk}", {"notes": "n"}, 200),
        "organisation_create": ("post", "/organisations", {"name": "Org"}, 201),
        "organisation_patch": ("patch", f"/organisations/{organisation.pk}", {"notes": "n"}, 200),
        "identity": ("post", f"/people/{person.pk}/identities",
                     {"kind": "email", "value": "p@example.com", "proof": "agent"}, 201),
        "merge": ("post", f"/people/{other_person.pk}/merge", {"target_id": person.pk}, 201),
    }


WORK = {"patch", "reply", "note", "react", "tag", "inbound"}
PEOPLE = {"person_create", "person_patch", "organisation_create", "organisation_patch",
          "identity", "merge"}
ALLOWED = {
    Role.ADMIN: WORK | PEOPLE,
    Role.LEAD: WORK | PEOPLE,
    Role.ADVOCATE: WORK | PEOPLE,
    Role.TEAMMATE: WORK,
    Role.OBSERVER: set(),
}


@pytest.mark.parametrize("role", list(ALLOWED))
@pytest.mark.parametrize("action", sorted(WORK | PEOPLE))
def test_role_matrix_for_writes(api_as, role, action):
    api = api_as(role)
    message = make_message()
    other = make_message().person
    organisation = Organisation.objects.create(name="Acme")
    method, path, payload, success = _writes(
        message.conversation, message, message.person, other, organisation)[action]
    response = getattr(api, method)(path, payload)
    if action in ALLOWED[role]:
        assert response.status_code == success, response.content
    else:
        assert response.status_code == 403, response.content
        assert response.json()["detail"]


@pytest.mark.parametrize("role", list(ALLOWED))
def test_every_role_reads(api_as, role):
    api = api_as(role)
    conversation = make_conversation()
    for path in ("/conversations", f"/conversations/{conversation.pk}",
                 f"/conversations/{conversation.pk}/messages", "/people",
                 f"/people/{conversation.person_id}", "/organisations", "/tags"):
        assert api.get(path).status_code == 200, path


def test_observer_cannot_undo_a_merge_or_remove_a_tag(api_as):
    observer = api_as(Role.OBSERVER)
    conversation = make_conversation()
    services.add_tags(conversation, None, ["keep"])
    merge = people_services.merge_people(make_message().person, conversation.person)
    assert observer.post(f"/merges/{merge.pk}/undo").status_code == 403
    assert observer.delete(f"/conversations/{conversation.pk}/tags/keep").status_code == 403
    teammate = api_as(Role.TEAMMATE)
    assert teammate.post(f"/merges/{merge.pk}/undo").status_code == 403


# --- weird input is a 4xx, never a database error -------------------------------------------


@pytest.mark.parametrize("path, params", [
    ("/people", {"q": "a\x00b"}),
    ("/organisations", {"q": "\x00"}),
    ("/conversations", {"tag": "\x00"}),
    ("/conversations", {"team": "a\x00"}),
    ("/conversations", {"language": "\x00"}),
    ("/conversations", {"cursor": "\x00"}),
    ("/conversations", {"assignee": str(2**64)}),
    ("/conversations", {"person": "-1"}),
])
def test_weird_query_values_are_refused(api, path, params):
    assert api.get(path, **params).status_code in (400, 422)


def test_weird_bodies_are_refused(api):
    conversation = make_conversation()
    lone_surrogate = b'{"name": "\\ud800"}'
    response = api.client.post("/api/organisations", lone_surrogate,
                               content_type="application/json",
                               HTTP_AUTHORIZATION=f"Bearer {api.key}")
    assert response.status_code == 422
    assert api.post("/organisations", {"name": "a\x00"}).status_code == 422
    assert api.post(f"/conversations/{conversation.pk}/notes", {"text": "x" * 100_001}
                    ).status_code == 422
    assert api.post(f"/people/{conversation.person_id}/merge",
                    {"target_id": 2**63}).status_code == 422
    broken = api.client.post("/api/organisations", b"{not json",
                             content_type="application/json",
                             HTTP_AUTHORIZATION=f"Bearer {api.key}")
    assert broken.status_code in (400, 422)
    assert api.delete(f"/conversations/{conversation.pk}/tags/%00").status_code == 404
