from pathlib import Path

import pytest

from .dovecot import Dovecot

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "email"
CORPUS_FILES = sorted(CORPUS.glob("*.eml"))


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Attachments are written to MEDIA_ROOT: keep them out of the developer's var/.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def dovecot():
    """A private Dovecot IMAP server, started (see ``dovecot.py``); removed at teardown."""
    server = Dovecot()
    try:
        server.start()
        yield server
    finally:
        server.stop()
        server.remove()
