"""Quote folding: the talon replies (real clients) are the reference."""

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comptoir.email.parsing import parse
from comptoir.email.quoting import split_reply

from .conftest import CORPUS

# The new text of every talon reply is "Hello"; iPhone and Sparrow add their signature line.
SIGNATURES = {
    "talon-iphone.eml": "Hello\n\nSent from my iPhone",
    "talon-sparrow.eml": "Hello \n\n-- \nxxx\nSent with Sparrow (http://www.sparrowmailapp.com/?sig)",
}
HELLO_REPLIES = sorted(
    path.name for path in CORPUS.glob("talon-*.eml")
    if path.name != "talon-reply-quotations-share-block.eml"
)


@pytest.mark.parametrize("name", HELLO_REPLIES)
def test_talon_replies_new_text_is_hello(name):
    text = parse((CORPUS / name).read_bytes()).text
    new_text, quoted = split_reply(text)
    assert new_text == SIGNATURES.get(name, "Hello")
    assert quoted
    assert "Hello" not in quoted.splitlines()[0] or name == "talon-sparrow.eml"
    # nothing lost: every non-blank line is in one part or the other
    for line in text.splitlines():
        assert line.strip() in new_text or line.strip() in quoted


def test_talon_quoted_history_is_the_quote():
    quoted = {
        name: split_reply(parse((CORPUS / name).read_bytes()).text)[1] for name in HELLO_REPLIES
    }
    assert quoted["talon-gmail.eml"] == (
        "On Mon, Apr 2, 2012 at 6:26 PM, Megan One <xxx@gmail.com> wrote:\n\n> Hi")
    assert quoted["talon-thunderbird.eml"] == "On 04/02/2012 06:26 PM, Megan One wrote:\n> Hi"
    assert quoted["talon-android.eml"].startswith("02.04.2012 14:20 пользователь")
    assert quoted["talon-outlook.eml"].startswith("From: xxx@xxx.mailgun.org")
    assert quoted["talon-yahoo.eml"].startswith("----- Original Message -----")
    assert quoted["talon-hotmail.eml"].startswith("> Subject: Test")


def test_talon_share_block_reply():
    text = parse((CORPUS / "talon-reply-quotations-share-block.eml").read_bytes()).text
    new_text, quoted = split_reply(text)
    assert new_text.startswith("Hi Katharine.") and new_text.endswith("Joe XXX")
    assert quoted.startswith("--- On Wed, 4/4/12, xxx@example.com <xxx@example.com> wrote:")
    assert "New Booking Inquiry" in quoted


@pytest.mark.parametrize(("text", "language", "new_text"), [
    ("Merci !\n\nLe lun. 6 janv. 2025 à 10:00, Support <s@x.fr> a écrit :\n> Bonjour",
     "fr", "Merci !"),
    ("Danke!\n\nAm 06.01.2025 um 10:00 schrieb Support <s@x.de>:\n> Hallo", "de", "Danke!"),
    ("¡Gracias!\n\nEl lun, 6 ene 2025 a las 10:00, Soporte (<s@x.es>) escribió:\n> Hola",
     "es", "¡Gracias!"),
    ("ありがとうございます。\n\n2025年1月6日(月) 10:00 サポート <s@x.jp>:\n> こんにちは",
     "ja", "ありがとうございます。"),
    ("Thanks\n\n________________________________\nDe : Support <s@x.fr>\nEnvoyé : lundi\n"
     "À : moi\nObjet : Re: commande\n\nBonjour", "fr", "Thanks"),
    ("Gracias\n\n-----Mensaje original-----\nDe: Soporte\nEnviado el: lunes\n\nHola", "es",
     "Gracias"),
    ("Top\n\nOn Mon, Jan 6, 2025 at 10:00 AM Support Team <\nsupport@x.com> wrote:\n\n> Hi",
     "", "Top"),
])
def test_reply_headers_in_the_product_languages(text, language, new_text):
    found, quoted = split_reply(text, language)
    assert found == new_text
    assert quoted


def test_language_hint_adds_another_language():
    text = "Tak!\n\nDen 6. jan. 2025 kl. 10.00 skrev Support <s@x.dk>:\nHej"
    assert split_reply(text, "da")[0] == "Tak!"


def test_inline_answers_are_not_folded():
    text = "Hi,\n\nOn Mon, Bob wrote:\n> Which version?\n2.3\n> Which OS?\nLinux\n\nThanks"
    assert split_reply(text) == (text, "")


def test_a_quote_in_the_middle_of_the_text_is_not_folded():
    text = "You said:\n> it will be fixed\nIt is not fixed."
    assert split_reply(text) == (text, "")


def test_no_quote_and_only_quote():
    assert split_reply("  Just a question.\n") == ("Just a question.", "")
    forward = "---------- Forwarded message ---------\nFrom: A <a@x>\nDate: today\n\nBody"
    assert split_reply(forward) == (forward, "")
    assert split_reply("") == ("", "")


def test_windows_line_endings():
    assert split_reply("Hello\r\n\r\nOn Mon, Bob wrote:\r\n> Hi\r\n") == (
        "Hello", "On Mon, Bob wrote:\n> Hi")


def test_pathological_text_stays_fast():
    lines = ["On " + "x " * 5000 + "wrote" for _ in range(300)]
    text = "\n".join(lines + ["a:"] * 3000)
    started = time.perf_counter()
    split_reply(text)
    assert time.perf_counter() - started < 3


LINES = st.sampled_from([
    "", "Hello", "> Hi", ">", "> > older", "On Mon, Apr 2, 2012, Bob <b@x.org> wrote:", "wrote:",
    "-----Original Message-----", "From: a@x", "Sent: Monday", "To: b@x", "Subject: s",
    "________________________________", "-------- Forwarded Message --------", "-- ",
    "Sent from my iPhone", "Le lun. 2 avr. 2012 à 10:00, A <a@x> a écrit :", "thanks:",
    "2012年4月2日(月) 10:00 A <a@x>:", "bob@x.org> написал:", "Am 2. April schrieb A <a@x>:",
]) | st.text(max_size=30)


@settings(max_examples=500, deadline=None)
@given(st.lists(LINES, max_size=25), st.sampled_from(["", "en", "fr", "de", "ja", "xx"]))
def test_split_reply_never_raises_and_loses_nothing(lines, language):
    text = "\n".join(lines)
    new_text, quoted = split_reply(text, language)
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        assert line.strip() in new_text or line.strip() in quoted
