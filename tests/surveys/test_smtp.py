"""The survey email through a real SMTP server on loopback (aiosmtpd as the receiving MTA):
what the customer's mail server gets, whose links open the survey; a temporary refusal is
retried, a permanent one is not."""

import socket
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from comptoir.surveys import services
from comptoir.surveys.models import Survey, SurveyState

from .conftest import SUPPORT, T0, links, run_beat, solved_conversation

pytestmark = pytest.mark.django_db


class Mta:
    """Accepts mail, or answers RCPT with the queued ``answers`` first (e.g. 451)."""

    def __init__(self):
        self.envelopes = []
        self.answers: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.answers:
            return self.answers.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 2.0.0 Ok: queued as 42"


@pytest.fixture
def mta(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Mta()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.SMTP_URL = f"smtp://127.0.0.1:{port}"
    settings.SMTP_TIMEOUT = 5
    yield handler
    controller.stop()


def test_the_customer_receives_the_survey_and_its_links_work(
    mta, agent, mailbox, client, django_capture_on_commit_callbacks,
):
    conversation = solved_conversation(agent, identity_value="ana@example.com",
                                       sender_name="Ana Lima", subject="Invoice missing")
    run_beat(django_capture_on_commit_callbacks, T0 + timedelta(days=1))

    [envelope] = mta.envelopes
    assert envelope.mail_from == SUPPORT and envelope.rcpt_tos == ["ana@example.com"]
    email = message_from_bytes(envelope.original_content, policy=policy.default)
    assert str(email["To"]) == "Ana Lima <ana@example.com>"
    assert f"#{conversation.pk}" in email["Subject"]
    assert email["Reply-To"].addresses[0].addr_spec.startswith("support+")
    assert email["Content-Language"] == "en"
    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    assert "Invoice missing" in text and "Hello Ana," in text
    found = links(text)
    assert set(found) == {"good", "bad"} and set(links(html)) == {"good", "bad"}

    page = client.get(found["good"] + "?rating=good")
    assert page.status_code == 200 and 'value="good" checked' in page.content.decode()
    client.post(found["good"], {"rating": "good", "comment": "Thanks!"})
    survey = Survey.objects.get()
    assert (survey.state, survey.rating, survey.comment) == (SurveyState.SENT, "good", "Thanks!")


def test_a_temporary_refusal_is_retried(mta, agent, mailbox, django_capture_on_commit_callbacks):
    mta.answers = ["451 4.3.0 Try again later"]
    solved_conversation(agent)
    run_beat(django_capture_on_commit_callbacks, T0 + timedelta(days=1))
    survey = Survey.objects.get()
    assert survey.state == SurveyState.PENDING and survey.attempts == 1
    assert "451" in survey.error and mta.envelopes == []
    assert survey.next_attempt_at == T0 + timedelta(days=1, minutes=5)

    run_beat(django_capture_on_commit_callbacks, T0 + timedelta(days=1, minutes=4))
    assert Survey.objects.get().attempts == 1  # not due yet
    run_beat(django_capture_on_commit_callbacks, T0 + timedelta(days=1, minutes=5))
    survey.refresh_from_db()
    assert survey.state == SurveyState.SENT and survey.attempts == 2
    assert len(mta.envelopes) == 1


def test_a_permanent_refusal_is_not_retried(mta, agent, mailbox,
                                            django_capture_on_commit_callbacks):
    mta.answers = ["550 5.1.1 No such user here"]
    solved_conversation(agent)
    run_beat(django_capture_on_commit_callbacks, T0 + timedelta(days=1))
    survey = Survey.objects.get()
    assert survey.state == SurveyState.FAILED and "550" in survey.error
    assert services.sends_due(T0 + timedelta(days=3)) == []
