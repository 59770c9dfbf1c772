"""The French, German, Spanish and Japanese catalogues: complete, compiled, and safe to format;
customers' emails really come out in their language."""

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.utils import translation

import comptoir
from comptoir.bugs.services import compose_follow_up
from comptoir.email.models import Mailbox
from comptoir.email.outbound import acknowledgement_text, self_service_text

from ..factories import make_conversation

LOCALE = Path(comptoir.__file__).parent / "locale"
LANGUAGES = ["fr", "de", "es", "ja"]
NAMED = re.compile(r"%\((\w+)\)")


@dataclass
class Entry:
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> str:
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid


def read_po(path: Path) -> list[Entry]:
    """The catalogue's live entries (not the header, not obsolete ones)."""
    entries, entry, target = [], Entry(), None

    def close():
        nonlocal entry
        if entry.msgid or entry.msgstr:
            entries.append(entry)
        entry = Entry()

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#,"):
            if entry.msgid or entry.msgstr:
                close()
            entry.flags |= {f.strip() for f in line[2:].split(",")}
            continue
        if not line.strip() or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            value = ast.literal_eval(line)
        else:
            value = ast.literal_eval(rest)
            if keyword in ("msgctxt", "msgid") and (entry.msgid or entry.msgstr) \
                    and not (keyword == "msgid" and target == "msgctxt"):
                close()
            target = keyword
            if keyword == "msgctxt":
                entry.msgctxt = ""
        if target == "msgctxt":
            entry.msgctxt += value
        elif target == "msgid":
            entry.msgid += value
        elif target == "msgid_plural":
            entry.msgid_plural = (entry.msgid_plural or "") + value
        elif target.startswith("msgstr"):
            index = int(target[7:-1]) if target != "msgstr" else 0
            entry.msgstr[index] = entry.msgstr.get(index, "") + value
    close()
    return [e for e in entries if e.msgid]


@pytest.fixture(scope="module", params=LANGUAGES)
def catalogue(request):
    po = LOCALE / request.param / "LC_MESSAGES" / "django.po"
    return request.param, read_po(po)


def test_every_string_is_translated_and_reviewed(catalogue):
    language, entries = catalogue
    assert len(entries) > 100
    missing = [e.msgid for e in entries if not all(e.msgstr.values()) or not e.msgstr]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert (missing, fuzzy) == ([], []), language


def test_translations_fill_in_the_same_placeholders(catalogue):
    language, entries = catalogue
    for e in entries:
        if "python-format" not in e.flags:
            continue
        names = set(NAMED.findall(e.msgid)) | set(NAMED.findall(e.msgid_plural or ""))
        for text in e.msgstr.values():
            assert set(NAMED.findall(text)) <= names, (language, e.msgid, text)
            if names:  # formats as the code formats it: no KeyError, no stray "%"
                text % dict.fromkeys(names, 1)
            if not e.msgid_plural:
                assert set(NAMED.findall(text)) == names, (language, e.msgid, text)
        if "python-brace-format" in e.flags:
            for text in e.msgstr.values():
                assert set(re.findall(r"\{\w+\}", text)) == set(re.findall(r"\{\w+\}", e.msgid))


def test_the_compiled_catalogue_is_the_current_one(catalogue):
    """A .po edited but not compiled ships English: the .mo must hold every translation."""
    language, entries = catalogue
    with (LOCALE / language / "LC_MESSAGES" / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)._catalog  # type: ignore[attr-defined]
    for e in entries:
        if "fuzzy" in e.flags:
            continue
        if e.msgid_plural is None:
            assert compiled.get(e.key) == e.msgstr[0], (language, e.msgid)
        else:
            for index, text in e.msgstr.items():
                assert compiled.get((e.key, index)) == text, (language, e.msgid, index)


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_customer_emails_come_out_in_the_customers_language(language):
    conversation = make_conversation(sender_name="Ana Silva")
    mailbox = Mailbox.objects.create(address="help@acme.test", name="Acme Support",
                                     self_service_kb_url="https://help.acme.test/{language}/")

    def paragraphs(text: str) -> list[str]:
        return [p for p in text.split("\n\n") if p.strip() and "Acme Support" not in p
                and not p.startswith("- ")]

    with translation.override("en"):
        english = [acknowledgement_text(conversation, mailbox),
                   self_service_text(conversation, mailbox, "en")[0],
                   compose_follow_up("", "Ana", "en")]
    with translation.override(language):
        translated = [acknowledgement_text(conversation, mailbox),
                      self_service_text(conversation, mailbox, language)[0],
                      compose_follow_up("", "Ana", language)]
    for before, after in zip(english, translated, strict=True):
        assert "Ana" in after.split("\n\n")[0]  # greeted by name
        assert f"#{conversation.pk}" in after or "#" not in before
        assert not set(paragraphs(before)) & set(paragraphs(after)), (language, after)
