"""How a public reply leaves comptoir: one sender per channel, registered by its adapter.

``services.reply()`` calls ``prepare(message)`` inside the reply's transaction, so the
channel records what it must send (e.g. a ``Delivery`` row) atomically with the reply; the
sender then queues its job with ``transaction.on_commit``. A channel without a sender
(api, web) keeps the reply for the customer to read where they are.
"""

from collections.abc import Callable

Sender = Callable[["Message"], None]  # noqa: F821 - a conversations.models.Message
SENDERS: dict[str, Sender] = {}


def register(channel: str) -> Callable[[Sender], Sender]:
    def decorator(func: Sender) -> Sender:
        SENDERS[channel] = func
        return func

    return decorator


def prepare(message) -> None:
    sender = SENDERS.get(message.channel)
    if sender is not None:
        sender(message)
