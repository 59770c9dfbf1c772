"""`comptoir import_mail`: .eml files, a Maildir and an mbox, with duplicates and a broken one."""

import mailbox
from io import StringIO

import pytest
from django.core.management import call_command

from comptoir.conversations.models import Message, RawInbound, RawStatus
from comptoir.email import services

from .mail import build

pytestmark = pytest.mark.django_db


def mail(n: int, **fields) -> bytes:
    fields.setdefault("message_id", f"<import-{n}@example.com>")
    return build(subject=f"Question {n}", text=f"Question number {n}", **fields).as_bytes()


def resent(payload: bytes) -> bytes:
    """The same message delivered again: one more Received header on top."""
    return b"Received: from relay.example.net by mx.comptoir.test\r\n" + payload


@pytest.fixture
def mail_tree(tmp_path):
    """7 distinct messages, 3 duplicate deliveries and 1 broken message, in three shapes."""
    root = tmp_path / "export"
    root.mkdir()
    (root / "01.eml").write_bytes(mail(1))
    (root / "02.eml").write_bytes(mail(2))
    (root / "02-again.eml").write_bytes(mail(2))  # duplicate: identical bytes
    (root / "broken.eml").write_bytes(b"\x00\x01\x02 not mail at all \xff" * 20)
    (root / "notes.txt").write_text("not an .eml: skipped")

    maildir = mailbox.Maildir(root / "Maildir", create=True)
    maildir.add(mail(3))
    maildir.add(mail(4))
    maildir.add(resent(mail(1)))  # duplicate of 01.eml

    box = mailbox.mbox(root / "archive.mbox", create=True)
    for payload in (mail(5), mail(6), resent(mail(3)), mail(7)):  # one duplicate of the Maildir
        box.add(payload)
    box.flush()
    box.close()
    return root


def test_import_command_summary(mail_tree):
    out = StringIO()
    call_command("import_mail", str(mail_tree), stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "imported 7, duplicates 3, ignored 0 (bounce reports, mail loops), failed 1"
    [failure] = lines[1:]
    broken = RawInbound.objects.get(meta__source=str(mail_tree / "broken.eml"))
    assert failure.startswith(f"  raw #{broken.pk} {mail_tree / 'broken.eml'}: NormaliseError: ")
    assert Message.objects.count() == 7
    assert RawInbound.objects.count() == 11
    assert RawInbound.objects.filter(status=RawStatus.FAILED).count() == 1
    assert sorted(Message.objects.values_list("conversation__subject", flat=True)) == [
        f"Question {n}" for n in range(1, 8)]


def test_sources_are_recorded_per_message(mail_tree):
    services.import_paths([mail_tree])
    sources = set(RawInbound.objects.values_list("meta__source", flat=True))
    assert str(mail_tree / "01.eml") in sources
    assert {f"{mail_tree / 'archive.mbox'}#{n}" for n in range(1, 5)} <= sources
    assert sum(source.startswith(str(mail_tree / "Maildir") + "/") for source in sources) == 3


def test_import_paths_summary_and_progress(mail_tree):
    seen = []
    summary = services.import_paths(
        [mail_tree / "Maildir", mail_tree / "archive.mbox", mail_tree / "missing.eml"],
        progress=lambda source, outcome: seen.append(outcome),
    )
    assert (summary.imported, summary.duplicates, summary.failed) == (6, 1, 1)
    assert summary.failures[0].raw_id is None
    assert "no such file" in summary.failures[0].error
    assert seen.count("imported") == 6 and seen.count("duplicate") == 1
    assert services.count_messages([mail_tree]) == 11


def test_importing_the_same_tree_twice_imports_nothing_new(mail_tree):
    services.import_paths([mail_tree])
    again = services.import_paths([mail_tree])
    assert (again.imported, again.duplicates, again.failed) == (0, 10, 1)
    assert Message.objects.count() == 7


def test_a_single_eml_file_through_the_comptoir_command(tmp_path, monkeypatch, capsys):
    from comptoir import cli

    path = tmp_path / "one.eml"
    path.write_bytes(mail(42))
    monkeypatch.setattr("sys.argv", ["comptoir", "import-mail", str(path)])  # as documented
    cli.main()
    out = capsys.readouterr().out
    assert "imported 1, duplicates 0, ignored 0 (bounce reports, mail loops), failed 0" in out


def test_mail_from_our_own_mailbox_is_counted_as_ignored_not_failed(tmp_path):
    from comptoir.email.models import Mailbox

    Mailbox.objects.create(address="support@comptoir.test", name="Support")
    path = tmp_path / "loop.eml"
    path.write_bytes(mail(7, sender="Support <support@comptoir.test>"))
    summary = services.import_paths([path])
    assert (summary.imported, summary.ignored, summary.failed) == (0, 1, 0)
    assert RawInbound.objects.get().status == RawStatus.IGNORED
