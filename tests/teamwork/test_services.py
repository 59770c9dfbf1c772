"""Picking daily shares: who gets what, and what a second run the same day changes."""

from datetime import date, timedelta

import pytest
import time_machine

from comptoir.accounts.models import Role
from comptoir.conversations import services as conversations
from comptoir.conversations.models import Priority, Status
from comptoir.routing.models import Leave, Skill, WorkingHours
from comptoir.sla.models import ClockState, Metric, SlaClock
from comptoir.teamwork import queries, services
from comptoir.teamwork.models import Share

from ..factories import make_team, make_user
from .helpers import DAY, WEDNESDAY, suitable

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def wednesday_morning():
    with time_machine.travel(WEDNESDAY, tick=True) as clock:
        yield clock


def pick(**kwargs):
    return services.pick_shares(DAY, **kwargs)


def share_of(user) -> set[int]:
    return set(Share.objects.filter(user=user, day=DAY, dropped_at__isnull=True)
               .values_list("conversation_id", flat=True))


def test_only_conversations_that_suit_a_non_specialist_are_offered():
    good = suitable()
    low_untagged = suitable(tags=(), priority=Priority.LOW)
    normal_untagged = suitable(tags=())
    urgent = suitable(priority=Priority.URGENT)
    high = suitable(priority=Priority.HIGH)
    assigned = suitable()
    pending = suitable()
    teammate = make_user(Role.TEAMMATE)
    advocate = make_user(Role.ADVOCATE)
    services.set_daily_count(advocate, 0)
    conversations.update(assigned, None, assignee=advocate)
    conversations.update(pending, None, status=Status.PENDING)

    pick()

    assert share_of(teammate) == {good.pk, low_untagged.pk}
    assert not {normal_untagged.pk, urgent.pk, high.pk, assigned.pk, pending.pk} & share_of(
        teammate)


def test_conversations_near_or_past_their_sla_target_are_left_to_advocates():
    safe, soon, breached, warned = suitable(), suitable(), suitable(), suitable()
    teammate = make_user(Role.TEAMMATE)
    SlaClock.objects.filter(conversation__in=[safe, soon, breached, warned]).delete()

    def clock(conversation, **fields):
        SlaClock.objects.create(conversation=conversation, metric=Metric.FIRST_REPLY,
                                priority=Priority.NORMAL, minutes=480,
                                started_at=WEDNESDAY - timedelta(hours=1),
                                **{"state": ClockState.RUNNING, **fields})

    clock(safe, due_at=WEDNESDAY + timedelta(hours=10))
    clock(soon, due_at=WEDNESDAY + timedelta(hours=1))
    clock(breached, due_at=WEDNESDAY - timedelta(minutes=5), breached_at=WEDNESDAY)
    clock(warned, due_at=WEDNESDAY + timedelta(hours=6), warned_at=WEDNESDAY)

    pick()

    assert share_of(teammate) == {safe.pk}


def test_a_person_gets_conversations_in_the_languages_they_speak():
    english, french, japanese = suitable("en"), suitable("fr"), suitable("ja")
    unknown = suitable("")
    francophone = make_user(Role.TEAMMATE, spoken_languages=["fr"])

    pick()

    assert share_of(francophone) == {french.pk, unknown.pk}
    assert not {english.pk, japanese.pk} & share_of(francophone)


def test_a_conversation_needing_a_skill_goes_to_someone_with_it():
    billing = Skill.objects.create(name="Billing", tags=["billing"])
    needs_billing = suitable(tags=("good-first-reply", "billing"))
    plain = suitable()
    holder = make_user(Role.TEAMMATE)
    billing.members.add(holder)
    other = make_user(Role.TEAMMATE)

    pick()

    assert needs_billing.pk in share_of(holder)
    assert share_of(other) <= {plain.pk}
    assert needs_billing.pk not in share_of(other)


def test_everyone_who_may_reply_has_a_share_of_five_by_default_observers_none():
    for _ in range(12):
        suitable()
    engineer = make_user(Role.TEAMMATE)
    advocate = make_user(Role.ADVOCATE)
    observer = make_user(Role.OBSERVER)

    result = pick()

    assert len(share_of(engineer)) == 5
    assert len(share_of(advocate)) == 5
    assert share_of(observer) == set()
    assert result.people == 2 and result.offered == 10


def test_a_person_sets_their_own_count_and_zero_turns_it_off():
    for _ in range(6):
        suitable()
    two, off = make_user(Role.TEAMMATE), make_user(Role.TEAMMATE)
    services.set_daily_count(two, 2)
    services.set_daily_count(off, 0)

    pick()

    assert len(share_of(two)) == 2
    assert share_of(off) == set()
    with pytest.raises(services.ShareError):
        services.set_daily_count(two, 99)
    assert services.daily_count_of(two) == 2


def test_never_the_same_conversation_to_two_people_the_same_day():
    offered = {suitable().pk for _ in range(4)}
    people = [make_user(Role.TEAMMATE) for _ in range(3)]

    pick()

    shares = [share_of(p) for p in people]
    assert set().union(*shares) == offered
    assert sum(len(s) for s in shares) == 4
    assert all(shares)  # everyone got one before anyone got a second


def test_running_twice_the_same_day_gives_the_same_shares():
    for _ in range(8):
        suitable()
    people = [make_user(Role.TEAMMATE) for _ in range(3)]
    pick()
    first = {p.pk: share_of(p) for p in people}

    again = pick()

    assert {p.pk: share_of(p) for p in people} == first
    assert again.offered == 0 and again.dropped == 0
    assert Share.objects.count() == 8


def test_a_conversation_taken_or_answered_by_someone_else_drops_out_and_is_replaced():
    conversations_ = [suitable() for _ in range(4)]
    teammate = make_user(Role.TEAMMATE)
    services.set_daily_count(teammate, 2)
    pick()
    taken, answered = sorted(share_of(teammate))
    others = [c.pk for c in conversations_ if c.pk not in (taken, answered)]
    advocate = make_user(Role.ADVOCATE)
    services.set_daily_count(advocate, 0)
    by_pk = {c.pk: c for c in conversations_}
    conversations.update(by_pk[taken], advocate, assignee=advocate)
    conversations.reply(by_pk[answered], advocate, "On it.")

    result = pick()

    assert share_of(teammate) == set(others)
    assert result.dropped == 2
    assert set(Share.objects.filter(dropped_at__isnull=False).values_list(
        "dropped_reason", flat=True)) == {"taken"}


def test_what_the_person_answered_stays_and_counts_as_progress():
    first, second = suitable(), suitable()
    teammate = make_user(Role.TEAMMATE)
    services.set_daily_count(teammate, 2)
    pick()
    conversations.reply(first, teammate, "Hello! Here is how.", status=Status.PENDING)

    pick()
    mine = queries.my_share(teammate, DAY)

    assert {s.conversation_id for s in mine.shares} == {first.pk, second.pk}
    assert (mine.answered, mine.total) == (1, 2)
    assert [s.conversation_id for s in mine.shares if s.answered] == [first.pk]


def test_leave_pauses_the_share_and_withdraws_what_is_not_answered():
    for _ in range(3):
        suitable()
    teammate = make_user(Role.TEAMMATE)
    pick()
    assert len(share_of(teammate)) == 3
    Leave.objects.create(user=teammate, starts_on=DAY, ends_on=DAY + timedelta(days=2))

    result = pick()

    assert share_of(teammate) == set()
    assert result.dropped == 3
    assert set(Share.objects.values_list("dropped_reason", flat=True)) == {"paused"}


def test_only_on_the_persons_working_days_in_their_time_zone():
    suitable()
    mondays_only = make_user(Role.TEAMMATE)
    WorkingHours.objects.create(user=mondays_only, weekly_hours={"0": [["09:00", "17:00"]]})
    office = make_user(Role.TEAMMATE, time_zone="Asia/Tokyo")

    pick()
    services.pick_shares(date(2026, 11, 28))  # a Saturday

    assert share_of(mondays_only) == set()
    assert Share.objects.filter(user=office, day=DAY).count() == 1
    assert not Share.objects.filter(day=date(2026, 11, 28)).exists()


def test_shares_are_recorded_under_the_persons_first_team():
    suitable()
    design = make_team("Design")
    teammate = make_user(Role.TEAMMATE)
    teammate.teams.add(design, make_team("Zeta"))

    pick()

    assert Share.objects.get(user=teammate).team == design


def test_a_conversation_withdrawn_for_leave_goes_to_a_colleague():
    conversation = suitable()
    away, colleague = make_user(Role.TEAMMATE), make_user(Role.TEAMMATE)
    services.set_daily_count(away, 1)
    services.set_daily_count(colleague, 0)
    pick()
    assert share_of(away) == {conversation.pk}
    Leave.objects.create(user=away, starts_on=DAY, ends_on=DAY)
    services.set_daily_count(colleague, 1)

    pick()

    assert share_of(away) == set()
    assert share_of(colleague) == {conversation.pk}


def test_skills_called_for_by_a_mailbox_or_a_subject_keyword_count_too():
    billing = Skill.objects.create(name="Billing", mailboxes=["billing@brioche.example"])
    api = Skill.objects.create(name="API", keywords=["webhook"])
    by_mailbox = suitable(mailbox="billing@brioche.example")
    by_keyword = suitable(subject="Our webhook stopped firing")
    plain = suitable(subject="How do I export my data?")
    newcomer = make_user(Role.TEAMMATE)
    specialist = make_user(Role.TEAMMATE)
    billing.members.add(specialist)
    api.members.add(specialist)
    services.set_daily_count(specialist, 2)

    pick()

    assert share_of(newcomer) == {plain.pk}
    assert share_of(specialist) == {by_mailbox.pk, by_keyword.pk}
