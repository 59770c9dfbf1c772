from celery import shared_task

from . import services


@shared_task(acks_late=True, name="conversations.process_inbound")
def process_inbound(raw_id: int) -> int | None:
    """Process one stored raw payload. Safe to run twice: processed rows are skipped."""
    message = services.process_raw(raw_id)
    return message.pk if message else None
