from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from comptoir.email import imap
from comptoir.email.models import Mailbox


class Command(BaseCommand):
    help = (
        "Poll the active IMAP mailboxes once, or one mailbox: new mail is stored raw, then "
        "processed; failures stay raw with their error (see `replay`)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--mailbox", metavar="ADDRESS", help="only this mailbox")

    def handle(self, *args, mailbox=None, **options):
        mailboxes = imap.pollable_mailboxes()
        if mailbox:
            mailboxes = Mailbox.objects.exclude(imap_host="").filter(
                address=mailbox.strip().lower())
            if not mailboxes:
                raise CommandError(_("No IMAP mailbox has the address %(address)s.")
                                   % {"address": mailbox})
        for box in mailboxes:
            summary = imap.poll_mailbox(box)
            if summary.busy:
                self.stdout.write(_("%(address)s: skipped, another poll is running")
                                  % {"address": box.address})
                continue
            self.stdout.write(
                _("%(address)s: fetched %(fetched)d, duplicates %(duplicates)d, "
                  "ignored %(ignored)d, failed %(failed)d")
                % {"address": box.address, "fetched": summary.fetched,
                   "duplicates": summary.duplicates, "ignored": summary.ignored,
                   "failed": summary.failed}
            )
            if summary.error:
                self.stdout.write(_("  stopped early: %(error)s") % {"error": summary.error})
