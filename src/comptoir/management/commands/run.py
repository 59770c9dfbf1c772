"""``comptoir run``: the embedded product in one command.

Starts the ASGI server (uvicorn: web, API, websockets), a Celery worker (thread pool),
Celery beat on the configured broker (a SQLite file by default) and the inbound SMTP server
(``comptoir smtpd``), and stops them together. The live events the worker raises reach the
web server's websockets through ``VAR_DIR/realtime.sqlite3`` (``comptoir.realtime.layers``).
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from comptoir.accounts.models import User


class Command(BaseCommand):
    help = "Run comptoir: web/ASGI server, a Celery worker and beat, SMTP intake, until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--concurrency", type=int, default=4, help="worker threads")
        parser.add_argument("--smtpd-port", type=int, default=settings.SMTPD_PORT,
                            help="inbound SMTP port (default %(default)s; host: SMTPD_HOST)")

    def handle(self, *args, host, port, concurrency, smtpd_port, **options):
        python = sys.executable
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "comptoir.settings",
               "COMPTOIR_VAR_DIR": str(settings.VAR_DIR)}
        schedule = str(settings.VAR_DIR / "celerybeat-schedule")
        commands = {
            "web": [python, "-m", "uvicorn", "comptoir.asgi:application", "--host", host,
                    "--port", str(port), "--log-level", "warning"],
            "worker": [python, "-m", "celery", "-A", "comptoir", "--quiet", "worker",
                       "--pool", "threads",
                       "--concurrency", str(concurrency), "--loglevel", "WARNING"],
            "beat": [python, "-m", "celery", "-A", "comptoir", "--quiet", "beat",
                     "--loglevel", "WARNING",
                     "--schedule", schedule],
            "smtpd": [python, "-m", "comptoir.cli", "smtpd", "--host", settings.SMTPD_HOST,
                      "--port", str(smtpd_port), "-v", "0"],
        }
        processes = {name: subprocess.Popen(cmd, env=env)  # noqa: S603 - fixed argv
                     for name, cmd in commands.items()}
        url = f"http://{host}:{port}/"
        self.stdout.write(self.style.SUCCESS(f"comptoir is running at {url}"))
        self.stdout.write(f"  database: {settings.DATABASES['default']['NAME']}")
        self.stdout.write(f"  broker:   {settings.CELERY_BROKER_URL}")
        self.stdout.write(_("  smtp:     %(host)s:%(port)s (inbound mail for the mailboxes)")
                          % {"host": settings.SMTPD_HOST, "port": smtpd_port})
        demo = User.objects.filter(username__in=["admin", "ada", "teo", "olga"]).exists()
        if demo:
            self.stdout.write("  demo logins (password 'comptoir'): admin (admin), lena (lead), "
                              "ada (advocate), teo (teammate, engineer), olga (observer)")
        self.stdout.write("Press Ctrl-C to stop.")
        stopping = False

        def stop(*_args):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(f"{name} exited with {process.returncode}; stopping.")
                        stopping = True
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
