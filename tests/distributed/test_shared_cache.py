"""The distributed mode's cache is Redis: a rate limit counts the requests of every web
process, not of each one apart (N processes would otherwise grant N times the limit)."""

import urllib.error
import urllib.request
import uuid

import pytest

from .conftest import free_port, require, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

# a database of its own: nothing else these tests run keeps keys there
REDIS_CACHE_URL = "redis://127.0.0.1:6379/12"
LIMIT = 4


def answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as r:
            return r.status == 200
    except OSError:
        return False


def webhook_status(port: int) -> int:
    """A GitHub delivery with a wrong signature: 403 while under the rate, 429 over it."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/hooks/github/", data=b"{}", method="POST",
        headers={"Content-Type": "application/json", "X-GitHub-Event": "ping",
                 "X-Hub-Signature-256": "sha256=wrong"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_two_web_processes_count_against_one_rate_limit(cluster_factory):
    require(REDIS_CACHE_URL)
    cluster = cluster_factory(
        COMPTOIR_REDIS_URL=REDIS_CACHE_URL,
        COMPTOIR_CACHE_PREFIX=f"comptoir-test-{uuid.uuid4().hex[:10]}",
        COMPTOIR_GITHUB_WEBHOOK_SECRET="webhook-secret",
        COMPTOIR_GITHUB_WEBHOOK_RATE_PER_MINUTE=str(LIMIT),
    )
    one, two = free_port(), free_port()
    cluster.web("web-1", one)
    cluster.web("web-2", two)
    wait_for(lambda: answers(one) and answers(two), 60, "both web processes", cluster)

    statuses = [webhook_status(port) for port in [one, two] * LIMIT]

    # each process has seen only half the limit; together they have seen twice as many
    assert statuses == [403] * LIMIT + [429] * LIMIT, cluster.logs()
