"""The Bugs panel on the conversation page, the bugs list and a bug's page, as an agent uses
them (htmx and plain forms)."""

import pytest
from django.urls import reverse

from comptoir.accounts.models import Role
from comptoir.bugs import services
from comptoir.bugs.models import Bug, BugLink, BugStatus
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import Event, MessageKind

from ..factories import make_conversation, make_user

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def teammate_client(client):
    user = make_user(Role.TEAMMATE, first_name="Sam")
    client.force_login(user)
    client.user = user
    return client


def test_the_conversation_page_loads_the_bugs_panel(teammate_client, conversation):
    page = teammate_client.get(reverse("conversation", args=[conversation.pk])).content.decode()
    assert f'hx-get="{reverse("bug_panel", args=[conversation.pk])}"' in page
    panel = teammate_client.get(reverse("bug_panel", args=[conversation.pk]), **HTMX)
    assert panel.status_code == 200
    assert "Not linked to any bug." in panel.content.decode()
    assert "<html" not in panel.content.decode()
    # without JavaScript: the same panel on a page of its own
    assert "<html" in teammate_client.get(reverse("bug_panel", args=[conversation.pk])
                                          ).content.decode()


def test_create_link_and_unlink_from_the_panel(teammate_client, conversation):
    url = reverse("bug_link", args=[conversation.pk])
    response = teammate_client.post(url, {"title": "Export fails",
                                          "tracker_url": "https://gitlab.com/g/p/-/issues/3"},
                                    **HTMX)
    assert response.status_code == 200
    bug = Bug.objects.get()
    assert (bug.tracker_kind, bug.tracker_project, bug.tracker_number) == ("gitlab", "g/p", 3)
    html = response.content.decode()
    assert "Export fails" in html and "g/p#3" in html and "Linked to a bug" in html

    # a second agent pastes the same issue: the same bug
    other = make_conversation()
    teammate_client.post(reverse("bug_link", args=[other.pk]),
                         {"tracker_url": "https://gitlab.com/g/p/-/issues/3/"})
    assert Bug.objects.count() == 1 and BugLink.objects.count() == 2

    response = teammate_client.post(reverse("bug_unlink", args=[conversation.pk, bug.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("conversation", args=[conversation.pk]) + "#bugs"
    assert not BugLink.objects.filter(conversation=conversation).exists()
    kinds = list(Event.objects.filter(conversation=conversation, kind__startswith="bug.")
                 .values_list("kind", flat=True))
    assert kinds == [EventKind.BUG_LINKED, EventKind.BUG_UNLINKED]
    panel = teammate_client.get(reverse("bug_panel", args=[conversation.pk]), **HTMX)
    assert "Unlinked from a bug" in panel.content.decode()


def test_a_bad_address_is_explained_and_nothing_is_created(teammate_client, conversation):
    response = teammate_client.post(reverse("bug_link", args=[conversation.pk]),
                                    {"title": "Broken", "tracker_url": "javascript:alert(1)"},
                                    **HTMX)
    assert response.status_code == 200  # htmx swaps the panel with the error in it
    assert "starting with https://" in response.content.decode()
    assert 'value="Broken"' in response.content.decode()  # what was typed is kept
    assert not Bug.objects.exists()
    response = teammate_client.post(reverse("bug_link", args=[conversation.pk]), {})
    assert response.status_code == 400
    assert "Give the bug a title or its issue address." in response.content.decode()


def test_search_finds_bugs_by_title_address_or_number_and_links_one(teammate_client,
                                                                      conversation):
    user = teammate_client.user
    export, _new = services.create_bug(user, "CSV export fails",
                                       "https://github.com/acme/app/issues/4821")
    services.create_bug(user, "Login loop")
    url = reverse("bug_search", args=[conversation.pk])
    for query in ("csv", "acme/app", "4821", "https://github.com/acme/app/issues/4821#x"):
        html = teammate_client.get(url, {"q": query}, **HTMX).content.decode()
        assert "CSV export fails" in html and "Login loop" not in html, query
    assert "No bug matches" in teammate_client.get(url, {"q": "zzz"}, **HTMX).content.decode()

    teammate_client.post(reverse("bug_link", args=[conversation.pk]), {"bug": export.pk}, **HTMX)
    assert BugLink.objects.get().bug == export
    assert "linked" in teammate_client.get(url, {"q": "csv"}, **HTMX).content.decode()


def test_the_list_counts_customers_and_filters_open_and_fixed(teammate_client):
    user = teammate_client.user
    open_bug, _new = services.create_bug(user, "Still broken")
    fixed_bug, _new = services.create_bug(user, "Fixed one")
    first = make_conversation(sender_name="Ana Lima", identity_value="ana@example.com")
    again = make_conversation(sender_name="Ana Lima", identity_value="ana@example.com",
                              subject="Another thing")
    assert first.person_id == again.person_id
    for conversation in (first, again, make_conversation()):
        services.link(conversation, open_bug, user)
    services.mark_fixed(fixed_bug, user)

    response = teammate_client.get(reverse("bugs"))
    assert response.status_code == 200
    bugs = list(response.context["bugs"])
    assert bugs == [open_bug]
    assert (bugs[0].customer_count, bugs[0].conversation_count) == (2, 3)
    assert "3 conversations" in response.content.decode()
    assert list(teammate_client.get(reverse("bugs"), {"status": "fixed"}).context["bugs"]) == [
        fixed_bug]
    assert len(teammate_client.get(reverse("bugs"), {"status": "all"}).context["bugs"]) == 2


def test_the_bug_page_lists_customers_previews_and_marks_fixed(
    teammate_client, eager_tasks, django_capture_on_commit_callbacks,
):
    user = teammate_client.user
    bug, _new = services.create_bug(user, "CSV export 500", "https://x.atlassian.net/browse/EX-9")
    marie = make_conversation(sender_name="Marie Curie", language="fr")
    ken = make_conversation(sender_name="Ken Sato", language="ja", channel="web")
    for conversation in (marie, ken):
        services.link(conversation, bug, user)

    page = teammate_client.get(reverse("bug", args=[bug.pk]))
    html = page.content.decode()
    assert "Marie Curie" in html and "Ken Sato" in html and "Web form" in html
    assert "EX-9" in html
    assert [p.language for p in page.context["previews"]] == ["fr", "ja"]
    assert "Bonjour Marie," in html and "Ken 様" in html
    assert "when fixed" in html

    with django_capture_on_commit_callbacks(execute=True):
        response = teammate_client.post(reverse("bug_mark_fixed", args=[bug.pk]),
                                        {"note": "Exports work again."})
    assert response.status_code == 302
    bug.refresh_from_db()
    assert bug.status == BugStatus.FIXED and bug.fixed_by == user
    for conversation in (marie, ken):
        [reply] = conversation.messages.filter(kind=MessageKind.REPLY)
        assert "Exports work again." in reply.body_text
    html = teammate_client.get(reverse("bug", args=[bug.pk])).content.decode()
    assert html.count("✔") == 2 and "Mark fixed" not in html

    with django_capture_on_commit_callbacks(execute=True):
        teammate_client.post(reverse("bug_mark_fixed", args=[bug.pk]), {"note": "Again"})
    assert marie.messages.filter(kind=MessageKind.REPLY).count() == 1


def test_linking_to_a_fixed_bug_offers_the_follow_up(
    teammate_client, conversation, django_capture_on_commit_callbacks,
):
    user = teammate_client.user
    bug, _new = services.create_bug(user, "Crash on save")
    services.mark_fixed(bug, user, "Update to 3.1.")
    html = teammate_client.post(reverse("bug_link", args=[conversation.pk]), {"bug": bug.pk},
                                **HTMX).content.decode()
    link = BugLink.objects.get()
    assert "the customer has not been told yet" in html
    assert reverse("bug_follow_up", args=[link.pk]) in html
    assert not conversation.messages.filter(kind=MessageKind.REPLY).exists()

    html = teammate_client.post(reverse("bug_follow_up", args=[link.pk]), **HTMX
                                ).content.decode()
    [reply] = conversation.messages.filter(kind=MessageKind.REPLY)
    assert "Update to 3.1." in reply.body_text and reply.author == user
    assert "customer told it is fixed" in html
    html = teammate_client.post(reverse("bug_follow_up", args=[link.pk]), **HTMX
                                ).content.decode()
    assert "Nothing was sent" in html
    assert conversation.messages.filter(kind=MessageKind.REPLY).count() == 1


def test_an_observer_sees_bugs_but_cannot_link_or_fix(client, conversation):
    observer = make_user(Role.OBSERVER)
    client.force_login(observer)
    bug, _new = services.create_bug(None, "Seen only")
    services.link(conversation, bug, None)
    panel = client.get(reverse("bug_panel", args=[conversation.pk]), **HTMX).content.decode()
    assert "Seen only" in panel and "Create and link" not in panel
    assert "Mark fixed" not in client.get(reverse("bug", args=[bug.pk])).content.decode()
    assert client.post(reverse("bug_mark_fixed", args=[bug.pk])).status_code == 403
    assert client.post(reverse("bug_unlink", args=[conversation.pk, bug.pk])).status_code == 403
    assert BugLink.objects.count() == 1


def test_pages_cost_the_same_queries_however_many_customers(teammate_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = teammate_client.user
    bug, _new = services.create_bug(user, "Many customers", "https://github.com/o/r/issues/1")
    first = make_conversation(language="fr")
    services.link(first, bug, user)

    def cost(url):
        with CaptureQueriesContext(connection) as queries:
            assert teammate_client.get(url, **HTMX).status_code == 200
        return len(queries)

    pages = [reverse("bug", args=[bug.pk]), reverse("bugs"),
             reverse("bug_panel", args=[first.pk])]
    before = [cost(url) for url in pages]
    for language in ("ja", "de", "en", "fr"):
        conversation = make_conversation(language=language)
        services.link(conversation, bug, user)
        services.link(first, services.create_bug(user, f"Other {language}")[0], user)
    assert [cost(url) for url in pages] == before
