from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from comptoir import demo


class Command(BaseCommand):
    help = ("Load the demo: Brioche's whole-team support, ~2,000 customers and 90 days of "
            "conversations in five languages. Does nothing if it is already loaded.")

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true",
                            help="delete the demo rows (and only them), then load again")
        parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED,
                            help=f"random seed: the same seed gives the same demo "
                                 f"(default {demo.DEFAULT_SEED})")
        parser.add_argument("--scale", type=float, default=1.0,
                            help="size relative to the full demo (default 1.0)")

    def handle(self, *args, reset, seed, scale, **options):
        if scale <= 0:
            raise CommandError("--scale must be positive.")
        if not reset and demo.is_loaded():
            self.stdout.write("The demo is already loaded; nothing changed "
                              "(`comptoir demo --reset` loads it again).")
            return
        progress = Progress(
            TextColumn("{task.description:<26}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=Console(stderr=True),
        )
        try:
            with progress:
                summary = demo.load(seed=seed, scale=scale, reset=reset, progress=progress)
        except demo.DemoError as exc:
            raise CommandError(str(exc)) from exc
        if summary.already_loaded:
            self.stdout.write("The demo is already loaded; nothing changed.")
            return
        counts = summary.counts
        self.stdout.write(self.style.SUCCESS(
            f"Demo loaded in {summary.seconds:.1f} s: {counts['users']} staff in "
            f"{counts['teams']} teams, {counts['people']} customers "
            f"({counts['organisations']} organisations, {counts['identities']} identities), "
            f"{counts['conversations']} conversations, {counts['messages']} messages, "
            f"{counts['events']} events, {counts['macros']} saved replies."))
        self.stdout.write(f"Sign in with any of these (password “{demo.PASSWORD}”):")
        for username, role, title in summary.logins:
            self.stdout.write(f"  {username:<8} {role:<9} {title}")
