"""Two agents saving the same conversation at once, on two real database connections."""

import threading
import time

import pytest
from django.db import connection, transaction

from comptoir.conversations import services
from comptoir.conversations.models import Conversation, Priority, Status

from ..factories import make_conversation, make_user


def run_in_thread(target, errors):
    def wrapped():
        try:
            target()
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=wrapped)
    thread.start()
    return thread


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_agents_changing_different_fields_keep_both_changes():
    ada, teo = make_user(), make_user()
    conversation = make_conversation()
    version = conversation.version
    holding = threading.Event()
    errors: list[Exception] = []

    def first_agent():
        with transaction.atomic():
            # ada's change is slow (a long request); she holds the row meanwhile
            Conversation.objects.select_for_update().get(pk=conversation.pk)
            holding.set()
            time.sleep(0.5)
            services.update(conversation, ada, status=Status.PENDING)

    def second_agent():
        holding.wait(5)
        # teo loaded the page before ada saved; his stale object must not undo her change
        services.update(conversation, teo, priority=Priority.URGENT)

    threads = [run_in_thread(first_agent, errors), run_in_thread(second_agent, errors)]
    for thread in threads:
        thread.join(15)
    assert not errors
    conversation.refresh_from_db()
    assert conversation.status == Status.PENDING
    assert conversation.priority == Priority.URGENT
    assert conversation.version == version + 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_replies_and_tags_are_all_kept():
    agents = [make_user() for _ in range(4)]
    conversation = make_conversation()
    errors: list[Exception] = []
    start = threading.Barrier(len(agents))

    def work(agent, i):
        def run():
            start.wait(5)
            services.add_tags(conversation, agent, [f"tag-{i}"])
            services.reply(conversation, agent, f"reply {i}", idempotency_key=f"key-{i}")
            services.reply(conversation, agent, f"reply {i}", idempotency_key=f"key-{i}")
        return run

    threads = [run_in_thread(work(a, i), errors) for i, a in enumerate(agents)]
    for thread in threads:
        thread.join(15)
    assert not errors
    conversation.refresh_from_db()
    assert conversation.tags.count() == len(agents)
    assert conversation.messages.filter(kind="reply").count() == len(agents)
    assert conversation.message_count == 1 + len(agents)
