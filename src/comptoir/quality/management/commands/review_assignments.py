from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from comptoir.quality import services


class Command(BaseCommand):
    help = ("Build the week's peer-review assignments (10 conversations per reviewer by "
            "default, from the previous seven days). Safe to run again: existing assignments "
            "are kept and only missing ones are added.")

    def add_arguments(self, parser):
        parser.add_argument("--week", default="",
                            help="any day of the review week, YYYY-MM-DD (default: this week)")
        parser.add_argument("--per-reviewer", type=int, default=services.REVIEWS_PER_WEEK)

    def handle(self, *args, week, per_reviewer, **options):
        try:
            day = date.fromisoformat(week) if week else timezone.now().date()
        except ValueError as exc:
            raise CommandError(f"--week: {exc}") from exc
        try:
            run = services.build_assignments(day, per_reviewer=per_reviewer)
        except services.QualityError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Week of {run.week}: {run.created} new assignments, {run.total} in all, for "
            f"{run.reviewers} reviewers from {run.candidates} conversations"
            + (f"; {run.short} reviewers below the goal." if run.short else "."))
