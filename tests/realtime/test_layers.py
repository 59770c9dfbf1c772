"""The embedded channel layer (``comptoir.realtime.layers``): events raised in one process reach
the sockets of another through a SQLite file. Two layer instances stand for two processes
here; ``tests/test_run.py`` checks it with the real worker and web processes of
``comptoir run``."""

import asyncio
import os
import sqlite3
import time

from asgiref.sync import async_to_sync
from django.conf import settings

from comptoir import realtime
from comptoir.realtime import layers
from comptoir.realtime.layers import SQLiteChannelLayer


def two_processes(tmp_path, **config) -> tuple[SQLiteChannelLayer, SQLiteChannelLayer]:
    path = tmp_path / "realtime.sqlite3"
    web, worker = SQLiteChannelLayer(path, **config), SQLiteChannelLayer(path, **config)
    worker._origin, worker._origin_pid = "the-worker", os.getpid()  # another process's mark
    return web, worker


def rows(tmp_path) -> int:
    with sqlite3.connect(tmp_path / "realtime.sqlite3") as connection:
        return connection.execute("SELECT COUNT(*) FROM live_event").fetchone()[0]


def test_the_embedded_mode_uses_it():
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == (
        "comptoir.realtime.layers.SQLiteChannelLayer")
    assert settings.CHANNEL_LAYERS["default"]["CONFIG"]["path"].startswith(
        str(settings.VAR_DIR))


def test_an_event_sent_by_another_process_reaches_this_ones_sockets_once(tmp_path):
    web, worker = two_processes(tmp_path)

    async def scenario():
        channel = await web.new_channel()
        await web.group_add(realtime.INBOX_GROUP, channel)
        await asyncio.sleep(0.3)  # the web process is reading
        started = time.monotonic()
        await worker.group_send(realtime.INBOX_GROUP, {"type": "live.event", "kind": "x",
                                                       "data": {"id": 7}})
        message = await asyncio.wait_for(web.receive(channel), 3)
        latency = time.monotonic() - started
        await web.group_send(realtime.INBOX_GROUP, {"type": "live.event", "kind": "mine",
                                                    "data": {}})
        own = await asyncio.wait_for(web.receive(channel), 3)
        await asyncio.sleep(0.6)  # several polls: its own event is not handed over again
        return message, latency, own, web.channels.get(channel)

    message, latency, own, left = async_to_sync(scenario)()
    assert message == {"type": "live.event", "kind": "x", "data": {"id": 7}}
    assert latency < 1.5
    assert own["kind"] == "mine"
    assert not left  # nothing more queued: no duplicate


def test_events_for_groups_nobody_here_listens_to_are_not_queued(tmp_path):
    web, worker = two_processes(tmp_path)

    async def scenario():
        channel = await web.new_channel()
        await web.group_add(realtime.user_group(1), channel)
        await asyncio.sleep(0.3)
        await worker.group_send(realtime.user_group(2), {"type": "live.event", "kind": "x",
                                                         "data": {}})
        await worker.group_send(realtime.user_group(1), {"type": "live.event", "kind": "y",
                                                         "data": {}})
        return await asyncio.wait_for(web.receive(channel), 3)

    assert async_to_sync(scenario)()["kind"] == "y"


def test_another_database_is_another_deployment(tmp_path, monkeypatch):
    web, worker = two_processes(tmp_path)

    async def scenario():
        channel = await web.new_channel()
        await web.group_add(realtime.INBOX_GROUP, channel)
        await asyncio.sleep(0.3)
        monkeypatch.setattr(layers, "database_namespace", lambda: "another-deployment")
        await worker.group_send(realtime.INBOX_GROUP, {"type": "live.event", "kind": "theirs",
                                                       "data": {}})
        monkeypatch.undo()
        await worker.group_send(realtime.INBOX_GROUP, {"type": "live.event", "kind": "ours",
                                                       "data": {}})
        return await asyncio.wait_for(web.receive(channel), 3)

    assert async_to_sync(scenario)()["kind"] == "ours"


def test_old_events_are_deleted_so_the_file_stays_small(tmp_path):
    _web, worker = two_processes(tmp_path, retention=0.6)

    async def scenario():
        for n in range(5):
            await worker.group_send("inbox", {"type": "live.event", "kind": "x", "data": {"n": n}})
        await asyncio.sleep(0.7)
        await worker.group_send("inbox", {"type": "live.event", "kind": "x", "data": {}})

    async_to_sync(scenario)()
    assert rows(tmp_path) == 1


def test_a_web_process_started_later_does_not_replay_older_events(tmp_path):
    web, worker = two_processes(tmp_path)

    async def scenario():
        await worker.group_send("inbox", {"type": "live.event", "kind": "old", "data": {}})
        channel = await web.new_channel()
        await web.group_add("inbox", channel)
        await asyncio.sleep(0.5)
        await worker.group_send("inbox", {"type": "live.event", "kind": "new", "data": {}})
        return await asyncio.wait_for(web.receive(channel), 3)

    assert async_to_sync(scenario)()["kind"] == "new"


def test_publish_from_a_worker_thread_reaches_the_file(tmp_path, settings):
    """``realtime.publish`` outside the ASGI server (a Celery worker) goes through the file."""
    settings.CHANNEL_LAYERS = {"default": {
        "BACKEND": "comptoir.realtime.layers.SQLiteChannelLayer",
        "CONFIG": {"path": str(tmp_path / "realtime.sqlite3")}}}
    realtime.publish("conversation.changed", {"id": 3})
    with sqlite3.connect(tmp_path / "realtime.sqlite3") as connection:
        (group, message), = connection.execute("SELECT grp, message FROM live_event")
    assert group == "inbox"
    assert '"data": {"id": 3}' in message


def test_a_deleted_file_is_made_again_and_read_again(tmp_path, monkeypatch):
    monkeypatch.setattr(layers, "FILE_CHECK_SECONDS", 0.3)
    web, worker = two_processes(tmp_path)

    async def scenario():
        channel = await web.new_channel()
        await web.group_add("inbox", channel)
        await worker.group_send("inbox", {"type": "live.event", "kind": "before", "data": {}})
        assert (await asyncio.wait_for(web.receive(channel), 3))["kind"] == "before"
        for path in tmp_path.glob("realtime.sqlite3*"):
            path.unlink()
        for n in range(20):  # the reader notices within a second; earlier events are lost
            await worker.group_send("inbox", {"type": "live.event", "kind": "after",
                                              "data": {"n": n}})
            try:
                return await asyncio.wait_for(web.receive(channel), 0.5)
            except TimeoutError:
                continue
        return None

    event = async_to_sync(scenario)()
    assert event is not None
    assert event["kind"] == "after"
