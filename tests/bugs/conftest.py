import pytest
from django.core.cache import cache
from django.utils.translation import trans_real

FIXED = ("The problem you reported is fixed. Thank you for telling us about it, and for your "
         "patience while we worked on it.")
# What translators will write; put in the catalogs here so tests see each customer's language
# whatever the state of the .po files.
TRANSLATIONS = {
    "fr": {"Hello %(name)s,": "Bonjour %(name)s,",
           FIXED: "Le problème que vous nous avez signalé est corrigé. Merci de nous l’avoir "
                  "signalé, et de votre patience.",
           "If anything still does not work as you expect, simply reply to this message.":
               "Si quelque chose ne fonctionne toujours pas, répondez simplement à ce message."},
    "ja": {"Hello %(name)s,": "%(name)s 様",
           FIXED: "ご報告いただいた問題は修正されました。ご協力とご辛抱に感謝いたします。"},
    "de": {"Hello %(name)s,": "Hallo %(name)s,",
           FIXED: "Das von Ihnen gemeldete Problem ist behoben."},
}


@pytest.fixture(autouse=True)
def _translated(monkeypatch):
    for language, strings in TRANSLATIONS.items():
        catalog = trans_real.translation(language)._catalog._catalogs[0]
        for msgid, msgstr in strings.items():
            monkeypatch.setitem(catalog, msgid, msgstr)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path  # the email file backend's outbox
