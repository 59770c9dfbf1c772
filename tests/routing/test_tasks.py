"""The waiting queue is routed again on a schedule: beat runs the job every five minutes, and
the job gives a waiting conversation to whoever came on shift."""

from __future__ import annotations

import pytest
from django.conf import settings

from comptoir.celery import app
from comptoir.routing import services as routing
from comptoir.routing.models import Outcome, RoutingDecision, Trigger

from ..factories import make_conversation
from .helpers import TUESDAY_10_UTC, at, make_agent, support_team, utc

pytestmark = pytest.mark.django_db


def scheduled_job(name: str):
    """The job a beat entry sends, as a worker finds it: after the worker has imported every
    app's ``tasks`` module (Celery's autodiscovery)."""
    app.loader.import_default_modules()
    return app.tasks[settings.CELERY_BEAT_SCHEDULE[name]["task"]]


def test_beat_routes_the_waiting_queue_every_five_minutes():
    entry = settings.CELERY_BEAT_SCHEDULE["routing-waiting"]
    assert scheduled_job("routing-waiting").name == entry["task"] == "routing.route_waiting"
    assert entry["schedule"] == 300.0
    # a run that waited past the next one is dropped: the next one does the same work
    assert entry["options"]["expires"] <= entry["schedule"]


def test_the_scheduled_job_assigns_a_waiting_conversation_once_someone_is_on_shift(
    eager_tasks,
):
    team = support_team("Support APAC", "Asia/Tokyo")
    hiro = make_agent(team, time_zone="Asia/Tokyo")
    waiting = make_conversation()
    [decision] = routing.route_many([waiting.pk], now=TUESDAY_10_UTC)  # 19:00 in Tokyo
    assert decision.outcome == Outcome.QUEUED
    job = scheduled_job("routing-waiting")

    with at(utc(2026, 11, 24, 14, 0)):  # 23:00 in Tokyo: still nobody
        assert job.delay().get() == 0
    waiting.refresh_from_db()
    assert waiting.assignee is None

    with at(utc(2026, 11, 25, 0, 5)):  # Wednesday 09:05 in Tokyo: Hiro is on shift
        assert job.delay().get() == 1
    waiting.refresh_from_db()
    assert waiting.assignee == hiro
    latest = RoutingDecision.objects.filter(conversation=waiting).latest("created_at", "id")
    assert (latest.trigger, latest.outcome) == (Trigger.QUEUE, Outcome.ASSIGNED)

    with at(utc(2026, 11, 25, 0, 10)):  # the next run finds nothing left to do
        assert job.delay().get() == 0
