from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "email"
CORPUS_FILES = sorted(CORPUS.glob("*.eml"))


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Attachments are written to MEDIA_ROOT: keep them out of the developer's var/.
    settings.MEDIA_ROOT = tmp_path / "media"
