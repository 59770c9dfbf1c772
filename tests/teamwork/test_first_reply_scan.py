"""The first-reply scan reads from its cursor: a crash loses nothing and celebrates nothing
twice, a late-committed reply is still found, and two runs at once celebrate each person
once (on PostgreSQL, where the two really run at once)."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection

from comptoir.accounts.models import Role
from comptoir.conversations import services as conversations
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import Event
from comptoir.teamwork import support_days
from comptoir.teamwork.models import FirstReply, FirstReplyScan

from ..factories import make_conversation, make_user


@pytest.fixture
def published(monkeypatch):
    sent = []
    def publish(kind, payload, **kw):
        if kind == "reply.first":
            sent.append((kind, payload["user_id"]))

    monkeypatch.setattr(support_days.realtime, "publish", publish)
    return sent


@pytest.mark.django_db
def test_a_crash_in_the_middle_of_a_scan_rolls_back_its_cursor_and_its_cheers(
        monkeypatch, published, django_capture_on_commit_callbacks):
    first, second = make_user(Role.TEAMMATE), make_user(Role.TEAMMATE)
    for person in (first, second):
        conversations.reply(make_conversation(), person, "My first answer!")
    real = support_days._record_first_reply
    calls = []

    def crash_on_the_second(user_id, since, now):
        calls.append(user_id)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real(user_id, since, now)

    monkeypatch.setattr(support_days, "_record_first_reply", crash_on_the_second)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        support_days.celebrate_first_replies()
    assert not FirstReply.objects.exists()
    assert FirstReplyScan.objects.filter(last_event_id__gt=0).count() == 0
    monkeypatch.setattr(support_days, "_record_first_reply", real)

    with django_capture_on_commit_callbacks(execute=True):  # the worker restarted
        found = support_days.celebrate_first_replies()
        again = support_days.celebrate_first_replies()

    assert sorted(row.user_id for row in found) == sorted([first.pk, second.pk])
    assert again == []
    assert sorted(user for _kind, user in published) == sorted([first.pk, second.pk])
    assert Event.objects.filter(kind=EventKind.FIRST_REPLY).count() == 2


@pytest.mark.django_db
def test_a_reply_committed_after_a_later_one_was_read_is_still_found(published):
    early = make_user(Role.TEAMMATE)
    late = make_user(Role.TEAMMATE)
    conversations.reply(make_conversation(), early, "Committed first.")
    # a reply whose event took a lower id but committed after the scan read a higher one:
    # simulated by moving the cursor past it
    conversations.reply(make_conversation(), late, "Committed late.")
    late_event = Event.objects.filter(kind=EventKind.REPLY_SENT, actor=late).get()
    support_days.celebrate_first_replies()
    FirstReply.objects.filter(user=late).delete()
    FirstReplyScan.objects.update(last_event_id=late_event.pk + 1000)

    found = support_days.celebrate_first_replies()

    assert [row.user_id for row in found] == [late.pk]  # within the grace: read again


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_celebrate_each_first_reply_once(monkeypatch, published):
    newcomers = [make_user(Role.TEAMMATE) for _ in range(4)]
    for person in newcomers:
        conversations.reply(make_conversation(), person, "My first answer!")
    real = support_days._record_first_reply

    def slow(user_id, since, now):  # holds the scan open so that the other one arrives
        time.sleep(0.05)
        return real(user_id, since, now)

    monkeypatch.setattr(support_days, "_record_first_reply", slow)
    start = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            start.wait(timeout=10)
            results.append(support_days.celebrate_first_replies())
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sorted(len(found) for found in results) == [0, 4]  # the second waited, found none
    assert FirstReply.objects.count() == 4
    assert Event.objects.filter(kind=EventKind.FIRST_REPLY).count() == 4
    assert sorted(user for _kind, user in published) == sorted(p.pk for p in newcomers)
    last = Event.objects.filter(kind=EventKind.REPLY_SENT).latest("pk").pk
    assert FirstReplyScan.objects.get().last_event_id == last


@pytest.mark.django_db
def test_the_first_run_ever_starts_from_the_window_not_the_beginning(published):
    import time_machine

    veteran = make_user(Role.ADVOCATE)
    with time_machine.travel(timedelta(days=-30)):
        conversations.reply(make_conversation(), veteran, "Long ago.")

    assert support_days.celebrate_first_replies() == []  # nothing in the window
    assert FirstReplyScan.objects.get().last_event_id == 0
