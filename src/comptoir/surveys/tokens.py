"""The survey link's token: the survey id, signed with a timestamp (``TimestampSigner``,
a salt of its own), valid for the survey's ``expiry_days`` from when it was signed."""

from datetime import timedelta

from django.core import signing

SALT = "comptoir.surveys.answer"


class LinkExpired(Exception):
    """A genuine link, older than its survey allows."""


class LinkInvalid(Exception):
    """Not a link we signed (mistyped, cut, or tampered with), or its survey is gone."""


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def make_token(survey_id: int) -> str:
    """``<id>:<timestamp>:<signature>``, URL-safe."""
    return _signer().sign(str(survey_id))


def token_survey_id(token: str) -> int:
    """The survey id a token claims, before its signature is checked (to find the survey
    whose validity period applies). Raises ``LinkInvalid``."""
    head = token.partition(":")[0]
    if not head.isdigit() or len(head) > 18:
        raise LinkInvalid
    return int(head)


def check_token(token: str, expiry_days: int) -> int:
    """The survey id of a token we signed less than ``expiry_days`` ago.

    Raises ``LinkExpired`` (genuine but too old) or ``LinkInvalid``.
    """
    try:
        value = _signer().unsign(token, max_age=timedelta(days=expiry_days))
    except signing.SignatureExpired as exc:
        raise LinkExpired from exc
    except signing.BadSignature as exc:
        raise LinkInvalid from exc
    if not value.isdigit():
        raise LinkInvalid
    return int(value)
