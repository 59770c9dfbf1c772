"""GitLab's Issue Hook and Jira Cloud's ``jira:issue_updated``, posted over real HTTP to the
running app (``live_server``) the way each tracker posts them, with their documented payload
shapes: a close fixes the bug and follows up every customer once, a reopen reopens it."""

import hashlib
import hmac
import json
import urllib.error
import urllib.request
import uuid

import pytest
from django.urls import reverse

from comptoir.accounts.models import Role
from comptoir.bugs import services
from comptoir.bugs.models import BugStatus, FixedVia, WebhookDelivery
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import Event, MessageKind

from ..factories import make_conversation, make_user

pytestmark = pytest.mark.django_db(transaction=True)
TOKEN = "gl-s3cr3t-token"
JIRA_SECRET = "jira-admin-webhook-secret"


@pytest.fixture
def secrets(settings):
    settings.GITLAB_WEBHOOK_SECRET = TOKEN
    settings.JIRA_WEBHOOK_SECRET = JIRA_SECRET


def http_post(url, body: bytes, headers: dict) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


# --- GitLab ---------------------------------------------------------------------------------


def gitlab_issue(action="close", iid=23, path="gitlabhq/gitlab-test",
                 host="https://gitlab.example.com") -> dict:
    """An Issue Hook, shaped as GitLab documents it (https://docs.gitlab.com/user/project/
    integrations/webhook_events/#work-item-events)."""
    user = {"id": 1, "name": "Administrator", "username": "root",
            "avatar_url": "https://www.gravatar.com/avatar/e64c7d89f26bd1972efa854d13d7dd61",
            "email": "admin@example.com"}
    return {
        "object_kind": "issue", "event_type": "issue", "user": user,
        "project": {"id": 1, "name": "Gitlab Test", "description": "Aut reprehenderit.",
                    "web_url": f"{host}/{path}", "avatar_url": None,
                    "git_ssh_url": f"git@gitlab.example.com:{path}.git",
                    "git_http_url": f"{host}/{path}.git", "namespace": path.split("/")[0],
                    "visibility_level": 20, "path_with_namespace": path,
                    "default_branch": "master", "homepage": f"{host}/{path}",
                    "url": f"{host}/{path}.git", "ssh_url": f"git@gitlab.example.com:{path}.git",
                    "http_url": f"{host}/{path}.git"},
        "object_attributes": {
            "id": 301, "title": "New API: create/update/delete file", "assignee_ids": [51],
            "assignee_id": 51, "author_id": 51, "project_id": 14,
            "created_at": "2013-12-03T17:15:43Z", "updated_at": "2013-12-03T17:15:43Z",
            "updated_by_id": 1, "closed_at": "2013-12-03T17:15:43Z" if action == "close" else None,
            "description": "Create new API for manipulations with repository",
            "iid": iid, "url": f"{host}/{path}/-/issues/{iid}",
            "state": "closed" if action == "close" else "opened", "action": action,
            "severity": "high", "type": "Issue", "confidential": False,
        },
        "repository": {"name": "Gitlab Test", "url": f"{host}/{path}.git",
                       "description": "Aut reprehenderit.", "homepage": f"{host}/{path}"},
        "labels": [], "changes": {},
    }


def post_gitlab(live_server, payload, *, token=TOKEN, uuid_header=None, body=None,
                event="Issue Hook"):
    body = body if body is not None else json.dumps(payload).encode()
    headers = {"X-Gitlab-Event": event, "User-Agent": "GitLab/17.5.0",
               "X-Gitlab-Instance": "https://gitlab.example.com",
               "X-Gitlab-Webhook-UUID": "17a4c2fb-4f1d-4d7d-8b5b-0b9a1d8d2d11",
               "X-Gitlab-Event-UUID": uuid_header or str(uuid.uuid4())}
    if token is not None:
        headers["X-Gitlab-Token"] = token
    return http_post(live_server.url + reverse("hook_gitlab"), body, headers)


@pytest.fixture
def gitlab_bug(db):
    agent = make_user(Role.ADVOCATE)
    bug, _new = services.create_bug(agent, "File API fails",
                                    "https://gitlab.example.com/gitlabhq/gitlab-test/-/issues/23")
    people = [make_conversation(sender_name="Marie Curie", language="fr"),
              make_conversation(sender_name="Bo Berg", language="en")]
    for conversation in people:
        services.link(conversation, bug, agent)
    return bug, people


def test_gitlab_close_fixes_follows_up_once_and_reopen_reopens(
    live_server, secrets, gitlab_bug, eager_tasks,
):
    bug, (marie, bo) = gitlab_bug
    event_uuid = str(uuid.uuid4())
    assert post_gitlab(live_server, gitlab_issue(), uuid_header=event_uuid) == (
        200, f"Bug {bug.pk} marked fixed.\n")
    bug.refresh_from_db()
    assert (bug.status, bug.fixed_via, bug.fix_number) == (BugStatus.FIXED, FixedVia.GITLAB, 1)
    assert marie.messages.get(kind=MessageKind.REPLY).body_text.startswith("Bonjour Marie,")
    assert bo.messages.get(kind=MessageKind.REPLY).body_text.startswith("Hello Bo,")
    # GitLab retries a delivery with the same event UUID: harmless
    assert post_gitlab(live_server, gitlab_issue(), uuid_header=event_uuid) == (
        200, "Delivery already processed.\n")
    assert post_gitlab(live_server, gitlab_issue())[1] == f"Bug {bug.pk} was already fixed.\n"
    assert marie.messages.filter(kind=MessageKind.REPLY).count() == 1

    assert post_gitlab(live_server, gitlab_issue("reopen")) == (200, f"Bug {bug.pk} reopened.\n")
    bug.refresh_from_db()
    assert (bug.status, bug.reopened_via) == (BugStatus.OPEN, "gitlab")
    assert Event.objects.filter(conversation=bo, kind=EventKind.BUG_REOPENED).count() == 1
    stored = WebhookDelivery.objects.get(delivery_id=event_uuid)
    assert (stored.source, stored.event, stored.action, stored.bug) == (
        "gitlab", "issue", "close", bug)
    assert TOKEN not in json.dumps([stored.outcome, stored.issue_url, stored.delivery_id])


def test_gitlab_finds_the_issue_by_project_and_iid_and_ignores_other_actions(
    live_server, secrets, eager_tasks,
):
    bug, _new = services.create_bug(None, "Moved host",
                                    "https://gitlab.com/GitLabHQ/gitlab-test/-/issues/7")
    assert post_gitlab(live_server, gitlab_issue(iid=7))[0] == 200  # other host, same project
    bug.refresh_from_db()
    assert bug.status == BugStatus.FIXED
    assert post_gitlab(live_server, gitlab_issue("update")) == (
        202, "Ignored: Issue Hook update\n")
    assert post_gitlab(live_server, gitlab_issue(iid=999)) == (
        202, "No bug is linked to this issue.\n")
    push = {"object_kind": "push", "ref": "refs/heads/main"}
    assert post_gitlab(live_server, push, event="Push Hook")[0] == 202


def test_gitlab_refuses_without_secret_bad_token_bad_json_too_large_and_over_rate(
    live_server, settings, secrets, gitlab_bug,
):
    bug, _people = gitlab_bug
    assert post_gitlab(live_server, gitlab_issue(), token="guessed")[0] == 403
    assert post_gitlab(live_server, gitlab_issue(), token=None)[0] == 403
    assert post_gitlab(live_server, gitlab_issue(), token=TOKEN + "x")[0] == 403
    assert post_gitlab(live_server, None, body=b"{not json")[0] == 400
    no_project = gitlab_issue()
    del no_project["project"]
    assert post_gitlab(live_server, no_project)[0] == 400
    settings.GITHUB_WEBHOOK_MAX_BYTES = 2000
    assert post_gitlab(live_server, None, body=b" " * 2001)[0] == 413
    settings.GITLAB_WEBHOOK_SECRET = ""
    status, text = post_gitlab(live_server, gitlab_issue())
    assert status == 503 and "COMPTOIR_GITLAB_WEBHOOK_SECRET" in text
    settings.GITLAB_WEBHOOK_SECRET = TOKEN
    settings.GITHUB_WEBHOOK_RATE_PER_MINUTE = 7
    statuses = [post_gitlab(live_server, gitlab_issue("update"))[0] for _ in range(2)]
    assert statuses == [202, 429]  # 6 counted above (503 comes first): the 8th is refused
    bug.refresh_from_db()
    assert bug.status == BugStatus.OPEN
    assert not WebhookDelivery.objects.exists()


# --- Jira -----------------------------------------------------------------------------------


def jira_updated(key="ABC-12", category="done", status_name="Done", status_changed=True,
                 site="https://example.atlassian.net") -> dict:
    """``jira:issue_updated`` as Jira Cloud sends it (https://developer.atlassian.com/cloud/
    jira/platform/webhooks/#example-callback-for-an-issue-related-event)."""
    user = {"self": f"{site}/rest/api/2/user?accountId=99:27935d01",
            "accountId": "99:27935d01-92a7-4687-8272-a9b8d3b2ae2e", "displayName": "Bryan",
            "active": True, "timeZone": "Europe/Paris", "accountType": "atlassian"}
    category_names = {"done": ("Done", 3, "green"), "indeterminate": ("In Progress", 4, "yellow"),
                      "new": ("To Do", 2, "blue-gray")}
    name, category_id, colour = category_names[category]
    items = [{"field": "status", "fieldtype": "jira", "fieldId": "status", "from": "3",
              "fromString": "In Progress", "to": "10001", "toString": status_name}]
    if not status_changed:
        items = [{"field": "summary", "fieldtype": "jira", "fieldId": "summary", "from": None,
                  "fromString": "Old title", "to": None, "toString": "New title"}]
    return {
        "timestamp": 1732489200000, "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_generic", "user": user,
        "issue": {
            "id": "10002", "self": f"{site}/rest/api/2/issue/10002", "key": key,
            "fields": {
                "summary": "Export fails", "issuetype": {"name": "Bug", "subtask": False},
                "project": {"id": "10000", "key": key.split("-")[0], "name": "Alphabet"},
                "status": {"self": f"{site}/rest/api/2/status/10001", "name": status_name,
                           "id": "10001",
                           "statusCategory": {"self": f"{site}/rest/api/2/statuscategory/3",
                                              "id": category_id, "key": category,
                                              "colorName": colour, "name": name}},
                "resolution": {"name": "Done"} if category == "done" else None,
                "updated": "2026-11-24T20:09:31.000+0000",
            },
        },
        "changelog": {"id": "10400", "items": items},
    }


def post_jira(live_server, payload, *, secret=JIRA_SECRET, identifier=None, body=None,
              signature=None):
    body = body if body is not None else json.dumps(payload).encode()
    headers = {"X-Atlassian-Webhook-Identifier": identifier or str(uuid.uuid4().int)[:12],
               "User-Agent": "Atlassian Webhook HTTP Client"}
    if signature is None and secret:
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if signature:
        headers["X-Hub-Signature"] = signature
    return http_post(live_server.url + reverse("hook_jira"), body, headers)


@pytest.fixture
def jira_bug(db):
    agent = make_user(Role.ADVOCATE)
    bug, _new = services.create_bug(agent, "Export fails",
                                    "https://example.atlassian.net/browse/ABC-12")
    people = [make_conversation(sender_name="Marie Curie", language="fr"),
              make_conversation(sender_name="Bo Berg", language="en")]
    for conversation in people:
        services.link(conversation, bug, agent)
    return bug, people


def test_jira_done_fixes_follows_up_once_and_moving_back_reopens(
    live_server, secrets, jira_bug, eager_tasks,
):
    bug, (marie, bo) = jira_bug
    identifier = "1234567890"
    assert post_jira(live_server, jira_updated(), identifier=identifier) == (
        200, f"Bug {bug.pk} marked fixed.\n")
    bug.refresh_from_db()
    assert (bug.status, bug.fixed_via) == (BugStatus.FIXED, FixedVia.JIRA)
    assert marie.messages.get(kind=MessageKind.REPLY).body_text.startswith("Bonjour Marie,")
    assert bo.messages.filter(kind=MessageKind.REPLY).count() == 1
    # Jira retries with the same identifier: harmless; an edit of a done issue: ignored
    assert post_jira(live_server, jira_updated(), identifier=identifier) == (
        200, "Delivery already processed.\n")
    assert post_jira(live_server, jira_updated(status_changed=False))[0] == 202
    assert bo.messages.filter(kind=MessageKind.REPLY).count() == 1

    back = jira_updated(category="indeterminate", status_name="In Progress")
    assert post_jira(live_server, back) == (200, f"Bug {bug.pk} reopened.\n")
    bug.refresh_from_db()
    assert (bug.status, bug.reopened_via) == (BugStatus.OPEN, "jira")
    newcomer = make_conversation(sender_name="Ada Lovelace")
    services.link(newcomer, bug, None)
    assert post_jira(live_server, jira_updated())[0] == 200
    assert newcomer.messages.filter(kind=MessageKind.REPLY).count() == 1
    assert bo.messages.filter(kind=MessageKind.REPLY).count() == 1


def test_jira_done_as_wont_do_or_duplicate_is_not_a_fix(live_server, secrets, jira_bug):
    bug, (marie, _bo) = jira_bug
    for resolution in ("Won't Do", "Duplicate", "Cannot Reproduce"):
        payload = jira_updated()
        payload["issue"]["fields"]["resolution"] = {"name": resolution, "id": "10001"}
        assert post_jira(live_server, payload) == (202, f"Resolved as {resolution}: not a fix.\n")
    bug.refresh_from_db()
    assert bug.status == BugStatus.OPEN
    assert not marie.messages.filter(kind=MessageKind.REPLY).exists()


def test_jira_moving_between_open_statuses_does_not_reopen_a_bug_fixed_by_hand(
    live_server, secrets, jira_bug, eager_tasks, django_capture_on_commit_callbacks,
):
    bug, _people = jira_bug
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_fixed(bug, None, "Hot-fixed before Jira caught up.")
    review = jira_updated(category="indeterminate", status_name="In Review")
    assert post_jira(live_server, review) == (
        202, f"Bug {bug.pk} stays fixed: the issue did not leave a done status.\n")
    bug.refresh_from_db()
    assert bug.status == BugStatus.FIXED
    reopened = jira_updated(category="new", status_name="Reopened")
    reopened["changelog"]["items"][0]["fromString"] = "Done"
    assert post_jira(live_server, reopened) == (200, f"Bug {bug.pk} reopened.\n")


def test_jira_finds_the_issue_by_key_on_another_address(live_server, secrets, eager_tasks):
    bug, _new = services.create_bug(None, "Self-hosted address",
                                    "https://jira.example.com/browse/ABC-5")
    assert post_jira(live_server, jira_updated(key="ABC-5"))[0] == 200
    bug.refresh_from_db()
    assert bug.status == BugStatus.FIXED
    assert post_jira(live_server, jira_updated(key="ZZZ-1")) == (
        202, "No bug is linked to this issue.\n")
    created = jira_updated()
    created["webhookEvent"] = "jira:issue_created"
    assert post_jira(live_server, created) == (202, "Ignored: jira:issue_created\n")


def test_jira_refuses_without_secret_bad_signature_bad_json_and_too_large(
    live_server, settings, secrets, jira_bug,
):
    bug, _people = jira_bug
    assert post_jira(live_server, jira_updated(), secret="guessed")[0] == 403
    assert post_jira(live_server, jira_updated(), secret="")[0] == 403
    signed = json.dumps(jira_updated()).encode()
    good = "sha256=" + hmac.new(JIRA_SECRET.encode(), signed, hashlib.sha256).hexdigest()
    assert post_jira(live_server, None, body=signed.replace(b"ABC-12", b"ABC-13"),
                     signature=good)[0] == 403
    assert post_jira(live_server, None, body=b"[1, 2]")[0] == 400
    no_issue = jira_updated()
    del no_issue["issue"]
    assert post_jira(live_server, no_issue)[0] == 400
    settings.GITHUB_WEBHOOK_MAX_BYTES = 2000
    assert post_jira(live_server, None, body=b" " * 2001)[0] == 413
    settings.JIRA_WEBHOOK_SECRET = ""
    status, text = post_jira(live_server, jira_updated())
    assert status == 503 and "COMPTOIR_JIRA_WEBHOOK_SECRET" in text
    bug.refresh_from_db()
    assert bug.status == BugStatus.OPEN
    assert not WebhookDelivery.objects.exists()


def test_the_hooks_are_not_pages_a_browser_can_get(live_server, secrets):
    for name in ("hook_gitlab", "hook_jira"):
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(live_server.url + reverse(name), timeout=10)
        assert error.value.code == 405
