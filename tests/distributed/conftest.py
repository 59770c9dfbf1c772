"""The distributed mode for real: Celery workers and beat, uvicorn processes, started as
subprocesses on the pytest PostgreSQL test database, with Redis or RabbitMQ as broker and
Redis as channel layer.

Each test gets its own queue name and channel-layer prefix, so parallel runs (xdist, other
checkouts) sharing the machine's Redis and RabbitMQ never take each other's messages.
Every process is started in its own session and its whole group is killed at teardown.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

PYTHON = sys.executable
REDIS_URL = "redis://127.0.0.1:6379/10"  # not db 0, where a developer's own runs live
# The kill test's workers, with their short visibility timeout, give back every message
# unacknowledged for longer than that in their Redis database, whoever took it: a database
# of their own keeps them from handing out the messages of tests running beside them.
REDIS_KILL_URL = "redis://127.0.0.1:6379/11"
RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672//"
# A message taken by a worker killed with SIGKILL goes back to its Redis queue after this.
VISIBILITY_TIMEOUT = 8


def reachable(url: str) -> bool:
    from kombu.utils.url import url_to_parts

    parts = url_to_parts(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=2):
            return True
    except OSError:
        return False


def require(url: str) -> None:
    if not reachable(url):
        pytest.skip(f"{url.split('://')[0]} is not running on this machine")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    """The test database the test process uses, as ``COMPTOIR_DATABASE_URL``."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_for(condition: Callable[[], object], timeout: float, what: str,
              cluster: "Cluster | None" = None, interval: float = 0.2):
    """``condition()``'s first true value, polled until ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            logs = cluster.logs() if cluster else ""
            raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{logs}")
        time.sleep(interval)


class Cluster:
    """Subprocesses of the product sharing one configuration (database, broker, queue)."""

    def __init__(self, log_dir: Path, **env: str):
        self.log_dir = log_dir
        self.run_id = uuid.uuid4().hex[:10]
        self.queue = f"comptoir-test-{self.run_id}"
        base = {k: v for k, v in os.environ.items() if not k.startswith("COMPTOIR_")}
        self.env = base | {
            "DJANGO_SETTINGS_MODULE": "comptoir.settings",
            "COMPTOIR_VAR_DIR": str(settings.VAR_DIR),
            "COMPTOIR_SECRET_KEY": settings.SECRET_KEY,  # sessions made here are valid there
            "COMPTOIR_DATABASE_URL": database_url(),
            "COMPTOIR_TASK_QUEUE": self.queue,
            "COMPTOIR_CHANNEL_PREFIX": f"comptoir-test-{self.run_id}",
            "COMPTOIR_LOG_LEVEL": "WARNING",
        } | env
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = (self.log_dir / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [PYTHON, *args], env=self.env, cwd=settings.VAR_DIR, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,  # its own group, killed whole
        )
        log.close()
        self.processes[name] = process
        return process

    def worker(self, name: str, concurrency: int = 2) -> subprocess.Popen:
        return self.start(
            name, "-m", "celery", "-A", "comptoir", "worker", "--pool", "prefork",
            "--concurrency", str(concurrency), "--hostname", f"{name}-{self.run_id}@%h",
            "--without-mingle", "--without-gossip", "--without-heartbeat", "--loglevel", "INFO",
        )

    def beat(self, name: str, schedule: Path) -> subprocess.Popen:
        return self.start(name, "-m", "celery", "-A", "comptoir", "beat", "--loglevel", "INFO",
                          "--schedule", str(schedule))

    def web(self, name: str, port: int) -> subprocess.Popen:
        return self.start(name, "-m", "uvicorn", "comptoir.asgi:application", "--host",
                          "127.0.0.1", "--port", str(port), "--log-level", "warning")

    def kill(self, name: str) -> None:
        """SIGKILL to the process and its children (a prefork worker's pool): the machine
        died, nothing shuts down, nothing acknowledges."""
        process = self.processes[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        for process in self.processes.values():  # a pool child outliving its parent
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)

    def logs(self, lines: int = 40) -> str:
        out = []
        for path in sorted(self.log_dir.glob("*.log")):
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {path.name} ---\n" + "\n".join(tail))
        return "\n".join(out)


@pytest.fixture
def cluster_factory(transactional_db, tmp_path):
    """``cluster_factory(**env)``: a ``Cluster`` on the test database whose processes are
    all stopped at teardown, before the database is flushed."""
    clusters: list[Cluster] = []

    def make(**env: str) -> Cluster:
        cluster = Cluster(tmp_path, **env)
        clusters.append(cluster)
        return cluster

    yield make
    for cluster in clusters:
        cluster.stop_all()
