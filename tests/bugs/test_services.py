"""From a conversation to a fix to every customer: link, unlink, mark fixed, and one follow-up
per linked conversation, in its language, on its channel, exactly once."""

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from comptoir.accounts.models import Role
from comptoir.bugs import services
from comptoir.bugs.models import Bug, BugLink, BugStatus, FixedVia
from comptoir.conversations import services as conversations
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import Event, Message, MessageKind, Status
from comptoir.email.models import Delivery

from ..factories import make_conversation, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return make_user(Role.TEAMMATE, first_name="Sam", last_name="Dev")


def bug_events(conversation, kind=None):
    events = Event.objects.filter(conversation=conversation, kind__startswith="bug.")
    if kind:
        events = events.filter(kind=kind)
    return list(events.order_by("pk"))


def replies(conversation):
    return list(conversation.messages.filter(kind=MessageKind.REPLY).order_by("pk"))


def fix(bug, actor, note, capture):
    """Mark fixed and let the queued job run (tasks eager, on-commit callbacks executed)."""
    with capture(execute=True):
        return services.mark_fixed(bug, actor, note)


# --- bugs and links -------------------------------------------------------------------------


def test_an_issue_is_one_bug_however_its_address_is_pasted(agent):
    bug, created = services.create_bug(agent, "  Export   fails ",
                                       "https://github.com/acme/app/issues/12")
    assert created and bug.title == "Export fails"
    assert (bug.tracker_kind, bug.tracker_project, bug.tracker_number) == ("github", "acme/app",
                                                                           12)
    again, created = services.create_bug(
        agent, "", "https://www.github.com/acme/app/issues/12/#issuecomment-3")
    assert again == bug and not created
    assert Bug.objects.count() == 1
    untracked, created = services.create_bug(agent, "Typo on the pricing page")
    assert created and untracked.tracker_url == "" and untracked.tracker is None
    services.create_bug(agent, "Another untracked one")  # several bugs without an address


@pytest.mark.parametrize(("title", "url", "error"), [
    ("", "", "title"),
    ("", "https://github.com/acme/app/issues/99", "title"),
    ("Broken", "github.com/acme/app/issues/1", "https://"),
    ("x" * 301, "", "300"),
])
def test_bad_bugs_are_refused_with_a_reason_and_nothing_stored(agent, title, url, error):
    with pytest.raises(services.BugError, match=error):
        services.create_bug(agent, title, url)
    assert not Bug.objects.exists()


def test_link_and_unlink_write_the_conversation_history(agent, conversation):
    bug, _new = services.create_bug(agent, "Export fails", "https://x.atlassian.net/browse/EX-4")
    link, created = services.link(conversation, bug, agent)
    assert created and link.linked_by == agent
    again, created = services.link(conversation, bug, agent)
    assert again == link and not created
    [linked] = bug_events(conversation)
    assert (linked.kind, linked.actor, linked.person_id) == (EventKind.BUG_LINKED, agent,
                                                             conversation.person_id)
    assert linked.data == {"bug_id": bug.pk, "title": "Export fails"}

    assert services.unlink(conversation, bug, agent) is True
    assert services.unlink(conversation, bug, agent) is False
    assert not BugLink.objects.exists()
    assert [e.kind for e in bug_events(conversation)] == [EventKind.BUG_LINKED,
                                                         EventKind.BUG_UNLINKED]
    assert Bug.objects.filter(pk=bug.pk).exists()  # the bug stays, for its other customers


# --- marking fixed, the follow-ups ----------------------------------------------------------


def test_each_linked_customer_is_followed_up_once_in_their_language_on_their_channel(
    agent, eager_tasks, django_capture_on_commit_callbacks,
):
    marie = make_conversation(sender_name="Marie Curie", language="fr",
                              text="L'export CSV ne marche plus.")
    ken = make_conversation(sender_name="Ken Sato", language="ja", channel="web",
                            text="CSVのエクスポートができません。")
    bo = make_conversation(sender_name="Bo", language="en")
    conversations.update(bo, agent, status=Status.SOLVED)
    conversations.update(ken, agent, status=Status.PENDING)
    other = make_conversation()  # not linked: hears nothing
    bug, _new = services.create_bug(agent, "CSV export 500", "https://github.com/acme/app/issues/7")
    for each in (marie, ken, bo):
        services.link(each, bug, agent)

    assert fix(bug, agent, "Exports work again since version 2.4.",
               django_capture_on_commit_callbacks) is True

    bug.refresh_from_db()
    assert (bug.status, bug.fixed_by, bug.fixed_via) == (BugStatus.FIXED, agent, FixedVia.HAND)
    assert bug.fix_note == "Exports work again since version 2.4."
    [to_marie] = replies(marie)
    assert to_marie.body_text.startswith("Bonjour Marie,\n\nLe problème que vous nous avez")
    assert "Exports work again since version 2.4." in to_marie.body_text
    assert "CSV export 500" not in to_marie.body_text  # the bug's title is internal
    assert (to_marie.channel, to_marie.language) == ("email", "fr")
    assert Delivery.objects.get(message=to_marie).conversation == marie  # leaves by email
    [to_ken] = replies(ken)
    assert to_ken.body_text.startswith("Ken 様\n\nご報告いただいた問題は修正されました。")
    assert to_ken.channel == "web" and not Delivery.objects.filter(message=to_ken).exists()
    [to_bo] = replies(bo)
    assert to_bo.body_text.startswith("Hello Bo,\n\nThe problem you reported is fixed.")
    assert replies(other) == []

    for each, message in ((marie, to_marie), (ken, to_ken), (bo, to_bo)):
        link = BugLink.objects.get(bug=bug, conversation=each)
        assert link.followed_up_at is not None and link.follow_up_message == message
        fixed, followed = bug_events(each)[1:]
        assert (fixed.kind, fixed.actor, fixed.data["via"]) == (EventKind.BUG_FIXED, agent,
                                                                "hand")
        assert followed.kind == EventKind.BUG_FOLLOWED_UP
        assert followed.data["message_id"] == message.pk
        assert Event.objects.filter(conversation=each, kind=EventKind.REPLY_SENT,
                                    data__message_id=message.pk).count() == 1
    # statuses as they were: solved stays solved, pending stays pending
    assert [c.status for c in type(marie).objects.filter(pk__in=[marie.pk, ken.pk, bo.pk])
            .order_by("pk")] == [Status.NEW, Status.PENDING, Status.SOLVED]


def test_marking_fixed_twice_or_running_the_job_again_sends_nothing_new(
    agent, eager_tasks, django_capture_on_commit_callbacks,
):
    conversation = make_conversation(sender_name="Ana Lima")
    bug, _new = services.create_bug(agent, "Login loop")
    services.link(conversation, bug, agent)
    assert fix(bug, agent, "", django_capture_on_commit_callbacks) is True
    assert fix(bug, agent, "Another note", django_capture_on_commit_callbacks) is False
    assert services.send_follow_ups(bug.pk) == 0
    link = BugLink.objects.get()
    assert services.follow_up(link.pk) is None
    assert len(replies(conversation)) == 1
    bug.refresh_from_db()
    assert bug.fix_note == ""  # the second call changed nothing
    assert len(bug_events(conversation, EventKind.BUG_FIXED)) == 1
    assert len(bug_events(conversation, EventKind.BUG_FOLLOWED_UP)) == 1


def test_the_follow_up_comes_from_the_assignee_and_assigns_nobody(
    agent, eager_tasks, django_capture_on_commit_callbacks,
):
    advocate = make_user(Role.ADVOCATE)
    assigned = make_conversation()
    conversations.update(assigned, agent, assignee=advocate)
    unassigned = make_conversation()
    bug, _new = services.create_bug(agent, "Crash")
    services.link(assigned, bug, agent)
    services.link(unassigned, bug, agent)
    fix(bug, agent, "", django_capture_on_commit_callbacks)
    assert replies(assigned)[0].author == advocate
    # from the team, and whoever marked it fixed is not handed the conversation
    assert replies(unassigned)[0].author is None
    unassigned.refresh_from_db()
    assert unassigned.assignee is None


def test_a_conversation_linked_after_the_fix_is_followed_up_on_request_only(
    agent, eager_tasks, django_capture_on_commit_callbacks,
):
    bug, _new = services.create_bug(agent, "Crash on save")
    fix(bug, agent, "Update the app.", django_capture_on_commit_callbacks)
    late = make_conversation(sender_name="Lea Roux", language="de")
    with django_capture_on_commit_callbacks(execute=True):
        link, _created = services.link(late, bug, agent)
    assert replies(late) == []  # linking never sends by itself
    message = services.follow_up(link.pk, agent)
    assert message.body_text.startswith("Hallo Lea,\n\nDas von Ihnen gemeldete Problem")
    assert "Update the app." in message.body_text
    assert services.follow_up(link.pk, agent) is None
    assert len(replies(late)) == 1


def test_the_job_run_again_never_sends_to_a_conversation_linked_after_the_fix(
    agent, eager_tasks, django_capture_on_commit_callbacks,
):
    before = make_conversation()
    bug, _new = services.create_bug(agent, "Crash on save")
    services.link(before, bug, agent)
    fix(bug, agent, "", django_capture_on_commit_callbacks)
    late = make_conversation()
    services.link(late, bug, agent)
    assert services.send_follow_ups(bug.pk) == 0  # a redelivered job
    assert len(replies(before)) == 1 and replies(late) == []


def test_the_beat_sweep_sends_follow_ups_whose_job_was_lost(agent, eager_tasks, time_machine):
    from comptoir.bugs.tasks import send_missed_follow_ups

    conversation = make_conversation()
    bug, _new = services.create_bug(agent, "Lost job")
    services.link(conversation, bug, agent)
    services.mark_fixed(bug, agent)  # its on-commit job never runs here: the broker was down
    assert send_missed_follow_ups() == 0  # too recent: the job may still be on its way
    time_machine.move_to(timezone.now() + timedelta(minutes=6))
    assert send_missed_follow_ups() == 1
    assert len(replies(conversation)) == 1
    assert send_missed_follow_ups() == 0


def test_an_open_bug_sends_nothing(agent, conversation):
    bug, _new = services.create_bug(agent, "Still broken")
    link, _created = services.link(conversation, bug, agent)
    assert services.follow_up(link.pk, agent) is None
    assert services.send_follow_ups(bug.pk) == 0
    assert replies(conversation) == []


def test_follow_up_previews_in_every_language_without_the_title(agent):
    bug = Bug(title="Internal: null deref in exporter", fix_note="Fixed in 2.4.")
    fr = make_conversation(sender_name="Marie Curie", language="fr")
    other = make_conversation(sender_name="Olu", language="other")
    assert services.follow_up_text(bug, fr).startswith("Bonjour Marie,")
    assert "Fixed in 2.4." in services.follow_up_text(bug, fr)
    # "other" (a language we don't write in): the site's language
    assert services.customer_language(other) == "en"
    assert services.follow_up_text(bug, other).startswith("Hello Olu,")
    assert "null deref" not in services.follow_up_text(bug, fr)


@pytest.mark.postgres  # SQLite runs one writer at a time: no race to lose there
@pytest.mark.django_db(transaction=True)
def test_two_jobs_at_once_send_one_follow_up_per_conversation(agent):
    conversations_ = [make_conversation() for _ in range(3)]
    bug, _new = services.create_bug(agent, "Race")
    for each in conversations_:
        services.link(each, bug, agent)
    # as mark_fixed leaves it, without running its job
    Bug.objects.filter(pk=bug.pk).update(status=BugStatus.FIXED, fixed_at=timezone.now())

    start = threading.Barrier(4)
    sent: list[int] = []
    errors: list[BaseException] = []

    def job():
        try:
            start.wait(timeout=10)
            sent.append(services.send_follow_ups(bug.pk))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    workers = [threading.Thread(target=job) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not errors, errors
    assert sum(sent) == 3
    for each in conversations_:
        assert len(replies(each)) == 1
        assert len(bug_events(each, EventKind.BUG_FOLLOWED_UP)) == 1
    assert Message.objects.filter(idempotency_key__startswith="bug-follow-up-").count() == 3
