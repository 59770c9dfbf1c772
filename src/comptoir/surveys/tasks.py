"""Survey jobs: thin, idempotent, each calling one service."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, name="surveys.send")
def send_survey(survey_id: int) -> str | None:
    """One attempt at sending a survey; safe to run twice (``services.send``)."""
    return services.send(survey_id)


@shared_task(acks_late=True, name="surveys.offer_due")
def offer_due() -> int:
    """Beat: create the surveys that are due (each queues its send), and queue the sends
    whose retry is due or whose job was lost. Returns how many surveys were created."""
    created = services.offer_due()
    for survey_id in services.sends_due():
        send_survey.delay(survey_id)
    return len(created)
