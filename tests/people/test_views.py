import pytest
from django.urls import reverse

from comptoir.conversations.models import Event
from comptoir.people.models import Proof

from ..factories import make_message

pytestmark = pytest.mark.django_db


def test_person_page_shows_every_channel(advocate_client):
    email = make_message(identity_value="p@example.com", subject="Mail subject")
    make_message(identity_value="p@example.com", subject="Chat subject", channel="chat")
    html = advocate_client.get(reverse("person", args=[email.person_id])).content.decode()
    assert "Mail subject" in html and "Chat subject" in html


def test_agent_links_a_checked_identity_and_merges_its_holder(advocate_client, advocate):
    kept = make_message(identity_value="kept@example.com").person
    other = make_message(identity_value="other@example.com").person
    advocate_client.post(reverse("person_identity_add", args=[kept.pk]),
                         {"kind": "email", "value": "Other@example.com"})
    identity = kept.identities.get(value="other@example.com")
    assert identity.proof == Proof.AGENT and identity.is_verified
    other.refresh_from_db()
    assert other.merged_into == kept
    assert Event.objects.filter(kind="identity.linked", actor=advocate).exists()


def test_merge_and_undo_from_the_pages(advocate_client):
    a = make_message(identity_value="a@example.com", subject="A's question").person
    b = make_message(identity_value="b@example.com").person
    response = advocate_client.post(reverse("person_merge", args=[a.pk]), {"target": b.pk})
    assert response.url == reverse("person", args=[b.pk])
    html = advocate_client.get(response.url).content.decode()
    assert "A&#x27;s question" in html or "A's question" in html
    merge = b.merges_as_target.get()
    advocate_client.post(reverse("merge_undo", args=[merge.pk]))
    a.refresh_from_db()
    assert a.merged_into is None and a.conversations.count() == 1


def test_people_search_finds_by_address(advocate_client):
    person = make_message(identity_value="findme@example.org", sender_name="Zed").person
    make_message(identity_value="nobody@example.org", sender_name="Other")
    html = advocate_client.get(reverse("people"), {"q": "findme"}).content.decode()
    assert reverse("person", args=[person.pk]) in html and "Other" not in html


def test_account_pages_render_in_our_layout(advocate_client):
    for name in ("mfa_index", "account_change_password"):
        response = advocate_client.get(reverse(name))
        assert response.status_code == 200, name
        assert 'class="topbar"' in response.content.decode()
