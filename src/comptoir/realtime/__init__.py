"""Live updates: events pushed to the open pages of signed-in staff over websockets.

A service publishes a plain dict once its transaction commits (``transaction.on_commit``);
``consumers.LiveConsumer`` (``/ws/live/``) forwards it to every browser in the group. The
channel layer is chosen in settings: Redis in the distributed mode; in the embedded mode,
in memory within the ASGI process plus a SQLite file that carries the events of the worker and
other processes to it (``layers.SQLiteChannelLayer``). Nothing else here knows which.

Publishing never breaks a write: the data is already committed when an event goes out, so a
failure (Redis down, a payload that cannot travel) is logged and the pages catch up at
their next refresh.
"""

import asyncio
import json
import logging
import os
import threading
from collections.abc import Awaitable
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder

logger = logging.getLogger(__name__)

#: every signed-in member of staff who may view conversations
INBOX_GROUP = "inbox"
#: the channel-layer message type; ``LiveConsumer.live_event`` handles it
MESSAGE_TYPE = "live.event"
#: several events of one kind in one channel-layer message; ``LiveConsumer.live_events``
BATCH_MESSAGE_TYPE = "live.events"
BATCH_EVENTS = 500  # events per channel-layer message (a few hundred bytes each)


def user_group(user_id: int) -> str:
    """The group of one person's open pages (a ping meant for them alone)."""
    return f"user.{user_id}"


def publish(kind: str, payload: dict[str, Any], *, group: str = INBOX_GROUP) -> None:
    """Send ``{"type": kind, "data": payload}`` to the browsers of ``group``, now.

    Call it from ``transaction.on_commit`` so that no page hears of a change that was rolled
    back. ``payload`` goes through JSON on the spot (dates become ISO strings): what cannot
    travel fails here, logged, rather than in a browser. Sync code only (a view, a task, a
    service); never raises.
    """
    try:
        data = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
        layer = get_channel_layer()
        if layer is None:
            return
        _run(layer.group_send(group, {"type": MESSAGE_TYPE, "kind": kind, "data": data}))
    except Exception:  # the write is committed: a lost event only delays a page
        logger.exception("Live event %r not published", kind)


def publish_many(kind: str, payloads: list[dict[str, Any]], *,
                 group: str = INBOX_GROUP) -> None:
    """``publish`` for many events of one kind (a batch of intake announces hundreds of
    conversations): they travel through the channel layer together, ``BATCH_EVENTS`` per
    layer message (one Redis round trip, one row of the embedded file, not one each), and
    each page still receives them one by one, in order (``LiveConsumer.live_events``).
    Never raises."""
    try:
        items = [json.loads(json.dumps(payload, cls=DjangoJSONEncoder)) for payload in payloads]
        layer = get_channel_layer()
        if layer is None or not items:
            return

        async def send_all() -> None:
            for start in range(0, len(items), BATCH_EVENTS):
                await layer.group_send(group, {"type": BATCH_MESSAGE_TYPE, "kind": kind,
                                               "items": items[start:start + BATCH_EVENTS]})

        _run(send_all())
    except Exception:
        logger.exception("%s live events %r not published", len(payloads), kind)


SEND_TIMEOUT_SECONDS = 5.0
_loop: asyncio.AbstractEventLoop | None = None
_loop_pid = 0
_loop_lock = threading.Lock()


def _run(send: Awaitable, timeout: float = SEND_TIMEOUT_SECONDS) -> None:
    """Await ``send`` from sync code, on the event loop whose connections it should use.

    In an ASGI server's worker thread (a sync view), that is the server's loop, which its
    websockets listen on (the in-memory layer only works there). Anywhere else (a Celery
    worker, a command), ``async_to_sync`` would make a new loop, hence a new Redis
    connection, for every event: one loop of this process's own runs them instead.
    """
    server_loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    if server_loop is not None and server_loop.is_running():

        async def wrapped():
            await send

        async_to_sync(wrapped)()
        return
    future = asyncio.run_coroutine_threadsafe(send, _own_loop())
    future.result(timeout=timeout)


def _own_loop() -> asyncio.AbstractEventLoop:
    """This process's publishing loop, in a daemon thread, started on first use (and again
    in a child forked after it started: a thread does not survive a fork)."""
    global _loop, _loop_pid
    with _loop_lock:
        if _loop is None or _loop_pid != os.getpid():
            _loop, _loop_pid = asyncio.new_event_loop(), os.getpid()
            threading.Thread(target=_loop.run_forever, name="comptoir-realtime",
                             daemon=True).start()
        return _loop
