"""GitHub's ``issues`` webhook, posted over real HTTP to the running app (``live_server``) the
way GitHub posts it: signed with the shared secret, with GitHub's documented payload."""

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
from comptoir.bugs.models import Bug, BugLink, BugStatus, FixedVia, WebhookDelivery
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import Event, MessageKind

from ..factories import make_conversation, make_user

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "It's a Secret to Everybody"


@pytest.fixture
def secret(settings):
    settings.GITHUB_WEBHOOK_SECRET = SECRET
    return SECRET


def issues_closed(number=1347, repo="octocat/Hello-World", state_reason="completed") -> dict:
    """The ``issues`` event with ``action: closed``, shaped as GitHub documents it
    (https://docs.github.com/en/webhooks/webhook-events-and-payloads#issues)."""
    owner = {"login": repo.split("/")[0], "id": 1, "node_id": "MDQ6VXNlcjE=",
             "html_url": f"https://github.com/{repo.split('/')[0]}", "type": "User",
             "site_admin": False}
    return {
        "action": "closed",
        "issue": {
            "url": f"https://api.github.com/repos/{repo}/issues/{number}",
            "repository_url": f"https://api.github.com/repos/{repo}",
            "html_url": f"https://github.com/{repo}/issues/{number}",
            "id": 1, "node_id": "MDU6SXNzdWUx", "number": number,
            "title": "Found a bug", "user": owner, "labels": [], "state": "closed",
            "locked": False, "assignee": None, "assignees": [], "milestone": None,
            "comments": 0, "created_at": "2026-11-20T20:09:31Z",
            "updated_at": "2026-11-24T20:09:31Z", "closed_at": "2026-11-24T20:09:31Z",
            "author_association": "OWNER", "state_reason": state_reason,
            "body": "I'm having a problem with this.",
        },
        "repository": {
            "id": 1296269, "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
            "name": repo.split("/")[1], "full_name": repo, "private": False, "owner": owner,
            "html_url": f"https://github.com/{repo}", "default_branch": "main",
        },
        "sender": owner,
    }


def post(live_server, payload, *, event="issues", delivery=None, secret=SECRET,
         signature=None, body=None, content_type="application/json"):
    """POST like GitHub: returns (status, text)."""
    body = body if body is not None else json.dumps(payload).encode()
    headers = {
        "Content-Type": content_type, "User-Agent": "GitHub-Hookshot/044aadd",
        "X-GitHub-Event": event, "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-GitHub-Hook-ID": "292430182",
    }
    if signature is None and secret:
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if signature:
        headers["X-Hub-Signature-256"] = signature
    request = urllib.request.Request(live_server.url + reverse("hook_github"), data=body,
                                     headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_githubs_own_example_signature_is_accepted():
    """The secret, body and signature of GitHub's documentation page, as a fixed point."""
    from comptoir.bugs.webhooks import signature_ok

    assert signature_ok(SECRET, b"Hello, World!",
                        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
    assert not signature_ok(SECRET, b"Hello, World?",
                            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")


@pytest.fixture
def linked(db):
    agent = make_user(Role.ADVOCATE)
    bug, _new = services.create_bug(agent, "Hello World crashes",
                                    "https://github.com/octocat/Hello-World/issues/1347")
    people = [make_conversation(sender_name="Marie Curie", language="fr"),
              make_conversation(sender_name="Bo Berg", language="en")]
    for conversation in people:
        services.link(conversation, bug, agent)
    return bug, people


def test_a_closed_issue_fixes_its_bug_and_follows_up_every_customer_once(
    live_server, secret, linked, eager_tasks,
):
    bug, (marie, bo) = linked
    delivery = str(uuid.uuid4())
    status, text = post(live_server, issues_closed(), delivery=delivery)
    assert (status, text.strip()) == (200, f"Bug {bug.pk} marked fixed.")
    bug.refresh_from_db()
    assert (bug.status, bug.fixed_via, bug.fixed_by) == (BugStatus.FIXED, FixedVia.GITHUB, None)
    [to_marie] = marie.messages.filter(kind=MessageKind.REPLY)
    assert to_marie.body_text.startswith("Bonjour Marie,")
    [to_bo] = bo.messages.filter(kind=MessageKind.REPLY)
    assert to_bo.body_text.startswith("Hello Bo,")
    assert BugLink.objects.filter(followed_up_at__isnull=False).count() == 2
    fixed = Event.objects.get(conversation=marie, kind=EventKind.BUG_FIXED)
    assert fixed.actor is None and fixed.data["via"] == "github"

    # GitHub's "Redeliver" button: the same delivery again; and another delivery, same issue
    assert post(live_server, issues_closed(), delivery=delivery) == (
        200, "Delivery already processed.\n")
    status, text = post(live_server, issues_closed())
    assert (status, text.strip()) == (200, f"Bug {bug.pk} was already fixed.")
    assert marie.messages.filter(kind=MessageKind.REPLY).count() == 1
    assert bo.messages.filter(kind=MessageKind.REPLY).count() == 1
    assert WebhookDelivery.objects.count() == 2
    stored = WebhookDelivery.objects.get(delivery_id=delivery)
    assert (stored.event, stored.action, stored.bug) == ("issues", "closed", bug)
    assert stored.issue_url == "https://github.com/octocat/Hello-World/issues/1347"
    assert SECRET not in json.dumps([stored.outcome, stored.issue_url, stored.delivery_id])


def test_the_issue_is_found_by_repository_and_number_too(live_server, secret, eager_tasks):
    bug, _new = services.create_bug(None, "Case differs",
                                    "https://github.com/Octocat/hello-world/issues/5")
    payload = issues_closed(number=5)
    payload["issue"]["html_url"] = "https://github.com/octocat/Hello-World/issues/5"
    assert post(live_server, payload)[0] == 200
    bug.refresh_from_db()
    assert bug.status == BugStatus.FIXED


def test_closed_as_not_planned_or_unknown_issue_changes_nothing(live_server, secret, linked):
    bug, (marie, _bo) = linked
    status, text = post(live_server, issues_closed(state_reason="not_planned"))
    assert (status, text.strip()) == (202, "Closed as not_planned: not a fix.")
    status, text = post(live_server, issues_closed(number=999))
    assert (status, text.strip()) == (202, "No bug is linked to this issue.")
    bug.refresh_from_db()
    assert bug.status == BugStatus.OPEN
    assert not marie.messages.filter(kind=MessageKind.REPLY).exists()


def test_bad_or_missing_signature_is_refused(live_server, secret, linked):
    bug, _people = linked
    assert post(live_server, issues_closed(), secret="guessed")[0] == 403
    assert post(live_server, issues_closed(), signature="")[0] == 403
    assert post(live_server, issues_closed(), signature="sha1=abc")[0] == 403
    # a body changed after signing
    signed = json.dumps(issues_closed()).encode()
    good = "sha256=" + hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
    assert post(live_server, None, body=signed.replace(b"1347", b"1348"), signature=good)[0] == 403
    bug.refresh_from_db()
    assert bug.status == BugStatus.OPEN
    assert not WebhookDelivery.objects.exists()


def test_without_a_secret_configured_nothing_is_accepted(live_server, settings, linked):
    settings.GITHUB_WEBHOOK_SECRET = ""
    status, text = post(live_server, issues_closed())
    assert status == 503
    assert "COMPTOIR_GITHUB_WEBHOOK_SECRET" in text
    assert Bug.objects.get().status == BugStatus.OPEN


def test_ping_other_events_and_other_actions(live_server, secret):
    ping = {"zen": "Keep it logically awesome.", "hook_id": 292430182,
            "hook": {"type": "Repository", "events": ["issues"], "active": True}}
    assert post(live_server, ping, event="ping") == (200, "pong\n")
    assert post(live_server, {"ref": "refs/heads/main"}, event="push")[0] == 202
    labeled = issues_closed()
    labeled["action"] = "labeled"
    assert post(live_server, labeled) == (202, "Ignored: issues labeled\n")
    assert not WebhookDelivery.objects.exists()


def test_a_reopened_issue_reopens_its_bug_and_the_next_close_tells_the_newcomers(
    live_server, secret, linked, eager_tasks,
):
    """The issue closed, reopened (the bug came back), a customer linked meanwhile, closed
    again: the newcomer gets the follow-up of the second fix, those told before nothing."""
    bug, (marie, bo) = linked
    assert post(live_server, issues_closed())[0] == 200
    reopened = issues_closed()
    reopened["action"] = "reopened"
    reopened["issue"]["state"], reopened["issue"]["state_reason"] = "open", "reopened"
    delivery = str(uuid.uuid4())
    assert post(live_server, reopened, delivery=delivery) == (200, f"Bug {bug.pk} reopened.\n")
    bug.refresh_from_db()
    assert (bug.status, bug.reopened_via, bug.reopened_by) == (BugStatus.OPEN, "github", None)
    assert Event.objects.get(conversation=bo, kind=EventKind.BUG_REOPENED).data["via"] == "github"
    # redelivered, or reopened again: harmless
    assert post(live_server, reopened, delivery=delivery) == (200, "Delivery already processed.\n")
    assert post(live_server, reopened) == (200, f"Bug {bug.pk} was already open.\n")

    newcomer = make_conversation(sender_name="Ada Lovelace", language="en")
    services.link(newcomer, bug, None)
    assert post(live_server, issues_closed()) == (200, f"Bug {bug.pk} marked fixed.\n")
    bug.refresh_from_db()
    assert (bug.status, bug.fix_number) == (BugStatus.FIXED, 2)
    assert [m.body_text.split(",")[0] for m in newcomer.messages.filter(kind=MessageKind.REPLY)] \
        == ["Hello Ada"]
    assert marie.messages.filter(kind=MessageKind.REPLY).count() == 1
    assert bo.messages.filter(kind=MessageKind.REPLY).count() == 1


def test_form_encoded_payloads_are_read_too(live_server, secret, linked, eager_tasks):
    bug, _people = linked
    from urllib.parse import urlencode

    body = urlencode({"payload": json.dumps(issues_closed())}).encode()
    status, _text = post(live_server, None, body=body,
                         content_type="application/x-www-form-urlencoded")
    assert status == 200
    bug.refresh_from_db()
    assert bug.status == BugStatus.FIXED


def test_malformed_payload_too_large_body_and_rate_limit(live_server, settings, secret):
    assert post(live_server, None, body=b"{not json")[0] == 400
    assert post(live_server, None, body=b"[1, 2]")[0] == 400
    no_issue = issues_closed()
    del no_issue["issue"]
    assert post(live_server, no_issue)[0] == 400
    settings.GITHUB_WEBHOOK_MAX_BYTES = 2000
    assert post(live_server, None, body=b" " * 2001)[0] == 413
    settings.GITHUB_WEBHOOK_RATE_PER_MINUTE = 5
    statuses = [post(live_server, {}, event="ping")[0] for _ in range(3)]
    assert statuses == [200, 429, 429]  # 4 requests above: the 6th of the minute is refused
    assert not WebhookDelivery.objects.exists()


def test_the_hook_is_not_a_page_a_browser_can_get(live_server, secret):
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(live_server.url + reverse("hook_github"), timeout=10)
    assert error.value.code == 405
