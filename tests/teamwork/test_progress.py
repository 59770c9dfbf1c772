"""A person's own progress on their daily share: today and the last four weeks, as a chart
with a table, their own only."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from comptoir.accounts.models import Role
from comptoir.conversations import services as conversations
from comptoir.teamwork import queries
from comptoir.teamwork.models import Share

from ..factories import make_user
from .helpers import DAY, WEDNESDAY, suitable

pytestmark = pytest.mark.django_db


def offer(user, day, conversation, *, dropped=False):
    share = Share.objects.create(user=user, day=day, conversation=conversation,
                                 offered_at=WEDNESDAY - (DAY - day))
    if dropped:
        Share.objects.filter(pk=share.pk).update(dropped_at=share.offered_at,
                                                 dropped_reason="taken")
    return share


def test_my_last_four_weeks_count_my_own_shares_only(client):
    me, colleague = make_user(Role.TEAMMATE, time_zone="UTC"), make_user(Role.TEAMMATE)
    a_week_ago = DAY - timedelta(days=7)
    answered, ignored, taken, theirs = (suitable() for _ in range(4))
    with time_machine.travel(WEDNESDAY - timedelta(days=7), tick=False):
        offer(me, a_week_ago, answered)
        offer(me, a_week_ago, ignored)
        offer(me, a_week_ago, taken, dropped=True)  # someone else took it: not counted
        offer(colleague, a_week_ago, theirs)
        conversations.reply(answered, me, "Done.")
        conversations.reply(theirs, colleague, "Theirs.")
    offer(me, DAY - timedelta(days=40), suitable())  # too old
    client.force_login(me)

    with time_machine.travel(WEDNESDAY, tick=False):
        progress = queries.my_progress(me)
        page = client.get(reverse("teamwork_today")).content.decode()

    assert (progress.start, progress.end) == (DAY - timedelta(days=27), DAY)
    assert len(progress.days) == 28
    by_day = {d.day: (d.offered, d.answered) for d in progress.days if d.offered}
    assert by_day == {a_week_ago: (2, 1)}
    assert "1 answered of 2 offered. Only you see this." in page
    assert f'<tr data-day="{a_week_ago.isoformat()}">' in page  # the table, without JS
    charts = json.loads(page.split('id="report-charts" type="application/json">')[1]
                        .split("</script>")[0])
    assert charts["my-progress"]["labels"][-1] == DAY.isoformat()
    assert charts["my-progress"]["datasets"][0]["data"][-8] == 1  # answered a week ago
    assert "chartjs-4.6.1.umd.min.js" in page


def test_today_and_an_empty_month_read_plainly(client):
    me = make_user(Role.TEAMMATE, time_zone="UTC")
    client.force_login(me)

    with time_machine.travel(WEDNESDAY, tick=False):
        page = client.get(reverse("teamwork_today")).content.decode()

    assert "No shares in the last four weeks." in page
    assert "0 answered of 0 offered" in page
