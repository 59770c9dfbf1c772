import smtplib

from celery import shared_task

from . import invites, services
from .models import Pairing


@shared_task(acks_late=True, name="pairing.send_invite", autoretry_for=(smtplib.SMTPException,
             OSError), retry_backoff=60, retry_backoff_max=3600, max_retries=8)
def send_invite(pairing_id: int, method: str) -> str:
    """Email both people the calendar invitation (``REQUEST``) or its cancellation
    (``CANCEL``). A temporary failure is retried with backoff; calendars read ``UID`` and
    ``SEQUENCE``, so a message sent twice shows once."""
    pairing = Pairing.objects.select_related("engineer", "advocate", "skill").get(pk=pairing_id)
    return invites.send(pairing, method)


@shared_task(name="pairing.remind_missing_records")
def remind_missing_records() -> int:
    """Beat: remind the pairs whose held day has no record yet (once per day held)."""
    return services.remind_missing_records()
