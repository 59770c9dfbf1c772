"""The demo comes with surveys: a CSAT report to look at from the first start."""

import pytest
from django.utils import timezone

from comptoir import demo
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import Event
from comptoir.surveys import services
from comptoir.surveys.models import Survey, SurveyState

pytestmark = pytest.mark.django_db


def test_the_demo_has_surveys_and_ratings():
    # the demo's "now" is an exact hour: the surveys due then are all there
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    summary = demo.load(scale=0.05, now=now)
    surveys = Survey.objects.filter(state=SurveyState.SENT)
    assert summary.counts["surveys"] == surveys.count() > 0
    rated = surveys.exclude(rating="")
    assert summary.counts["ratings"] == rated.count() > 0
    assert Event.objects.filter(kind=EventKind.CSAT_RATED).count() == rated.count()
    for survey in surveys:  # surveyed a day after a solve, one person at most every 30 days
        assert survey.sent_at > survey.solved_at
    assert services.due(now=now) == []  # the beat has nothing left of the demo's past
    demo.unload()
    assert not Survey.objects.exists()
