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
    """Warn, breach and escalate (beat runs it every minute; see settings)."""
    return asdict(services.sweep())
