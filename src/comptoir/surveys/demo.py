"""Demo surveys: what a few months of satisfaction surveys leave behind, for the demo data
(``comptoir.demo``). Written in bulk with their events, as ``services`` would have."""

import random
from datetime import datetime, timedelta

from django.db.models import Max, Q
from django.utils import timezone

from comptoir.conversations.events import EventKind
from comptoir.conversations.models import Conversation, Event, Status

from .models import Rating, Reason, SkipReason, Survey, SurveyState

DELAY = timedelta(hours=24)
SUPPRESSION = timedelta(days=30)
COMMENTS = {
    "en": {"good": ["Quick and friendly, thank you!", "Solved in one reply. Perfect."],
           "bad": ["It took days to get an answer.", "My problem is still not solved."]},
    "fr": {"good": ["Rapide et sympathique, merci !"],
           "bad": ["Trois jours pour une réponse, c'est long."]},
    "de": {"good": ["Schnell und freundlich, danke!"],
           "bad": ["Mein Problem ist immer noch nicht gelöst."]},
    "es": {"good": ["¡Rápido y amable, gracias!"], "bad": ["Tardaron demasiado en responder."]},
    "ja": {"good": ["迅速で丁寧な対応、ありがとうございました。"],
           "bad": ["返事まで時間がかかりすぎました。"]},
}


def seed(*, now: datetime | None = None, seed: int = 7) -> dict[str, int]:
    """Surveys for the solved demo conversations, sent a day after the solve (one per
    person per 30 days; the others skipped, as ``services.offer`` records them); about
    45 % answered, mostly good, some with a comment."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not a secret
    now = now or timezone.now()
    rows = (Conversation.objects.filter(status__in=(Status.SOLVED, Status.CLOSED),
                                        survey__isnull=True)
            .annotate(solved_at=Max("events__created_at", filter=Q(
                events__kind=EventKind.STATUS_CHANGED, events__data__to=Status.SOLVED)))
            .filter(solved_at__lte=now - DELAY)
            .order_by("solved_at", "pk")
            .values_list("pk", "person_id", "channel", "language", "solved_at"))
    last_sent: dict[int, datetime] = {}
    surveys, events = [], []
    for pk, person_id, channel, language, solved_at in rows:
        sent_at = solved_at + DELAY
        previous = last_sent.get(person_id)
        language = language if language in COMMENTS else "en"
        if previous is not None and sent_at - previous < SUPPRESSION:
            surveys.append(Survey(conversation_id=pk, person_id=person_id, language=language,
                                  channel=channel, state=SurveyState.SKIPPED,
                                  skip_reason=SkipReason.SUPPRESSED, solved_at=solved_at,
                                  created_at=sent_at))
            continue
        last_sent[person_id] = sent_at
        survey = Survey(conversation_id=pk, person_id=person_id, language=language,
                        channel=channel, state=SurveyState.SENT, solved_at=solved_at,
                        created_at=sent_at, sent_at=sent_at,
                        expires_at=sent_at + timedelta(days=14))
        events.append(Event(conversation_id=pk, person_id=person_id,
                            kind=EventKind.CSAT_OFFERED, created_at=sent_at,
                            data={"channel": channel, "language": language}))
        answered = sent_at + timedelta(minutes=rng.randint(5, 3 * 24 * 60))
        if rng.random() < 0.45 and answered <= now:
            survey.rating = Rating.GOOD if rng.random() < 0.86 else Rating.BAD
            if survey.rating == Rating.BAD:
                survey.reason = rng.choice(Reason.values)
            if rng.random() < 0.4:
                survey.comment = rng.choice(COMMENTS[language][survey.rating])
            survey.answered_at = answered
            events.append(Event(conversation_id=pk, person_id=person_id,
                                kind=EventKind.CSAT_RATED, created_at=answered,
                                data={"rating": survey.rating, "previous": "",
                                      "reason": survey.reason,
                                      "comment": bool(survey.comment)}))
        surveys.append(survey)
    Survey.objects.bulk_create(surveys, batch_size=500)
    Event.objects.bulk_create(events, batch_size=500)
    return {"surveys": sum(1 for s in surveys if s.state == SurveyState.SENT),
            "ratings": sum(1 for s in surveys if s.rating)}

