"""``POST /hooks/github/``: GitHub tells us an issue was closed; its bug becomes fixed.

Public (GitHub has no session), so: CSRF-exempt, rate-limited per client address, the body
capped at ``GITHUB_WEBHOOK_MAX_BYTES``, and nothing happens unless ``X-Hub-Signature-256``
is the HMAC-SHA256 of the raw body with ``settings.GITHUB_WEBHOOK_SECRET``
(https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries).

Answers: 503 when no secret is configured (nothing can be verified), 403 on a missing or
wrong signature, 413 on a too large body, 429 over the rate, 400 on a payload that is not
GitHub's; 200 for ``ping`` and for a handled ``issues``/``closed``; 202 for everything
else, accepted and ignored. A delivery (``X-GitHub-Delivery``) is recorded once: replayed,
it is answered 200 and does nothing again. Only the event, action and issue address are
kept, never the signature.
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


@csrf_exempt
@require_POST
def github(request: HttpRequest) -> HttpResponse:
    secret = settings.GITHUB_WEBHOOK_SECRET
    if not secret:
        return text("GitHub webhooks are not configured: set COMPTOIR_GITHUB_WEBHOOK_SECRET "
                    "to the secret entered in the repository's webhook settings.", 503)
    if over_rate(request):
        response = text("Too many requests.", 429)
        response["Retry-After"] = "60"
        return response
    body = read_body(request, settings.GITHUB_WEBHOOK_MAX_BYTES)
    if body is None:
        return text("Payload too large.", 413)
    if not signature_ok(secret, body, request.headers.get("X-Hub-Signature-256", "")):
        return text("Bad or missing X-Hub-Signature-256.", 403)

    event = request.headers.get("X-GitHub-Event", "")
    if event == "ping":
        return text("pong", 200)
    payload = _payload(request, body)
    if payload is None:
        return text("The body is not a GitHub webhook payload (JSON).", 400)
    action = payload.get("action") if isinstance(payload.get("action"), str) else ""
    if event != "issues" or action != "closed":
        return text(f"Ignored: {event[:50]} {action[:50]}".rstrip(), 202)
    issue = payload.get("issue")
    repository = payload.get("repository")
    if not isinstance(issue, dict) or not isinstance(repository, dict):
        return text("An issues event without its issue or repository.", 400)
    delivery_id = request.headers.get("X-GitHub-Delivery", "").strip()[:100]
    if not delivery_id:
        return text("Missing X-GitHub-Delivery.", 400)
    return _issue_closed(delivery_id, issue, repository)


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


def _issue_closed(delivery_id: str, issue: dict, repository: dict) -> HttpResponse:
    html_url = str(issue.get("html_url") or "")[: trackers.MAX_URL_LENGTH]
    reason = issue.get("state_reason")
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                source=FixedVia.GITHUB, delivery_id=delivery_id, event="issues",
                action="closed", issue_url=html_url,
            )
            bug = _matching_bug(html_url, repository.get("full_name"), issue.get("number"))
            if bug is None:
                outcome, status = "No bug is linked to this issue.", 202
            elif reason not in FIXED_REASONS:
                outcome, status = f"Closed as {str(reason)[:50]}: not a fix.", 202
            elif services.mark_fixed(bug, None, via=FixedVia.GITHUB):
                outcome, status = f"Bug {bug.pk} marked fixed.", 200
            else:
                outcome, status = f"Bug {bug.pk} was already fixed.", 200
            delivery.bug, delivery.outcome = bug, outcome
            delivery.save(update_fields=["bug", "outcome"])
    except IntegrityError:
        return text("Delivery already processed.", 200)
    return text(outcome, status)


def _matching_bug(html_url: str, full_name, number) -> Bug | None:
    """The bug tracked at the issue's address, else by repository and number."""
    bug = services.find_by_url(html_url) if html_url else None
    if bug is None and isinstance(full_name, str) and isinstance(number, int):
        bug = (Bug.objects.filter(tracker_kind=TrackerKind.GITHUB,
                                  tracker_project__iexact=full_name, tracker_number=number)
               .order_by("pk").first())
    return bug
