"""Weekly review assignments: the goal per reviewer, never one's own conversations, a fair
spread over the people reviewed, deterministic and idempotent."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from comptoir.accounts.models import Role
from comptoir.conversations import services as conversations
from comptoir.conversations.models import Message, MessageKind
from comptoir.quality import services, tasks
from comptoir.quality.models import Assignment

from ..factories import make_user
from .conftest import answered, support_people

# the conversations of the current week are sampled for next Monday's review week
NEXT_WEEK = services.week_start(timezone.now()) + timedelta(days=7)


@pytest.fixture
def world(db):
    """Eight advocates in a support team; one answered a lot, one very little."""
    _team, people = support_people(8)
    answered_by = {0: 20, 1: 3}
    for i, person in enumerate(people):
        for _ in range(answered_by.get(i, 6)):
            answered(person)
    # a conversation two people answered: credited to the one with more replies
    shared = answered(people[2], people[2], people[3])
    return people, shared


def pairs(week=NEXT_WEEK):
    return set(Assignment.objects.filter(week=week)
               .values_list("reviewer_id", "conversation_id", "reviewee_id"))


def test_each_reviewer_gets_the_goal_and_never_their_own(world):
    people, shared = world
    run = services.build_assignments(NEXT_WEEK, per_reviewer=4)
    assert run.reviewers == 8 and run.created == 32 and run.short == 0
    per_reviewer = Counter(r for r, _c, _e in pairs())
    assert set(per_reviewer.values()) == {4}
    for reviewer_id, conversation_id, _e in pairs():
        authors = set(Message.objects.filter(conversation_id=conversation_id,
                                             kind=MessageKind.REPLY)
                      .values_list("author_id", flat=True))
        assert reviewer_id not in authors
    # a conversation goes to one reviewer only
    conversations_assigned = [c for _r, c, _e in pairs()]
    assert len(conversations_assigned) == len(set(conversations_assigned))
    shared_rows = [(r, e) for r, c, e in pairs() if c == shared.pk]
    assert all(e == people[2].pk and r not in (people[2].pk, people[3].pk)
               for r, e in shared_rows)


def test_reviews_spread_fairly_over_the_people_reviewed(world):
    people, _shared = world
    services.build_assignments(NEXT_WEEK, per_reviewer=4)
    received = Counter(e for _r, _c, e in pairs())
    assert received[people[1].pk] == 3  # all they answered
    others = [received[p.pk] for p in people if p != people[1]]
    assert max(others) - min(others) <= 1  # the busy one gets no more than anyone else
    assert received[people[0].pk] <= 5


def test_running_twice_changes_nothing_and_the_draw_is_seeded_by_week(world):
    services.build_assignments(NEXT_WEEK, per_reviewer=4)
    first = pairs()
    again = services.build_assignments(NEXT_WEEK, per_reviewer=4)
    assert again.created == 0 and pairs() == first
    Assignment.objects.all().delete()
    services.build_assignments(NEXT_WEEK, per_reviewer=4)
    assert pairs() == first


def test_a_newcomer_is_topped_up_without_moving_the_others(world):
    people, _shared = world
    services.build_assignments(NEXT_WEEK, per_reviewer=3)
    before = pairs()
    newcomer = make_user(Role.ADVOCATE)
    newcomer.teams.add(people[0].teams.get())
    run = services.build_assignments(NEXT_WEEK, per_reviewer=3)
    assert run.created == 3
    after = pairs()
    assert before < after
    assert {r for r, _c, _e in after - before} == {newcomer.pk}


def test_assignee_does_not_review_a_conversation_assigned_to_them(db):
    _team, (ann, ben) = support_people(2)
    conversation = answered(ann)
    conversations.update(conversation, ann, assignee=ben)
    services.build_assignments(NEXT_WEEK, per_reviewer=5)
    assert not Assignment.objects.filter(reviewer=ben, conversation=conversation).exists()


def test_only_the_weeks_conversations_with_replies_are_sampled(db):
    _team, (ann, ben) = support_people(2)
    conversation = answered(ann)
    answered()  # nobody replied
    run = services.build_assignments(NEXT_WEEK, per_reviewer=5)
    assert run.candidates == 1 and run.created == 1 and run.short == 2
    assert pairs() == {(ben.pk, conversation.pk, ann.pk)}
    later = services.build_assignments(NEXT_WEEK + timedelta(days=7), per_reviewer=5)
    assert later.candidates == 0 and later.created == 0


def test_beat_task_and_command(world, eager_tasks, capsys):
    # 8 reviewers × 10 = 80 wanted, 60 conversations answered: each used once, no more
    result = tasks.build_weekly_assignments.delay(NEXT_WEEK.isoformat()).get()
    assert result["created"] == 60 and result["short"] > 0
    call_command("review_assignments", "--week", NEXT_WEEK.isoformat())
    assert "0 new" in capsys.readouterr().out
    assert len(pairs()) == 60


def test_monday_beat_is_scheduled(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["quality-review-assignments"]
    assert entry["task"] == "quality.build_weekly_assignments"
    assert entry["schedule"].day_of_week == {1}
