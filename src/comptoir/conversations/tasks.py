from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from . import services
from .models import RawInbound, RawStatus


@shared_task(acks_late=True, name="conversations.process_inbound")
def process_inbound(raw_id: int) -> int | None:
    """Process one stored raw payload. Safe to run twice: processed rows are skipped."""
    message = services.process_raw(raw_id)
    return message.pk if message else None


STRANDED_AFTER = timedelta(minutes=2)
STRANDED_BATCH = 500


@shared_task(name="conversations.process_stranded")
def process_stranded() -> int:
    """Queue raw payloads stored but never processed: their job was lost (a crash between
    storing and queueing, a broker outage). Returns how many were queued."""
    cutoff = timezone.now() - STRANDED_AFTER
    ids = list(RawInbound.objects.filter(status=RawStatus.RECEIVED, received_at__lt=cutoff)
               .order_by("pk").values_list("pk", flat=True)[:STRANDED_BATCH])
    for raw_id in ids:
        process_inbound.delay(raw_id)
    return len(ids)
