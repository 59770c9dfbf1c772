from django.core.management.base import BaseCommand

from comptoir.sla import services


class Command(BaseCommand):
    help = ("Recompute the SLA clocks of every open conversation (after installing policies "
            "on existing conversations, or an import), then sweep once.")

    def add_arguments(self, parser):
        parser.add_argument("--no-sweep", action="store_true",
                            help="only recompute the clocks; the next scheduled sweep records "
                                 "the warnings and breaches")

    def handle(self, *args, no_sweep, **options):
        count = services.refresh_open()
        self.stdout.write(f"Clocks recomputed for {count} conversations.")
        if not no_sweep:
            # a backlog is recorded a slice per sweep: sweep until nothing is left to record
            warned = breached = escalated = 0
            while True:
                result = services.sweep(record_limit=services.RECORDS_PER_SWEEP)
                warned, breached = warned + result.warned, breached + result.breached
                escalated += result.escalated
                if result.skipped or not result.records_pending:
                    break
            self.stdout.write(f"Sweep: {warned} warnings, {breached} breaches, "
                              f"{escalated} escalations "
                              f"({result.escalations_pending} left for the next sweeps).")
