"""Celery workers on Redis and on RabbitMQ: a worker killed with SIGKILL in the middle of a
batch loses nothing and duplicates nothing; beat fires the schedule on its own."""

import json
import logging
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count, Sum
from django.utils import timezone
from kombu import Connection, Exchange, Queue

from comptoir.celery import app
from comptoir.conversations import services
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import Event, Message, RawInbound, RawStatus
from comptoir.conversations.tasks import process_inbound

from .conftest import (
    RABBITMQ_URL,
    REDIS_KILL_URL,
    REDIS_URL,
    VISIBILITY_TIMEOUT,
    require,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
logger = logging.getLogger(__name__)

BATCH = 500


def declare(broker_url: str, queue: str) -> Queue:
    """The queue a worker started with ``COMPTOIR_TASK_QUEUE=queue`` consumes, as Celery
    declares it, so that messages sent before any worker is up are kept."""
    target = Queue(queue, Exchange(queue, type="direct"), routing_key=queue)
    with Connection(broker_url) as conn:
        target(conn.default_channel).declare()
    return target


def delete(broker_url: str, queue: str) -> None:
    """The queue with what is left in it (a task beat sent, one a stopping worker gave
    back); on Redis, every key named after it (its lists and bindings)."""
    with Connection(broker_url) as conn:
        channel = conn.default_channel
        if broker_url.startswith("redis"):
            for key in list(channel.client.scan_iter(match=f"*{queue}*")):
                channel.client.delete(key)
        else:
            Queue(queue, Exchange(queue, type="direct"), routing_key=queue)(channel).delete()


def send(broker_url: str, queue: str, raw_ids: list[int]) -> None:
    """``process_inbound.delay(raw_id)`` for each, to ``queue`` on that broker (this test
    process's own settings point at another broker)."""
    with app.connection_for_write(broker_url) as conn:
        for raw_id in raw_ids:
            process_inbound.apply_async((raw_id,), connection=conn, queue=queue,
                                        routing_key=queue, exchange=queue)


def store(n: int, tag: str) -> list[int]:
    return [services.store_raw("api", json.dumps({
        "from": {"value": f"customer{i}-{tag}@example.com"}, "subject": f"Order {i}",
        "text": f"Where is my order {i}?", "external_id": f"{tag}-{i}",
    }).encode(), {"channel": "api"}).pk for i in range(n)]


def processed() -> int:
    return RawInbound.objects.exclude(status=RawStatus.RECEIVED).count()


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(cluster_factory, broker):
    """500 messages, two workers; one is killed with SIGKILL (its pool with it) once some
    are processed, a third takes over. Its unacknowledged messages come back (RabbitMQ: at
    once; Redis: after the visibility timeout) and processing is idempotent, so each raw
    payload became exactly one message."""
    broker_url = REDIS_KILL_URL if broker == "redis" else RABBITMQ_URL
    require(broker_url)
    cluster = cluster_factory(COMPTOIR_BROKER_URL=broker_url,
                              COMPTOIR_BROKER_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT))
    declare(broker_url, cluster.queue)
    try:
        cluster.worker("doomed")  # they start while the batch is stored and sent
        cluster.worker("steady")
        raw_ids = store(BATCH, cluster.run_id)
        started = time.monotonic()
        send(broker_url, cluster.queue, raw_ids)
        wait_for(lambda: processed() >= BATCH // 5, 60, "a fifth of the batch", cluster)
        cluster.kill("doomed")
        killed_at = processed()
        cluster.worker("rescuer")
        wait_for(lambda: processed() == BATCH, 90, "the whole batch", cluster)
        elapsed = time.monotonic() - started
    finally:
        cluster.stop_all()
        delete(broker_url, cluster.queue)

    assert killed_at < BATCH, "the kill came too late to prove anything"
    raws = RawInbound.objects.filter(pk__in=raw_ids)
    assert set(raws.values_list("status", flat=True)) == {RawStatus.PROCESSED}
    messages = Message.objects.filter(raw_id__in=raw_ids)
    assert messages.count() == BATCH
    assert messages.values("raw_id").distinct().count() == BATCH
    assert messages.values("external_id").distinct().count() == BATCH
    assert not messages.values("external_id").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert not Event.objects.filter(kind=EventKind.RAW_FAILED).exists()
    # rows the killed worker had started (attempts counted, never finished) were redone
    attempts = raws.aggregate(total=Sum("attempts"))["total"]
    logger.info("%s: %s in %.1f s, killed after %s, %s attempts lost with the killed worker "
                "and redone", broker, BATCH, elapsed, killed_at, attempts - BATCH)
    assert attempts >= BATCH


def test_the_same_job_run_twice_at_once_makes_one_message(transactional_db, monkeypatch):
    """What a broker does when a worker is slower than the visibility timeout (Redis) or
    loses its connection mid-task (RabbitMQ): the second delivery runs while the first is
    still processing. It waits for the first, then finds the row processed."""
    [raw_id] = store(1, "twice")
    receive, inside = services.receive, threading.Event()

    def slow_receive(*args, **kwargs):
        message = receive(*args, **kwargs)
        inside.set()
        time.sleep(1)  # still processing when the second delivery starts
        return message

    monkeypatch.setattr(services, "receive", slow_receive)
    results = []

    def deliver():
        try:
            results.append(services.process_raw(raw_id))
        finally:
            connection.close()

    first = threading.Thread(target=deliver)
    first.start()
    assert inside.wait(30)
    second = threading.Thread(target=deliver)
    second.start()
    first.join(30)
    second.join(30)
    assert Message.objects.filter(raw_id=raw_id).count() == 1
    assert [m.pk for m in results] == [results[0].pk] * 2


def test_beat_sweeps_a_stranded_payload_without_anyone_queueing_it(cluster_factory, tmp_path):
    """A payload stored but never queued (the process died between the two) is found by
    the ``process-stranded`` sweep that beat sends; a fresh one is left to its own job."""
    require(REDIS_URL)
    stranded, fresh = store(2, "beat")
    RawInbound.objects.filter(pk=stranded).update(
        received_at=timezone.now() - timedelta(minutes=10))
    # beat's state as if the sweep last ran long ago (beat was down): it is due at start,
    # with the schedule of settings.CELERY_BEAT_SCHEDULE unchanged
    schedule = tmp_path / "celerybeat-schedule"
    _backdate(schedule, "process-stranded")

    cluster = cluster_factory(COMPTOIR_BROKER_URL=REDIS_URL)
    declare(REDIS_URL, cluster.queue)
    try:
        cluster.worker("worker", concurrency=1)
        cluster.beat("beat", schedule)
        wait_for(lambda: RawInbound.objects.get(pk=stranded).status == RawStatus.PROCESSED,
                 60, "the sweep to process the stranded payload", cluster)
    finally:
        cluster.stop_all()
        delete(REDIS_URL, cluster.queue)
    assert "Sending due task process-stranded" in (tmp_path / "beat.log").read_text()
    assert RawInbound.objects.get(pk=fresh).status == RawStatus.RECEIVED
    assert Message.objects.get(raw_id=stranded).body_text.startswith("Where is my order 0?")


def _backdate(schedule_path, entry: str) -> None:
    from celery.beat import PersistentScheduler

    scheduler = PersistentScheduler(app=app, schedule_filename=str(schedule_path))
    try:
        scheduler.schedule[entry].last_run_at = timezone.now() - timedelta(hours=1)
        scheduler.sync()
    finally:
        scheduler.close()
