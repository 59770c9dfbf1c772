"""The follow-up of a fixed bug, as a real SMTP server receives it: one email per customer,
threaded into their conversation, in their language."""

import pytest

from comptoir.accounts.models import Role
from comptoir.bugs import services
from comptoir.email.models import Delivery, DeliveryStatus, Mailbox
from comptoir.email.outbound import read_reply_token

from ..email.test_outbound import SUPPORT, customer_writes, plain_text, running_mta
from ..factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def mta(settings):
    with running_mta(settings) as recorder:
        yield recorder


@pytest.fixture
def mailbox():
    return Mailbox.objects.create(address=SUPPORT, name="Acme Support", language="en")


def test_every_customer_receives_one_follow_up_email_in_their_language(
    mta, mailbox, eager_tasks, django_capture_on_commit_callbacks,
):
    agent = make_user(Role.ADVOCATE, first_name="Zoë", last_name="Martin")
    marie = customer_writes(subject="L'export CSV est cassé",
                            text="Bonjour, l'export CSV ne fonctionne plus depuis ce matin. "
                                 "Pouvez-vous regarder ?",
                            sender="Marie Curie <marie@example.fr>")
    ana = customer_writes(subject="CSV export broken",
                          text="Hello, the CSV export has been failing since this morning.",
                          sender="Ana Lima <ana@example.com>")
    assert (marie.conversation.language, ana.conversation.language) == ("fr", "en")
    bug, _new = services.create_bug(agent, "CSV export 500", "https://github.com/acme/app/issues/7")
    for message in (marie, ana):
        services.link(message.conversation, bug, agent)

    with django_capture_on_commit_callbacks(execute=True):
        services.mark_fixed(bug, agent, "Exports work again since version 2.4.")
    with django_capture_on_commit_callbacks(execute=True):  # marked fixed again, job again
        services.mark_fixed(bug, agent, "Again")
        services.send_follow_ups(bug.pk)

    assert sorted(e.rcpt_tos[0] for e in mta.envelopes) == ["ana@example.com",
                                                           "marie@example.fr"]
    emails = {e["To"].addresses[0].addr_spec: e for e in mta.messages}
    to_marie = emails["marie@example.fr"]
    assert to_marie["Subject"] == "Re: L'export CSV est cassé"
    assert to_marie["In-Reply-To"] == marie.external_id  # threaded in the customer's client
    assert to_marie["Content-Language"] == "fr"
    assert read_reply_token(to_marie["Reply-To"].addresses[0].addr_spec) == marie.conversation_id
    body = plain_text(to_marie)
    assert body.startswith("Bonjour Marie,\n\nLe problème que vous nous avez signalé est corrigé.")
    assert "Exports work again since version 2.4." in body and "Again" not in body
    to_ana = emails["ana@example.com"]
    assert to_ana["Content-Language"] == "en"
    assert plain_text(to_ana).startswith("Hello Ana,\n\nThe problem you reported is fixed.")

    deliveries = Delivery.objects.filter(message__idempotency_key__startswith="bug-follow-up-")
    assert deliveries.count() == 2
    assert {d.status for d in deliveries} == {DeliveryStatus.SENT}
    assert {d.conversation_id for d in deliveries} == {marie.conversation_id, ana.conversation_id}
