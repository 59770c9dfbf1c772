from django.core.management.base import BaseCommand
from rich.progress import Progress

from comptoir.conversations import services
from comptoir.conversations.models import RawInbound, RawStatus


class Command(BaseCommand):
    help = "Process stored raw inbound payloads again: the failed ones, or the ids given."

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="raw inbound ids (default: failed)")
        parser.add_argument("--include-received", action="store_true",
                            help="also payloads never processed (e.g. after a crash)")

    def handle(self, *args, ids, include_received, **options):
        statuses = [RawStatus.FAILED] + ([RawStatus.RECEIVED] if include_received else [])
        qs = RawInbound.objects.filter(pk__in=ids) if ids else RawInbound.objects.filter(
            status__in=statuses)
        raw_ids = list(qs.order_by("pk").values_list("pk", flat=True))
        done = failed = 0
        with Progress(disable=not raw_ids) as progress:
            task = progress.add_task("Replaying", total=len(raw_ids))
            for raw_id in raw_ids:
                if services.process_raw(raw_id) is None:
                    failed += 1
                else:
                    done += 1
                progress.advance(task)
        self.stdout.write(f"replayed {len(raw_ids)}: {done} processed, {failed} still failing")
        for raw in RawInbound.objects.filter(pk__in=raw_ids, status=RawStatus.FAILED)[:20]:
            self.stdout.write(f"  #{raw.pk} ({raw.channel}, {raw.attempts} attempts): {raw.error}")
