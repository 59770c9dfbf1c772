"""The calendar invitation reaches both people through a real SMTP server, as an RFC 5545
``text/calendar; method=REQUEST`` part; cancelling sends ``METHOD:CANCEL`` for the same
event."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from comptoir.accounts.models import Role
from comptoir.pairing import services

from ..email.test_outbound import running_mta
from .conftest import TUESDAY, engineer, person, support_team


@pytest.fixture
def mta(settings):
    with running_mta(settings) as recorder:
        yield recorder


def calendar_part(email):
    parts = [p for p in email.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    return parts[0]


def parse_ics(text: str) -> list[tuple[str, dict[str, str], str]]:
    """Content lines (unfolded) as (name, parameters, value)."""
    unfolded = text.replace("\r\n ", "").replace("\r\n\t", "")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    lines = []
    for line in unfolded.split("\r\n"):
        if not line:
            continue
        head, _sep, value = line.partition(":")
        if head.startswith(("ORGANIZER", "ATTENDEE")):  # "mailto:" has a colon of its own
            head, _sep, value = line.partition(":mailto")
            value = "mailto" + value
        name, *params = head.split(";")
        lines.append((name, dict(p.split("=", 1) for p in params), value))
    return lines


def values(lines, name):
    return [value for n, _params, value in lines if n == name]


def book():
    team = support_team("Berlin", "Europe/Berlin")
    ana = person(Role.ADVOCATE, "Ana", "Europe/Berlin", team=team)
    person(Role.ADVOCATE, "Ben", "Europe/Berlin", team=team)
    eli = engineer("Eli", "Europe/Lisbon")
    return services.propose(eli, [TUESDAY], tag="billing"), eli, ana


def test_both_people_receive_the_invitation_over_smtp(mta, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        pairing, eli, ana = book()

    assert len(mta.envelopes) == 1
    assert sorted(mta.envelopes[0].rcpt_tos) == sorted([eli.email, ana.email])
    email = mta.messages[0]
    assert "Customer engineering day on 2027-03-02" in email["Subject"]
    part = calendar_part(email)
    assert part.get_param("method") == "REQUEST"
    lines = parse_ics(part.get_content())
    assert values(lines, "METHOD") == ["REQUEST"]
    assert values(lines, "BEGIN") == ["VCALENDAR", "VEVENT"]
    assert values(lines, "VERSION") == ["2.0"]
    assert values(lines, "UID")[0].startswith(pairing.uid + "@")
    assert len(values(lines, "DTSTAMP")) == 1
    # Lisbon 09:00–18:00 (UTC+0) and Berlin 09:00–18:00 (UTC+1) share 09:00–17:00 UTC
    assert values(lines, "DTSTART") == ["20270302T090000Z"]
    assert values(lines, "DTEND") == ["20270302T170000Z"]
    assert values(lines, "SUMMARY") == [f"Customer engineering day: Eli with {ana.first_name}"]
    assert values(lines, "ORGANIZER") == [f"mailto:{eli.email}"]
    assert sorted(values(lines, "ATTENDEE")) == sorted([f"mailto:{eli.email}",
                                                       f"mailto:{ana.email}"])
    assert values(lines, "STATUS") == ["CONFIRMED"]
    assert all(len(line.encode()) <= 75 for line in part.get_content().split("\r\n"))


def test_cancelling_sends_method_cancel_for_the_same_event(
        mta, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        pairing, eli, _ana = book()
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(pairing, eli)

    assert len(mta.envelopes) == 2
    invite = parse_ics(calendar_part(mta.messages[0]).get_content())
    part = calendar_part(mta.messages[1])
    assert part.get_param("method") == "CANCEL"
    cancel = parse_ics(part.get_content())
    assert values(cancel, "METHOD") == ["CANCEL"]
    assert values(cancel, "UID") == values(invite, "UID")
    assert values(cancel, "SEQUENCE") == ["1"] and values(invite, "SEQUENCE") == ["0"]
    assert values(cancel, "STATUS") == ["CANCELLED"]
    with pytest.raises(services.PairingError):
        services.cancel(pairing, eli)


def test_without_a_relay_the_invitation_is_written_to_the_outbox(
        settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        pairing, _eli, _ana = book()
    written = list((settings.VAR_DIR / "outbox").glob("*.eml"))
    assert len(written) == 1
    email = message_from_bytes(written[0].read_bytes(), policy=policy.default)
    part = calendar_part(email)
    assert part.get_param("method") == "REQUEST"
    assert values(parse_ics(part.get_content()), "UID")[0].startswith(pairing.uid + "@")
