"""Calendar invitations for customer days (RFC 5545 / iTIP, RFC 5546): one email to both
people with a ``text/calendar; method=REQUEST`` part, and ``METHOD:CANCEL`` when the day is
cancelled. Sent through ``SMTP_URL`` like replies; without one, written to
``VAR_DIR/outbox`` as an .eml file."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from comptoir.email.delivery import transmit

from .models import Pairing

PRODID = "-//comptoir//Customer engineering days//EN"


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> str:
    """Lines longer than 75 octets are folded (RFC 5545 §3.1), never inside a character."""
    out, current = [], ""
    for char in line:
        if len((current + char).encode()) > (75 if not out else 74):
            out.append(current)
            current = ""
        current += char
    out.append(current)
    return "\r\n ".join(out)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _person(user) -> str:
    return f'CN="{user.display_name.replace(chr(34), "")}"'


def build_ics(pairing: Pairing, method: str, now: datetime | None = None) -> str:
    """The VCALENDAR of ``pairing`` for ``method`` (``REQUEST`` or ``CANCEL``)."""
    engineer, advocate = pairing.engineer, pairing.advocate
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "comptoir"
    workspace = settings.BASE_URL.rstrip("/") + reverse("pairing_workspace",
                                                        args=[pairing.pk])
    summary = _("Customer engineering day: %(engineer)s with %(advocate)s") % {
        "engineer": engineer.display_name, "advocate": advocate.display_name}
    description = _("A day answering customers about %(area)s together. Workspace: %(url)s") % {
        "area": pairing.product_area, "url": workspace}
    lines = [
        "BEGIN:VCALENDAR", f"PRODID:{PRODID}", "VERSION:2.0", "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"UID:{pairing.uid}@{domain}",
        f"DTSTAMP:{_stamp(now or timezone.now())}",
        f"SEQUENCE:{pairing.sequence}",
        f"DTSTART:{_stamp(pairing.starts_at)}",
        f"DTEND:{_stamp(pairing.ends_at)}",
        f"SUMMARY:{_escape(summary)}",
        f"DESCRIPTION:{_escape(description)}",
        f"URL:{workspace}",
        f"ORGANIZER;{_person(engineer)}:mailto:{engineer.email}",
        f"ATTENDEE;{_person(engineer)};ROLE=CHAIR;PARTSTAT=ACCEPTED:mailto:{engineer.email}",
        f"ATTENDEE;{_person(advocate)};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE"
        f":mailto:{advocate.email}",
        f"STATUS:{'CANCELLED' if method == 'CANCEL' else 'CONFIRMED'}",
        "TRANSP:OPAQUE",
        "END:VEVENT", "END:VCALENDAR",
    ]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


def compose(pairing: Pairing, method: str) -> EmailMessage:
    """The invitation (or cancellation) to both people, in the engineer's language."""
    with translation.override(pairing.engineer.language or settings.LANGUAGE_CODE):
        day = pairing.day.isoformat()
        if method == "CANCEL":
            subject = _("Cancelled: customer engineering day on %(day)s") % {"day": day}
            text = _("The customer engineering day of %(engineer)s with %(advocate)s on "
                     "%(day)s is cancelled.")
        else:
            subject = _("Customer engineering day on %(day)s") % {"day": day}
            text = _("%(engineer)s pairs with %(advocate)s on %(day)s, %(start)s–%(end)s UTC, "
                     "on customers' questions about %(area)s. The invitation is attached.")
        text = text % {
            "engineer": pairing.engineer.display_name, "advocate": pairing.advocate.display_name,
            "day": day, "start": f"{pairing.starts_at.astimezone(UTC):%H:%M}",
            "end": f"{pairing.ends_at.astimezone(UTC):%H:%M}", "area": pairing.product_area}
        ics = build_ics(pairing, method)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.DEFAULT_FROM_EMAIL
    message["To"] = ", ".join(formataddr((person.display_name, person.email))
                              for person in (pairing.engineer, pairing.advocate))
    message["Message-ID"] = make_msgid(domain=settings.DEFAULT_FROM_EMAIL.rpartition("@")[2]
                                       or None)
    message.set_content(text)
    message.add_attachment(ics, subtype="calendar", params={"method": method},
                           filename="invite.ics" if method != "CANCEL" else "cancel.ics")
    return message


def send(pairing: Pairing, method: str) -> str:
    """Send it now; raise ``smtplib.SMTPException``/``OSError`` for the job to retry."""
    recipients = [pairing.engineer.email, pairing.advocate.email]
    outcome = transmit(settings.DEFAULT_FROM_EMAIL, recipients, compose(pairing, method),
                       name=f"pairing-{pairing.pk}-{method}")
    return outcome.response or "sent"


def send_record_reminder(pairing: Pairing) -> None:
    """Ask the pair for the day's record: internal mail, through Django's mail backend like
    the reports' digest."""
    url = settings.BASE_URL.rstrip("/") + reverse("pairing_record", args=[pairing.pk])
    for person in (pairing.engineer, pairing.advocate):
        if not person.email:
            continue
        with translation.override(person.language or settings.LANGUAGE_CODE):
            subject = _("What did your customer day teach you?")
            text = _("Thank you for your customer day of %(day)s with %(other)s. Your team "
                     "reads the record: a few lines on what you learned, bugs found, UX "
                     "issues and follow-ups. Write it here: %(url)s") % {
                "day": pairing.day.isoformat(), "url": url,
                "other": (pairing.advocate if person == pairing.engineer
                          else pairing.engineer).display_name}
        send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, [person.email])
