"""The live websocket in process (in-memory channel layer): who may listen, what they hear.
Across processes on Redis: ``tests/distributed/test_channels_redis.py``."""

import json
import logging
import sqlite3

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.db import transaction
from django.test import Client

from comptoir import realtime
from comptoir.accounts.models import Role
from comptoir.asgi import application
from comptoir.conversations import services

from ..factories import make_conversation, make_user

pytestmark = pytest.mark.django_db(transaction=True)  # the consumer reads the session in a thread


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


class Socket(ApplicationCommunicator):
    """A websocket client speaking ASGI to the application (``channels.testing`` would need
    daphne)."""

    def __init__(self, headers):
        super().__init__(application, {
            "type": "websocket", "path": "/ws/live/", "query_string": b"", "headers": headers,
            "subprotocols": [], "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
        })

    async def connect(self) -> bool:
        await self.send_input({"type": "websocket.connect"})
        return (await self.receive_output(5))["type"] == "websocket.accept"

    async def receive_json_from(self, timeout: float = 5) -> dict:
        return json.loads((await self.receive_output(timeout))["text"])

    async def disconnect(self) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.wait(1)


def communicator(cookie: bytes | None = None, origin: bytes = b"http://testserver") -> Socket:
    return Socket([(b"origin", origin)] + ([(b"cookie", cookie)] if cookie else []))


def test_staff_hear_a_change_once_it_is_committed():
    conversation = make_conversation()
    agent = make_user(Role.ADVOCATE)
    cookie = session_cookie(make_user(Role.OBSERVER))  # observers read: they hear too

    async def scenario():
        socket = communicator(cookie)
        assert await socket.connect()
        await sync_to_async(services.add_note)(conversation, agent, "Looking into it")
        event = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return event

    event = async_to_sync(scenario)()
    assert event["type"] == "conversation.changed"
    data = event["data"]
    assert data["id"] == conversation.pk
    assert data["message_count"] == 2
    assert data["version"] == conversation.version + 1
    assert isinstance(data["last_activity_at"], str)  # went through JSON


def test_a_batch_of_changes_reaches_pages_one_event_each_in_one_layer_message(settings):
    """A batch of intake announces hundreds of conversations: one channel-layer message for
    them (one row of the embedded file for the other processes), one event each for pages."""
    changed = [make_conversation(subject=f"Batch {n}") for n in range(3)]
    cookie = session_cookie(make_user(Role.ADVOCATE))

    def announce_in_a_transaction():
        with transaction.atomic():
            services.announce(changed)

    async def scenario():
        socket = communicator(cookie)
        assert await socket.connect()
        await sync_to_async(announce_in_a_transaction)()
        events = [await socket.receive_json_from(timeout=5) for _ in changed]
        await socket.disconnect()
        return events

    events = async_to_sync(scenario)()
    assert [(e["type"], e["data"]["id"]) for e in events] == [
        ("conversation.changed", c.pk) for c in changed]
    with sqlite3.connect(settings.CHANNEL_LAYERS["default"]["CONFIG"]["path"]) as file:
        rows = [json.loads(message) for (message,) in file.execute(
            "SELECT message FROM live_event WHERE message LIKE '%live.events%'")]
    mine = [row for row in rows if {item["id"] for item in row["items"]} & {c.pk for c in changed}]
    assert len(mine) == 1 and [item["id"] for item in mine[0]["items"]] == [c.pk for c in changed]


def test_a_rolled_back_change_is_not_announced():
    conversation = make_conversation()
    agent = make_user(Role.ADVOCATE)
    cookie = session_cookie(agent)

    def change_then_roll_back():
        with transaction.atomic():
            services.update(conversation, agent, priority=4)
            transaction.set_rollback(True)

    async def scenario():
        socket = communicator(cookie)
        assert await socket.connect()
        await sync_to_async(change_then_roll_back)()
        nothing = await socket.receive_nothing(timeout=0.5)
        await socket.disconnect()
        return nothing

    assert async_to_sync(scenario)()


@pytest.mark.parametrize("who", ["anonymous", "inactive"])
def test_only_signed_in_staff_may_listen(who):
    cookie = None
    if who == "inactive":
        user = make_user(Role.ADVOCATE)
        cookie = session_cookie(user)
        user.is_active = False
        user.save()

    async def scenario():
        return await communicator(cookie).connect()

    assert async_to_sync(scenario)() is False


def test_another_sites_page_may_not_listen():
    cookie = session_cookie(make_user(Role.ADVOCATE))

    async def scenario():
        return await communicator(cookie, origin=b"https://evil.example").connect()

    assert async_to_sync(scenario)() is False


def test_publishing_never_breaks_the_write(monkeypatch, caplog):
    def broken_layer():
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(realtime, "get_channel_layer", broken_layer)
    conversation = make_conversation()
    with caplog.at_level(logging.ERROR, logger="comptoir.realtime"):
        services.update(conversation, None, priority=4)  # commits, then fails to publish
    conversation.refresh_from_db()
    assert conversation.priority == 4
    assert "not published" in caplog.text


def test_a_payload_that_cannot_travel_is_logged_not_sent(caplog):
    with caplog.at_level(logging.ERROR, logger="comptoir.realtime"):
        realtime.publish("conversation.changed", {"id": object()})
    assert "not published" in caplog.text
