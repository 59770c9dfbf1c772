"""SLA jobs. Thin and idempotent: each calls one service."""

from dataclasses import asdict

from celery import shared_task

from . import services


@shared_task(name="sla.refresh_conversation")
def refresh_conversation(conversation_id: int) -> int:
    """Recompute one conversation's clocks (after a change made outside a request: an
    import, a rule). Returns how many clocks it has."""
    return len(services.refresh(conversation_id))


@shared_task(name="sla.refresh_open")
def refresh_open() -> int:
    """Recompute every open clock, after a policy, target or calendar change."""
    return services.refresh_open()


@shared_task(name="sla.sweep")
def sweep() -> dict:
    """Warn, breach and escalate (beat runs it every minute; see settings). A backlog too
    large for one sweep (``records_pending``) is swept on at once, not a minute later."""
    result = services.sweep(record_limit=services.RECORDS_PER_SWEEP)
    if result.records_pending and not result.skipped:
        sweep.delay()
    return asdict(result)
