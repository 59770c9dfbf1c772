"""The whole team at work, for the demo (``comptoir.demo``): today's shares, support days,
customer engineering days, bugs followed up to every customer, and peer quality review.

Unlike the history (written in bulk), these few hundred rows go through the apps' services,
so they are exactly what the services write. The services stamp what they write with the
current time; the rows that belong to the past (a support day held two weeks ago, its
records) are then moved back to when they would have happened.

Demo rows here are recognised by reserved names (``BUG_URLS``, ``SCORECARD``, the support
days' titles), or belong to demo staff or demo conversations, so ``cleanup()`` finds them.
"""

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Q

from comptoir.accounts.models import Team, User
from comptoir.bugs import services as bugs
from comptoir.bugs.models import Bug, BugLink
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import Conversation, Event, Message, MessageKind, Status
from comptoir.pairing import services as pairing
from comptoir.pairing.models import Pairing, PairingRecord
from comptoir.quality import services as quality
from comptoir.quality.models import Assignment, Review, Scale, Scorecard
from comptoir.teamwork import services as shares
from comptoir.teamwork import support_days
from comptoir.teamwork.models import Share, SupportDay, SupportDayChange, ToneNote, UxProblem

SCORECARD = "Brioche support quality"
# (name, scale, weight, critical, description)
CATEGORIES = (
    ("Solution", Scale.FIVE, 40, True, "The answer solves the customer's problem."),
    ("Tone", Scale.FOUR, 25, False, "Warm, clear, in the customer's language."),
    ("Process", Scale.THREE, 20, False, "Tags, links to bugs, saved replies used well."),
    ("Grammar", Scale.BINARY, 15, False, "No mistakes."),
)
# (title, tracker address, fixed?)
BUGS = (
    ("Instagram posts stuck in the queue after a reconnect",
     "https://github.com/brioche-example/app/issues/1482", True),
    ("Scheduled time shifts by one hour after the DST change",
     "https://gitlab.com/brioche-example/scheduler/-/issues/317", False),
    ("Shopify sync drops products with a slash in the SKU",
     "https://brioche-example.atlassian.net/browse/INT-58", False),
)
BUG_URLS = tuple(url for _title, url, _fixed in BUGS)
FIX_NOTE = "Fixed in version 4.12: reconnected accounts publish their queued posts again."
PAST_DAY = "Advocacy Day: the whole company on the queue"
NEXT_DAY = "Advocacy Day: EMEA and engineering"
DAY_TITLES = (PAST_DAY, NEXT_DAY)
PAST_LEARNINGS = (
    "Reconnecting Instagram is the most asked question: the reconnect screen needs a "
    "clearer explanation. Engineers found two bugs by answering customers themselves, and "
    "want to do this every month.")
UX_PROBLEMS = (
    ("teo", "The reconnect button is hidden under the account menu",
     "Three customers could not find it on mobile."),
    ("elise", "The timezone picker lists cities in English only",
     "Japanese and French customers search for their city in their language."),
)
TONE_NOTES = {
    "en": "Friendly and direct; use the customer's first name and say what happens next.",
    "fr": "Vouvoiement toujours ; phrases courtes ; pas d'anglicismes (« publication », "
          "pas « post »).",
    "de": "Immer „Sie“; sachlich und freundlich; Lösung zuerst, Erklärung danach.",
    "es": "Tuteo en España y Latinoamérica; cercano, sin jerga técnica.",
    "ja": "です・ます調で丁寧に。お詫びは一度だけ、解決策を先に書きます。",
}
# (engineer, advocate, days ago, tag, learnings, bugs found, UX issues, follow-ups, bug)
PAST_PAIRINGS = (
    ("teo", "ada", 19, "integrations",
     "Most Shopify questions come from the same three settings; the sync log we show is "
     "unreadable for customers.",
     "Products with a slash in the SKU are dropped by the sync.",
     "The sync log shows raw JSON.", "Write a help article on SKU rules.", 2),
    ("aiko", "yui", 33, "scheduling",
     "Japanese customers schedule mostly in the evening; the app's default times are "
     "morning ones.",
     "Posts stuck after an Instagram reconnect (reproduced on iOS).",
     "The reconnect button is hard to find on mobile.", "Change default times by locale.", 0),
    ("diego", "beatriz", 54, "scheduling",
     "Half the scheduling tickets are time-zone confusion after travel.",
     "Scheduled time shifts by one hour after the DST change.",
     "The calendar does not show which time zone it uses.",
     "Show the time zone next to every scheduled time.", 1),
)
RECORD_REACTIONS = (("lena", "🎉"), ("camille", "👏"), ("grace", "🙌"))
REVIEW_COMMENTS = (
    "Clear answer, and the link to the help article saved a follow-up.",
    "Friendly, but the customer had to ask twice for the refund amount.",
    "Great catch linking this to the bug: the customer will hear when it is fixed.",
    "The answer is right; a shorter first paragraph would help.",
)
REVIEWS_DONE = 3  # of each reviewer's assignments this week: the rest is still to do
DISPUTE_REASON = ("The customer asked for the refund in their first message and got it in "
                  "the first reply: I think Solution deserves more than 2.")


def seed(staff: dict[str, User], teams: dict[str, Team], *, now: datetime,
         rng: random.Random) -> dict[str, int]:
    """Everything above, for the demo ``staff`` and ``teams``, as of ``now``."""
    counts: dict[str, int] = {}
    counts.update(_bugs(staff, now=now))
    counts.update(_shares(staff, now=now))
    counts.update(_support_days(staff, teams, now=now))
    counts.update(_pairings(staff, teams, now=now))
    counts.update(_quality(staff, now=now, rng=rng))
    return counts


def cleanup(demo_users) -> None:
    """What ``comptoir.demo.unload`` removes besides the demo conversations and staff (call
    it before deleting the staff: rows are found through them)."""
    SupportDay.objects.filter(title__in=DAY_TITLES, created_by__in=demo_users).delete()
    ToneNote.objects.filter(updated_by__in=demo_users).delete()


def cleanup_after() -> None:
    """Rows left once demo conversations and staff are gone: the demo bugs and scorecard,
    unless something outside the demo uses them."""
    Bug.objects.filter(tracker_url__in=BUG_URLS, links__isnull=True).delete()
    Scorecard.objects.filter(name=SCORECARD, reviews__isnull=True,
                             calibrations__isnull=True).delete()


def _local_noon(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(12), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _weekday_before(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _busiest_weekday(first: date, last: date) -> date:
    """The weekday between ``first`` and ``last`` on which the history has both replies
    and conversations begun (a support day with outcomes to show), the most replies first;
    the history is spread from "now", so a fixed date could fall on a quiet day."""
    replies = dict(Message.objects.filter(kind=MessageKind.REPLY, created_at__date__gte=first,
                                          created_at__date__lte=last)
                   .values_list("created_at__date").annotate(n=Count("id")).order_by())
    begun = set(Conversation.objects.filter(created_at__date__gte=first,
                                            created_at__date__lte=last)
                .exclude(status=Status.NEW).values_list("created_at__date", flat=True))
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    weekdays = [day for day in days if day.weekday() < 5] or [_weekday_before(last)]
    return max(weekdays, key=lambda day: (day in begun, replies.get(day, 0), day))


def _weekday_after(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


# --- bugs ----------------------------------------------------------------------------------


def _bug_conversations() -> list[Conversation]:
    """Demo conversations waiting on a bug fix (on hold), or recently about one."""
    waiting = Conversation.objects.filter(tags__name="bug").filter(
        status__in=(Status.ON_HOLD, Status.OPEN, Status.PENDING, Status.SOLVED))
    return list(waiting.select_related("person", "assignee")
                .order_by("status", "-last_activity_at", "pk")[:12])


def _bugs(staff: dict[str, User], *, now: datetime) -> dict[str, int]:
    """Three bugs linked to conversations; the first one fixed, its customers followed up."""
    found = _bug_conversations()
    if len(found) < 3:
        return {"bugs": 0}
    # spread the conversations over the bugs: the fixed one gets the most customers
    groups = [found[0::3], found[1::3], found[2::3]]
    links = 0
    for (title, url, fixed), group in zip(BUGS, groups, strict=True):
        bug, _created = bugs.create_bug(staff["teo"], title, url)
        for conversation in group:
            linker = conversation.assignee or staff["lena"]
            _link, created = bugs.link(conversation, bug, linker)
            links += created
        if fixed:
            bugs.mark_fixed(bug, staff["tom"], FIX_NOTE)
            # the job the fix queued, run now: it sends nothing twice
            bugs.send_follow_ups(bug.pk)
    return {"bugs": len(BUGS), "bug links": links}


# --- daily shares --------------------------------------------------------------------------


def _shares(staff: dict[str, User], *, now: datetime) -> dict[str, int]:
    """Today's share for everyone who answers customers, on their own local date: the
    people outside support first (their share is the point), then the advocates."""
    shares.set_daily_count(staff["grace"], 3)  # a product manager with a busy week
    shares.set_daily_count(staff["tom"], 2)
    support = set(User.teams.through.objects.filter(
        team__is_support=True, user_id__in=[u.pk for u in staff.values()])
        .values_list("user_id", flat=True))
    groups: dict[tuple[bool, date], list[int]] = {}
    for user in shares.share_people([u.pk for u in staff.values()]).order_by("pk"):
        local = now.astimezone(ZoneInfo(user.time_zone or "UTC")).date()
        groups.setdefault((user.pk in support, local), []).append(user.pk)
    offered = 0
    for (_support, day), ids in sorted(groups.items()):
        offered += shares.pick_shares(day, now=now, user_ids=ids).offered
    return {"shares": offered}


# --- support days --------------------------------------------------------------------------


def _support_days(staff: dict[str, User], teams: dict[str, Team], *,
                  now: datetime) -> dict[str, int]:
    today = now.date()
    for language, text in TONE_NOTES.items():
        if not ToneNote.objects.filter(language=language).exists():
            support_days.set_tone_note(staff["lena"], language, text)
    # two to five weeks ago, the whole company: learnings, UX problems, the bugs it found
    held_on = _busiest_weekday(today - timedelta(days=35), today - timedelta(days=15))
    past = support_days.schedule(
        staff["lena"], day=held_on, title=PAST_DAY, whole_company=True,
        notes="Everyone takes their share, advocates on call all day for questions.")
    support_days.record_learnings(past, staff["lena"], PAST_LEARNINGS)
    held = _local_noon(held_on, "Europe/Paris")
    scheduled = held - timedelta(days=21)
    SupportDay.objects.filter(pk=past.pk).update(created_at=scheduled,
                                                 learnings_updated_at=held + timedelta(hours=9))
    SupportDayChange.objects.filter(support_day=past).update(created_at=scheduled)
    solved = list(Conversation.objects.filter(
        created_at__date=held_on).exclude(status=Status.NEW).order_by("pk")[:2])
    for (username, title, note), conversation in zip(UX_PROBLEMS, solved, strict=False):
        problem = support_days.add_ux_problem(past, staff[username], title=title, note=note,
                                              conversation_id=conversation.pk)
        UxProblem.objects.filter(pk=problem.pk).update(created_at=held)
    # customers answered that day ran into the time-change bug: linked then, still open
    dst_bug = Bug.objects.filter(tracker_url=BUG_URLS[1]).first()
    active_then = (Conversation.objects.filter(tags__name="bug", created_at__lt=held,
                                               last_activity_at__gt=held,
                                               assignee__isnull=False)
                   .exclude(bug_links__isnull=False).select_related("assignee")
                   .order_by("pk")[:2] if dst_bug else [])
    for conversation in active_then:
        bug_link, _created = bugs.link(conversation, dst_bug, conversation.assignee)
        BugLink.objects.filter(pk=bug_link.pk).update(linked_at=held)
        Event.objects.filter(conversation_id=conversation.pk, kind=EventKind.BUG_LINKED,
                             data__bug_id=dst_bug.pk).update(created_at=held)
    Bug.objects.filter(tracker_url__in=BUG_URLS).update(created_at=held)
    # next week: EMEA and engineering, with advocates put on call by the hour
    upcoming = support_days.schedule(
        staff["camille"], day=_weekday_after(today + timedelta(days=8)), title=NEXT_DAY,
        whole_company=False, teams=[teams["support-emea"], teams["product-engineering"]],
        notes="Engineers: start with your share, ask the advocate on call when in doubt.")
    # advocates from other regions on call for the hours they would not work otherwise
    changes = 0
    paris = ZoneInfo("Europe/Paris")
    for hour in support_days.hour_choices(upcoming):
        local = hour.astimezone(paris).hour
        extra = "rafael" if 9 <= local < 12 else "charlotte" if 14 <= local < 17 else None
        if extra:
            support_days.set_on_call(upcoming, staff["camille"], hour=hour,
                                     advocate_id=staff[extra].pk, on_call=True)
            changes += 1
    return {"support days": 2, "on-call hours": changes, "tone notes": len(TONE_NOTES)}


# --- customer engineering days -------------------------------------------------------------


def _pairings(staff: dict[str, User], teams: dict[str, Team], *,
              now: datetime) -> dict[str, int]:
    today = now.date()
    for slug in ("support-americas", "support-emea", "support-apac"):
        pairing.set_minimum(teams[slug], 1)
    demo_bugs = {b.tracker_url: b for b in Bug.objects.filter(tracker_url__in=BUG_URLS)}
    records = 0
    for (engineer, advocate, days_ago, tag, learnings, found, ux, follow_ups,
         bug_index) in PAST_PAIRINGS:
        day = _weekday_before(today - timedelta(days=days_ago))
        zone = ZoneInfo(staff[engineer].time_zone)
        starts = datetime.combine(day, time(9), tzinfo=zone).astimezone(UTC)
        # what ``pairing.services.propose`` wrote when it was proposed, three weeks before
        held = Pairing.objects.create(
            engineer=staff[engineer], advocate=staff[advocate], day=day, starts_at=starts,
            ends_at=starts + timedelta(hours=8), candidates=[day.isoformat()], tag=tag,
            engineering_team=pairing.engineering_team_of(staff[engineer]),
            created_at=starts - timedelta(days=21))
        bug = demo_bugs.get(BUG_URLS[bug_index])
        record = pairing.write_record(held, staff[engineer], learnings=learnings,
                                      bugs_found=found, ux_issues=ux, follow_ups=follow_ups,
                                      bugs=[bug] if bug else [])
        written = starts + timedelta(hours=9)
        PairingRecord.objects.filter(pk=record.pk).update(written_at=written,
                                                          updated_at=written)
        for username, emoji in RECORD_REACTIONS[:1 + records % 3]:
            pairing.toggle_reaction(record, staff[username], emoji)
        records += 1
    # the next one, proposed by an engineer for their sprint's quiet days
    upcoming = 0
    first = _weekday_after(today + timedelta(days=10))
    candidates = [first, _weekday_after(first + timedelta(days=1)),
                  _weekday_after(first + timedelta(days=7))]
    try:
        pairing.propose(staff["max"], candidates, tag="api")
        upcoming = 1
    except pairing.PairingError:
        pass
    return {"customer days held": records, "customer days planned": upcoming}


# --- quality review ------------------------------------------------------------------------


def _scorecard() -> Scorecard:
    existing = Scorecard.objects.filter(name=SCORECARD).first()
    if existing is not None:
        return existing
    scorecard = quality.create_scorecard(
        SCORECARD, "What we look for in every answer, whoever wrote it.")
    for name, scale, weight, critical, description in CATEGORIES:
        quality.add_category(scorecard, name, scale=scale, weight=weight, critical=critical,
                             description=description)
    return scorecard


def _values(scorecard: Scorecard, rng: random.Random, *, good: bool) -> dict[int, int]:
    """Ratings for each category: mostly at the top of the scale."""
    values = {}
    for category in scorecard.categories.order_by("position"):
        top = category.scale  # ratings are numbered from 1 (binary: 1 fail, 2 pass)
        if good or rng.random() < 0.7:
            values[category.pk] = top
        else:
            values[category.pk] = max(1, top - rng.randint(1, 2))
    return values


def _quality(staff: dict[str, User], *, now: datetime, rng: random.Random) -> dict[str, int]:
    """This week's review assignments, about a third done; a calibration session revealed
    and one under way; a dispute; reactions on review comments."""
    scorecard = _scorecard()
    week = quality.week_start(now.date())
    demo_ids = [u.pk for u in staff.values()]
    run = quality.build_assignments(week, reviewers=quality.reviewers_by_default().filter(
        pk__in=demo_ids))
    reviews: list[Review] = []
    by_reviewer: dict[int, int] = {}
    for assignment in (Assignment.objects.filter(week=week, reviewer_id__in=demo_ids)
                       .select_related("reviewer", "conversation").order_by("pk")):
        done = by_reviewer.get(assignment.reviewer_id, 0)
        if done >= REVIEWS_DONE:
            continue
        by_reviewer[assignment.reviewer_id] = done + 1
        good = rng.random() < 0.6
        review = quality.submit_review(
            assignment.reviewer, assignment.conversation, scorecard,
            _values(scorecard, rng, good=good),
            comment=rng.choice(REVIEW_COMMENTS) if rng.random() < 0.6 else "")
        reviews.append(review)
    for review in reviews[:6]:
        if review.comment:
            pairing.toggle_reaction(review, staff["lena"], "👍")
    # a dispute: the lowest review of someone else's work, contested by who was reviewed
    disputed = 0
    for review in sorted(reviews, key=lambda r: (r.score if r.score is not None else 100,
                                                  r.pk)):
        reviewee = review.reviewees.exclude(pk=review.reviewer_id).order_by("pk").first()
        if reviewee is not None and not review.is_self:
            quality.open_dispute(reviewee, review, DISPUTE_REASON)
            disputed = 1
            break
    # calibration: three reviewers rate the same conversation blind, then compare
    sessions = 0
    picked = (Conversation.objects.filter(
        status__in=(Status.SOLVED, Status.CLOSED), pk__in=Assignment.objects.filter(
            week=week).values("conversation_id"))
        .annotate(n=Count("messages", filter=Q(messages__kind="reply")))
        .filter(n__gte=1).order_by("pk")[:2])
    panels = ((staff["camille"], (staff["ada"], staff["jonas"], staff["hugo"]), True),
              (staff["lena"], (staff["marcus"], staff["priya"], staff["sofia"]), False))
    for conversation, (lead, reviewers, revealed) in zip(picked, panels, strict=False):
        session = quality.start_calibration(
            lead, conversation, scorecard, reviewers,
            title=f"Calibration: {conversation.subject[:80] or conversation.pk}")
        for reviewer in reviewers if revealed else reviewers[:1]:
            quality.submit_review(reviewer, conversation, scorecard,
                                  _values(scorecard, rng, good=rng.random() < 0.5),
                                  calibration=session)
        if revealed:
            quality.reveal(session)
        sessions += 1
    return {"review assignments": run.total, "reviews": len(reviews),
            "calibrations": sessions, "disputes": disputed,
            "best answers": Review.objects.filter(calibration__isnull=True, is_self=False,
                                                  score__gte=80).count(),
            "shares today": Share.objects.filter(dropped_at__isnull=True).count()}
