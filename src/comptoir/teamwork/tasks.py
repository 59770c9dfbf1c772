from celery import shared_task

from . import services


@shared_task(name="teamwork.pick_due_shares", acks_late=True)
def pick_due_shares() -> dict[str, int]:
    """Pick (or top up) the daily shares of people whose working day has started in their
    time zone, and mail each their morning digest once (beat: every hour). Idempotent."""
    return services.pick_due()


@shared_task(name="teamwork.celebrate_first_replies", acks_late=True)
def celebrate_first_replies() -> int:
    """Find people's first ever replies to customers and celebrate each once (beat: every
    minute). Idempotent: a person is recorded once, ever."""
    from . import support_days

    return len(support_days.celebrate_first_replies())


@shared_task(name="teamwork.hand_over_asks", acks_late=True)
def hand_over_asks() -> int:
    """Pass asks made while nobody was on call to the advocate who came on call (beat:
    every minute). Idempotent: each ask is handed over once."""
    from . import on_call

    return on_call.hand_over_queued()
