import re
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.utils import timezone

from comptoir import demo
from comptoir.accounts.models import Role, Team, User
from comptoir.bugs import services as bugs_services
from comptoir.bugs.models import Bug, BugLink
from comptoir.conversations import services
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import (
    Conversation,
    Event,
    Macro,
    Message,
    MessageKind,
    Reaction,
    Status,
    Tag,
)
from comptoir.demo import teamwork as teamwork_demo
from comptoir.pairing import services as pairing_services
from comptoir.pairing.models import Pairing, PairingRecord
from comptoir.pairing.models import Reaction as PairingReaction
from comptoir.people.models import Identity, IdentityKind, Organisation, Person, Proof
from comptoir.quality import queries as quality_queries
from comptoir.quality import services as quality_services
from comptoir.quality.models import Assignment, CalibrationSession, Dispute, Review, Scorecard
from comptoir.teamwork import support_days
from comptoir.teamwork.models import Share, SupportDay, ToneNote, UxProblem

from .factories import make_conversation, make_user

pytestmark = pytest.mark.django_db

SMALL = 0.02  # 40 customers, 100 conversations: every property, in well under a second
POOL = 20  # and the good first replies waiting for today's shares (at least 20)
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
MODELS = (User, Team, Organisation, Person, Identity, Conversation, Message, Event, Reaction,
          Tag, Macro, Conversation.tags.through, User.teams.through)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture
def loaded():
    summary = demo.load(scale=SMALL)
    assert not summary.already_loaded
    return summary


def conversations_with_messages():
    messages = defaultdict(list)
    for message in Message.objects.order_by("created_at", "id"):
        messages[message.conversation_id].append(message)
    for conversation in Conversation.objects.select_related("person"):
        yield conversation, messages[conversation.pk]


def test_the_company_has_its_roles_teams_and_time_zones(loaded):
    staff = User.objects.filter(username__in=demo.USERNAMES)
    assert staff.count() == len(demo.STAFF) == 31
    assert Counter(staff.values_list("role", flat=True)) == {
        Role.ADMIN: 2, Role.LEAD: 3, Role.ADVOCATE: 17, Role.TEAMMATE: 7, Role.OBSERVER: 2}
    members = {t.name: t.members.count() for t in Team.objects.all()}
    assert members == {"Support Americas": 7, "Support EMEA": 7, "Support APAC": 6,
                       "Product & Engineering": 11}
    assert set(Team.objects.filter(is_support=True).values_list("name", flat=True)) == {
        "Support Americas", "Support EMEA", "Support APAC"}
    assert len(set(staff.values_list("time_zone", flat=True))) == 8
    assert all(u.spoken_languages and u.job_title for u in staff)
    # each support team answers in the languages of its region
    spoken = {lang for u in User.objects.filter(teams__slug="support-apac")
              for lang in u.spoken_languages}
    assert {"ja", "en"} <= spoken


def test_the_demo_logins_work_with_the_published_password(loaded):
    expected = {"admin": Role.ADMIN, "lena": Role.LEAD, "ada": Role.ADVOCATE,
                "teo": Role.TEAMMATE, "olga": Role.OBSERVER}
    for username, role in expected.items():
        user = User.objects.get(username=username)
        assert user.role == role
        assert user.check_password("comptoir")
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    ada = User.objects.get(username="ada")
    assert ada.spoken_languages == ["en", "fr"] and ada.language == "fr"
    assert User.objects.get(username="yui").language == "ja"
    assert not User.objects.get(username="lena").is_superuser
    assert [login[0] for login in loaded.logins] == list(expected)


def test_customers_have_names_time_zones_plans_and_identities(loaded):
    people = Person.objects.prefetch_related("identities").select_related("organisation")
    assert people.count() == 40
    domains = demo.demo_domains()
    for person in people:
        identities = list(person.identities.all())
        assert 1 <= len(identities) <= 3
        emails = [i for i in identities if i.kind == IdentityKind.EMAIL]
        assert len(emails) == 1 and emails[0].value.rpartition("@")[2] in domains
        assert person.language in demo.LANGUAGES
        assert person.time_zone in demo.CUSTOMER_TIME_ZONES[person.language]
        if person.organisation:
            assert person.plan == person.organisation.plan
            assert person.organisation.domain.endswith(".example")
        for identity in identities:
            assert bool(identity.proof) == (identity.verified_at is not None)
            assert identity.created_at >= person.created_at
            if identity.kind == IdentityKind.SOCIAL:
                assert identity.network in ("twitter", "mastodon")
            if identity.proof:
                assert identity.verified_at >= identity.created_at
                assert identity.proof in (Proof.EMAIL_LINK, Proof.PORTAL_LOGIN,
                                          Proof.VERIFIED_HANDLE)
        if person.language == "ja":
            assert JAPANESE.search(person.name)
    assert Person.objects.filter(organisation=None).exists()
    assert Person.objects.exclude(organisation=None).exists()
    linked = Event.objects.filter(kind=EventKind.IDENTITY_LINKED)
    assert linked.count() == Identity.objects.exclude(proof="").count()


def test_conversation_fields_agree_with_their_messages(loaded):
    now = timezone.now()
    seen = 0
    for conversation, messages in conversations_with_messages():
        seen += 1
        person = conversation.person
        assert messages and messages[0].kind == MessageKind.INBOUND
        assert conversation.created_at == messages[0].created_at
        assert now - timedelta(days=91) < conversation.created_at < now
        assert conversation.message_count == len(messages)
        assert conversation.last_activity_at == messages[-1].created_at <= now
        latest_public = [m for m in messages if m.kind != MessageKind.NOTE][-1]
        assert conversation.preview == " ".join(latest_public.body_text.split())[:200]
        assert conversation.language == person.language
        assert conversation.plan == person.plan
        assert conversation.team is not None
        assert conversation.updated_at >= conversation.last_activity_at
        for message in messages:
            assert message.channel == conversation.channel
            if message.kind == MessageKind.INBOUND:
                assert message.person_id == person.pk and message.author_id is None
                assert message.identity.person_id == person.pk
            else:
                assert message.author_id is not None and message.person_id is None
        if conversation.status != Status.NEW:
            assert conversation.assignee_id is not None
        if conversation.channel not in ("chat", "social"):
            assert conversation.subject
    assert seen == 100 + POOL


def test_events_replay_to_the_conversations_state(loaded):
    events = defaultdict(list)
    for event in Event.objects.exclude(conversation=None).order_by("created_at", "id"):
        events[event.conversation_id].append(event)
    tags = defaultdict(set)
    for conversation_id, name in Conversation.tags.through.objects.values_list(
            "conversation_id", "tag__name"):
        tags[conversation_id].add(name)
    for conversation, messages in conversations_with_messages():
        log = events[conversation.pk]
        assert log[0].kind == EventKind.CONVERSATION_CREATED
        assert log[0].created_at == conversation.created_at
        assert log[0].data == {"channel": conversation.channel, "plan": conversation.plan,
                               "person_id": conversation.person_id,
                               "language": conversation.language}
        assert [e.kind for e in log].count(EventKind.CONVERSATION_CREATED) == 1
        assert all(e.person_id == conversation.person_id for e in log)
        # one event per message, of the matching kind, at the same instant, by its author
        by_message = {e.data["message_id"]: e for e in log
                      if e.kind in (EventKind.MESSAGE_RECEIVED, EventKind.REPLY_SENT,
                                    EventKind.NOTE_ADDED)}
        assert len(by_message) == len(messages)
        expected_kind = {MessageKind.INBOUND: EventKind.MESSAGE_RECEIVED,
                         MessageKind.REPLY: EventKind.REPLY_SENT,
                         MessageKind.NOTE: EventKind.NOTE_ADDED}
        for message in messages:
            event = by_message[message.pk]
            assert event.kind == expected_kind[message.kind]
            assert event.created_at == message.created_at
            assert event.actor_id == message.author_id
            if message.kind != MessageKind.NOTE:
                assert event.data["channel"] == message.channel
        # replaying the log gives the conversation's state
        status, assignee, team, priority, tag_names = Status.NEW, None, None, 2, set()
        for previous, event in zip([None, *log], log, strict=False):
            assert previous is None or previous.created_at <= event.created_at
            if event.kind == EventKind.STATUS_CHANGED:
                assert event.data["from"] == status != event.data["to"]
                status = event.data["to"]
            elif event.kind == EventKind.REOPENED:
                assert status == Status.SOLVED and previous.kind == EventKind.MESSAGE_RECEIVED
            elif event.kind == EventKind.ASSIGNEE_CHANGED:
                assert event.data["from"] == assignee
                assignee = event.data["to"]
            elif event.kind == EventKind.TEAM_CHANGED:
                team = event.data["to"]
            elif event.kind == EventKind.PRIORITY_CHANGED:
                assert event.data["from"] == priority
                priority = event.data["to"]
            elif event.kind == EventKind.TAG_ADDED:
                tag_names.add(event.data["tag"])
            elif event.kind == EventKind.MESSAGE_RECEIVED and status == Status.CLOSED:
                pytest.fail("a message after closing starts a new conversation")
        assert (status, assignee, team, priority) == (
            conversation.status, conversation.assignee_id, conversation.team_id,
            conversation.priority)
        assert tag_names == tags[conversation.pk]
    reactions = Reaction.objects.count()
    assert reactions > 0
    assert Event.objects.filter(kind=EventKind.REACTION_ADDED).count() == reactions
    for reaction in Reaction.objects.select_related("message")[:50]:
        assert Event.objects.filter(
            kind=EventKind.REACTION_ADDED, actor=reaction.user, created_at=reaction.created_at,
            conversation_id=reaction.message.conversation_id,
            data={"message_id": reaction.message_id, "emoji": reaction.emoji}).exists()


def test_the_history_looks_like_a_help_desk(loaded):
    conversations = Conversation.objects.all()
    channels = Counter(conversations.values_list("channel", flat=True))
    assert channels.most_common(1)[0][0] == "email"
    assert set(channels) >= {"email", "social", "chat", "web"}
    now = timezone.now()
    old = conversations.filter(created_at__lt=now - timedelta(days=20))
    assert old.exists() and not old.exclude(status__in=(Status.SOLVED, Status.CLOSED)).exists()
    assert conversations.filter(status__in=(Status.NEW, Status.OPEN, Status.PENDING,
                                            Status.ON_HOLD)).exists()
    assert Event.objects.filter(kind=EventKind.REOPENED).exists()
    assert Message.objects.filter(kind=MessageKind.NOTE).exists()
    assert Tag.objects.filter(conversations__isnull=False).distinct().count() >= 8
    assert set(Reaction.objects.values_list("emoji", flat=True)) <= {"👀", "✅", "🎉", "👍"}
    # people come back, on other channels too: one history across channels
    channels_per_person = defaultdict(set)
    for person_id, channel in conversations.values_list("person_id", "channel"):
        channels_per_person[person_id].add(channel)
    assert any(len(c) > 1 for c in channels_per_person.values())


def test_messages_are_in_the_customers_language_and_answered_by_speakers(loaded):
    languages = set()
    for conversation, messages in conversations_with_messages():
        lang = conversation.person.language
        languages.add(lang)
        for message in messages:
            if message.kind == MessageKind.NOTE:
                assert message.language in ("en", lang)
            else:
                assert message.language == lang
            if message.kind == MessageKind.REPLY:
                assert lang in message.author.spoken_languages
            if lang == "ja" and message.kind != MessageKind.NOTE:
                assert JAPANESE.search(message.body_text)
        if lang == "ja":
            assert JAPANESE.search(conversation.subject)
    assert languages == set(demo.LANGUAGES)


def test_saved_replies_in_every_language(loaded):
    for lang in demo.LANGUAGES:
        macros = Macro.objects.filter(language=lang)
        assert macros.count() >= 4
        for macro in macros:
            assert "{{ customer.first_name }}" in macro.body
            assert "{{ agent.first_name }}" in macro.body
        assert any("{{ conversation.id }}" in m.body for m in macros)
    conversation = Conversation.objects.filter(language="fr").first()
    macro = Macro.objects.filter(language="fr").first()
    text = services.render_macro(macro, conversation, User.objects.get(username="ada"))
    assert "{{" not in text and conversation.person.first_name in text and "Ada" in text


def test_a_second_load_changes_nothing(loaded):
    before = counts()
    assert demo.is_loaded()
    assert demo.load(scale=SMALL).already_loaded
    assert demo.load(scale=1.0, seed=99).already_loaded
    assert counts() == before


def test_the_same_seed_gives_the_same_demo():
    def snapshot():
        return (sorted(Conversation.objects.values_list("subject", flat=True)),
                sorted(Person.objects.values_list("name", flat=True)),
                sorted(Message.objects.values_list("body_text", flat=True)),
                sorted(Identity.objects.values_list("value", flat=True)),
                Counter(Event.objects.values_list("kind", flat=True)))

    demo.load(scale=SMALL, seed=7)
    first = snapshot()
    demo.load(scale=SMALL, seed=7, reset=True)
    assert snapshot() == first
    demo.load(scale=SMALL, seed=8, reset=True)
    assert snapshot()[1] != first[1]


def test_reset_deletes_the_demo_and_nothing_else():
    outsider = make_conversation(identity_value="someone@example.com", text="Not a demo")
    colleague = make_user(Role.ADVOCATE, username="real-agent")
    Macro.objects.create(name="Refund policy", language="en", body="Ours", created_by=colleague)
    before = counts()
    demo.load(scale=SMALL)
    services.reply(Conversation.objects.exclude(pk=outsider.pk).first(), colleague, "Hi!")
    demo.load(scale=SMALL, reset=True)
    assert counts()["Person"] == before["Person"] + 40
    demo.unload()
    assert counts() == before
    assert not any(model.objects.exists() for model in TEAMWORK_MODELS)
    assert Conversation.objects.get(pk=outsider.pk).messages.get().body_text == "Not a demo"
    assert Macro.objects.get(name="Refund policy", language="en").body == "Ours"
    assert not demo.is_loaded()
    assert not Team.objects.filter(slug__startswith="support-").exists()


def test_existing_teams_are_reused_and_kept():
    emea = Team.objects.create(name="Support EMEA", slug="emea", time_zone="Europe/Dublin")
    demo.load(scale=SMALL)
    assert Team.objects.count() == 4
    assert emea.members.filter(username="ada").exists()
    demo.unload()
    assert list(Team.objects.values_list("slug", flat=True)) == ["emea"]


def test_a_large_scale_numbers_organisations_and_still_unloads(monkeypatch):
    monkeypatch.setitem(demo.FULL_SIZE, "organisations", 1300)  # more than the names
    monkeypatch.setitem(demo.FULL_SIZE, "people", 1300)
    monkeypatch.setitem(demo.FULL_SIZE, "conversations", 10)
    demo.load(scale=1.0)
    assert Organisation.objects.count() == 1300
    assert Organisation.objects.filter(domain__regex=r"-\d+\.example$").exists()
    demo.unload()
    assert not Organisation.objects.exists() and not Person.objects.exists()


def test_a_demo_username_taken_by_a_real_account_stops_the_load():
    make_user(Role.ADMIN, username="admin", email="boss@company.example")
    with pytest.raises(demo.DemoError, match="admin"):
        demo.load(scale=SMALL)
    assert not Conversation.objects.exists()


def test_the_command_loads_once_and_prints_the_logins():
    out = StringIO()
    call_command("demo", "--scale", str(SMALL), stdout=out, stderr=StringIO())
    text = out.getvalue()
    assert "Demo loaded" in text and "comptoir" in text
    for username in ("admin", "lena", "ada", "teo", "olga"):
        assert re.search(rf"^\s+{username}\s", text, re.MULTILINE)
    before = counts()
    out = StringIO()
    call_command("demo", stdout=out, stderr=StringIO())
    assert "already loaded" in out.getvalue()
    assert counts() == before


@pytest.mark.slow
def test_the_full_demo_loads_in_under_a_minute():
    started = time.monotonic()
    summary = demo.load()
    elapsed = time.monotonic() - started
    assert summary.counts["conversations"] == 5000 + summary.counts["good first replies"]
    assert summary.counts["people"] == 2000
    assert summary.counts["organisations"] == 300
    assert summary.counts["messages"] > 15000
    assert elapsed < 60, f"took {elapsed:.1f} s"


# --- the whole team at work (issue 7) ----------------------------------------------------------

TEAMWORK_MODELS = (Share, SupportDay, UxProblem, ToneNote, Pairing, PairingRecord, Bug, BugLink,
                   Scorecard, Assignment, Review, CalibrationSession, Dispute)


@pytest.fixture
def on_a_tuesday():
    """Shares depend on each person's working day: load the demo on a Tuesday morning."""
    with time_machine.travel(datetime(2026, 11, 24, 10, 0, tzinfo=UTC), tick=True):
        yield


def test_everyone_has_todays_share_of_good_first_replies(on_a_tuesday):
    demo.load(scale=SMALL)
    standing = Share.objects.filter(dropped_at__isnull=True).select_related("user",
                                                                             "conversation")
    assert standing.exists()
    engineers = {s.user.username for s in standing if s.user.role == Role.TEAMMATE}
    assert len(engineers) >= 3  # not only support: engineers and designers answer too
    per_person = Counter(s.user.username for s in standing)
    assert per_person["grace"] <= 3 and per_person["tom"] <= 2
    assert max(per_person.values()) <= 5
    assert len({s.conversation_id for s in standing}) == standing.count()  # one person each
    for share in standing:
        conversation = share.conversation
        assert conversation.status == Status.NEW and conversation.assignee_id is None
        assert conversation.language in share.user.spoken_languages
        assert conversation.tags.filter(name="good-first-reply").exists()
        assert conversation.plan in ("free", "paid")


def test_support_days_past_and_upcoming(loaded):
    past, upcoming = (SupportDay.objects.get(title=teamwork_demo.PAST_DAY),
                      SupportDay.objects.get(title=teamwork_demo.NEXT_DAY))
    today = timezone.now().date()
    assert past.day < today < upcoming.day
    assert past.whole_company and "Instagram" in past.learnings
    outcome = support_days.outcomes(past)
    assert outcome.replies > 0 and outcome.customers > 0
    assert [p.title for p in outcome.ux_problems]
    assert all(p.conversation_id for p in outcome.ux_problems)
    assert set(upcoming.teams.values_list("slug", flat=True)) == {"support-emea",
                                                                  "product-engineering"}
    added = {a.name for hour in support_days.roster(upcoming) for a in hour.advocates
             if a.added}
    assert added == {"Rafael Costa", "Charlotte Nguyen"}
    assert set(ToneNote.objects.values_list("language", flat=True)) == set(demo.LANGUAGES)


def test_customer_engineering_days_have_their_records(loaded):
    held = Pairing.objects.filter(day__lt=timezone.now().date()).select_related(
        "record", "engineer", "advocate")
    assert held.count() == 3
    for pairing in held:
        record = pairing.record
        assert record.learnings and record.bugs_found and record.ux_issues
        assert record.written_at.date() == pairing.day
        assert pairing.engineer.role == Role.TEAMMATE
        assert pairing.advocate.teams.filter(is_support=True).exists()
        assert pairing_services.may_manage(pairing.engineer, pairing)
    assert Bug.objects.filter(pairing_records__isnull=False).exists()
    reactions = PairingReaction.objects.filter(
        content_type=ContentType.objects.get_for_model(PairingRecord))
    assert reactions.count() >= 3
    upcoming = Pairing.objects.get(day__gt=timezone.now().date())
    assert upcoming.engineer.username == "max" and upcoming.tag == "api"
    assert not PairingRecord.objects.filter(pairing=upcoming).exists()


def test_bugs_reach_every_customer_exactly_once(loaded):
    fixed = Bug.objects.get(status="fixed")
    assert fixed.fix_note == teamwork_demo.FIX_NOTE
    links = list(fixed.links.select_related("follow_up_message", "conversation"))
    assert len(links) >= 2
    for link in links:
        assert link.followed_up_at is not None
        message = link.follow_up_message
        assert message.conversation_id == link.conversation_id
        assert message.kind == MessageKind.REPLY
        replies = link.conversation.messages.filter(kind=MessageKind.REPLY,
                                                    created_at__gte=fixed.fixed_at)
        assert list(replies) == [message]  # one follow-up, no more
        assert Event.objects.filter(conversation_id=link.conversation_id,
                                    kind=EventKind.BUG_FOLLOWED_UP).count() == 1
    for bug in Bug.objects.filter(status="open"):
        assert bug.links.count() >= 2
        assert not bug.links.filter(followed_up_at__isnull=False).exists()
    # a second run of the follow-ups sends nothing
    assert bugs_services.send_follow_ups(fixed.pk) == 0


def test_quality_review_has_a_week_of_work(loaded):
    scorecard = Scorecard.objects.get(name=teamwork_demo.SCORECARD)
    categories = list(scorecard.categories.order_by("position"))
    assert {c.scale for c in categories} == {2, 3, 4, 5}
    assert any(c.critical for c in categories)
    week = quality_services.week_start(timezone.now().date())
    assignments = Assignment.objects.filter(week=week)
    assert assignments.exists()
    for assignment in assignments:
        assert assignment.reviewee_id != assignment.reviewer_id
    reviews = Review.objects.filter(calibration__isnull=True)
    assert 0 < reviews.count() < assignments.count() + 1
    assert reviews.filter(score__isnull=False).exists()
    assert quality_queries.best_answers()
    revealed = CalibrationSession.objects.get(revealed_at__isnull=False)
    assert revealed.reviews.count() == revealed.reviewers.count() == 3
    assert CalibrationSession.objects.filter(revealed_at__isnull=True).exists()
    dispute = Dispute.objects.get()
    assert dispute.review.reviewees.filter(pk=dispute.opened_by_id).exists()
    assert dispute.opened_by_id != dispute.review.reviewer_id
