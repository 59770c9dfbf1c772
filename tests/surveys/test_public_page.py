"""The customer's side: a signed link opens the survey without logging in; 👍/👎, then a
reason and a comment; answering again changes the answer; expired or altered links, closed
conversations and floods get a clear page."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from comptoir.conversations import services as conversations
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import Event
from comptoir.surveys import views
from comptoir.surveys.models import Survey
from comptoir.surveys.services import survey_url
from comptoir.surveys.tokens import make_token

from .conftest import T0, run_beat, solved_conversation

pytestmark = pytest.mark.django_db
SENT = T0 + timedelta(days=1)


@pytest.fixture
def survey(agent, mailbox, django_capture_on_commit_callbacks):
    solved_conversation(agent, subject="Invoice missing", language="en")
    run_beat(django_capture_on_commit_callbacks, SENT)
    return Survey.objects.get()


def page(survey) -> str:
    with time_machine.travel(SENT, tick=False):
        token = make_token(survey.pk)
    return reverse("survey", args=[token])


def ratings(survey):
    return list(Event.objects.filter(conversation_id=survey.conversation_id,
                                     kind=EventKind.CSAT_RATED)
                .values_list("data__rating", "data__previous"))


def test_rating_then_comment_through_the_page(survey, client):
    url = page(survey)
    with time_machine.travel(SENT + timedelta(hours=2)):
        shown = client.get(url)
        assert shown.status_code == 200
        html = shown.content.decode()
        assert 'name="rating" value="good"' in html and 'name="rating" value="bad"' in html
        assert "csrfmiddlewaretoken" in html and "<script" not in html  # no JS needed
        assert "Invoice missing" in html

        rated = client.post(url, {"rating": "good"})
        assert rated.status_code == 302
        survey.refresh_from_db()
        assert survey.rating == "good" and survey.comment == ""
        assert survey.answered_at is not None

        thanks = client.get(rated["Location"]).content.decode()
        assert "Thank you for your answer" in thanks and "textarea" in thanks

        client.post(url, {"rating": "bad", "reason": "slow",
                          "comment": "  Two days for an invoice.  "})
    survey.refresh_from_db()
    assert (survey.rating, survey.reason, survey.comment) == ("bad", "slow",
                                                             "Two days for an invoice.")
    assert Survey.objects.count() == 1
    assert ratings(survey) == [("good", ""), ("bad", "good")]

    # the same answer again changes nothing and logs nothing
    client.post(url, {"rating": "bad", "reason": "slow", "comment": "Two days for an invoice."})
    assert len(ratings(survey)) == 2


def test_the_emailed_link_preselects_the_rating(survey, client):
    with time_machine.travel(SENT, tick=False):
        url = survey_url(survey, "bad").removeprefix("https://help.acme.test")
    html = client.get(url).content.decode()
    assert 'value="bad" checked' in html and "textarea" in html
    assert Survey.objects.get().rating == ""  # opening a link never rates: mail scanners do


def test_a_good_rating_keeps_no_reason(survey, client):
    client.post(page(survey), {"rating": "good", "reason": "slow"})
    survey.refresh_from_db()
    assert (survey.rating, survey.reason) == ("good", "")


def test_bad_input_is_refused_and_loses_nothing(survey, client):
    url = page(survey)
    client.post(url, {"rating": "bad", "comment": "Slow."})
    response = client.post(url, {"rating": "meh", "comment": "x" * 3000})
    assert response.status_code == 400
    survey.refresh_from_db()
    assert (survey.rating, survey.comment) == ("bad", "Slow.")


def test_the_page_speaks_the_customers_language(agent, mailbox, client,
                                               django_capture_on_commit_callbacks):
    conversation = solved_conversation(agent, language="ja")
    conversation.person.language = "ja"
    conversation.person.save()
    run_beat(django_capture_on_commit_callbacks, SENT)
    response = client.get(page(Survey.objects.get()), HTTP_ACCEPT_LANGUAGE="de")
    assert response["Content-Language"] == "ja"
    assert '<html lang="ja">' in response.content.decode()


def test_an_expired_link_says_so(survey, client):
    url = page(survey)
    with time_machine.travel(SENT + timedelta(days=14, seconds=1)):
        response = client.get(url)
        assert response.status_code == 410
        assert "This survey link has expired" in response.content.decode()
        assert client.post(url, {"rating": "good"}).status_code == 410
    survey.refresh_from_db()
    assert survey.rating == ""


def test_a_tampered_link_is_refused(survey, client):
    token = make_token(survey.pk)
    number, stamp, signature = token.split(":")
    for forged in (f"{survey.pk + 1}:{stamp}:{signature}", f"{number}:{stamp}:{signature[:-1]}x",
                   f"{number}:{stamp}", "nothing", make_token(99999)):
        response = client.post(reverse("survey", args=[forged]), {"rating": "bad"})
        assert response.status_code == 404, forged
        assert "This survey link is not valid" in response.content.decode()
    survey.refresh_from_db()
    assert survey.rating == ""


def test_a_token_for_another_purpose_is_refused(survey, client):
    from django.core import signing

    foreign = signing.TimestampSigner(salt="comptoir.something-else").sign(str(survey.pk))
    assert client.get(reverse("survey", args=[foreign])).status_code == 404


def test_a_closed_conversation_keeps_its_rating(survey, client, agent):
    url = page(survey)
    client.post(url, {"rating": "good"})
    conversations.update(survey.conversation, agent, status="closed")
    response = client.post(url, {"rating": "bad"})
    assert "This survey is closed" in response.content.decode()
    survey.refresh_from_db()
    assert survey.rating == "good"


def test_answers_are_rate_limited(survey, client):
    url = page(survey)
    codes = [client.post(url, {"rating": "good" if n % 2 else "bad"}).status_code
             for n in range(views.ANSWER_LIMIT_PER_SURVEY + 1)]
    assert codes[:-1] == [302] * views.ANSWER_LIMIT_PER_SURVEY
    assert codes[-1] == 429
    survey.refresh_from_db()
    assert survey.rating == "good"  # the 10th answer; the 11th (bad) was refused


def test_page_views_are_rate_limited_per_address(survey):
    client = Client(REMOTE_ADDR="203.0.113.9")
    url = page(survey)
    codes = {client.get(url).status_code for _ in range(views.PAGE_LIMIT_PER_IP)}
    assert codes == {200}
    limited = client.get(url)
    assert limited.status_code == 429 and "Too many requests" in limited.content.decode()
    assert Client(REMOTE_ADDR="203.0.113.10").get(url).status_code == 200


def test_a_post_without_csrf_token_is_refused(survey):
    client = Client(enforce_csrf_checks=True)
    assert client.post(page(survey), {"rating": "bad"}).status_code == 403
    survey.refresh_from_db()
    assert survey.rating == ""
