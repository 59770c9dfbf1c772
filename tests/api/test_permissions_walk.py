"""Walk every operation of the OpenAPI document with every role (and without a token).

A new endpoint must be added to OPERATIONS with the permission it needs, or this fails.
"""

import pytest
from django.test import Client

from comptoir.accounts.models import Role
from comptoir.accounts.permissions import ROLE_PERMS, Perm
from comptoir.api.urls import api as ninja_api
from comptoir.conversations import services
from comptoir.people import services as people
from comptoir.people.models import Organisation

from ..factories import make_message
from ..quality.walk import api_review_ids

# (METHOD, path template) -> (permission, JSON body)
OPERATIONS: dict[tuple[str, str], tuple[Perm, dict | None]] = {
    ("GET", "/api/conversations"): (Perm.VIEW, None),
    ("GET", "/api/conversations/{conversation_id}"): (Perm.VIEW, None),
    ("PATCH", "/api/conversations/{conversation_id}"): (Perm.UPDATE, {"priority": 3}),
    ("GET", "/api/conversations/{conversation_id}/messages"): (Perm.VIEW, None),
    ("POST", "/api/conversations/{conversation_id}/messages"): (Perm.REPLY, {"text": "hi"}),
    ("POST", "/api/conversations/{conversation_id}/notes"): (Perm.NOTE, {"text": "hi"}),
    ("POST", "/api/conversations/{conversation_id}/tags"): (Perm.UPDATE, {"names": ["x"]}),
    ("DELETE", "/api/conversations/{conversation_id}/tags/{name}"): (Perm.UPDATE, None),
    ("POST", "/api/messages/{message_id}/reactions"): (Perm.REACT, {"emoji": "👀"}),
    ("GET", "/api/tags"): (Perm.VIEW, None),
    ("GET", "/api/people"): (Perm.VIEW, None),
    ("POST", "/api/people"): (Perm.EDIT_PEOPLE, {"name": "New"}),
    ("GET", "/api/people/{person_id}"): (Perm.VIEW, None),
    ("PATCH", "/api/people/{person_id}"): (Perm.EDIT_PEOPLE, {"notes": "n"}),
    ("POST", "/api/people/{person_id}/merge"): (Perm.MERGE_PEOPLE, {"target_id": "{target_id}"}),
    ("GET", "/api/people/{person_id}/identities"): (Perm.VIEW, None),
    ("POST", "/api/people/{person_id}/identities"): (
        Perm.MERGE_PEOPLE, {"kind": "email", "value": "walk@example.com", "proof": "agent"}),
    ("POST", "/api/merges/{merge_id}/undo"): (Perm.MERGE_PEOPLE, None),
    ("GET", "/api/organisations"): (Perm.VIEW, None),
    ("POST", "/api/organisations"): (Perm.EDIT_PEOPLE, {"name": "Org"}),
    ("GET", "/api/organisations/{organisation_id}"): (Perm.VIEW, None),
    ("PATCH", "/api/organisations/{organisation_id}"): (Perm.EDIT_PEOPLE, {"notes": "n"}),
    ("POST", "/api/inbound"): (Perm.REPLY, {"from": {"value": "in@example.com"}, "text": "x"}),
    ("GET", "/api/inbound/{raw_id}"): (Perm.VIEW, None),
    ("GET", "/api/conversations/{conversation_id}/reviews"): (Perm.REVIEW, None),
    ("GET", "/api/reviews/received"): (Perm.REVIEW, None),
    ("GET", "/api/reviews/{review_id}"): (Perm.REVIEW, None),
}
# ids made for the calling user (a review is readable by the person it credits)
PER_CALLER = {"review_id": api_review_ids}


def documented_operations() -> set[tuple[str, str]]:
    schema = ninja_api.get_openapi_schema()
    return {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}


def test_every_documented_operation_is_in_the_walk():
    assert documented_operations() == set(OPERATIONS)


def world() -> dict[str, int | str]:
    message = make_message()
    conversation = message.conversation
    services.add_tags(conversation, None, ["gone"])
    target = make_message().person
    merge = people.merge_people(make_message().person, make_message().person)
    raw = services.store_raw("api", b"{}", {"channel": "api"})
    return {
        "conversation_id": conversation.pk, "message_id": message.pk, "name": "gone",
        "person_id": message.person_id, "target_id": target.pk, "merge_id": merge.pk,
        "organisation_id": Organisation.objects.create(name="Walk").pk, "raw_id": raw.pk,
        "review_id": 1,  # replaced per caller (PER_CALLER); anonymous callers get 401 first
    }


def fill(value, ids):
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    return value


@pytest.mark.django_db
@pytest.mark.parametrize("role", [*[r.value for r in Role], "anonymous"])
def test_walk_every_operation_with_every_role(role, api_as, eager_tasks):
    failures = []
    for (method, template), (perm, body) in OPERATIONS.items():
        ids = world()
        path = template.format(**ids)
        if role == "anonymous":
            client, headers = Client(), {}
        else:
            caller = api_as(role)
            client, headers = caller.client, {"HTTP_AUTHORIZATION": f"Bearer {caller.key}"}
            for name, make in PER_CALLER.items():
                if "{" + name + "}" in template:
                    ids.update(make(caller.user))
                    path = template.format(**ids)
        kwargs = {"content_type": "application/json", **headers}
        if body is not None:
            kwargs["data"] = fill(body, ids)
        response = getattr(client, method.lower())(path, **kwargs)
        status = response.status_code
        if role == "anonymous":
            ok, expected = status == 401, "401"
        elif perm in ROLE_PERMS[role]:
            ok, expected = 200 <= status < 300, "2xx"
        else:
            ok, expected = status == 403, "403"
        if not ok:
            failures.append(f"{method} {path} as {role}: {status} (expected {expected}) "
                            f"{response.content[:200]!r}")
    assert not failures, "\n".join(failures)
