"""A teammate forwards a customer's mail to support: the customer gets their own
conversation only when the teammate asks for it."""

import pytest
from django.urls import reverse

from comptoir.accounts.models import Role
from comptoir.conversations.models import Conversation, MessageKind
from comptoir.email.forwards import find_forwarded
from comptoir.email.parsing import normalise_email

from ..factories import make_message, make_user
from .conftest import CORPUS

pytestmark = pytest.mark.django_db

GMAIL_FR = """Peux-tu l'aider ?

---------- Forwarded message ---------
De : Marie Curie <marie@example.fr>
Date: lun. 6 janv. 2025 à 10:00
Subject: Facture
To: <teo@staff.example>

Bonjour, ma facture est fausse.
"""


def test_forward_blocks_of_real_clients_are_read():
    outlook = normalise_email((CORPUS / "forwarded-message.eml").read_bytes(), {})
    found = find_forwarded(outlook.text)
    assert (found.name, found.address) == ("GitHub", "noreply@github.com")
    assert found.subject.startswith("[GitHub API] Update notice")
    assert found.text.startswith("Hello there!")
    gmail = find_forwarded(GMAIL_FR)
    assert (gmail.address, gmail.subject, gmail.text) == (
        "marie@example.fr", "Facture", "Bonjour, ma facture est fausse.")
    apple = find_forwarded("Begin forwarded message:\n\nFrom: Jo <jo@x.org>\nSubject: S\n\nBody")
    assert apple.address == "jo@x.org"
    assert find_forwarded("Just a question, no forward.\nFrom: me") is None


def test_teammate_opens_a_conversation_for_the_original_sender(client):
    teo = make_user(Role.TEAMMATE, email="teo@staff.example")
    forward = make_message(identity_value="teo@staff.example", text=GMAIL_FR)
    before = Conversation.objects.count()
    client.force_login(teo)
    page = client.get(reverse("conversation", args=[forward.conversation_id])).content.decode()
    assert "Open a conversation with marie@example.fr" in page  # nothing opened yet
    assert Conversation.objects.count() == before

    url = reverse("open_forwarded", args=[forward.pk])
    response = client.post(url)
    opened = Conversation.objects.exclude(pk=forward.conversation_id).get()
    assert response["Location"] == reverse("conversation", args=[opened.pk])
    assert opened.person.identities.get().value == "marie@example.fr"
    assert opened.subject == "Facture"
    assert opened.messages.get().body_text == "Bonjour, ma facture est fausse."
    note = forward.conversation.messages.get(kind=MessageKind.NOTE)
    assert f"#{opened.pk}" in note.body_text and note.author == teo

    client.post(url)  # a second click opens nothing more
    assert Conversation.objects.count() == before + 1
    assert forward.conversation.messages.filter(kind=MessageKind.NOTE).count() == 1


def test_a_customers_forward_is_not_offered(client):
    agent = make_user(Role.ADVOCATE)
    forward = make_message(identity_value="someone@customer.example", text=GMAIL_FR)
    client.force_login(agent)
    page = client.get(reverse("conversation", args=[forward.conversation_id])).content.decode()
    assert "Open a conversation with" not in page
    client.post(reverse("open_forwarded", args=[forward.pk]))
    assert Conversation.objects.count() == 1
