"""The weekly digest: Monday morning in each lead's zone and language, once a week."""

from datetime import UTC, datetime
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from comptoir.accounts.models import Role
from comptoir.conversations import services as conversations
from comptoir.reports import digest, services, tasks
from comptoir.reports.models import DigestSent

from ..factories import make_message, make_team, make_user

LAST_WEEK = datetime(2027, 2, 24, 10, 0, tzinfo=UTC)  # a Wednesday
MONDAY_0730_PARIS = datetime(2027, 3, 1, 6, 30, tzinfo=UTC)
MONDAY_0830_PARIS = datetime(2027, 3, 1, 7, 30, tzinfo=UTC)


@pytest.fixture
def week(db):
    agent = make_user(Role.ADVOCATE)
    with time_machine.travel(LAST_WEEK, tick=False):
        for _n in range(3):
            c = make_message().conversation
            conversations.reply(c, agent, "Done", status="solved")
        services.refresh()
    team = make_team("Support EMEA", is_support=True)
    lead = make_user(Role.LEAD, language="fr", time_zone="Europe/Paris", email="lead@x.example")
    lead.teams.add(team)
    return lead


def test_sent_on_monday_morning_in_the_leads_zone_and_language_once(week):
    with time_machine.travel(MONDAY_0730_PARIS, tick=False):
        assert tasks.send_due_digests.apply().get() == 0
    with time_machine.travel(MONDAY_0830_PARIS, tick=False):
        assert tasks.send_due_digests.apply().get() == 1
        assert tasks.send_due_digests.apply().get() == 0  # once a week
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["lead@x.example"]
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "<table" in html
    assert "février" in message.body  # the dates in French: 22 février 2027 – 28 février 2027
    assert "Support EMEA" in message.body
    assert "3" in message.subject
    assert DigestSent.objects.get().week.isoformat() == "2027-03-01"


def test_a_failed_send_is_retried(week, settings, monkeypatch):
    def boom(*args, **kwargs):
        raise OSError("smtp down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", boom)
    with time_machine.travel(MONDAY_0830_PARIS, tick=False), pytest.raises(OSError):
        digest.send_due()
    assert not DigestSent.objects.exists()


def test_the_command_sends_now(week):
    out = StringIO()
    with time_machine.travel(MONDAY_0830_PARIS, tick=False):
        call_command("send_digest", week.username, stdout=out)
        call_command("send_digest", week.username, stdout=out)
    assert "1 sent" in out.getvalue() and "already sent" in out.getvalue()
    assert len(mail.outbox) == 1
