import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache

from comptoir.accounts.models import Role
from comptoir.conversations import services as conversations
from comptoir.conversations.models import Conversation, Status
from comptoir.email.models import Mailbox
from comptoir.surveys import tasks

from ..factories import make_conversation, make_user

SUPPORT = "support@acme.test"
T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, eager_tasks):
    settings.VAR_DIR = tmp_path  # the outbox, when no SMTP relay is set
    settings.SMTP_URL = ""
    settings.BASE_URL = "https://help.acme.test"
    cache.clear()  # the rate limiter's counters
    yield
    cache.clear()


@pytest.fixture
def mailbox(db):
    return Mailbox.objects.create(address=SUPPORT, name="Acme Support", language="en")


@pytest.fixture
def agent(db):
    return make_user(Role.ADVOCATE)


def solve(conversation: Conversation, agent, at: datetime) -> Conversation:
    with time_machine.travel(at, tick=False):
        conversations.update(conversation, agent, status=Status.SOLVED)
    conversation.refresh_from_db()
    return conversation


def solved_conversation(agent, at: datetime = T0, **fields) -> Conversation:
    """A customer's conversation opened an hour before ``at`` and solved at ``at``."""
    with time_machine.travel(at - timedelta(hours=1), tick=False):
        conversation = make_conversation(**fields)
    return solve(conversation, agent, at)


def run_beat(capture, at: datetime) -> int:
    """The ``surveys.offer_due`` beat task at ``at``, its send jobs run when it commits."""
    with time_machine.travel(at, tick=False), capture(execute=True):
        return tasks.offer_due()


def outbox(settings) -> list[bytes]:
    return [p.read_bytes() for p in sorted((settings.VAR_DIR / "outbox").glob("*.eml"))] \
        if (settings.VAR_DIR / "outbox").exists() else []


LINK = re.compile(r"https://help\.acme\.test(/survey/[^\s?\"<]+/)\?rating=(good|bad)")


def links(text: str) -> dict[str, str]:
    """rating -> the path of the survey link for it, as found in a message."""
    return {rating: path for path, rating in LINK.findall(text)}
