from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from . import services
from .models import RawInbound, RawStatus

BURST = 20  # rows waiting besides a job's own: below, each job takes only its own row


@shared_task(acks_late=True, name="conversations.process_inbound")
def process_inbound(raw_id: int) -> int | None:
    """Process one stored raw payload. Safe to run twice: processed rows are skipped.

    Alone, the message goes through ``process_raw`` at once (low latency). In a burst, when
    at least ``BURST`` other stored rows wait that no job has started on yet, they are
    processed with it in one batch (``process_raw_many``, in the order they arrived); their
    own jobs then find them done."""
    waiting = services.waiting_raw_ids(exclude=raw_id)
    if len(waiting) < BURST:
        message = services.process_raw(raw_id)
    else:
        message = services.process_raw_many(sorted({raw_id, *waiting})).get(raw_id)
        if message is None:
            message = _left_to_others([raw_id]).get(raw_id)
    return message.pk if message else None


@shared_task(acks_late=True, name="conversations.process_inbound_batch")
def process_inbound_batch(raw_ids: list[int]) -> int:
    """Process stored raw payloads in one batch (``process_raw_many``); safe to run twice.
    Returns how many became (or already were) messages."""
    results = services.process_raw_many(raw_ids)
    results.update(_left_to_others([pk for pk, message in results.items() if message is None]))
    return sum(1 for message in results.values() if message)


def _left_to_others(raw_ids: list[int]) -> dict:
    """Rows a batch skipped because another worker's batch held them: this job must not
    end before they are done, or their own jobs may be gone (run while the other held them)
    when that worker dies. ``process_raw`` waits for the other's lock, then finds the row
    processed, or processes it if that worker died."""
    still = RawInbound.objects.filter(pk__in=raw_ids, status=RawStatus.RECEIVED)
    return {pk: services.process_raw(pk) for pk in still.values_list("pk", flat=True)}


STRANDED_AFTER = timedelta(minutes=2)
STRANDED_BATCH = 500


@shared_task(name="conversations.process_stranded")
def process_stranded() -> int:
    """Queue raw payloads stored but never processed: their job was lost (a crash between
    storing and queueing, a broker outage), in batches. Returns how many were queued."""
    cutoff = timezone.now() - STRANDED_AFTER
    ids = list(RawInbound.objects.filter(status=RawStatus.RECEIVED, received_at__lt=cutoff)
               .order_by("pk").values_list("pk", flat=True)[:STRANDED_BATCH])
    size = services.INTAKE_BATCH
    for start in range(0, len(ids), size):
        process_inbound_batch.delay(ids[start:start + size])
    return len(ids)
