"""The demo shows routing at work: skills, shifts in each person's time zone, leave, and the
conversations nobody has answered yet routed as they arrived, with their "Why here?"."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from comptoir import demo
from comptoir.accounts.models import User
from comptoir.conversations.models import Conversation, Message
from comptoir.email.models import Mailbox
from comptoir.routing import fetch, rules
from comptoir.routing.models import Leave, RoutingDecision, Skill, Trigger, WorkingHours

from ..factories import make_conversation

pytestmark = pytest.mark.django_db

SMALL = 0.02


def test_the_demo_staff_has_skills_shifts_and_leave():
    demo.load(scale=SMALL)
    billing = Skill.objects.get(name="Billing & refunds")
    assert "facturation@comptoir.test" in billing.mailboxes and "billing" in billing.tags
    assert billing.members.filter(username="hanna").exists()
    assert Skill.objects.filter(name__in=[s.name for s in demo.SKILLS]).count() == 3

    assert WorkingHours.objects.count() == len(demo.WORKING_HOURS)
    ruby = WorkingHours.objects.get(user__username="ruby")
    assert ruby.user.time_zone == "Australia/Sydney" and "6" in ruby.weekly_hours  # Sundays

    marcus = User.objects.get(username="marcus")
    today = timezone.now().astimezone(ZoneInfo(marcus.time_zone)).date()
    leave = Leave.objects.get(user=marcus)
    assert leave.starts_on < today < leave.ends_on
    # nothing is assigned to someone on leave
    roster = fetch.load_roster(timezone.now(), everyone=True)
    assert roster.absence(roster.agents[marcus.pk]) == rules.Rule.LEAVE


def test_unanswered_demo_conversations_are_routed_as_they_arrived(client):
    demo.load(scale=SMALL)
    # a demo customer writes: routed by the demo's routing step, at the instant it arrived
    conversation = make_conversation(identity_value="new.customer@mail.example.com",
                                     subject="My invoice is wrong", language="en")
    arrived = conversation.created_at
    demo.routing({u.username: u for u in demo._demo_users()})
    [decision] = RoutingDecision.objects.filter(conversation=conversation)
    assert decision.trigger == Trigger.INTAKE and decision.created_at == arrived
    assert "billing" in str(decision.needs).lower()  # "invoice" needs the billing skill
    conversation.refresh_from_db()
    assert conversation.updated_at >= conversation.last_activity_at
    if decision.assignee_id is not None:
        assert decision.assignee.skills.filter(name="Billing & refunds").exists()

    client.force_login(User.objects.get(username="lena"))  # a lead
    page = client.get(reverse("routing_why", args=[conversation.pk])).content.decode()
    assert "Why here?" in page and "Billing &amp; refunds" in page
    # running it again routes nothing twice and adds no second leave
    demo.routing({u.username: u for u in demo._demo_users()})
    assert RoutingDecision.objects.filter(conversation=conversation).count() == 1
    assert Leave.objects.filter(user__username="marcus").count() == 1


def test_free_plan_emails_carry_the_badge_and_the_mailbox_points_to_self_service():
    demo.load(scale=SMALL)
    emails = Message.objects.filter(channel="email", kind="inbound")
    free = emails.filter(conversation__plan="free")
    paid = emails.exclude(conversation__plan="free")
    assert free.exists() and paid.exists()
    assert all(m.meta.get("outside_plan") == "email" for m in free)
    assert not any(m.meta.get("outside_plan") for m in paid)
    support = Mailbox.objects.get(address="support@comptoir.test")
    assert support.self_service_reply and "{language}" in support.self_service_kb_url


def test_unload_removes_the_demo_routing():
    before = (Skill.objects.count(), RoutingDecision.objects.count())
    demo.load(scale=SMALL)
    make_conversation(identity_value="new.customer@mail.example.com")
    demo.routing({u.username: u for u in demo._demo_users()})
    assert RoutingDecision.objects.exists()
    demo.unload()
    assert (Skill.objects.count(), RoutingDecision.objects.count()) == before
    assert not WorkingHours.objects.exists() and not Leave.objects.exists()
    assert not Conversation.objects.exists()
