"""Rollups equal a recomputation from the raw events, for random histories.

Hypothesis writes random conversations as ``Event`` rows in the services' shape (customer
messages, replies, bot messages, notes, status changes, reopens, tags, teams, language
corrections, merges, SLA outcomes, survey offers and ratings), in time order, refreshing the
rollups at random points between the writes. Then every rollup row is compared with what
this test computes on its own from the same histories through ``reports.metrics`` — and a
rebuild from scratch must give the very same rows as the incremental refreshes.
"""

import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comptoir.accounts.models import Role
from comptoir.conversations.models import Conversation, Event
from comptoir.people.models import Person
from comptoir.reports import bins, metrics, policies, services
from comptoir.reports.models import (
    BacklogDay,
    ConversationFacts,
    FirstReplyDay,
    Grain,
    ParticipationDay,
    ResolutionDay,
    RollupState,
    SurveyDay,
    VolumeDay,
)

from ..factories import make_team, make_user

BASE = datetime(2027, 3, 1, 7, 0, tzinfo=UTC)  # a Monday
CHANNELS = ("email", "chat", "social")
PLANS = ("free", "paid")
LANGUAGES = ("en", "fr", "ja")
TAGS = ("billing", "bug", "vip")
SLA = ("first_reply", "next_reply", "resolution", "periodic_update")


@dataclass
class Written:
    """One generated conversation: its event rows (unsaved) and what metrics should see."""

    cid: int
    channel: str
    plan: str
    language: str
    person: int
    by_agent: bool
    created_at: datetime
    team: int | None = None
    tags: set[str] = field(default_factory=set)
    status: str = "new"
    surveyed: datetime | None = None  # its first csat.offered
    rating: str = ""  # its latest csat.rated
    rows: list[dict] = field(default_factory=list)
    history: list[metrics.Event] = field(default_factory=list)

    def add(self, at: datetime, kind: str, *, actor=None, person=None, data=None,
            agent=False, public=False, metric=True) -> None:
        self.rows.append({"kind": kind, "actor": actor, "person": person or self.person,
                          "data": data or {}, "created_at": at})
        if metric:
            self.history.append(metrics.Event(at, kind, by_agent=agent, public=public,
                                              data=data or {}))

    def set_status(self, at: datetime, status: str, actor=None) -> None:
        if status != self.status and self.status != "closed":
            self.add(at, "status.changed", actor=actor, agent=actor is not None,
                     data={"from": self.status, "to": status})
            self.status = status


OPS = st.sampled_from(["customer", "reply", "reply_pending", "reply_solved", "note", "bot",
                       "pending", "on_hold", "solved", "closed", "tag", "untag", "team",
                       "language", "merge", "sla", "survey", "rate"])
CONVERSATION = st.fixed_dictionaries({
    "start": st.integers(0, 6 * 1440),
    "channel": st.sampled_from(CHANNELS),
    "plan": st.sampled_from(PLANS),
    "language": st.sampled_from(LANGUAGES),
    "person": st.integers(0, 2),
    "by_agent": st.booleans(),
    "team": st.sampled_from([None, 0, 1]),
    "ops": st.lists(st.tuples(OPS, st.integers(0, 3000), st.integers(0, 5)), max_size=10),
})


def write(spec: dict, index: int, world: dict) -> Written:
    """A conversation as the services write it (see ``conversations.services``)."""
    person = world["people"][spec["person"]]
    conversation = Conversation.objects.create(channel=spec["channel"], plan=spec["plan"],
                                               language=spec["language"], person=person)
    at = BASE + timedelta(minutes=spec["start"], seconds=index)
    agent = world["agents"][0]
    w = Written(conversation.pk, spec["channel"], spec["plan"], spec["language"], person.pk,
                spec["by_agent"], at)
    w.add(at, "conversation.created", actor=agent.pk if w.by_agent else None,
          data={"channel": w.channel, "plan": w.plan, "person_id": person.pk,
                "language": w.language}, agent=w.by_agent)
    if w.by_agent:
        w.add(at, "reply.sent", actor=agent.pk, agent=True, public=True,
              data={"channel": w.channel})
        w.set_status(at, "open", agent.pk)
    else:
        w.add(at, "message.received", public=True, data={"channel": w.channel})
    if spec["team"] is not None:
        team = world["teams"][spec["team"]]
        w.add(at, "team.changed", data={"from": None, "to": team.pk}, metric=False)
        w.team = team.pk
    for op, minutes, pick in spec["ops"]:
        at += timedelta(minutes=minutes)
        actor = world["agents"][pick % len(world["agents"])].pk
        if w.status == "closed" and op in ("customer", "reply", "reply_pending",
                                           "reply_solved", "pending", "on_hold", "solved"):
            continue
        if op == "customer":
            w.add(at, "message.received", public=True, data={"channel": w.channel})
            if w.status == "solved":
                w.add(at, "conversation.reopened", data={"from": "solved"})
                w.set_status(at, "open")
            elif w.status == "pending":
                w.set_status(at, "open")
        elif op.startswith("reply"):
            w.add(at, "reply.sent", actor=actor, agent=True, public=True,
                  data={"channel": w.channel})
            status = {"reply": None, "reply_pending": "pending", "reply_solved": "solved"}[op]
            if status is None and w.status == "new":
                status = "open"
            if status:
                w.set_status(at, status, actor)
        elif op == "note":
            w.add(at, "note.added", actor=actor, agent=True)
        elif op == "bot":  # an automatic message: public, but no agent wrote it
            w.add(at, "reply.sent", public=True, data={"channel": w.channel})
        elif op in ("pending", "on_hold", "solved", "closed"):
            w.set_status(at, op, actor)
        elif op == "tag":
            tag = TAGS[pick % len(TAGS)]
            if tag not in w.tags:
                w.add(at, "tag.added", actor=actor, data={"tag": tag}, metric=False)
                w.tags.add(tag)
        elif op == "untag":
            tag = TAGS[pick % len(TAGS)]
            if tag in w.tags:
                w.add(at, "tag.removed", actor=actor, data={"tag": tag}, metric=False)
                w.tags.discard(tag)
        elif op == "team":
            team = world["teams"][pick % 2].pk
            if team != w.team:
                w.add(at, "team.changed", actor=actor, data={"from": w.team, "to": team},
                      metric=False)
                w.team = team
        elif op == "language":
            language = LANGUAGES[pick % len(LANGUAGES)]
            w.add(at, "language.changed", actor=actor,
                  data={"from": w.language, "to": language}, metric=False)
            w.language = language
        elif op == "merge":  # the conversation moves to another person
            w.person = world["people"][pick % len(world["people"])].pk
            w.add(at, "person.merged", actor=actor, data={"conversation_ids": [w.cid]},
                  metric=False)
        elif op == "sla":
            w.add(at, "sla.met" if pick % 2 else "sla.breached",
                  data={"metric": SLA[pick % len(SLA)]}, metric=False)
        elif op == "survey":  # sent (a second offer of the same survey changes nothing)
            w.add(at, "csat.offered", data={"survey_id": w.cid, "channel": w.channel,
                                            "language": w.language}, metric=False)
            w.surveyed = w.surveyed or at
        elif op == "rate":  # the customer rates, or changes their mind
            rating = "good" if pick % 2 else "bad"
            w.add(at, "csat.rated", data={"survey_id": w.cid, "rating": rating,
                                          "previous": w.rating}, metric=False)
            w.rating = rating
    return w


# --- the recomputation ------------------------------------------------------------------------


def day(at: datetime):
    return at.astimezone(UTC).date()


def expected(written: list[Written], pol: policies.Policies) -> dict[str, Counter]:
    """Every rollup measure, per (family, key), computed here from the histories."""
    out: dict[str, Counter] = defaultdict(Counter)
    histories = {}
    for w in written:
        histories[w.cid] = metrics.ConversationHistory(w.cid, w.person, w.channel, w.created_at,
                                                       created_by_agent=w.by_agent,
                                                       events=w.history)
    issues = {}
    for issue in metrics.customer_issues(histories.values(), window=pol.ocr_window):
        issues[issue.conversation_ids[0]] = issue
    for w in written:
        h = histories[w.cid]
        m = metrics.conversation_metrics(h, business_minutes=pol.business_minutes(w.team))
        for tag in ("", *sorted(w.tags)):
            dims = (tag, w.channel, w.plan, w.language, w.team)
            volume = out[("volume", day(w.created_at), *dims)]
            volume["conversations"] += 1
            volume[f"h{w.created_at.astimezone(UTC).hour:02d}"] += 1
            if w.cid in issues:
                issue = issues[w.cid]
                volume["issues"] += 1
                volume["issues_solved"] += issue.solved
                volume["issues_one_contact"] += issue.one_contact
            sla = Counter()
            for row in w.rows:
                if row["kind"] in ("sla.met", "sla.breached"):
                    metric = {"requester_wait": "resolution"}.get(row["data"]["metric"],
                                                                   row["data"]["metric"])
                    sla[metric, row["kind"] == "sla.met"] += 1
            for metric in ("first_reply", "next_reply", "resolution"):
                volume[f"sla_{metric}_achieved"] += sla[metric, True]
                volume[f"sla_{metric}_breached"] += sla[metric, False]
            met = sum(n for (_m, ok), n in sla.items() if ok)
            missed = sum(n for (_m, ok), n in sla.items() if not ok)
            volume["sla_missed"] += bool(missed)
            volume["sla_attained"] += bool(not missed and met and m.solved)

            first = m.reply_instances[0] if m.reply_instances else None
            if first is not None and first.replied_at is not None:
                fr = out[("first_reply", day(first.replied_at), *dims)]
                fr["answered"] += 1
                fr["frt_total"] += first.wait.calendar
                fr["frt_business_total"] += first.wait.business
                fr[f"frt_{bins.bin_index(first.wait.calendar):02d}"] += 1
                fr[f"frtb_{bins.bin_index(first.wait.business):02d}"] += 1
            if m.solved:
                res = out[("resolution", day(m.resolved_at), *dims)]
                res["solved"] += 1
                res["reopened"] += m.reopens > 0
                res["reopens"] += m.reopens
                res["one_touch"] += m.one_touch
                res["replies"] += m.replies
                for name, value in (("first_resolution", m.first_resolution),
                                    ("full_resolution", m.full_resolution),
                                    ("requester_wait", m.status_times.requester_wait)):
                    res[f"{name}_total"] += value.calendar
                    res[f"{name}_business_total"] += value.business
                res["next_replies"] += len(m.next_replies)
                res["next_reply_total"] += sum(n.calendar for n in m.next_replies)
                res["next_reply_business_total"] += sum(n.business for n in m.next_replies)
                res[f"res_{bins.bin_index(m.full_resolution.calendar):02d}"] += 1
                res[f"resb_{bins.bin_index(m.full_resolution.business):02d}"] += 1
            if w.surveyed is not None:  # a rating counts once the survey was offered
                csat = out[("csat", day(w.surveyed), *dims)]
                csat["offered"] += 1
                csat["good"] += w.rating == "good"
                csat["bad"] += w.rating == "bad"
            spans = metrics.status_spans(h)
            out[("backlog", day(w.created_at), *dims)]["opened"] += 1
            for before, after in itertools.pairwise(spans):
                if before.status in metrics.ACTIVE_STATUSES and \
                        after.status in metrics.RESOLVED_STATUSES:
                    out[("backlog", day(after.start), *dims)]["resolved"] += 1
                elif before.status in metrics.RESOLVED_STATUSES and \
                        after.status in metrics.ACTIVE_STATUSES:
                    out[("backlog", day(after.start), *dims)]["opened"] += 1
    replies: dict[tuple, set] = defaultdict(set)
    for w in written:
        for row in w.rows:
            if row["kind"] == "reply.sent" and row["actor"] is not None:
                key = ("participation", day(row["created_at"]), row["actor"])
                out[key]["replies"] += 1
                replies[key].add(w.cid)
    for key, conversations in replies.items():
        out[key]["conversations"] = len(conversations)
    return {k: +v for k, v in out.items() if +v}


MODELS = {"volume": VolumeDay, "first_reply": FirstReplyDay, "resolution": ResolutionDay,
          "backlog": BacklogDay, "csat": SurveyDay}
KEY = ("day", "tag", "channel", "plan", "language", "team_id")


def measures_of(model) -> list[str]:
    return [f.name for f in model._meta.fields if f.name not in (*KEY, "grain", "id")]


def actual() -> dict[tuple, Counter]:
    """The detail rows (the other grains are checked against them by ``coarser``)."""
    out: dict[tuple, Counter] = defaultdict(Counter)
    for family, model in MODELS.items():
        for row in model.objects.filter(grain=Grain.DETAIL).values():
            counter = out[(family, *(row[k] for k in KEY))]
            for name in measures_of(model):
                counter[name] += row[name]
    for row in ParticipationDay.objects.values():
        out[("participation", row["day"], row["user_id"])].update(
            {"replies": row["replies"], "conversations": row["conversations"]})
    return {k: +v for k, v in out.items() if +v}


GRAIN_KEEPS = {Grain.TOTAL: (), Grain.CHANNEL: ("channel",), Grain.PLAN: ("plan",),
               Grain.LANGUAGE: ("language",), Grain.TEAM: ("team_id",)}


def coarser_grains_add_up() -> None:
    """Each coarser grain holds the sums of the detail rows over what it leaves out."""
    for model in MODELS.values():
        measures = measures_of(model)
        detail = list(model.objects.filter(grain=Grain.DETAIL).values())
        for grain, keeps in [*GRAIN_KEEPS.items(), (Grain.TAG, ("tag",))]:
            expected: dict[tuple, Counter] = defaultdict(Counter)
            for row in detail:
                if (grain == Grain.TAG) != (row["tag"] != ""):
                    continue
                expected[(row["day"], *(row[k] for k in keeps))].update(
                    {m: row[m] for m in measures})
            found: dict[tuple, Counter] = defaultdict(Counter)
            for row in model.objects.filter(grain=grain).values():
                found[(row["day"], *(row[k] for k in keeps))].update(
                    {m: row[m] for m in measures})
            assert {k: +v for k, v in found.items()} == {k: +v for k, v in expected.items()}, \
                (model.__name__, grain)


def snapshot() -> list:
    rows = []
    for model in (*MODELS.values(), ParticipationDay):
        rows += sorted((tuple(sorted((k, v) for k, v in r.items() if k != "id"))
                        for r in model.objects.values()), key=repr)
    rows += sorted((tuple(sorted(r.items())) for r in ConversationFacts.objects.values()),
                   key=repr)
    return rows


@pytest.fixture
def world(db):
    teams = [make_team(time_zone="Europe/Paris"), make_team(time_zone="Asia/Tokyo")]
    return {"teams": teams,
            "agents": [make_user(Role.ADVOCATE), make_user(Role.TEAMMATE)],
            "people": [Person.objects.create(name=f"P{i}") for i in range(3)]}


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(conversations=st.lists(CONVERSATION, min_size=1, max_size=6),
       cuts=st.lists(st.integers(1, 40), min_size=1, max_size=6),
       step_size=st.integers(1, 40))
def test_rollups_equal_a_recomputation_from_raw_events(world, conversations, cuts, step_size):
    for model in (Event, Conversation, RollupState, *MODELS.values(), ParticipationDay):
        model.objects.all().delete()
    written = [write(spec, i, world) for i, spec in enumerate(conversations)]
    rows = sorted(((r["created_at"], w.cid, n, r) for w in written
                   for n, r in enumerate(w.rows)), key=lambda t: t[:3])
    # append in time order, as the services would, refreshing now and then in small steps
    position = 0
    for cut in [*cuts, len(rows)]:
        chunk = rows[position:position + cut]
        Event.objects.bulk_create(
            Event(conversation_id=cid, person_id=r["person"], kind=r["kind"],
                  actor_id=r["actor"], data=r["data"], created_at=r["created_at"])
            for _at, cid, _n, r in chunk)
        position += len(chunk)
        while services.refresh_step(max_events=step_size).more:
            pass
    pol = policies.load()
    assert actual() == expected(written, pol)
    coarser_grains_add_up()

    incremental = snapshot()
    services.rebuild()
    assert snapshot() == incremental
    assert RollupState.objects.get().last_event_id == Event.objects.order_by("-id")[0].pk
