"""The hourly run: shares picked when each person's working day starts in their time zone,
and the morning digest in their language, once a day."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail

from comptoir.accounts.models import Role
from comptoir.teamwork import services
from comptoir.teamwork.models import Share, ShareDigestSent
from comptoir.teamwork.tasks import pick_due_shares

from ..factories import make_user
from .helpers import suitable

pytestmark = pytest.mark.django_db

PARIS_0930 = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)  # Wednesday 09:30 in Paris
PARIS_1130 = datetime(2026, 11, 25, 10, 30, tzinfo=UTC)


def test_shares_and_digests_go_to_those_whose_morning_has_started(eager_tasks):
    with time_machine.travel(PARIS_0930, tick=True):
        for _ in range(4):
            suitable(subject="")
        paris = make_user(Role.TEAMMATE, time_zone="Europe/Paris", language="fr")
        los_angeles = make_user(Role.TEAMMATE, time_zone="America/Los_Angeles")  # 00:30

        totals = pick_due_shares.delay().get()

    assert Share.objects.filter(user=paris).count() == 4
    assert not Share.objects.filter(user=los_angeles).exists()
    assert totals["digests"] == 1
    assert [m.to for m in mail.outbox] == [[paris.email]]


def test_the_digest_is_in_the_persons_language_and_sent_once_a_day():
    with time_machine.travel(PARIS_0930, tick=True):
        suitable(subject="")
        suitable(subject="")
        french = make_user(Role.TEAMMATE, time_zone="Europe/Paris", language="fr")
        english = make_user(Role.TEAMMATE, time_zone="Europe/Paris", language="en")
        services.pick_due()
    with time_machine.travel(PARIS_1130, tick=True):
        services.pick_due()  # an hour later: topped up, no second digest

    assert len(mail.outbox) == 2
    by_person = {m.to[0]: m for m in mail.outbox}
    french_mail, english_mail = by_person[french.email], by_person[english.email]
    html = french_mail.alternatives[0][0]
    assert "(sans objet)" in french_mail.body and 'lang="fr"' in html
    assert "(no subject)" in english_mail.body
    assert "/c/" in french_mail.body and "/share/" in french_mail.body
    assert ShareDigestSent.objects.count() == 2


def test_nobody_on_leave_or_with_an_empty_share_gets_a_digest():
    with time_machine.travel(PARIS_0930, tick=True):
        make_user(Role.TEAMMATE, time_zone="Europe/Paris")  # nothing suits: no digest
        services.pick_due()

    assert mail.outbox == []
    assert not ShareDigestSent.objects.exists()
