"""A lead changes or cancels a support day: what may change before and after it starts, the
on-call roster freed, participants told once, every change kept in the day's history."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from comptoir.accounts.models import Role
from comptoir.teamwork import services, support_days
from comptoir.teamwork.models import SupportDay, SupportDayChange

from ..factories import make_conversation, make_team, make_user
from .helpers import DAY, WEDNESDAY

pytestmark = pytest.mark.django_db
TUESDAY_EVENING = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)  # the day before
NEXT_WEEK = DAY + timedelta(days=7)


@pytest.fixture(autouse=True)
def the_day_before():
    with time_machine.travel(TUESDAY_EVENING, tick=False) as clock:
        yield clock


def login(client, user):
    client.force_login(user)
    return client


def form(day=DAY, title="Advocacy Day", **fields):
    data = {"edit-day": day.isoformat(), "edit-title": title, "edit-whole_company": "on"}
    data.update({f"edit-{name}": value for name, value in fields.items()})
    return data


def scheduled(lead, **fields):
    fields.setdefault("whole_company", True)
    return support_days.schedule(lead, day=fields.pop("day", DAY), title="Advocacy Day",
                                 **fields)


def test_a_lead_moves_the_day_narrows_it_to_teams_and_a_time_window(
        client, django_capture_on_commit_callbacks):
    engineering = make_team("Engineering")
    engineer = make_user(Role.TEAMMATE, time_zone="Europe/Paris", email="eng@staff.example")
    engineer.teams.add(engineering)
    make_user(Role.TEAMMATE, email="other@staff.example")  # in the old scope only
    lead = make_user(Role.LEAD, time_zone="UTC", email="")
    day = scheduled(lead)
    advocate = make_user(Role.ADVOCATE, email="")
    support_days.set_on_call(day, lead, hour=datetime(2026, 11, 25, 10, tzinfo=UTC),
                             advocate_id=advocate.pk, on_call=True)
    login(client, lead)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("support_day_edit", args=[day.pk]), {
            **form(NEXT_WEEK, "Engineering answers", **{"whole_company": ""}),
            "edit-teams": [engineering.pk], "edit-window_start": "10:00",
            "edit-window_end": "14:00"})

    assert response.status_code == 302
    day.refresh_from_db()
    assert (day.day, day.title, day.whole_company) == (NEXT_WEEK, "Engineering answers", False)
    assert (day.window_start, day.window_end) == (time(10), time(14))
    assert list(support_days.participants(day)) == [engineer]
    # 10:00-14:00 in Paris (09:00-13:00 UTC): the day spans only that
    assert support_days.day_span(day) == (datetime(2026, 12, 2, 9, tzinfo=UTC),
                                          datetime(2026, 12, 2, 13, tzinfo=UTC))
    assert not day.on_call_changes.exists()  # the old date's roster changes no longer fit
    change = day.changes.get(kind=SupportDayChange.Kind.CHANGED)
    assert change.actor == lead
    assert change.data["fields"]["day"] == [DAY.isoformat(), NEXT_WEEK.isoformat()]
    assert change.data["fields"]["teams"] == [[], [engineering.pk]]
    assert change.data["roster_changes_dropped"] == 1
    # the old scope and the new one are told, once each
    assert sorted(m.to[0] for m in mail.outbox) == ["eng@staff.example", "other@staff.example"]
    assert "2026-12-02" in mail.outbox[0].body and "10:00" in mail.outbox[0].body
    assert "Engineering" in mail.outbox[0].body
    page = client.get(reverse("support_day", args=[day.pk])).content.decode()
    assert "from 10:00 to 14:00, each in their own time" in page
    assert 'data-kind="changed"' in page and 'data-kind="scheduled"' in page


def test_the_same_edit_sent_twice_changes_and_records_nothing_more(client):
    lead = make_user(Role.LEAD)
    day = scheduled(lead)
    login(client, lead)
    url = reverse("support_day_edit", args=[day.pk])

    first = client.post(url, form(title="Renamed"))
    second = client.post(url, form(title="Renamed"), follow=True)

    assert first.status_code == 302 and second.status_code == 200
    assert "Nothing changed." in second.content.decode()
    assert day.changes.filter(kind=SupportDayChange.Kind.CHANGED).count() == 1
    assert mail.outbox == []  # the title is not worth a mail


@pytest.mark.parametrize(("fields", "error"), [
    ({"whole_company": ""}, "Choose at least one team"),
    ({"window_start": "15:00", "window_end": "09:00"}, "must end after it starts"),
    ({"title": " "}, "This field is required"),
])
def test_bad_changes_are_refused_and_change_nothing(client, fields, error):
    lead = make_user(Role.LEAD)
    day = scheduled(lead)
    login(client, lead)
    data = form()
    data.update({f"edit-{name}": value for name, value in fields.items()})

    response = client.post(reverse("support_day_edit", args=[day.pk]), data)

    assert response.status_code == 400 and error in response.content.decode()
    assert day.changes.count() == 1  # scheduled only
    day.refresh_from_db()
    assert day.whole_company and day.window_start is None


def test_once_the_day_has_started_only_outcomes_and_learnings_change(client):
    lead = make_user(Role.LEAD)
    day = scheduled(lead)
    login(client, lead)

    with time_machine.travel(WEDNESDAY, tick=False):
        page = client.get(reverse("support_day", args=[day.pk])).content.decode()
        moved = client.post(reverse("support_day_edit", args=[day.pk]), form(NEXT_WEEK))
        cancelled = client.post(reverse("support_day_cancel", args=[day.pk]),
                                {"cancel-reason": "Too late?"})
        learnings = client.post(reverse("support_day_learnings", args=[day.pk]),
                                {"learnings": "Customers love the new export."})
        ux = client.post(reverse("support_day_ux", args=[day.pk]), {"title": "Export hidden"})

    assert 'id="edit-day"' not in page and 'id="cancel-day"' not in page
    assert "only its outcomes (UX problems) and learnings can be added now" in page
    assert moved.status_code == 400 and "has started" in moved.content.decode()
    assert cancelled.status_code == 400 and "can no longer be cancelled" in (
        cancelled.content.decode())
    assert learnings.status_code == ux.status_code == 302
    day.refresh_from_db()
    assert day.day == DAY and not day.cancelled
    assert day.learnings == "Customers love the new export."


def test_cancelling_keeps_the_record_frees_the_roster_and_tells_participants_once(
        client, django_capture_on_commit_callbacks):
    participant = make_user(Role.TEAMMATE, email="ada@staff.example", language="fr")
    lead = make_user(Role.LEAD, email="")
    advocate = make_user(Role.ADVOCATE, email="")
    day = scheduled(lead)
    support_days.set_on_call(day, lead, hour=datetime(2026, 11, 25, 10, tzinfo=UTC),
                             advocate_id=advocate.pk, on_call=True)
    login(client, lead)
    url = reverse("support_day_cancel", args=[day.pk])

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, {"cancel-reason": "Launch moved to that day."})
        again = client.post(url, {"cancel-reason": "Launch moved to that day."}, follow=True)

    assert first.status_code == 302
    assert "already cancelled" in again.content.decode()
    day.refresh_from_db()
    assert day.cancelled and day.cancelled_by == lead and day.cancelled_at == TUESDAY_EVENING
    assert day.cancel_reason == "Launch moved to that day."
    assert SupportDay.objects.filter(pk=day.pk).exists()  # the record is kept
    assert not day.on_call_changes.exists()
    assert day.changes.filter(kind=SupportDayChange.Kind.CANCELLED).count() == 1
    assert [m.to for m in mail.outbox] == [["ada@staff.example"]]  # once
    assert "Launch moved to that day." in mail.outbox[0].body
    assert "Advocacy Day" in mail.outbox[0].subject
    page = again.content.decode()
    assert 'data-status="cancelled"' in page and "Launch moved to that day." in page
    listing = client.get(reverse("support_days")).content.decode()
    assert "Advocacy Day" in listing and 'data-status="cancelled"' in listing
    # the cancelled day's roster takes no more changes, and it is running for nobody
    refused = client.post(reverse("support_day_on_call", args=[day.pk]), {
        "hour": "2026-11-25T10:00:00+00:00", "advocate": advocate.pk, "on_call": "1"})
    assert refused.status_code == 400 and "cancelled" in refused.content.decode()
    with time_machine.travel(WEDNESDAY, tick=False):
        assert support_days.running_days(WEDNESDAY) == []
        assert support_days.day_of(participant) is None
        assert support_days.on_call_now(WEDNESDAY) == set()
    with pytest.raises(support_days.SupportDayError):
        support_days.edit(day, lead, day=DAY, title="Back on?", whole_company=True)
    # nothing more is noted on it: no UX problems, no learnings (its reason says why)
    assert f'action="/support-days/{day.pk}/ux/"' not in page
    assert f'action="/support-days/{day.pk}/learnings/"' not in page
    ux = client.post(reverse("support_day_ux", args=[day.pk]), {"title": "Slow search"})
    learned = client.post(reverse("support_day_learnings", args=[day.pk]),
                          {"learnings": "Plan it later."})
    for refused in (ux, learned):
        assert refused.status_code == 400
        assert "A cancelled day cannot be changed." in refused.content.decode()
    day.refresh_from_db()
    assert not day.ux_problems.exists() and day.learnings == ""


def test_a_cancellation_needs_a_reason_and_only_leads_change_or_cancel(client):
    lead = make_user(Role.LEAD)
    day = scheduled(lead)

    blank = login(client, lead).post(reverse("support_day_cancel", args=[day.pk]),
                                     {"cancel-reason": " "})
    advocate = login(client, make_user(Role.ADVOCATE))
    forbidden = [advocate.post(reverse("support_day_cancel", args=[day.pk]),
                               {"cancel-reason": "Mine"}),
                 advocate.post(reverse("support_day_edit", args=[day.pk]), form(NEXT_WEEK))]
    page = advocate.get(reverse("support_day", args=[day.pk])).content.decode()

    assert blank.status_code == 400
    assert [r.status_code for r in forbidden] == [403, 403]
    assert 'id="cancel-day"' not in page and 'id="edit-day"' not in page
    day.refresh_from_db()
    assert not day.cancelled and day.day == DAY


def test_an_ask_during_a_cancelled_day_goes_to_whoever_is_on_shift():
    always = {str(d): [["00:00", "24:00"]] for d in range(7)}
    nights = {str(d): [["00:00", "01:00"]] for d in range(7)}
    from comptoir.routing.models import WorkingHours

    usual = make_user(Role.ADVOCATE, first_name="Usual")
    WorkingHours.objects.create(user=usual, weekly_hours=always)
    night = make_user(Role.ADVOCATE, first_name="Night")
    WorkingHours.objects.create(user=night, weekly_hours=nights)
    lead = make_user(Role.LEAD)
    WorkingHours.objects.create(user=lead, weekly_hours={})
    day = scheduled(lead)
    support_days.set_on_call(day, lead, hour=datetime(2026, 11, 25, 10, tzinfo=UTC),
                             advocate_id=night.pk, on_call=True)
    support_days.cancel(day, lead, "Postponed")

    with time_machine.travel(WEDNESDAY, tick=False):
        asked = services.ask_advocate(make_conversation(), make_user(Role.TEAMMATE), "k")

    assert asked.request.advocate == usual


def test_a_past_date_is_refused_when_moving():
    lead = make_user(Role.LEAD)
    day = scheduled(lead)

    with pytest.raises(support_days.SupportDayError, match="today or a later"):
        support_days.edit(day, lead, day=date(2026, 11, 1), title="Back in time",
                          whole_company=True, today=date(2026, 11, 24))
