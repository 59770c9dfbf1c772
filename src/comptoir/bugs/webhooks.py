"""Trackers tell us an issue was closed or reopened; its bug becomes fixed, or open again.

``POST /hooks/github/`` (``issues`` events, ``closed`` and ``reopened``), ``POST
/hooks/gitlab/`` (``Issue Hook``, ``object_attributes.action`` ``close`` and ``reopen``) and
``POST /hooks/jira/`` (Jira Cloud's ``jira:issue_updated`` whose status moved into, or out
of, the "done" category).

Public (trackers have no session), so: CSRF-exempt, rate-limited per client address, the
body capped at ``GITHUB_WEBHOOK_MAX_BYTES`` (for the three), and nothing happens unless the
request proves it knows the shared secret:

* GitHub: ``X-Hub-Signature-256`` is the HMAC-SHA256 of the raw body with
  ``GITHUB_WEBHOOK_SECRET`` (https://docs.github.com/en/webhooks/using-webhooks/
  validating-webhook-deliveries);
* GitLab: ``X-Gitlab-Token`` is ``GITLAB_WEBHOOK_SECRET`` itself (GitLab sends the token
  as entered; compared in constant time);
* Jira: ``X-Hub-Signature`` is ``sha256=`` and the HMAC-SHA256 of the raw body with
  ``JIRA_WEBHOOK_SECRET`` (the secret of a Jira Cloud admin webhook, WebSub style).

Answers: 503 when no secret is configured (nothing can be verified), 403 on a missing or
wrong signature, 413 on a too large body, 429 over the rate, 400 on a payload that is not
the tracker's; 200 for GitHub's ``ping`` and for a handled close or reopen; 202 for
everything else, accepted and ignored. A delivery (GitHub's ``X-GitHub-Delivery``,
GitLab's ``X-Gitlab-Event-UUID``, Jira's ``X-Atlassian-Webhook-Identifier``; else the
body's digest) is recorded once: replayed, it is answered 200 and does nothing again. Only
the event, action and issue address are kept, never the signature.
"""

import hashlib
import hmac
import json
from urllib.parse import parse_qs

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import services, trackers
from .models import Bug, FixedVia, TrackerKind, WebhookDelivery

# "completed" (or no reason, from GitHub before 2022): done. "not_planned" and "duplicate"
# close an issue without fixing anything: nobody is told their problem is fixed.
FIXED_REASONS = {None, "", "completed"}
# Jira's default resolutions that close an issue without a fix (its "done" category holds
# them too); compared case-insensitively, apostrophes straightened.
# Status names of Jira's "done" category in its default workflows: leaving one reopens.
JIRA_DONE_NAMES = {"done", "closed", "resolved"}
JIRA_NOT_A_FIX = {"won't do", "won't fix", "duplicate", "cannot reproduce", "declined",
                  "incomplete", "obsolete"}


def text(body: str, status: int) -> HttpResponse:
    return HttpResponse(body + "\n", status=status, content_type="text/plain; charset=utf-8")


def over_rate(request: HttpRequest) -> bool:
    """More than ``GITHUB_WEBHOOK_RATE_PER_MINUTE`` requests this minute from this address
    (a fixed one-minute window in the cache)."""
    key = f"bugs:hook-rate:{request.META.get('REMOTE_ADDR', '')}"
    if cache.add(key, 1, timeout=60):
        return False
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=60)
        return False
    return count > settings.GITHUB_WEBHOOK_RATE_PER_MINUTE


def read_body(request: HttpRequest, limit: int) -> bytes | None:
    """The raw body, or None when it is longer than ``limit`` (read no further)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return None
    body = request.read(limit + 1)
    return None if len(body) > limit else body


def signature_ok(secret: str, body: bytes, header: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().encode())


def _guard(request: HttpRequest, secret: str, setting: str, where: str) -> HttpResponse | bytes:
    """The raw body, or the answer refusing the request before its signature is checked."""
    if not secret:
        return text(f"{where} webhooks are not configured: set COMPTOIR_{setting} to the "
                    "secret entered in the webhook's settings.", 503)
    if over_rate(request):
        response = text("Too many requests.", 429)
        response["Retry-After"] = "60"
        return response
    body = read_body(request, settings.GITHUB_WEBHOOK_MAX_BYTES)
    if body is None:
        return text("Payload too large.", 413)
    return body


def _delivery_id(request: HttpRequest, header: str, body: bytes) -> str:
    """The tracker's id of the delivery, the same when it is retried; else the body's
    digest (a redelivered body is the same delivery)."""
    given = request.headers.get(header, "").strip()[:100]
    return given or "sha256:" + hashlib.sha256(body).hexdigest()


@csrf_exempt
@require_POST
def github(request: HttpRequest) -> HttpResponse:
    body = _guard(request, settings.GITHUB_WEBHOOK_SECRET, "GITHUB_WEBHOOK_SECRET", "GitHub")
    if isinstance(body, HttpResponse):
        return body
    if not signature_ok(settings.GITHUB_WEBHOOK_SECRET, body,
                        request.headers.get("X-Hub-Signature-256", "")):
        return text("Bad or missing X-Hub-Signature-256.", 403)

    event = request.headers.get("X-GitHub-Event", "")
    if event == "ping":
        return text("pong", 200)
    payload = _payload(request, body)
    if payload is None:
        return text("The body is not a GitHub webhook payload (JSON).", 400)
    action = payload.get("action") if isinstance(payload.get("action"), str) else ""
    if event != "issues" or action not in ("closed", "reopened"):
        return text(f"Ignored: {event[:50]} {action[:50]}".rstrip(), 202)
    issue = payload.get("issue")
    repository = payload.get("repository")
    if not isinstance(issue, dict) or not isinstance(repository, dict):
        return text("An issues event without its issue or repository.", 400)
    delivery_id = request.headers.get("X-GitHub-Delivery", "").strip()[:100]
    if not delivery_id:
        return text("Missing X-GitHub-Delivery.", 400)
    html_url = str(issue.get("html_url") or "")
    reason = issue.get("state_reason")
    not_a_fix = (f"Closed as {str(reason)[:50]}: not a fix."
                 if action == "closed" and reason not in FIXED_REASONS else "")
    return _apply(FixedVia.GITHUB, delivery_id, "issues", action, html_url,
                  lambda: _matching_bug(html_url, TrackerKind.GITHUB,
                                        repository.get("full_name"), issue.get("number")),
                  "fix" if action == "closed" else "reopen", not_a_fix)


@csrf_exempt
@require_POST
def gitlab(request: HttpRequest) -> HttpResponse:
    """GitLab's Issue Hook (https://docs.gitlab.com/user/project/integrations/
    webhook_events/#work-item-events): ``close`` fixes, ``reopen`` reopens."""
    secret = settings.GITLAB_WEBHOOK_SECRET
    body = _guard(request, secret, "GITLAB_WEBHOOK_SECRET", "GitLab")
    if isinstance(body, HttpResponse):
        return body
    token = request.headers.get("X-Gitlab-Token", "")
    if not hmac.compare_digest(secret.encode(), token.encode()):
        return text("Bad or missing X-Gitlab-Token.", 403)
    payload = _payload(request, body)
    if payload is None:
        return text("The body is not a GitLab webhook payload (JSON).", 400)
    event = request.headers.get("X-Gitlab-Event", "")
    attributes = payload.get("object_attributes")
    action = attributes.get("action") if isinstance(attributes, dict) else None
    action = action if isinstance(action, str) else ""
    if payload.get("object_kind") != "issue" or action not in ("close", "reopen"):
        return text(f"Ignored: {event[:50]} {action[:50]}".rstrip(), 202)
    project = payload.get("project")
    if not isinstance(project, dict):
        return text("An issue event without its project.", 400)
    html_url = str(attributes.get("url") or "")
    return _apply(FixedVia.GITLAB, _delivery_id(request, "X-Gitlab-Event-UUID", body),
                  "issue", action, html_url,
                  lambda: _matching_bug(html_url, TrackerKind.GITLAB,
                                        project.get("path_with_namespace"),
                                        attributes.get("iid")),
                  "fix" if action == "close" else "reopen")


@csrf_exempt
@require_POST
def jira(request: HttpRequest) -> HttpResponse:
    """Jira Cloud's ``jira:issue_updated`` (https://developer.atlassian.com/cloud/jira/
    platform/webhooks/): the status moved into the "done" category fixes (unless resolved
    as Won't Do, Duplicate…), out of it reopens. Any other update (a comment, a field)
    changes nothing."""
    secret = settings.JIRA_WEBHOOK_SECRET
    body = _guard(request, secret, "JIRA_WEBHOOK_SECRET", "Jira")
    if isinstance(body, HttpResponse):
        return body
    if not signature_ok(secret, body, request.headers.get("X-Hub-Signature", "")):
        return text("Bad or missing X-Hub-Signature.", 403)
    payload = _payload(request, body)
    if payload is None:
        return text("The body is not a Jira webhook payload (JSON).", 400)
    event = payload.get("webhookEvent") if isinstance(payload.get("webhookEvent"), str) else ""
    if event != "jira:issue_updated":
        return text(f"Ignored: {event[:50]}".rstrip(), 202)
    issue = payload.get("issue")
    if not isinstance(issue, dict) or not isinstance(issue.get("key"), str):
        return text("An issue event without its issue.", 400)
    changelog = payload.get("changelog")
    items = changelog.get("items") if isinstance(changelog, dict) else None
    moves = [item for item in items if isinstance(item, dict) and item.get("field") == "status"
             ] if isinstance(items, list) else []
    if not moves:
        return text("Ignored: jira:issue_updated without a status change", 202)
    fields = issue.get("fields") if isinstance(issue.get("fields"), dict) else {}
    status = fields.get("status") if isinstance(fields.get("status"), dict) else {}
    category = status.get("statusCategory") if isinstance(status.get("statusCategory"),
                                                          dict) else {}
    done = category.get("key") == "done"
    resolution = fields.get("resolution") if isinstance(fields.get("resolution"), dict) else {}
    resolved_as = str(resolution.get("name") or "")[:50]
    not_a_fix = (f"Resolved as {resolved_as}: not a fix."
                 if done and resolved_as.lower().replace("\u2019", "'") in JIRA_NOT_A_FIX
                 else "")
    key = issue["key"][:100]
    html_url = _jira_browse_url(issue.get("self"), key)
    project, _dash, number = key.rpartition("-")
    left_done = any(str(move.get("fromString") or "").lower() in JIRA_DONE_NAMES
                    for move in moves)

    def reopens(bug: Bug) -> bool:
        """The payload gives the new status's category, not the old one's: an issue moved
        between two open statuses must not reopen a bug fixed by hand (or on another
        tracker). It reopens a bug Jira fixed, or one whose issue left a done status."""
        return bug.fixed_via == FixedVia.JIRA or left_done

    return _apply(FixedVia.JIRA,
                  _delivery_id(request, "X-Atlassian-Webhook-Identifier", body),
                  "jira:issue_updated", "done" if done else "not done", html_url,
                  lambda: _matching_bug(html_url, TrackerKind.JIRA, project.upper(),
                                        int(number) if number.isdigit() else None),
                  "fix" if done else "reopen", not_a_fix, reopens)


def _jira_browse_url(api_url, key: str) -> str:
    """The issue's page, from its REST address (``https://x.atlassian.net/rest/api/2/issue/
    10002`` → ``https://x.atlassian.net/browse/KEY-3``)."""
    if not isinstance(api_url, str) or "/rest/api/" not in api_url:
        return ""
    return api_url.split("/rest/api/")[0] + "/browse/" + key


def _payload(request: HttpRequest, body: bytes) -> dict | None:
    """JSON, as sent with content type application/json, or in the ``payload`` field of a
    form (content type application/x-www-form-urlencoded, GitHub's other choice)."""
    try:
        if request.content_type == "application/x-www-form-urlencoded":
            body = parse_qs(body.decode())["payload"][0].encode()
        data = json.loads(body)
    except (ValueError, KeyError, IndexError, UnicodeDecodeError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _apply(source: str, delivery_id: str, event: str, action: str, html_url: str,
           find_bug, change: str, not_a_fix: str = "", reopens=None) -> HttpResponse:
    """Record the delivery once, then fix (``change="fix"``) or reopen its bug (when
    ``reopens(bug)``, if given, agrees)."""
    html_url = html_url[: trackers.MAX_URL_LENGTH]
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                source=source, delivery_id=delivery_id, event=event, action=action,
                issue_url=html_url,
            )
            bug = find_bug()
            if bug is None:
                outcome, status = "No bug is linked to this issue.", 202
            elif not_a_fix:
                outcome, status = not_a_fix, 202
            elif change == "fix":
                if services.mark_fixed(bug, None, via=source):
                    outcome, status = f"Bug {bug.pk} marked fixed.", 200
                else:
                    outcome, status = f"Bug {bug.pk} was already fixed.", 200
            elif bug.is_fixed and reopens is not None and not reopens(bug):
                outcome = f"Bug {bug.pk} stays fixed: the issue did not leave a done status."
                status = 202
            elif services.reopen(bug, None, via=source):
                outcome, status = f"Bug {bug.pk} reopened.", 200
            else:
                outcome, status = f"Bug {bug.pk} was already open.", 200
            delivery.bug, delivery.outcome = bug, outcome
            delivery.save(update_fields=["bug", "outcome"])
    except IntegrityError:
        return text("Delivery already processed.", 200)
    return text(outcome, status)


def _matching_bug(html_url: str, kind: str, project, number) -> Bug | None:
    """The bug tracked at the issue's address, else by project and number."""
    bug = services.find_by_url(html_url) if html_url else None
    if bug is None and isinstance(project, str) and project and isinstance(number, int):
        bug = (Bug.objects.filter(tracker_kind=kind, tracker_project__iexact=project,
                                  tracker_number=number)
               .order_by("pk").first())
    return bug
