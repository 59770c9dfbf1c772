"""Objects the permission walk (tests/test_permissions.py) needs for the customer-day
pages: a support team that can spare an advocate, a day the walking user already held
(with its record, to react to) and one ahead (to cancel)."""

from datetime import timedelta

from django.utils import timezone

from comptoir.accounts.models import Role, Team
from comptoir.pairing import services
from comptoir.pairing.models import Pairing

from ..factories import make_user


def next_weekday(days_ahead: int):
    day = timezone.localdate() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def pairing_args(user) -> dict[str, list]:
    team, _new = Team.objects.get_or_create(slug="walk-support",
                                            defaults={"name": "Walk support", "is_support": True})
    advocates = [make_user(Role.ADVOCATE) for _ in range(3)]
    for advocate in advocates:
        advocate.teams.add(team)
    now = timezone.now()
    # a day already held: written as it was stored then (services only book days ahead)
    past = Pairing.objects.create(engineer=user, advocate=advocates[0],
                                  day=timezone.localdate() - timedelta(days=7),
                                  starts_at=now - timedelta(days=7),
                                  ends_at=now - timedelta(days=7, hours=-6), tag="walk")
    record = services.write_record(past, user, learnings="Walked")
    ahead = services.propose(user, [next_weekday(30)], tag="walk")
    return {
        "pairing_detail": [past.pk], "pairing_workspace": [past.pk],
        "pairing_record": [past.pk], "pairing_cancel": [ahead.pk],
        "pairing_react": ["record", record.pk],
    }


def propose_data() -> dict[str, str]:
    return {"first": next_weekday(14).isoformat(), "tag": "walk"}
