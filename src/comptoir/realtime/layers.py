"""The embedded mode's channel layer: live events from every process of one machine.

``comptoir run`` serves websockets from one uvicorn process, but most events are raised
elsewhere: a Celery worker thread processes a customer's mail, beat sweeps SLA clocks,
``comptoir`` commands change conversations. Channels' in-memory layer only reaches the
sockets of the process that sent the event; this one also reaches the others, without Redis.

How: ``group_send`` delivers to this process's sockets at once, as the in-memory layer does,
and appends the event to a small SQLite file (``VAR_DIR/realtime.sqlite3``, WAL mode). A
process that holds sockets (the ASGI server) reads the rows the other processes appended,
every ``poll_interval`` seconds (0.2 by default), and hands them to its own sockets. Rows older
than ``retention`` seconds are deleted by the writers, so the file stays small.

Events travel between the processes that share a database: each row carries a key made from
the database's settings (an in-memory SQLite database, which no other process can open, adds
the process id), so several deployments, or parallel test runs, sharing a ``VAR_DIR`` never
hear each other. What is given up compared with Redis: events sent while no ASGI process runs
are not kept for it (pages catch up on load and every minute), ``send`` to a single channel
stays within its process (comptoir only sends to groups), and only processes on this machine
take part. The distributed mode uses channels_redis instead (``settings.CHANNEL_LAYERS``).
"""

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from channels.layers import InMemoryChannelLayer
from django.conf import settings

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS live_event (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: readers remember the last one seen
    namespace TEXT NOT NULL,
    origin TEXT NOT NULL,
    created REAL NOT NULL,
    grp TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS live_event_created ON live_event (created);
"""
#: rows read at most per query (a poll reads again at once while there are more)
BATCH = 500
#: how often a reader checks that the file it holds open is still the one at ``path``
FILE_CHECK_SECONDS = 5.0


def database_namespace() -> str:
    """A key shared by every process using the same database, and by no other."""
    db = settings.DATABASES["default"]
    name = str(db.get("NAME") or "")
    identity = [db.get("ENGINE", ""), db.get("HOST") or "", str(db.get("PORT") or ""), name]
    if ":memory:" in name or "mode=memory" in name:  # SQLite test database: this process only
        identity.append(str(os.getpid()))
    return hashlib.sha256("\x00".join(identity).encode()).hexdigest()[:32]


class SQLiteChannelLayer(InMemoryChannelLayer):
    """The in-memory layer, plus group events from the other processes sharing a SQLite file.

    ``path`` is the file (created when missing); ``poll_interval`` how often a process with
    sockets reads new rows; ``retention`` how long rows are kept (longer than any poll gap).
    Messages sent to groups must travel through JSON (``realtime.publish`` checks it already).
    """

    def __init__(self, path: str | os.PathLike, poll_interval: float = 0.2,
                 retention: float = 60.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.path = Path(path)
        self.poll_interval = poll_interval
        self.retention = retention
        self._ready_pid = 0
        self._ready_lock = threading.Lock()
        self._origin = ""
        self._origin_pid = 0
        self._pruned_at = 0.0
        self._poller: asyncio.Task | None = None
        self._poller_ready = asyncio.Event()

    # --- the channel-layer API ---------------------------------------------------------------

    async def group_send(self, group: str, message: dict) -> None:
        await super().group_send(group, message)  # this process's sockets, at once
        row = (database_namespace(), self.origin, time.time(), group, json.dumps(message))
        await asyncio.to_thread(self._append, row)

    async def group_add(self, group: str, channel: str) -> None:
        await super().group_add(group, channel)
        # once the reader knows where the file ends, every event appended later reaches this
        # channel: a page hears everything sent after its socket was accepted
        with contextlib.suppress(TimeoutError):  # an unreadable file must not stop sockets
            await asyncio.wait_for(self._ensure_poller().wait(), timeout=5)

    async def flush(self) -> None:
        await super().flush()
        if self._poller is not None:
            self._poller.cancel()
            self._poller = None

    # --- writing -------------------------------------------------------------------------------

    @property
    def origin(self) -> str:
        """This process's mark on its rows (new after a fork), so it skips its own events."""
        if self._origin_pid != os.getpid():
            self._origin, self._origin_pid = uuid.uuid4().hex, os.getpid()
        return self._origin

    def _connect(self) -> sqlite3.Connection:
        """A new connection (cheap for SQLite; no connection is shared between threads), to a
        file whose table exists."""
        if self._ready_pid != os.getpid():
            with self._ready_lock:
                if self._ready_pid != os.getpid():
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    with contextlib.closing(self._open()) as connection:
                        connection.execute("PRAGMA journal_mode=WAL")
                        connection.executescript(SCHEMA)
                    self._ready_pid = os.getpid()
        return self._open()

    def _open(self, check_same_thread: bool = True) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=5, isolation_level=None,
                                     check_same_thread=check_same_thread)
        # no fsync at each event (WAL keeps the file sound; a power cut may lose the last ones)
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection

    def _append(self, row: tuple) -> None:
        try:
            self._insert(row)
        except sqlite3.OperationalError as error:
            if "no such table" not in str(error):
                raise
            self._ready_pid = 0  # the file was deleted meanwhile: make it again
            self._insert(row)

    def _insert(self, row: tuple) -> None:
        now = row[2]
        with contextlib.closing(self._connect()) as connection:
            connection.execute("INSERT INTO live_event (namespace, origin, created, grp, message)"
                               " VALUES (?, ?, ?, ?, ?)", row)
            if now - self._pruned_at > self.retention / 6:
                self._pruned_at = now
                connection.execute("DELETE FROM live_event WHERE created < ?",
                                   (now - self.retention,))

    # --- reading (processes with sockets) ----------------------------------------------------

    def _ensure_poller(self) -> asyncio.Event:
        """Start reading the other processes' events on the running loop (once per loop);
        the event is set once the reader has started (or failed to)."""
        loop = asyncio.get_running_loop()
        poller = self._poller
        if poller is not None and not poller.done() and poller.get_loop() is loop:
            return self._poller_ready
        self._poller_ready = asyncio.Event()
        self._poller = loop.create_task(self._poll(self._poller_ready),
                                        name="comptoir-realtime-poll")
        return self._poller_ready

    def _reader(self) -> tuple[sqlite3.Connection, int]:
        """The poller's connection, kept open (opening one costs more than the query; used by
        one thread at a time), and the file's inode, to notice a file deleted and made anew."""
        self._connect().close()  # the file and its table exist
        inode = self.path.stat().st_ino
        return self._open(check_same_thread=False), inode

    def _same_file(self, inode: int) -> bool:
        try:
            return self.path.stat().st_ino == inode
        except FileNotFoundError:
            return False

    @staticmethod
    def _last_id(connection: sqlite3.Connection) -> int:
        return connection.execute("SELECT COALESCE(MAX(id), 0) FROM live_event").fetchone()[0]

    @staticmethod
    def _read(connection: sqlite3.Connection, after: int) -> list[tuple]:
        return connection.execute(
            "SELECT id, namespace, origin, created, grp, message FROM live_event"
            " WHERE id > ? ORDER BY id LIMIT ?", (after, BATCH)).fetchall()

    async def _poll(self, ready: asyncio.Event) -> None:
        """Hand the rows other processes append to this process's sockets, until cancelled
        (the loop ends). Events from before this started are not replayed."""
        connection: sqlite3.Connection | None = None
        inode = last = 0
        failing = False
        checked_at = time.monotonic()
        try:
            while True:
                rows = []
                try:
                    due = time.monotonic() - checked_at > FILE_CHECK_SECONDS
                    if connection is not None and due:
                        checked_at = time.monotonic()
                        if not await asyncio.to_thread(self._same_file, inode):
                            raise sqlite3.OperationalError(f"{self.path} was replaced")
                    if connection is None:
                        connection, inode = await asyncio.to_thread(self._reader)
                        last = await asyncio.to_thread(self._last_id, connection)
                    ready.set()
                    rows = await asyncio.to_thread(self._read, connection, last)
                    failing = False
                except (sqlite3.Error, OSError):
                    if not failing:  # once per outage, not five times a second
                        logger.warning("Live events of other processes not read from %s",
                                       self.path, exc_info=True)
                    failing = True
                    ready.set()
                    # start afresh: the file may have been deleted (its table with it)
                    self._ready_pid = 0
                    if connection is not None:
                        connection.close()
                        connection = None
                if rows:
                    last = rows[-1][0]
                    await self._deliver(rows)
                if len(rows) < BATCH:
                    await asyncio.sleep(self.poll_interval)
        finally:
            if connection is not None:
                connection.close()

    async def _deliver(self, rows: list[tuple]) -> None:
        namespace, origin = database_namespace(), self.origin
        too_old = time.time() - self.expiry
        for _id, row_namespace, row_origin, created, group, message in rows:
            if row_namespace != namespace or row_origin == origin or created < too_old:
                continue
            if group not in self.groups:
                continue
            try:
                await super().group_send(group, json.loads(message))
            except Exception:  # one bad row must not stop the others
                logger.exception("Live event from another process not delivered")
