from django.core.management.base import BaseCommand
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from comptoir.email import services

MAX_FAILURES_LISTED = 50


class Command(BaseCommand):
    help = (
        "Import mail: .eml files, directories of them, Maildir folders and mbox files. Each "
        "message is stored raw first; failures stay raw with their error (see `replay`)."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")

    def handle(self, *args, paths, **options):
        total = services.count_messages(paths)
        columns = (TextColumn("Importing mail"), BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn())
        with Progress(*columns, disable=not total or options["verbosity"] < 1) as progress:
            task = progress.add_task("import", total=total)
            summary = services.import_paths(
                paths, progress=lambda source, outcome: progress.advance(task),
            )
        self.stdout.write(
            f"imported {summary.imported}, duplicates {summary.duplicates}, "
            f"ignored {summary.ignored} (bounce reports, mail loops), failed {summary.failed}"
        )
        for failure in summary.failures[:MAX_FAILURES_LISTED]:
            raw = f"raw #{failure.raw_id}" if failure.raw_id is not None else "not stored"
            self.stdout.write(f"  {raw} {failure.source}: {failure.error}")
        if summary.failed > MAX_FAILURES_LISTED:
            self.stdout.write(f"  … and {summary.failed - MAX_FAILURES_LISTED} more")
