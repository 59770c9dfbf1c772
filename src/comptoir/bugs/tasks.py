from celery import shared_task

from . import services


@shared_task(acks_late=True, name="bugs.send_follow_ups")
def send_follow_ups(bug_id: int) -> int:
    """One follow-up per conversation linked to a fixed bug. Safe to run twice, or twice at
    once: each link is followed up once (``services.follow_up``)."""
    return services.send_follow_ups(bug_id)


@shared_task(name="bugs.send_missed_follow_ups")
def send_missed_follow_ups() -> int:
    """Beat: queue the follow-ups of fixed bugs whose job was lost. Returns how many bugs."""
    bug_ids = services.bugs_with_missed_follow_ups()
    for bug_id in bug_ids:
        send_follow_ups.delay(bug_id)
    return len(bug_ids)
