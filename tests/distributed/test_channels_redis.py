"""Channels on Redis with two ASGI processes: a change made through one reaches a
websocket connected to the other; nobody but signed-in staff may listen."""

import json
import time
import urllib.request

import pytest
from channels.layers import channel_layers
from django.conf import settings
from django.test import Client, override_settings
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from comptoir import realtime
from comptoir.accounts.models import ApiToken, Role

from ..factories import make_conversation, make_user
from .conftest import REDIS_URL, free_port, require, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

IDLE_SECONDS = 7


def answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as r:
            return r.status == 200
    except OSError:
        return False


def live_socket(port: int, cookie: str | None):
    return connect(f"ws://127.0.0.1:{port}/ws/live/", origin=f"http://127.0.0.1:{port}",
                   additional_headers={"Cookie": cookie} if cookie else None, open_timeout=10)


def test_an_event_raised_in_one_process_reaches_a_websocket_on_the_other(cluster_factory):
    require(REDIS_URL)
    agent = make_user(Role.ADVOCATE)
    watcher = make_user(Role.TEAMMATE)
    conversation = make_conversation()
    _token, key = ApiToken.issue(agent, "test")
    client = Client()
    client.force_login(watcher)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

    cluster = cluster_factory(COMPTOIR_REDIS_URL=REDIS_URL)
    one, two = free_port(), free_port()
    cluster.web("web-1", one)
    cluster.web("web-2", two)
    wait_for(lambda: answers(one) and answers(two), 60, "both ASGI processes", cluster)

    with live_socket(two, cookie) as socket:
        # idle for longer than the layer's blocking read (5 s): the socket must outlive it
        time.sleep(IDLE_SECONDS)
        request = urllib.request.Request(
            f"http://127.0.0.1:{one}/api/conversations/{conversation.pk}/notes",
            data=json.dumps({"text": "Customer called, see the ticket"}).encode(),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            method="POST",
        )
        sent = time.monotonic()
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
        event = json.loads(socket.recv(timeout=10))
        latency = time.monotonic() - sent

        # a batch of intake's events: one Redis message, each event to the page on its own
        redis = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                             "CONFIG": {"hosts": [REDIS_URL],
                                        "prefix": cluster.env["COMPTOIR_CHANNEL_PREFIX"]}}}
        with override_settings(CHANNEL_LAYERS=redis):
            channel_layers.backends.clear()
            try:
                realtime.publish_many("conversation.changed", [{"id": n} for n in (7, 8, 9)])
            finally:
                channel_layers.backends.clear()
        batch = [json.loads(socket.recv(timeout=10)) for _ in range(3)]

    assert event["type"] == "conversation.changed"
    assert event["data"]["id"] == conversation.pk
    assert event["data"]["message_count"] == 2
    assert latency < 5
    assert batch == [{"type": "conversation.changed", "data": {"id": n}} for n in (7, 8, 9)]


def test_nobody_but_signed_in_staff_may_listen(cluster_factory):
    require(REDIS_URL)
    client = Client()
    client.force_login(make_user(Role.ADVOCATE))
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    cluster = cluster_factory(COMPTOIR_REDIS_URL=REDIS_URL)
    port = free_port()
    cluster.web("web", port)
    wait_for(lambda: answers(port), 60, "the ASGI process", cluster)

    with pytest.raises(InvalidStatus) as anonymous:
        live_socket(port, None)
    assert anonymous.value.response.status_code == 403
    with pytest.raises(InvalidStatus) as elsewhere:  # another site's page, the user's cookie
        connect(f"ws://127.0.0.1:{port}/ws/live/", origin="https://evil.example",
                additional_headers={"Cookie": cookie}, open_timeout=10)
    assert elsewhere.value.response.status_code == 403
    with live_socket(port, cookie) as socket:  # the same cookie from our own page: welcome
        socket.ping().wait(5)
