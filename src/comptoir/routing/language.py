"""The language a customer wrote in: one of the product's five, "other", or unknown.

py3langid ships its model inside the package (nothing is downloaded) and answers in about a
tenth of a millisecond. Only what the customer wrote is read, not the history their client
quoted (often in our language). A short "Merci !" is too little to tell: unknown, and the
conversation keeps the customer's or the mailbox's language.
"""

from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from comptoir.email.quoting import split_reply

SUPPORTED = ("en", "fr", "de", "es", "ja")
OTHER = "other"
MIN_CONFIDENCE = 0.5  # normalised probability of the best language
MAX_CHARS = 2000  # the start of a long message says enough
MIN_LETTERS = 12


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text: str) -> str:
    """``"en"``…``"ja"``, ``"other"`` for a language we don't support, or ``""`` when the
    text is too short or too mixed to tell."""
    new, _quoted = split_reply(text or "")
    sample = new[:MAX_CHARS]
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return ""
    language, confidence = _identifier().classify(sample)
    if confidence < MIN_CONFIDENCE:
        return ""
    return language if language in SUPPORTED else OTHER
