"""A fixed bug that comes back: a lead reopens it, and when it is fixed again the customers
not told yet (linked since the last fix, or linked again) get their follow-up, once per
conversation per fix."""

import pytest
from django.urls import reverse

from comptoir.accounts.models import Role
from comptoir.bugs import services
from comptoir.bugs.models import BugLink, BugStatus
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import Event, Message, MessageKind

from ..factories import make_conversation, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead():
    return make_user(Role.LEAD, first_name="Lea")


def replies(conversation):
    return list(conversation.messages.filter(kind=MessageKind.REPLY).order_by("pk"))


def fix(bug, actor, capture, note=""):
    with capture(execute=True):
        return services.mark_fixed(bug, actor, note)


def test_fixed_again_tells_only_the_customers_not_told_yet_once_per_fix(
    lead, eager_tasks, django_capture_on_commit_callbacks,
):
    capture = django_capture_on_commit_callbacks
    bug, _new = services.create_bug(lead, "Export fails")
    told = make_conversation(sender_name="Marie Curie", language="fr")
    services.link(told, bug, lead)
    assert fix(bug, lead, capture, "Fixed in 2.4.") is True
    assert len(replies(told)) == 1

    late = make_conversation(sender_name="Bo Berg")  # linked after the fix, nobody sent it
    services.link(late, bug, lead)
    assert services.reopen(bug, lead, "  Crashes   again in 2.4.1 ") is True
    assert services.reopen(bug, lead) is False  # already open: nothing changes
    bug.refresh_from_db()
    assert bug.status == BugStatus.OPEN and bug.is_reopened and bug.reopened_by == lead
    for conversation in (told, late):
        [event] = Event.objects.filter(conversation=conversation, kind=EventKind.BUG_REOPENED)
        assert event.actor == lead
        assert event.data == {"bug_id": bug.pk, "title": "Export fails", "via": "hand",
                              "after_fix": 1, "reason": "Crashes again in 2.4.1"}
    # reopened, the late customer's follow-up cannot be sent by hand: the bug is not fixed
    assert services.follow_up(BugLink.objects.get(conversation=late).pk, lead) is None

    newcomer = make_conversation(sender_name="Ada Lovelace")
    services.link(newcomer, bug, lead)
    assert fix(bug, lead, capture, "Really fixed in 2.5.") is True
    bug.refresh_from_db()
    assert bug.fix_number == 2
    assert len(replies(told)) == 1  # told of the first fix; not told twice
    for conversation in (late, newcomer):
        [reply] = replies(conversation)
        assert "Really fixed in 2.5." in reply.body_text
    # the job again, and each follow-up by hand: nothing new
    assert services.send_follow_ups(bug.pk) == 0
    for each in BugLink.objects.filter(bug=bug):
        assert services.follow_up(each.pk, lead) is None
    links = {each.conversation_id: each for each in BugLink.objects.filter(bug=bug)}
    assert [links[c.pk].followed_up_fix for c in (told, late, newcomer)] == [1, 2, 2]
    assert sorted(Message.objects.filter(idempotency_key__startswith="bug-follow-up-")
                  .values_list("idempotency_key", flat=True)) == sorted(
        [f"bug-follow-up-{links[told.pk].pk}-fix-1", f"bug-follow-up-{links[late.pk].pk}-fix-2",
         f"bug-follow-up-{links[newcomer.pk].pk}-fix-2"])


def test_a_customer_linked_again_after_it_came_back_hears_of_the_next_fix(
    lead, eager_tasks, django_capture_on_commit_callbacks,
):
    """The idempotency key names the fix: with the link's id alone the second follow-up
    would be answered with the first message, and the customer would hear nothing."""
    capture = django_capture_on_commit_callbacks
    bug, _new = services.create_bug(lead, "Sync drops files")
    conversation = make_conversation(sender_name="Marie Curie", language="fr")
    first_link, _new = services.link(conversation, bug, lead)
    fix(bug, lead, capture)
    # linked again while fixed: nothing changes (they were told of this very fix)
    assert services.link(conversation, bug, lead) == (BugLink.objects.get(pk=first_link.pk),
                                                      False)
    services.reopen(bug, lead)
    renewed, changed = services.link(conversation, bug, lead)
    assert changed and renewed.pk == first_link.pk and renewed.followed_up_at is None
    assert Event.objects.filter(conversation=conversation, kind=EventKind.BUG_LINKED,
                                data__renewed=True).count() == 1
    fix(bug, lead, capture, "Fixed for good.")
    first, second = replies(conversation)
    assert first.pk != second.pk and "Fixed for good." in second.body_text
    assert second.body_text.startswith("Bonjour Marie,")
    assert BugLink.objects.get(pk=first_link.pk).follow_up_message == second
    assert Event.objects.filter(conversation=conversation,
                                kind=EventKind.BUG_FOLLOWED_UP).count() == 2


def test_a_lead_reopens_from_the_bug_page_others_may_not(
    client, lead, eager_tasks, django_capture_on_commit_callbacks,
):
    bug, _new = services.create_bug(lead, "Export fails")
    conversation = make_conversation(sender_name="Bo Berg")
    services.link(conversation, bug, lead)
    fix(bug, lead, django_capture_on_commit_callbacks)
    teammate = make_user(Role.TEAMMATE)
    client.force_login(teammate)
    page = client.get(reverse("bug", args=[bug.pk])).content.decode()
    assert "Reopen the bug" not in page
    assert client.post(reverse("bug_reopen", args=[bug.pk])).status_code == 403

    client.force_login(lead)
    page = client.get(reverse("bug", args=[bug.pk])).content.decode()
    assert "Reopen the bug" in page
    assert client.post(reverse("bug_reopen", args=[bug.pk]),
                       {"reason": "x" * 501}).status_code == 400
    response = client.post(reverse("bug_reopen", args=[bug.pk]), {"reason": "Back in 2.5"},
                           follow=True)
    page = response.content.decode()
    assert "Reopened." in page and "It came back:" in page
    assert "(before it came back)" in page  # Bo was told of the first fix
    assert "Reopen the bug" not in page and "Mark fixed and tell 0 conversations" in page
    bug.refresh_from_db()
    assert bug.status == BugStatus.OPEN
    # the conversation's panel offers to tell Bo again at the next fix
    panel = client.get(reverse("bug_panel", args=[conversation.pk]),
                       HTTP_HX_REQUEST="true").content.decode()
    assert "Affected again: tell them at the next fix" in panel
    assert "Bug came back (reopened)" in panel and "Back in 2.5" in panel
    client.post(reverse("bug_link", args=[conversation.pk]), {"bug": bug.pk})
    page = client.get(reverse("bug", args=[bug.pk])).content.decode()
    assert "Mark fixed and tell 1 conversation" in page


def test_the_bug_list_shows_bugs_that_came_back(client, lead, eager_tasks,
                                                django_capture_on_commit_callbacks):
    back, _new = services.create_bug(lead, "Came back bug")
    fix(back, lead, django_capture_on_commit_callbacks)
    services.reopen(back, lead)
    services.create_bug(lead, "Never fixed bug")
    client.force_login(lead)
    page = client.get(reverse("bugs") + "?status=reopened").content.decode()
    assert "Came back bug" in page and "Never fixed bug" not in page
    page = client.get(reverse("bugs") + "?status=open").content.decode()
    assert "Came back bug" in page and "Never fixed bug" in page and "came back" in page
