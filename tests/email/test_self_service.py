"""A customer whose plan does not include email: the message is kept and shown to agents with
a badge, and (when the mailbox says so) the customer gets one polite answer in their language
pointing to the knowledge base and the community forum instead of the acknowledgement. Every
assertion on what was sent reads what a real SMTP server (aiosmtpd) received."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from comptoir.accounts.models import Role
from comptoir.conversations import services
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import Event, Message
from comptoir.email.models import Delivery, DeliveryStatus, Mailbox
from comptoir.email.outbound import maybe_acknowledge, read_reply_token, self_service_text
from comptoir.people import services as people
from comptoir.people.models import Identity, IdentityKind, Person, Plan, Proof
from comptoir.sla.models import PlanTier

from ..factories import make_user
from .mail import build
from .test_outbound import SUPPORT, plain_text, running_mta
from .test_outbound import customer_writes as intake

pytestmark = pytest.mark.django_db

KB = "https://help.acme.test/{language}/"
FORUM = "https://community.acme.test/c/{language}"
FRENCH = "Bonjour, je n'arrive pas à télécharger ma facture depuis hier. Pouvez-vous m'aider ?"


@pytest.fixture
def mta(settings):
    with running_mta(settings) as recorder:
        yield recorder


@pytest.fixture(autouse=True)
def _jobs_run_now(eager_tasks, settings, tmp_path):
    settings.VAR_DIR = tmp_path  # the file backend's outbox


@pytest.fixture
def mailbox():
    return Mailbox.objects.create(
        address=SUPPORT, name="Acme Support", language="en", auto_ack=True, auto_ack_hours=24,
        self_service_reply=True, self_service_kb_url=KB, self_service_forum_url=FORUM,
    )


def customer_writes(capture, **kwargs) -> Message:
    """A customer's email through the raw-first intake, its automatic answer sent."""
    with capture(execute=True):
        return intake(**kwargs)


def customer_on(plan: str, address: str, name: str) -> Person:
    person = people.create_person(actor=None, name=name, plan=plan)
    people.link_identity(person, IdentityKind.EMAIL, address, proof=Proof.AGENT)
    return person


def test_a_free_plan_email_is_kept_and_pointed_to_self_service_in_french(
    mta, mailbox, client, django_capture_on_commit_callbacks,
):
    message = customer_writes(django_capture_on_commit_callbacks, subject="Facture",
                              text=FRENCH, sender="Ana Lima <ana@example.fr>")
    conversation = message.conversation
    assert (conversation.plan, conversation.language) == (Plan.FREE, "fr")

    # nothing lost: the message is stored, in its conversation, for agents to see
    assert list(conversation.messages.all()) == [message]
    assert message.body_text.strip() == FRENCH
    client.force_login(make_user(Role.ADVOCATE))
    page = client.get(reverse("conversation", args=[conversation.pk])).content.decode()
    assert "plan does not include email" in page and "télécharger ma facture" in page

    [envelope] = mta.envelopes
    assert envelope.mail_from == SUPPORT and envelope.rcpt_tos == ["ana@example.fr"]
    [email] = mta.messages
    assert email["Auto-Submitted"] == "auto-replied"  # RFC 3834: never answered by a robot
    assert email["X-Auto-Response-Suppress"] == "All"
    assert email["From"].addresses[0].display_name == "Acme Support"
    assert email["Subject"] == "Re: Facture"
    assert email["In-Reply-To"] == email["References"] == message.external_id
    assert read_reply_token(email["Reply-To"].addresses[0].addr_spec) == conversation.pk
    assert email["Content-Language"] == "fr"

    text = plain_text(email)
    html = email.get_body(("html",)).get_content()
    # the conversation's language, not the mailbox's: links to the French pages
    assert "https://help.acme.test/fr/" in text and "Ana" in text
    assert "https://community.acme.test/c/fr" in text
    assert '<a href="https://help.acme.test/fr/">' in html
    assert '<a href="https://community.acme.test/c/fr">' in html
    assert f"#{conversation.pk}" in text
    assert "will answer as soon as we can" not in text  # not the acknowledgement
    conversation.refresh_from_db()
    with translation.override("fr"):
        assert (text, html) == (self_service_text(conversation, mailbox, "fr")[0],
                                email.get_body(("html",)).get_content())

    delivery = Delivery.objects.get()
    assert (delivery.kind, delivery.message, delivery.status) == (
        "self_service", None, DeliveryStatus.SENT)
    # an automatic answer is not a reply: no message, and no first reply in the metrics
    assert not Event.objects.filter(kind=EventKind.REPLY_SENT).exists()
    assert list(conversation.messages.all()) == [message]


def test_a_paid_customer_gets_the_acknowledgement(mta, mailbox,
                                                   django_capture_on_commit_callbacks):
    customer_on(Plan.PAID, "paula@example.com", "Paula Diaz")
    message = customer_writes(django_capture_on_commit_callbacks, subject="Invoice",
                              sender="Paula Diaz <paula@example.com>")
    assert "outside_plan" not in message.meta
    [email] = mta.messages
    assert "will answer as soon as we can" in plain_text(email)
    assert "help.acme.test" not in plain_text(email)
    assert Delivery.objects.get().kind == "ack"


def test_the_plan_tiers_decide_who_has_email(mta, mailbox,
                                             django_capture_on_commit_callbacks):
    """Plans are configurable: a free plan given email gets the acknowledgement; a paid plan
    whose email was taken away gets the self-service answer."""
    free, paid = PlanTier.objects.get(plan=Plan.FREE), PlanTier.objects.get(plan=Plan.PAID)
    free.channels = [*free.channels, "email"]
    free.save()
    paid.channels = [c for c in paid.channels if c != "email"]
    paid.save()
    customer_on(Plan.PAID, "paula@example.com", "Paula Diaz")
    customer_writes(django_capture_on_commit_callbacks, sender="ana@example.com")
    customer_writes(django_capture_on_commit_callbacks, sender="paula@example.com")
    kinds = dict(Delivery.objects.values_list("recipients__0", "kind"))
    assert kinds == {"ana@example.com": "ack", "paula@example.com": "self_service"}
    assert [("help.acme.test" in plain_text(e)) for e in mta.messages] == [False, True]


def test_without_the_setting_the_message_is_still_marked_and_acknowledged(
    mta, mailbox, django_capture_on_commit_callbacks,
):
    Mailbox.objects.update(self_service_reply=False)
    message = customer_writes(django_capture_on_commit_callbacks)
    assert message.meta["outside_plan"] == "email"
    assert Message.objects.get(pk=message.pk).meta["outside_plan"] == "email"
    [email] = mta.messages
    assert "will answer as soon as we can" in plain_text(email)

    Mailbox.objects.update(auto_ack=False)
    customer_writes(django_capture_on_commit_callbacks, sender="bo@example.com")
    assert len(mta.messages) == 1  # no automatic answer at all


def test_the_self_service_answer_does_not_need_acknowledgements_on(
    mta, mailbox, django_capture_on_commit_callbacks,
):
    Mailbox.objects.update(auto_ack=False)
    customer_writes(django_capture_on_commit_callbacks)
    assert Delivery.objects.get().kind == "self_service"


def test_once_per_sender_per_window_and_only_for_a_new_conversation(
    mta, mailbox, django_capture_on_commit_callbacks,
):
    first = customer_writes(django_capture_on_commit_callbacks, subject="One")
    # the customer answers the automatic answer: kept in the same conversation, no new one
    follow_up = customer_writes(django_capture_on_commit_callbacks, subject="Re: One",
                                text="But I need help!", in_reply_to=first.external_id)
    assert follow_up.conversation_id == first.conversation_id
    assert follow_up.meta["outside_plan"] == "email"
    # a new conversation within the window: nothing more
    second = customer_writes(django_capture_on_commit_callbacks, subject="Two")
    assert second.conversation_id != first.conversation_id
    assert len(mta.messages) == 1
    # another sender is answered
    customer_writes(django_capture_on_commit_callbacks, subject="Three",
                    sender="Bo <bo@example.com>")
    assert len(mta.messages) == 2
    # a day later, the first customer is answered again
    Delivery.objects.filter(recipients=["ana@example.com"]).update(
        created_at=timezone.now() - timedelta(hours=25))
    customer_writes(django_capture_on_commit_callbacks, subject="Four")
    assert len(mta.messages) == 3
    assert Delivery.objects.filter(kind="self_service").count() == 3


def test_an_acknowledgement_counts_in_the_window(mailbox, django_capture_on_commit_callbacks):
    """One automatic answer per sender and window, whatever its kind: a customer who got an
    acknowledgement, then lost email with their plan, is not answered again the same day."""
    person = customer_on(Plan.PAID, "ana@example.com", "Ana Lima")
    customer_writes(django_capture_on_commit_callbacks, subject="One")
    Person.objects.filter(pk=person.pk).update(plan=Plan.FREE)
    later = customer_writes(django_capture_on_commit_callbacks, subject="Two")
    assert later.meta["outside_plan"] == "email"
    assert list(Delivery.objects.values_list("kind", flat=True)) == ["ack"]


def _meta(**meta):
    def spoil(message):
        Message.objects.filter(pk=message.pk).update(meta=meta)
    return spoil


@pytest.mark.parametrize("spoil", [
    pytest.param(_meta(auto="auto-submitted"), id="Auto-Submitted"),
    pytest.param(_meta(auto="precedence: bulk"), id="bulk"),
    pytest.param(_meta(loop="too many from this sender"), id="mail loop"),
    pytest.param(_meta(auth={"verdict": "fail"}), id="failed authentication"),
    pytest.param(lambda m: Identity.objects.filter(pk=m.identity_id).update(
        bounced_at=timezone.now()), id="bounced address"),
    pytest.param(lambda m: Mailbox.objects.update(self_service_reply=False, auto_ack=False),
                 id="mailbox without automatic answers"),
    pytest.param(lambda m: Message.objects.filter(pk=m.pk).update(
        created_at=timezone.now() - timedelta(days=2)), id="old mail"),
])
def test_never_answered(spoil, mailbox, django_capture_on_commit_callbacks):
    Mailbox.objects.update(self_service_reply=False, auto_ack=False)
    message = intake()  # stored without an answer, then spoiled, then asked again
    Mailbox.objects.update(self_service_reply=True, auto_ack=True)
    spoil(message)
    with django_capture_on_commit_callbacks(execute=True):
        assert maybe_acknowledge(Message.objects.get(pk=message.pk)) is None
    assert not Delivery.objects.exists()


@pytest.mark.parametrize("sender", [
    "MAILER-DAEMON@mx.example.com", "no-reply@shop.example", "list-request@lists.example",
    "billing@acme.test",
])
def test_never_answered_to_machines_or_ourselves(sender, mta, mailbox,
                                                 django_capture_on_commit_callbacks):
    Mailbox.objects.create(address="billing@acme.test", name="Billing")
    raw = services.store_raw("email", build(sender=sender, to=SUPPORT).as_bytes(),
                             {"mailbox": SUPPORT})
    with django_capture_on_commit_callbacks(execute=True):
        services.process_raw(raw.pk)
    assert not Delivery.objects.exists() and not mta.messages


def test_automatic_mail_is_kept_but_never_answered(mta, mailbox,
                                                   django_capture_on_commit_callbacks):
    message = customer_writes(django_capture_on_commit_callbacks, subject="Out of office",
                              headers={"Auto-Submitted": "auto-replied"})
    assert message.conversation.messages.get() == message
    assert not mta.messages


def test_the_mailbox_words_and_links_without_a_language(mta, mailbox,
                                                         django_capture_on_commit_callbacks):
    Mailbox.objects.update(self_service_kb_url="https://help.acme.test/",
                           self_service_forum_url="",
                           self_service_text="Upgrade at https://acme.test/pricing\r\nfor email.")
    customer_writes(django_capture_on_commit_callbacks)
    [email] = mta.messages
    text = plain_text(email)
    assert email["Content-Language"] == "en"
    assert "- Knowledge base: https://help.acme.test/\n" in text
    assert "Community forum" not in text
    assert "Upgrade at https://acme.test/pricing\nfor email." in text
    html = email.get_body(("html",)).get_content()
    assert "Upgrade at https://acme.test/pricing<br>" in html


def test_without_links_it_still_names_the_self_service_options(
    mta, mailbox, django_capture_on_commit_callbacks,
):
    Mailbox.objects.update(self_service_kb_url="", self_service_forum_url="")
    customer_writes(django_capture_on_commit_callbacks)
    [email] = mta.messages
    assert "knowledge base and community forum" in plain_text(email)
    assert "<ul>" not in email.get_body(("html",)).get_content()


def test_a_hostile_link_or_name_cannot_inject_html(mta, mailbox,
                                                   django_capture_on_commit_callbacks):
    Mailbox.objects.update(self_service_kb_url='https://help.acme.test/?q="><script>',
                           name="Acme <b>Support</b>")
    customer_writes(django_capture_on_commit_callbacks)
    html = mta.messages[0].get_body(("html",)).get_content()
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;b&gt;Support&lt;/b&gt;" in html


def test_the_admin_edits_the_self_service_settings(admin_client):
    response = admin_client.post("/admin/comptoir_email/mailbox/add/", {
        "address": "Help@Acme.test", "name": "Acme Help", "language": "fr", "is_active": "on",
        "auto_ack_hours": "24", "self_service_reply": "on",
        "self_service_kb_url": "https://help.acme.test/{language}/",
        "self_service_forum_url": "https://community.acme.test/",
        "self_service_text": "Passez au plan payant pour l'email.",
        "imap_port": "993", "imap_folder": "INBOX",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    mailbox = Mailbox.objects.get(address="help@acme.test")
    assert mailbox.self_service_reply and not mailbox.auto_ack
    assert mailbox.self_service_kb_url == "https://help.acme.test/{language}/"
    page = admin_client.get(f"/admin/comptoir_email/mailbox/{mailbox.pk}/change/")
    assert "Customers whose plan does not include email" in page.content.decode()
    bad = admin_client.post(f"/admin/comptoir_email/mailbox/{mailbox.pk}/change/", {
        "address": "help@acme.test", "name": "Acme Help", "auto_ack_hours": "24",
        "self_service_reply": "on", "self_service_kb_url": "not a link",
        "imap_port": "993", "imap_folder": "INBOX",
    })
    assert bad.status_code == 200 and "Enter a valid URL" in bad.content.decode()
    mailbox.refresh_from_db()
    assert mailbox.self_service_kb_url == "https://help.acme.test/{language}/"
