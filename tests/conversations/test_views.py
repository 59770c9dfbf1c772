import re

import pytest
from django.urls import reverse
from django.utils import translation

from comptoir.accounts.models import Role
from comptoir.conversations import services
from comptoir.conversations.inbound import InboundAttachment
from comptoir.conversations.models import Conversation, Macro, MessageKind, Priority, Status

from ..factories import make_conversation, make_message, make_team, make_user

pytestmark = pytest.mark.django_db


def rows(response) -> list[int]:
    return [int(n) for n in re.findall(r'data-href="/c/(\d+)/"', response.content.decode())]


def test_anonymous_goes_to_login(client):
    response = client.get(reverse("inbox"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_login_page_then_inbox(client, advocate):
    response = client.post(reverse("account_login"),
                           {"login": advocate.username, "password": "pw-correct-horse"})
    assert response.status_code == 302
    assert client.get(reverse("inbox")).status_code == 200


def test_inbox_views_list_the_right_conversations(advocate_client, advocate):
    mine = make_conversation(subject="mine")
    services.update(mine, advocate, assignee=advocate, status=Status.OPEN)
    unassigned = make_conversation(subject="unassigned")
    pending = make_conversation(subject="pending")
    services.update(pending, advocate, status=Status.PENDING)
    solved = make_conversation(subject="solved")
    services.update(solved, advocate, status=Status.SOLVED)

    def view(name):
        return set(rows(advocate_client.get(reverse("inbox"), {"view": name})))

    assert view("mine") == {mine.pk}
    assert view("unassigned") == {unassigned.pk}
    assert view("open") == {mine.pk, unassigned.pk}
    assert view("pending") == {pending.pk}
    assert view("solved") == {solved.pk}
    counts = advocate_client.get(reverse("inbox_counts")).content.decode()
    assert re.search(r'id="count-open"[^>]*>2<', counts)
    assert re.search(r'id="count-solved"[^>]*>1<', counts)


def test_inbox_filters(advocate_client, advocate):
    team = make_team(slug="emea")
    fr = make_conversation(language="fr", channel="social")
    services.add_tags(fr, advocate, ["billing"])
    services.update(fr, advocate, team=team)
    make_conversation(language="de")
    make_conversation(language="fr", channel="email")

    def listed(**params):
        return set(rows(advocate_client.get(reverse("inbox"), {"view": "open", **params})))

    assert listed(language="fr", channel="social") == {fr.pk}
    assert listed(tag="billing") == {fr.pk}
    assert listed(team="emea") == {fr.pk}
    assert listed(plan="free", language="fr", tag="billing") == {fr.pk}
    assert listed(plan="enterprise") == set()
    # an unknown value is ignored, not a crash
    assert advocate_client.get(reverse("inbox"), {"channel": "fax"}).status_code == 200


def test_keyset_pages_cover_everything_once(advocate_client):
    made = {make_conversation().pk for _ in range(7)}
    seen: list[int] = []
    url = reverse("inbox") + "?view=open"
    from comptoir.conversations import queries

    cursor = None
    while True:
        page = queries.inbox_page(None, queries.INBOX_VIEWS["open"], {}, cursor, size=3)
        seen += [c.pk for c in page.items]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
        html = advocate_client.get(url + f"&cursor={cursor}").content.decode()
        assert rows_from(html) == [c.pk for c in queries.inbox_page(
            None, queries.INBOX_VIEWS["open"], {}, cursor, size=50).items]
    assert sorted(seen) == sorted(made) and len(seen) == len(made)
    assert advocate_client.get(url + "&cursor=garbage!!").status_code == 200


def rows_from(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-href="/c/(\d+)/"', html)]


def test_inbox_query_count_does_not_grow(advocate_client, django_assert_num_queries):
    for _ in range(3):
        c = make_conversation()
        services.add_tags(c, None, ["a", "b"])
    advocate_client.get(reverse("inbox"))  # warm the session
    with django_assert_num_queries(5):
        advocate_client.get(reverse("inbox"))
    for _ in range(10):
        c = make_conversation()
        services.add_tags(c, None, ["c"])
        services.reply(c, make_user(), "hi")
    with django_assert_num_queries(5):
        advocate_client.get(reverse("inbox"))


def test_conversation_page_shows_history_across_channels(advocate_client):
    email = make_message(identity_value="h@example.com", subject="Invoice question")
    chat = make_message(identity_value="h@example.com", subject="Chat about export",
                        channel="chat")
    response = advocate_client.get(reverse("conversation", args=[email.conversation_id]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Chat about export" in html
    assert reverse("conversation", args=[chat.conversation_id]) in html
    assert "h@example.com" in html


def test_conversation_page_query_count_is_constant(advocate_client, advocate,
                                                   django_assert_num_queries):
    conversation = make_conversation()
    url = reverse("conversation", args=[conversation.pk])
    advocate_client.get(url)
    with django_assert_num_queries(16):  # 15 + the customer's satisfaction survey, if any
        advocate_client.get(url)
    for i in range(10):
        note = services.add_note(conversation, advocate, f"note {i}", attachments=[
            InboundAttachment(f"log{i}.txt", "text/plain", f"log {i}".encode())])
        services.toggle_reaction(note, advocate, "👀")
        services.reply(conversation, advocate, f"reply {i}")
    with django_assert_num_queries(16):
        advocate_client.get(url)


def test_reply_from_the_page_and_double_submit(advocate_client, advocate):
    conversation = make_conversation()
    url = reverse("compose", args=[conversation.pk])
    data = {"kind": "reply", "text": "We fixed it", "status": "solved",
            "idempotency_key": "abc123"}
    assert advocate_client.post(url, data).status_code == 302
    assert advocate_client.post(url, data).status_code == 302
    conversation.refresh_from_db()
    assert conversation.status == Status.SOLVED
    assert conversation.messages.filter(kind=MessageKind.REPLY).count() == 1
    page = advocate_client.get(reverse("conversation", args=[conversation.pk])).content.decode()
    assert "We fixed it" in page


def test_empty_reply_shows_error_in_the_users_language(client):
    agent = make_user(language="fr")
    client.force_login(agent)
    conversation = make_conversation()
    response = client.post(reverse("compose", args=[conversation.pk]),
                           {"kind": "reply", "text": "   "})
    assert response.status_code == 400
    with translation.override("fr"):
        assert "Écrivez d’abord quelque chose." in response.content.decode()
    assert conversation.messages.count() == 1


def test_note_with_attachment_is_downloadable_only_when_signed_in(advocate_client):
    from django.test import Client

    conversation = make_conversation()
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("trace.txt", b"stack trace", content_type="text/html")
    advocate_client.post(reverse("compose", args=[conversation.pk]),
                         {"kind": "note", "text": "log attached", "attachment": upload})
    attachment = conversation.messages.get(kind=MessageKind.NOTE).attachments.get()
    response = advocate_client.get(reverse("attachment", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"stack trace"
    assert response["Content-Type"] == "application/octet-stream"
    assert "attachment" in response["Content-Disposition"]
    assert Client().get(reverse("attachment", args=[attachment.pk])).status_code == 302


def test_update_only_changes_the_fields_sent(advocate_client, advocate):
    conversation = make_conversation()
    services.update(conversation, advocate, priority=Priority.URGENT)
    url = reverse("conversation_update", args=[conversation.pk])
    advocate_client.post(url, {"status": "pending"})
    conversation.refresh_from_db()
    assert conversation.status == Status.PENDING
    assert conversation.priority == Priority.URGENT
    advocate_client.post(url, {"assignee": str(advocate.pk)})
    advocate_client.post(url, {"priority": "nonsense"})
    conversation.refresh_from_db()
    assert conversation.assignee == advocate and conversation.priority == Priority.URGENT


def test_tags_and_reactions_from_the_page(advocate_client, advocate):
    message = make_message()
    conversation = message.conversation
    advocate_client.post(reverse("conversation_add_tags", args=[conversation.pk]),
                         {"tags": "bug, vip"})
    assert set(conversation.tags.values_list("name", flat=True)) == {"bug", "vip"}
    advocate_client.post(reverse("conversation_remove_tag", args=[conversation.pk, "vip"]))
    assert set(conversation.tags.values_list("name", flat=True)) == {"bug"}
    response = advocate_client.post(reverse("react", args=[message.pk]), {"emoji": "🎉"},
                                    HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "🎉" in response.content.decode() and advocate.display_name in response.content.decode()
    assert message.reactions.get().user == advocate


def test_macro_fills_in_placeholders(advocate_client, advocate):
    conversation = make_conversation(sender_name="Jean Dupont", language="fr")
    macro = Macro.objects.create(name="Bonjour", language="fr",
                                 body="Bonjour {{ customer.first_name }},")
    page = advocate_client.get(reverse("conversation", args=[conversation.pk])).content.decode()
    assert "Bonjour" in page  # French saved replies offered for a French conversation
    response = advocate_client.get(reverse("macro_text", args=[conversation.pk, macro.pk]))
    assert response.content.decode() == "Bonjour Jean,"


def test_observer_sees_but_cannot_change(client):
    observer = make_user(Role.OBSERVER)
    client.force_login(observer)
    conversation = make_conversation()
    page = client.get(reverse("conversation", args=[conversation.pk])).content.decode()
    assert 'name="text"' not in page  # no composer
    response = client.post(reverse("compose", args=[conversation.pk]),
                           {"kind": "reply", "text": "sneaky"})
    assert response.status_code == 403
    assert conversation.messages.count() == 1


def test_times_are_shown_in_the_users_time_zone(client):
    from datetime import UTC, datetime

    tokyo = make_user(time_zone="Asia/Tokyo")
    client.force_login(tokyo)
    conversation = make_conversation(received_at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    html = client.get(reverse("conversation", args=[conversation.pk])).content.decode()
    assert 'datetime="2026-03-02T08:30:00+09:00"' in html


def test_language_switch_is_saved_on_the_user(advocate_client, advocate):
    advocate_client.post(reverse("language_switch"), {"language": "ja", "next": "/inbox/"})
    advocate.refresh_from_db()
    assert advocate.language == "ja"
    html = advocate_client.get(reverse("inbox")).content.decode()
    assert '<html lang="ja">' in html
    assert "受信箱" in html
    advocate_client.post(reverse("language_switch"), {"language": "xx"})
    advocate.refresh_from_db()
    assert advocate.language == "ja"


def test_keyset_pages_with_identical_activity_times():
    from comptoir.conversations import queries

    made = [make_conversation().pk for _ in range(9)]
    same = Conversation.objects.first().last_activity_at
    Conversation.objects.update(last_activity_at=same)  # a bulk import: all at one instant
    seen, cursor = [], None
    while True:
        page = queries.inbox_page(None, queries.INBOX_VIEWS["open"], {}, cursor, size=4)
        seen += [c.pk for c in page.items]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == sorted(made, reverse=True)


def test_tag_filter_with_unknown_tag_is_empty(advocate_client):
    make_conversation()
    assert rows(advocate_client.get(reverse("inbox"), {"view": "open", "tag": "nope"})) == []
