"""People for customer-day tests: support teams in their time zones, engineers, a fixed
clock (Monday 1 March 2027, before anyone's shift)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from comptoir.accounts.models import Role
from comptoir.routing import services as routing

from ..factories import make_team, make_user

MONDAY = date(2027, 3, 1)
TUESDAY = date(2027, 3, 2)
WEDNESDAY = date(2027, 3, 3)
THURSDAY = date(2027, 3, 4)
NOW = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _world(db, settings, tmp_path, eager_tasks, time_machine):
    settings.VAR_DIR = tmp_path  # invitations without SMTP_URL land in its outbox
    settings.SMTP_URL = ""
    time_machine.move_to(NOW, tick=False)


def hours(start: str, end: str, days=range(5)) -> dict:
    return {str(day): [[start, end]] for day in days}


def person(role: str, first: str, zone: str, *, team=None, work=None, **fields):
    user = make_user(role, first_name=first, last_name="", time_zone=zone, **fields)
    if team is not None:
        user.teams.add(team)
    if work is not None:
        routing.set_working_hours(user, work)
    return user


def support_team(name: str, zone: str):
    return make_team(name, time_zone=zone, is_support=True)


def engineer(first: str = "Eli", zone: str = "Europe/Berlin", team_name: str = "", **fields):
    user = person(Role.TEAMMATE, first, zone, **fields)
    if team_name:
        user.teams.add(make_team(team_name))
    return user
