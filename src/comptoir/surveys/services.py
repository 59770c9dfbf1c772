"""Satisfaction surveys' public API.

* ``offer_due()`` (the ``surveys.offer_due`` beat task): conversations solved at least the
  configured delay ago, still solved, without a survey, get one — or a SKIPPED one saying
  why not (surveyed recently, no or bouncing address, automated sender), so each
  conversation is looked at once. Creation is one transaction per conversation, the
  conversation and its person locked: two workers running it at once make one survey,
  and the suppression window holds across them.
* ``send()`` (the ``surveys.send`` job, queued when a survey is created; the beat retries
  temporary failures): an email with a signed, expiring link, or on chat and web a message
  posted in the conversation itself through ``conversations.services.reply`` (without an
  author, so reports never count it as a reply). Writes ``csat.offered``.
* ``survey_for_token()`` / ``answer()``: the public page's reading of a link and the
  customer's rating, reason and comment. Writes ``csat.rated`` on each change.
"""

from __future__ import annotations

import re
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from comptoir.accounts.models import User
from comptoir.conversations import services as conversations
from comptoir.conversations.events import EventKind
from comptoir.conversations.models import (
    Channel,
    Conversation,
    Event,
    Message,
    MessageKind,
    Status,
)
from comptoir.email import delivery as email_delivery
from comptoir.email import outbound as email_outbound
from comptoir.email.models import Mailbox
from comptoir.people.models import Identity, IdentityKind, Person

from .models import (
    SURVEY_CHANNELS,
    Rating,
    Reason,
    SkipReason,
    Survey,
    SurveySettings,
    SurveyState,
)
from .tokens import LinkInvalid, check_token, make_token, token_survey_id

LOOKBACK = timedelta(days=7)  # solved longer ago than delay + this: never surveyed (old data)
OVERLAP = timedelta(hours=1)  # solves just before the last run's cutoff are looked at again
OFFER_BATCH = 200  # conversations looked at per run
LEASE = timedelta(minutes=10)  # a send in progress; another worker leaves it alone meanwhile
FIRST_RETRY = timedelta(minutes=5)  # then 10, 20... minutes
MAX_ATTEMPTS = 6
MAX_COMMENT = 2000
# RFC 3834: machines, lists and "no-reply" addresses are never surveyed
_DAEMON = re.compile(
    r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|owner-.*|.*-request|bounces?)$",
    re.IGNORECASE,
)
POLICY = policy.SMTP.clone(cte_type="7bit")


class SurveyError(ValueError):
    """An answer that cannot be taken; the message is shown to the customer as is."""


# --- settings -------------------------------------------------------------------------------


def get_settings() -> SurveySettings:
    found, _created = SurveySettings.objects.get_or_create(pk=1)
    return found


def update_settings(actor: User, **values: Any) -> SurveySettings:
    """Change the survey settings (validated by the form). Unknown channels and reasons are
    dropped."""
    current = get_settings()
    if "channels" in values:
        values["channels"] = [c for c in values["channels"] if c in SURVEY_CHANNELS]
    if "reasons" in values:
        values["reasons"] = [r for r in values["reasons"] if r in Reason.values]
    for name, value in values.items():
        setattr(current, name, value)
    current.updated_at = timezone.now()
    current.save()
    return current


def reasons_offered(config: SurveySettings | None = None) -> list[tuple[str, str]]:
    enabled = set((config or get_settings()).reasons)
    return [(value, label) for value, label in Reason.choices if value in enabled]


# --- who gets a survey ----------------------------------------------------------------------


def due(now: datetime | None = None, limit: int | None = None) -> list[tuple[int, datetime]]:
    """(conversation id, latest solve) of conversations whose survey is due: solved (and
    still solved) at least ``delay_hours`` ago, on a channel surveys go out on, without a
    survey yet, their latest solve after what earlier runs covered (``scanned_until``, less
    ``OVERLAP``) and at most ``LOOKBACK`` before the delay. Oldest solve first.

    Read from the solves in that window (the event index on kind and time), so a run costs
    the conversations solved since the last one, not every solved conversation ever.
    """
    config = get_settings()
    if not config.is_active or not config.channels:
        return []
    since, cutoff = _window(config, now or timezone.now())
    solves = Event.objects.filter(kind=EventKind.STATUS_CHANGED, created_at__gt=since,
                                  created_at__lte=cutoff, data__to=Status.SOLVED)
    latest_solve = (
        Event.objects.filter(conversation=OuterRef("pk"), kind=EventKind.STATUS_CHANGED,
                             data__to=Status.SOLVED)
        .order_by("-created_at", "-id").values("created_at")[:1]
    )
    rows = (
        Conversation.objects.filter(pk__in=solves.values("conversation_id"),
                                    status=Status.SOLVED, survey__isnull=True,
                                    channel__in=config.channels)
        .annotate(solved_at=Subquery(latest_solve))
        .filter(solved_at__gt=since, solved_at__lte=cutoff)
        .order_by("solved_at", "pk").values_list("pk", "solved_at")[:limit or OFFER_BATCH]
    )
    return list(rows)


def _window(config: SurveySettings, now: datetime) -> tuple[datetime, datetime]:
    cutoff = now - timedelta(hours=config.delay_hours)
    since = cutoff - LOOKBACK
    if config.scanned_until is not None:
        since = max(since, config.scanned_until - OVERLAP)
    return since, cutoff


def offer_due(now: datetime | None = None) -> list[Survey]:
    """Create the surveys that are due (skipped ones included); each is sent by its own job
    once its transaction commits. Then move ``scanned_until`` to the delay's cutoff, or to
    the last solve looked at when there were more than a batch. Returns the surveys
    created by this call."""
    now = now or timezone.now()
    found = due(now)
    created = []
    for conversation_id, solved_at in found:
        survey = offer(conversation_id, solved_at, now)
        if survey is not None:
            created.append(survey)
    config = get_settings()
    if config.is_active and config.channels:
        _since, cutoff = _window(config, now)
        reached = found[-1][1] if len(found) >= OFFER_BATCH else cutoff
        # never backwards: a slower run at the same time may finish after this one
        SurveySettings.objects.filter(pk=config.pk).filter(
            Q(scanned_until__isnull=True) | Q(scanned_until__lt=reached),
        ).update(scanned_until=reached)
    return created


def offer(conversation_id: int, solved_at: datetime, now: datetime | None = None,
          ) -> Survey | None:
    """The survey of one solved conversation, or None when it has one already or is no
    longer solved. Idempotent and safe to run on two workers at once."""
    now = now or timezone.now()
    config = get_settings()
    try:
        with transaction.atomic():
            conversation = (Conversation.objects.select_for_update()
                            .filter(pk=conversation_id).first())
            if conversation is None or conversation.status != Status.SOLVED:
                return None
            if Survey.objects.filter(conversation_id=conversation_id).exists():
                return None
            # one person's conversations are offered one at a time: the suppression window
            # holds even when two of them are solved together and two workers run
            person = Person.objects.select_for_update().get(pk=conversation.person_id)
            recipient, skip = _recipient(conversation, person, config, now)
            survey = Survey.objects.create(
                conversation=conversation, person=person,
                language=survey_language(person, conversation), channel=conversation.channel,
                recipient=recipient, solved_at=solved_at, created_at=now,
                expiry_days=config.expiry_days,
                state=SurveyState.SKIPPED if skip else SurveyState.PENDING, skip_reason=skip,
            )
            if not skip:
                _queue(survey)
    except IntegrityError:  # created meanwhile by another worker
        return None
    return survey


def _recipient(conversation: Conversation, person: Person, config: SurveySettings,
               now: datetime) -> tuple[str, str]:
    """(address or "", skip reason or "")."""
    if config.suppression_days and Survey.objects.filter(
        person=person, state__in=(SurveyState.PENDING, SurveyState.SENT),
        created_at__gte=now - timedelta(days=config.suppression_days),
    ).exists():
        return "", SkipReason.SUPPRESSED
    first = (conversation.messages.filter(kind=MessageKind.INBOUND)
             .order_by("created_at", "id").first())
    if first is not None and (first.meta.get("auto") or first.meta.get("loop")):
        return "", SkipReason.AUTOMATED
    if conversation.channel != Channel.EMAIL:
        return "", ""
    identity = _email_identity(conversation, person)
    if identity is None:
        return "", SkipReason.NO_ADDRESS
    local, _at, _domain = identity.value.rpartition("@")
    if _DAEMON.match(local.partition("+")[0]):
        return identity.value, SkipReason.AUTOMATED
    if identity.bounced_at is not None:
        return identity.value, SkipReason.BOUNCED
    return identity.value, ""


def _email_identity(conversation: Conversation, person: Person) -> Identity | None:
    """The address the customer last wrote from in this conversation, else their first."""
    latest = (Message.objects.filter(conversation=conversation, kind=MessageKind.INBOUND,
                                     identity__kind=IdentityKind.EMAIL,
                                     identity__person=person)
              .select_related("identity").order_by("-created_at", "-id").first())
    if latest is not None:
        return latest.identity
    return (Identity.objects.filter(person=person, kind=IdentityKind.EMAIL)
            .order_by("created_at", "id").first())


def survey_language(person: Person, conversation: Conversation) -> str:
    """The customer's language if we have it in the five, else the conversation's, else the
    site's default."""
    supported = dict(settings.LANGUAGES)
    for code in (person.language, conversation.language):
        code = (code or "").lower().split("-")[0]
        if code in supported:
            return code
    return settings.LANGUAGE_CODE


def _queue(survey: Survey) -> None:
    from .tasks import send_survey

    survey_id = survey.pk
    # robust: with the broker down the survey stays pending and the beat sends it
    transaction.on_commit(lambda: send_survey.delay(survey_id), robust=True)


def sends_due(now: datetime | None = None) -> list[int]:
    """Pending surveys whose retry (or a dead worker's lease) is due, or whose job was lost
    (created over a minute ago, never attempted)."""
    now = now or timezone.now()
    retries = (Survey.objects.filter(state=SurveyState.PENDING, next_attempt_at__lte=now)
               .order_by("pk").values_list("pk", flat=True)[:OFFER_BATCH])
    lost = (Survey.objects.filter(state=SurveyState.PENDING, next_attempt_at=None,
                                  created_at__lte=now - timedelta(minutes=1))
            .order_by("pk").values_list("pk", flat=True)[:OFFER_BATCH])
    return sorted({*retries, *lost})


# --- sending --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    ok: bool
    permanent: bool = False
    error: str = ""
    skip: str = ""


def send(survey_id: int) -> str | None:
    """One attempt at sending a pending survey; its state after, or None when there was
    nothing to do (sent already, not due, or another worker's lease)."""
    survey = _claim(survey_id)
    if survey is None:
        return None
    conversation = survey.conversation
    if conversation.status != Status.SOLVED:
        outcome = Outcome(ok=False, permanent=True, skip=SkipReason.REOPENED)
    elif survey.channel == Channel.EMAIL:
        outcome = _send_email(survey)
    else:
        outcome = _post_in_conversation(survey)
    return _record(survey, outcome)


def _claim(survey_id: int) -> Survey | None:
    now = timezone.now()
    with transaction.atomic():
        survey = (Survey.objects.select_for_update()
                  .filter(pk=survey_id, state=SurveyState.PENDING).first())
        if survey is None or (survey.next_attempt_at and survey.next_attempt_at > now):
            return None
        survey.attempts += 1
        survey.next_attempt_at = now + LEASE
        survey.save(update_fields=["attempts", "next_attempt_at"])
    return Survey.objects.select_related("conversation", "conversation__person").get(
        pk=survey_id)


def _record(survey: Survey, outcome: Outcome) -> str:
    now = timezone.now()
    with transaction.atomic():
        if outcome.ok:
            Survey.objects.filter(pk=survey.pk).update(
                state=SurveyState.SENT, sent_at=now, next_attempt_at=None, error="",
                expires_at=now + timedelta(days=survey.expiry_days),
            )
            Event.objects.create(
                conversation_id=survey.conversation_id, person_id=survey.person_id,
                kind=EventKind.CSAT_OFFERED, created_at=now,
                data={"survey_id": survey.pk, "channel": survey.channel,
                      "language": survey.language},
            )
            return SurveyState.SENT
        if outcome.skip:
            state, retry_at = SurveyState.SKIPPED, None
        elif outcome.permanent or survey.attempts >= MAX_ATTEMPTS:
            state, retry_at = SurveyState.FAILED, None
        else:
            state = SurveyState.PENDING
            retry_at = now + FIRST_RETRY * 2 ** (survey.attempts - 1)
        Survey.objects.filter(pk=survey.pk).update(
            state=state, next_attempt_at=retry_at, error=outcome.error[:5000],
            skip_reason=outcome.skip,
        )
    return state


def survey_url(survey: Survey, rating: str = "") -> str:
    """The public page of a survey, with a freshly signed token."""
    url = settings.BASE_URL.rstrip("/") + reverse("survey", args=[make_token(survey.pk)])
    return f"{url}?rating={rating}" if rating else url


def _post_in_conversation(survey: Survey) -> Outcome:
    """The survey as a message in the conversation (chat, web form): the customer sees it
    where they talk to us. No author: it is not an agent's reply."""
    with translation.override(survey.language):
        text = "\n\n".join([
            _("Thank you for contacting us. How did we do?"),
            _("👍 Good: %(url)s") % {"url": survey_url(survey, Rating.GOOD)},
            _("👎 Bad: %(url)s") % {"url": survey_url(survey, Rating.BAD)},
        ])
    conversations.reply(survey.conversation, None, text,  # type: ignore[arg-type]
                        idempotency_key=f"csat-survey-{survey.pk}")
    return Outcome(ok=True)


def _send_email(survey: Survey) -> Outcome:
    mailbox = email_outbound.reply_mailbox(survey.conversation)
    if mailbox is None:
        return Outcome(ok=False, permanent=True, skip=SkipReason.NO_MAILBOX)
    email = compose(survey, mailbox)
    try:
        email_delivery.transmit(mailbox.address, [survey.recipient], email,
                                name=f"survey-{survey.pk}")
        return Outcome(ok=True)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _reply in exc.recipients.values()]
        return Outcome(ok=False, permanent=all(c >= 500 for c in codes), error=str(exc))
    except smtplib.SMTPResponseException as exc:
        return Outcome(ok=False, permanent=500 <= exc.smtp_code < 600,
                       error=f"{exc.smtp_code} {exc.smtp_error!r}")
    except (smtplib.SMTPException, OSError) as exc:
        return Outcome(ok=False, error=f"{type(exc).__name__}: {exc}")


def compose(survey: Survey, mailbox: Mailbox) -> EmailMessage:
    """The survey email in the customer's language: two links (good, bad) to the public
    page, each signed and valid for ``expiry_days``."""
    conversation = survey.conversation
    name = conversation.person.first_name
    good, bad = survey_url(survey, Rating.GOOD), survey_url(survey, Rating.BAD)
    with translation.override(survey.language):
        greeting = _("Hello %(name)s,") % {"name": name} if name else _("Hello,")
        intro = _("Your request “%(subject)s” (#%(number)s) was solved. How did we do?") % {
            "subject": " ".join(conversation.subject.split()), "number": conversation.pk}
        good_label, bad_label = _("👍 Good, I'm satisfied"), _("👎 Bad, I'm unsatisfied")
        validity = _("This link works for %(days)s days. Thank you!") % {
            "days": survey.expiry_days}
        subject = _("How did we do? Your request #%(number)s") % {"number": conversation.pk}
    text = "\n\n".join([greeting, intro, f"{good_label}:\n{good}", f"{bad_label}:\n{bad}",
                        validity, mailbox.name]) + "\n"
    button = ('<a href="{url}" style="display:inline-block;padding:10px 16px;margin:4px;'
              'border:1px solid #888;border-radius:6px;text-decoration:none">{label}</a>')
    html = "".join([
        f"<p>{escape(greeting)}</p><p>{escape(intro)}</p><p>",
        button.format(url=escape(good), label=escape(good_label)),
        button.format(url=escape(bad), label=escape(bad_label)),
        f"</p><p>{escape(validity)}</p><p>{escape(mailbox.name)}</p>",
    ])
    email = EmailMessage(policy=POLICY)
    email["From"] = Address(" ".join(mailbox.name.split()), addr_spec=mailbox.address)
    # an answer by email threads back into the conversation (and reopens it)
    email["Reply-To"] = Address(" ".join(mailbox.name.split()),
                                addr_spec=email_outbound.reply_address(mailbox, conversation.pk))
    email["To"] = Address(" ".join(conversation.person.name.split()),
                          addr_spec=survey.recipient)
    email["Subject"] = subject
    email["Date"] = timezone.now()
    email["Message-ID"] = make_msgid(domain=mailbox.address.rpartition("@")[2])
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office back
    email["X-Auto-Response-Suppress"] = "All"
    email.set_content(text)
    email.add_alternative(html, subtype="html")
    email["Content-Language"] = survey.language
    return email


# --- answers --------------------------------------------------------------------------------


def survey_for_token(token: str) -> Survey:
    """The offered survey a link names. Raises ``tokens.LinkInvalid`` (not ours, tampered,
    unknown survey) or ``tokens.LinkExpired``."""
    survey = (Survey.objects.select_related("conversation")
              .filter(pk=token_survey_id(token), state=SurveyState.SENT).first())
    if survey is None:
        raise LinkInvalid
    check_token(token, survey.expiry_days)
    return survey


def is_open(survey: Survey) -> bool:
    """A rating can change until the conversation is closed."""
    return survey.state == SurveyState.SENT and survey.conversation.status != Status.CLOSED


def answer(survey: Survey, rating: str, *, reason: str = "", comment: str = "",
           now: datetime | None = None) -> Survey:
    """Record (or change) the customer's rating, with an optional reason (for a bad one)
    and comment. Answering again with the same values changes nothing; any change writes
    one ``csat.rated`` event."""
    if rating not in Rating.values:
        raise SurveyError(_("Choose good or bad."))
    reason = reason.strip() if rating == Rating.BAD else ""
    if reason and reason not in Reason.values:
        raise SurveyError(_("Choose one of the reasons offered."))
    comment = comment.replace("\r\n", "\n").strip()
    if len(comment) > MAX_COMMENT:
        raise SurveyError(_("Your comment is too long (at most %(n)s characters).")
                          % {"n": MAX_COMMENT})
    now = now or timezone.now()
    with transaction.atomic():
        survey = (Survey.objects.select_for_update().select_related("conversation")
                  .get(pk=survey.pk))
        if not is_open(survey):
            raise SurveyError(_("This survey is closed: the conversation was closed."))
        if (survey.rating, survey.reason, survey.comment) == (rating, reason, comment):
            return survey
        previous = survey.rating
        survey.rating, survey.reason, survey.comment = rating, reason, comment
        survey.answered_at = now
        survey.save(update_fields=["rating", "reason", "comment", "answered_at"])
        Event.objects.create(
            conversation_id=survey.conversation_id, person_id=survey.person_id,
            kind=EventKind.CSAT_RATED, created_at=now,
            data={"survey_id": survey.pk, "rating": rating, "previous": previous,
                  "reason": reason, "comment": bool(comment)},
        )
    return survey
