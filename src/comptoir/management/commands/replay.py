from django.core.management.base import BaseCommand
from django.db.models import Count
from rich.progress import Progress

from comptoir.conversations import services
from comptoir.conversations.models import RawInbound, RawStatus


class Command(BaseCommand):
    help = ("Process stored raw inbound payloads again: the failed ones, or the ids given "
            "(an ignored one, a mail loop or a delivery report, is then made a message).")

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="raw inbound ids (default: failed)")
        parser.add_argument("--include-received", action="store_true",
                            help="also payloads never processed (e.g. after a crash)")

    def handle(self, *args, ids, include_received, **options):
        statuses = [RawStatus.FAILED] + ([RawStatus.RECEIVED] if include_received else [])
        qs = RawInbound.objects.filter(pk__in=ids) if ids else RawInbound.objects.filter(
            status__in=statuses)
        rows = list(qs.order_by("pk").values_list("pk", "status"))
        raw_ids = [raw_id for raw_id, _status in rows]
        with Progress(disable=not rows) as progress:
            task = progress.add_task("Replaying", total=len(rows))
            for raw_id, status in rows:
                services.process_raw(raw_id, force=status == RawStatus.IGNORED)
                progress.advance(task)
        outcome = dict(RawInbound.objects.filter(pk__in=raw_ids).order_by().values_list("status")
                       .annotate(n=Count("pk")))
        self.stdout.write(
            f"replayed {len(rows)}: {outcome.get(RawStatus.PROCESSED, 0)} processed, "
            f"{outcome.get(RawStatus.IGNORED, 0)} ignored, "
            f"{outcome.get(RawStatus.FAILED, 0)} still failing")
        for raw in RawInbound.objects.filter(pk__in=raw_ids, status=RawStatus.FAILED)[:20]:
            self.stdout.write(f"  #{raw.pk} ({raw.channel}, {raw.attempts} attempts): {raw.error}")
