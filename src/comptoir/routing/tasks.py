"""Routing jobs. Thin and idempotent: each calls one service."""

from celery import shared_task

from . import services


@shared_task(name="routing.route_waiting")
def route_waiting() -> int:
    """Give the conversations waiting in a queue to whoever came on shift since (run every
    few minutes by beat). Returns how many were assigned."""
    return services.route_waiting()
