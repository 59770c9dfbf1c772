import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from comptoir.email.models import Mailbox
from comptoir.email.smtpd import build_controller


class Command(BaseCommand):
    help = ("Receive mail for the active mailboxes over SMTP until Ctrl-C: each message is "
            "stored raw, then processed.")

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.SMTPD_HOST,
                            help="address to listen on (default %(default)s)")
        parser.add_argument("--port", type=int, default=settings.SMTPD_PORT,
                            help="port to listen on (default %(default)s)")

    def handle(self, *args, host, port, verbosity, **options):
        controller = build_controller(host, port)
        try:
            controller.start()
        except OSError as exc:  # the port is taken, or the address is not ours
            raise CommandError(_("Cannot listen on %(host)s:%(port)s: %(error)s")
                               % {"host": host, "port": port, "error": exc}) from exc
        if verbosity:
            self._banner(host, port)
        stopping = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_args: stopping.set())
        try:
            stopping.wait()
        except KeyboardInterrupt:
            pass
        finally:
            controller.stop()

    def _banner(self, host: str, port: int) -> None:
        self.stdout.write(self.style.SUCCESS(
            _("SMTP server listening on %(host)s:%(port)s") % {"host": host, "port": port}))
        addresses = list(Mailbox.objects.filter(is_active=True).values_list("address", flat=True))
        if addresses:
            self.stdout.write(_("  mailboxes: %(addresses)s (and their +tag addresses)")
                              % {"addresses": ", ".join(addresses)})
        else:
            self.stdout.write(self.style.WARNING(
                _("  no active mailbox yet: every recipient is refused until an admin adds one")))
        self.stdout.write(_("  mailbox changes apply at once. Press Ctrl-C to stop."))
