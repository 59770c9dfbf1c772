from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from comptoir.accounts.models import User
from comptoir.reports import digest


class Command(BaseCommand):
    help = ("Send the weekly report digest now: last week's figures to every lead and admin "
            "(or to the people named), in their language. A digest already sent for that "
            "week is not sent again.")

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="*", help="only these people (default: leads "
                                                         "and admins with an address)")
        parser.add_argument("--week", help="the Monday of the week the digest is for "
                                           "(YYYY-MM-DD; default: this week, i.e. last "
                                           "week's figures)")

    def handle(self, *args, usernames, week, **options):
        try:
            monday = date.fromisoformat(week) if week else None
        except ValueError as exc:
            raise CommandError("--week takes a date, YYYY-MM-DD.") from exc
        if usernames:
            people = list(User.objects.filter(username__in=usernames, is_active=True))
            missing = set(usernames) - {u.username for u in people}
            if missing:
                raise CommandError(f"Unknown or inactive: {', '.join(sorted(missing))}")
        else:
            people = digest.recipients()
        sent = skipped = 0
        for user in people:
            if not user.email:
                self.stderr.write(f"{user.username}: no email address, skipped")
                skipped += 1
                continue
            target = digest.week_of(monday) if monday else \
                digest.week_of(timezone.now().astimezone(digest.zone_of(user)).date())
            if digest.send(user, target):
                sent += 1
                self.stdout.write(f"{user.username} <{user.email}>: digest of the week "
                                  f"before {target.isoformat()} sent")
            else:
                skipped += 1
                self.stdout.write(f"{user.username}: already sent for {target.isoformat()}")
        self.stdout.write(self.style.SUCCESS(f"{sent} sent, {skipped} skipped."))
