import os

from django.core.management.base import BaseCommand
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from comptoir.reports import services


class Command(BaseCommand):
    help = ("Recompute every report rollup from the event log (after an upgrade, or when the "
            "report settings changed). Reports show partial figures meanwhile; the workers' "
            "refreshes wait, then catch up with the events written during the rebuild.")

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=0,
                            help="processes computing the facts (default: one per core; 1 "
                                 "with an in-memory database)")

    def handle(self, *args, workers, **options):
        if workers <= 0:  # the service falls back to one where processes cannot share
            workers = os.cpu_count() or 1
        progress = Progress(
            TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=Console(stderr=True),
        )
        tasks: dict[str, object] = {}

        def report(step: str, advance: int, total: int | None) -> None:
            if step not in tasks:
                tasks[step] = progress.add_task(step, total=total)
            progress.advance(tasks[step], advance)

        with progress:
            result = services.rebuild(progress=report, workers=workers)
        steps = ", ".join(f"{name[:-2]} {seconds:.1f} s" for name, seconds in result.steps.items())
        self.stdout.write(self.style.SUCCESS(
            f"Rollups rebuilt in {result.seconds:.1f} s ({steps}): {result.conversations} "
            f"conversations, {result.events} events, {result.rows} rollup rows."))
