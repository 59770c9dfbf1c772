"""Walk every URL of the product with every role.

A new view must be added to ROUTES with the permission it needs, or this test fails: no view
ships without a permission check. The API is walked in tests/api/test_permissions_walk.py.
"""

from datetime import date

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from comptoir.accounts.models import ApiToken, Role
from comptoir.accounts.permissions import ROLE_PERMS, Perm
from comptoir.bugs import services as bugs
from comptoir.conversations import services
from comptoir.conversations.inbound import InboundAttachment
from comptoir.conversations.models import Macro, RawInbound
from comptoir.people import services as people
from comptoir.routing.models import Leave
from comptoir.sla.models import Calendar as SlaCalendar
from comptoir.surveys.models import Survey, SurveyState
from comptoir.surveys.tokens import make_token

from .factories import make_message, make_user
from .pairing.walk import pairing_args, propose_data
from .quality.walk import quality_args

# url name -> (method, permission, POST data builder or None)
ROUTES: dict[str, tuple[str, Perm | None, dict | None]] = {
    "home": ("GET", None, None),
    "inbox": ("GET", Perm.VIEW, None),
    "inbox_counts": ("GET", Perm.VIEW, None),
    "conversation": ("GET", Perm.VIEW, None),
    "compose": ("POST", Perm.REPLY, {"kind": "reply", "text": "hello"}),
    "conversation_update": ("POST", Perm.UPDATE, {"priority": "3"}),
    "conversation_add_tags": ("POST", Perm.UPDATE, {"tags": "walked"}),
    "conversation_remove_tag": ("POST", Perm.UPDATE, {}),
    "macro_text": ("GET", Perm.REPLY, None),
    "react": ("POST", Perm.REACT, {"emoji": "👀"}),
    "attachment": ("GET", Perm.VIEW, None),
    "attachment_inline": ("GET", Perm.VIEW, None),
    "delivery_log": ("GET", Perm.VIEW_RAW, None),
    "open_forwarded": ("POST", Perm.REPLY, {}),
    "raw_list": ("GET", Perm.VIEW_RAW, None),
    "raw_detail": ("GET", Perm.VIEW_RAW, None),
    "raw_replay": ("POST", Perm.VIEW_RAW, {}),
    "people": ("GET", Perm.VIEW, None),
    "person": ("GET", Perm.VIEW, None),
    "person_edit": ("POST", Perm.EDIT_PEOPLE, {"name": "Renamed", "plan": "paid"}),
    "person_merge": ("POST", Perm.MERGE_PEOPLE, {}),
    "person_identity_add": ("POST", Perm.MERGE_PEOPLE, {"kind": "email", "value": "z@example.com"}),
    "merge_undo": ("POST", Perm.MERGE_PEOPLE, {}),
    "preferences": ("GET", Perm.VIEW, None),
    "language_switch": ("POST", Perm.VIEW, {"language": "en"}),
    "token_create": ("POST", Perm.VIEW, {"name": "walk"}),
    "token_revoke": ("POST", Perm.VIEW, {}),
    "reports": ("GET", Perm.VIEW_REPORTS, None),
    "reports_response": ("GET", Perm.VIEW_REPORTS, None),
    "reports_resolution": ("GET", Perm.VIEW_REPORTS, None),
    "reports_volume": ("GET", Perm.VIEW_REPORTS, None),
    "reports_participation": ("GET", Perm.VIEW_REPORTS, None),
    "reports_mine": ("GET", Perm.VIEW, None),
    "sla_overview": ("GET", Perm.MANAGE_SLA, None),
    "sla_breaches": ("GET", Perm.MANAGE_SLA, None),
    "sla_calendar_edit": ("POST", Perm.MANAGE_SLA, {"time_zone": "Europe/Paris",
                                                    "mon": "09:00-17:00"}),
    "sla_holiday_add": ("POST", Perm.MANAGE_SLA, {"name": "Offsite", "starts_on": "2027-03-01"}),
    "sla_holiday_remove": ("POST", Perm.MANAGE_SLA, {}),
    "routing_why": ("GET", Perm.VIEW_RAW, None),
    "routing_hours": ("POST", Perm.VIEW, {"mon": "09:00-17:00"}),
    "routing_leave_add": ("POST", Perm.VIEW, {"starts_on": "2027-03-01",
                                              "ends_on": "2027-03-02"}),
    "routing_leave_remove": ("POST", Perm.VIEW, {}),
    "routing_skills": ("POST", Perm.VIEW, {}),
    "quality_home": ("GET", Perm.REVIEW, None),
    "quality_review": ("POST", Perm.REVIEW, {}),
    "quality_received": ("GET", Perm.REVIEW, None),
    "quality_review_detail": ("GET", Perm.REVIEW, None),
    "quality_dispute_open": ("POST", Perm.REVIEW, {"reason": "Walked"}),
    "quality_disputes": ("GET", Perm.REVIEW, None),
    "quality_dispute_resolve": ("POST", Perm.REVIEW, {"outcome": "reject"}),
    "quality_iqs": ("GET", Perm.MANAGE_QUALITY, None),
    "quality_scorecards": ("GET", Perm.MANAGE_QUALITY, None),
    "quality_scorecard_create": ("POST", Perm.MANAGE_QUALITY, {"name": "Walked"}),
    "quality_scorecard": ("GET", Perm.MANAGE_QUALITY, None),
    "quality_scorecard_edit": ("POST", Perm.MANAGE_QUALITY, {"name": "Walked card"}),
    "quality_category_add": ("POST", Perm.MANAGE_QUALITY, {"name": "Clarity", "scale": "3",
                                                           "weight": "20"}),
    "quality_category_edit": ("POST", Perm.MANAGE_QUALITY, {"name": "Spare", "scale": "2",
                                                            "weight": "30"}),
    "quality_category_remove": ("POST", Perm.MANAGE_QUALITY, {}),
    "quality_calibrations": ("GET", Perm.REVIEW, None),
    "quality_calibration_start": ("POST", Perm.MANAGE_QUALITY, {}),
    "quality_calibration": ("GET", Perm.REVIEW, None),
    "quality_calibration_reveal": ("POST", Perm.MANAGE_QUALITY, {}),
    "quality_best_answers": ("GET", Perm.REVIEW, None),
    "quality_onboarding": ("GET", Perm.REVIEW, None),
    "survey": ("POST", None, {"rating": "good"}),  # public: the signed link is the key
    "survey_settings": ("POST", Perm.MANAGE_SURVEYS, {"delay_hours": "24",
                                                      "suppression_days": "30",
                                                      "expiry_days": "14"}),
    "reports_csat": ("GET", Perm.VIEW_REPORTS, None),
    "bugs": ("GET", Perm.VIEW, None),
    "bug": ("GET", Perm.VIEW, None),
    "bug_mark_fixed": ("POST", Perm.UPDATE, {"note": "Fixed in 2.4."}),
    "bug_reopen": ("POST", Perm.MANAGE_TEAMWORK, {"reason": "Back in 2.5."}),
    "bug_follow_up": ("POST", Perm.REPLY, {}),
    "bug_panel": ("GET", Perm.VIEW, None),
    "bug_search": ("GET", Perm.VIEW, None),
    "bug_link": ("POST", Perm.UPDATE, {"title": "Walked bug"}),
    "bug_unlink": ("POST", Perm.UPDATE, {}),
    "teamwork_today": ("GET", Perm.REPLY, None),
    "teamwork_today_panel": ("GET", Perm.REPLY, None),
    "teamwork_share_settings": ("POST", Perm.REPLY, {"daily_count": "3"}),
    "teamwork_coverage": ("GET", Perm.VIEW_REPORTS, None),
    "teamwork_ask_panel": ("GET", Perm.REPLY, None),
    "teamwork_ask": ("POST", Perm.REPLY, {"key": "walked"}),
    "pairing_home": ("GET", Perm.VIEW, None),
    "pairing_propose": ("POST", Perm.REPLY, propose_data()),
    "pairing_records": ("GET", Perm.VIEW, None),
    "pairing_overview": ("GET", Perm.VIEW, None),
    "pairing_coverage": ("POST", Perm.MANAGE_SLA, {}),
    "pairing_detail": ("GET", Perm.VIEW, None),
    "pairing_workspace": ("GET", Perm.VIEW, None),
    "pairing_record": ("POST", Perm.REPLY, {"learnings": "Walked again"}),
    "pairing_cancel": ("POST", Perm.REPLY, {}),
    "pairing_react": ("POST", Perm.REACT, {"emoji": "👀"}),
    "support_days": ("GET", Perm.REPLY, None),
    "support_day_create": ("POST", Perm.MANAGE_TEAMWORK, {"day": "2099-03-01", "title": "Walk",
                                                          "whole_company": "on"}),
    "support_day_guidance": ("GET", Perm.REPLY, None),
    "support_day_tone_note": ("POST", Perm.MANAGE_TEAMWORK, {"language": "fr", "text": "Vous"}),
    "support_day_banner": ("GET", Perm.REPLY, None),
    "support_day": ("GET", Perm.REPLY, None),
    "support_day_ux": ("POST", Perm.REPLY, {"title": "Walked"}),
    "support_day_learnings": ("POST", Perm.MANAGE_TEAMWORK, {"learnings": "Walked"}),
    "support_day_roster": ("GET", Perm.REPLY, None),
    "support_day_on_call": ("POST", Perm.MANAGE_TEAMWORK, {"on_call": "1"}),
    "support_day_edit": ("POST", Perm.MANAGE_TEAMWORK, {"edit-day": "2099-03-01",
                                                        "edit-title": "Walked",
                                                        "edit-whole_company": "on"}),
    "support_day_cancel": ("POST", Perm.MANAGE_TEAMWORK, {"cancel-reason": "Walked"}),
    "teamwork_on_call": ("GET", Perm.REPLY, None),
}
# Mounted third-party URL trees with their own checks: allauth (login pages are public),
# Django's admin (is_staff), set_language (public by design), and the API (walked apart).
# Signed webhooks (hooks/: github, gitlab, jira) answer by their signature, not a login:
# tests/bugs/test_webhook.py and tests/bugs/test_tracker_hooks.py.
OTHER_TREES = ("accounts/", "admin/", "i18n/", "api/", "hooks/")


def product_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, prefix=""):
        for p in patterns:
            route = prefix + str(p.pattern)
            if route.startswith(OTHER_TREES):
                continue
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern):
                names.add(p.name)

    walk(get_resolver().url_patterns)
    return names


def test_every_product_url_is_in_the_walk():
    assert product_url_names() == set(ROUTES)


def build_world(user):
    """Fresh objects for one request, so a destructive call never spoils the next one."""
    message = make_message(attachments=(InboundAttachment("a.txt", "text/plain", b"x"),
                                        InboundAttachment("p.png", "image/png", b"\x89PNG")))
    conversation = message.conversation
    services.add_tags(conversation, None, ["gone"])
    other = make_message().person
    merge = people.merge_people(make_message().person, other)
    raw = services.store_raw("api", b"{}", {"channel": "api"})
    macro, _ = Macro.objects.get_or_create(name="walk", language="en", defaults={"body": "hi"})
    token, _key = ApiToken.issue(user, "mine")
    forward = make_message(identity_value=user.email, text=FORWARD)
    args = {
        "conversation": [conversation.pk], "compose": [conversation.pk],
        "conversation_update": [conversation.pk], "conversation_add_tags": [conversation.pk],
        "conversation_remove_tag": [conversation.pk, "gone"],
        "macro_text": [conversation.pk, macro.pk], "react": [message.pk],
        "attachment": [message.attachments.get(filename="a.txt").pk],
        "attachment_inline": [message.attachments.get(filename="p.png").pk],
        "raw_detail": [raw.pk],
        "raw_replay": [raw.pk], "person": [message.person_id],
        "person_edit": [message.person_id], "person_merge": [message.person_id],
        "person_identity_add": [message.person_id],
        "merge_undo": [merge.pk], "token_revoke": [token.pk],
        "open_forwarded": [forward.pk],
        **sla_args(),
        **routing_args(user, conversation),
        **quality_args(user),
        **survey_args(conversation),
        **bugs_args(user, conversation),
        **pairing_args(user),
        "teamwork_ask_panel": [conversation.pk], "teamwork_ask": [conversation.pk],
        **support_day_args(user),
    }
    extra = {"person_merge": {"target": other.pk},
             # a Sunday: nobody works office hours, so the day is its UTC date
             "support_day_on_call": {"hour": "2099-03-01T00:00:00+00:00",
                                     "advocate": make_user(Role.ADVOCATE).pk}}
    return args, extra


def sla_args() -> dict[str, list]:
    calendar = SlaCalendar.objects.create(name=f"Walk {SlaCalendar.objects.count()}")
    holiday = calendar.custom_holidays.create(name="Closed", starts_on=date(2027, 1, 4))
    return {"sla_calendar_edit": [calendar.pk], "sla_holiday_add": [calendar.pk],
            "sla_holiday_remove": [holiday.pk]}


def survey_args(conversation) -> dict[str, list]:
    survey = Survey.objects.create(
        conversation=conversation, person_id=conversation.person_id, language="en",
        channel=conversation.channel, solved_at=conversation.created_at,
        state=SurveyState.SENT, sent_at=conversation.created_at,
    )
    return {"survey": [make_token(survey.pk)]}


def routing_args(user, conversation) -> dict[str, list]:
    leave = Leave.objects.create(user=user, starts_on=date(2027, 1, 4), ends_on=date(2027, 1, 5))
    return {"routing_why": [conversation.pk], "routing_leave_remove": [leave.pk]}


def support_day_args(user) -> dict[str, list]:
    from comptoir.teamwork import support_days

    day = support_days.schedule(user, day=date(2099, 3, 1), title="Walk", whole_company=True)
    return {name: [day.pk] for name in ("support_day", "support_day_ux",
                                        "support_day_learnings", "support_day_roster",
                                        "support_day_on_call", "support_day_edit",
                                        "support_day_cancel")}


def bugs_args(user, conversation) -> dict[str, list]:
    bug, _new = bugs.create_bug(user, "Walked", f"https://github.com/o/r/issues/{conversation.pk}")
    bugs.link(conversation, bug, user)
    fixed, _new = bugs.create_bug(user, "Walked and fixed")
    bugs.mark_fixed(fixed, user)
    late, _new = bugs.link(conversation, fixed, user)  # linked after the fix: not told yet
    return {"bug": [bug.pk], "bug_mark_fixed": [bug.pk], "bug_follow_up": [late.pk],
            "bug_reopen": [fixed.pk],
            "bug_panel": [conversation.pk], "bug_search": [conversation.pk],
            "bug_link": [conversation.pk], "bug_unlink": [conversation.pk, bug.pk]}


FORWARD = "FYI\n\n-----Original Message-----\nFrom: Eve <eve@example.com>\nSubject: Hi\n\nHelp me"
ROLES = [r.value for r in Role]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [*ROLES, "anonymous"])
def test_walk_every_url_with_every_role(role, eager_tasks):
    """One world per role; each request runs in a savepoint rolled back after it, so every
    URL sees the world as built (a merge, a deletion or a revoked token is undone)."""
    failures = []
    user = make_user(role if role != "anonymous" else Role.ADVOCATE)
    args, extra = build_world(user)
    for name, (method, perm, data) in ROUTES.items():
        client = Client()
        if role != "anonymous":
            client.force_login(user)
        url = reverse(name, args=args.get(name, []))
        payload = {**(data or {}), **extra.get(name, {})}
        with transaction.atomic():
            response = client.post(url, payload) if method == "POST" else client.get(url)
            transaction.set_rollback(True)
        status = response.status_code
        if role == "anonymous" and perm is None:
            ok = status == 302
            expected = "302"
        elif role == "anonymous":
            ok = status == 302 and "/accounts/login/" in response["Location"]
            expected = "302 to login"
        elif perm is None or perm in ROLE_PERMS[role]:
            ok = status in (200, 302)
            expected = "200/302"
        else:
            ok = status == 403
            expected = "403"
        if not ok:
            failures.append(f"{method} {url} as {role}: {status}, expected {expected}")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_post_without_csrf_token_is_refused():
    client = Client(enforce_csrf_checks=True)
    user = make_user(Role.ADMIN)
    client.force_login(user)
    conversation = make_message().conversation
    response = client.post(reverse("compose", args=[conversation.pk]),
                           {"kind": "reply", "text": "forged"})
    assert response.status_code == 403
    assert conversation.messages.count() == 1


@pytest.mark.django_db
def test_raw_replay_really_replays(eager_tasks):
    lead = make_user(Role.LEAD)
    client = Client()
    client.force_login(lead)
    raw = services.store_raw("api", b'{"from": {"value": "x@example.com"}, "text": "hi"}',
                             {"channel": "api"})
    client.post(reverse("raw_replay", args=[raw.pk]))
    raw.refresh_from_db()
    assert raw.status == "processed" and raw.message is not None
    assert RawInbound.objects.count() == 1
