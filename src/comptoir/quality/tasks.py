"""Quality jobs. Thin and idempotent: each calls one service."""

from dataclasses import asdict
from datetime import date

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="quality.build_weekly_assignments")
def build_weekly_assignments(week: str = "") -> dict:
    """Each Monday (beat, see settings): the week's review assignments, sampled from the
    previous seven days. Running it again the same week changes nothing."""
    monday = date.fromisoformat(week) if week else services.week_start(timezone.now())
    result = asdict(services.build_assignments(monday))
    result["week"] = result["week"].isoformat()
    return result
