from dataclasses import asdict

from celery import shared_task

from . import imap


@shared_task(name="email.poll_imap_mailboxes")
def poll_imap_mailboxes() -> dict[str, dict]:
    """Poll every active IMAP mailbox once (beat runs it every ``IMAP_POLL_SECONDS``).

    A mailbox already being polled is skipped, a failing one never stops the others.
    """
    return {mailbox.address: asdict(imap.poll_mailbox(mailbox))
            for mailbox in imap.pollable_mailboxes()}
