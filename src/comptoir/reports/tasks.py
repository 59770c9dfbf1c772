from celery import shared_task

from . import digest, services


@shared_task(name="reports.refresh_rollups")
def refresh_rollups() -> dict[str, int | bool | str]:
    """Bring the rollups up to the event log (beat: every 10 s). Idempotent, and two runs
    never overlap (the second waits on the first's row lock, then finds little to do)."""
    result = services.refresh()
    return {"events": result.events, "conversations": result.conversations,
            "days": result.days, "ms": result.duration_ms, "more": result.more,
            "skipped": result.skipped}


@shared_task(name="reports.send_due_digests", acks_late=True)
def send_due_digests() -> int:
    """Send the weekly digest to each lead whose Monday morning has come (beat: every 15 min).
    A lead gets one digest a week, however often this runs."""
    return len(digest.send_due())
