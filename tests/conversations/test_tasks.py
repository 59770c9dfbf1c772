from datetime import timedelta

import pytest
from django.utils import timezone

from comptoir.conversations import services
from comptoir.conversations.models import RawInbound, RawStatus
from comptoir.conversations.tasks import process_stranded

pytestmark = pytest.mark.django_db

PAYLOAD = b'{"from": {"value": "x@example.com"}, "text": "hello"}'


def test_payloads_whose_job_was_lost_are_processed_by_the_sweep(eager_tasks):
    stranded = services.store_raw("api", PAYLOAD, {"channel": "api"})
    RawInbound.objects.filter(pk=stranded.pk).update(
        received_at=timezone.now() - timedelta(minutes=10))
    fresh = services.store_raw("api", PAYLOAD.replace(b"hello", b"hi"), {"channel": "api"})
    assert process_stranded() == 1  # a fresh one may still have its job on the way
    stranded.refresh_from_db()
    fresh.refresh_from_db()
    assert stranded.status == RawStatus.PROCESSED and stranded.message.body_text == "hello"
    assert fresh.status == RawStatus.RECEIVED
    assert process_stranded() == 0
