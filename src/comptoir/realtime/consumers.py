"""The websocket the staff's pages listen on for live events (``/ws/live/``)."""

import asyncio
import contextlib

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from comptoir.accounts.permissions import Perm, has_perm

from . import INBOX_GROUP, user_group

#: a connection is closed after this long, so that the page reconnects: a signed-out
#: session or a changed role then takes effect, and the group membership (which the Redis
#: layer forgets after a day) is renewed
MAX_CONNECTION_SECONDS = 3600


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Forwards live events to a signed-in member of staff who may view conversations.

    Anyone else is refused before the handshake completes (the client sees HTTP 403); the
    Origin header was already checked against ``ALLOWED_HOSTS`` (``asgi.py``). Each event
    is sent as ``{"type": kind, "data": payload}``; what the client sends is ignored.
    """

    async def connect(self) -> None:
        self.joined: list[str] = []
        self.expiry: asyncio.Task | None = None
        # scope["user"] was loaded by AuthMiddleware: checking it makes no query
        if not has_perm(self.scope.get("user"), Perm.VIEW):
            await self.close()
            return
        await self.channel_layer.group_add(INBOX_GROUP, self.channel_name)
        self.joined.append(INBOX_GROUP)
        # pings for this person alone ("ask an advocate")
        personal = user_group(self.scope["user"].pk)
        await self.channel_layer.group_add(personal, self.channel_name)
        self.joined.append(personal)
        await self.accept()
        self.expiry = asyncio.create_task(self._expire())

    async def _expire(self) -> None:
        await asyncio.sleep(MAX_CONNECTION_SECONDS)
        await self.close(code=4000)  # "come back": the page reconnects at once

    async def disconnect(self, code: int) -> None:
        if self.expiry is not None:
            self.expiry.cancel()
        for group in self.joined:
            with contextlib.suppress(Exception):  # the layer may be gone; nothing to undo
                await self.channel_layer.group_discard(group, self.channel_name)
        self.joined = []

    async def receive_json(self, content, **kwargs) -> None:
        """Nothing to do: the client only listens."""

    async def live_event(self, event: dict) -> None:
        await self.send_json({"type": event["kind"], "data": event["data"]})

    async def live_events(self, event: dict) -> None:
        """A batch (``realtime.publish_many``): the page gets each event as if sent alone."""
        for data in event["items"]:
            await self.send_json({"type": event["kind"], "data": data})
