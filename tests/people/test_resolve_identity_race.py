"""Two intakes meeting the same new address at once: one identity, one person, no error."""

import pytest

from comptoir.people import services as people
from comptoir.people.models import Identity, Person

pytestmark = pytest.mark.django_db


def test_losing_the_race_for_a_new_identity_uses_the_winners(monkeypatch):
    winner = people.resolve_identity("email", "Race@Example.com", name="First")
    find = people.find_identity
    calls = []

    def not_yet(*args, **kwargs):  # the other intake's row was not committed when we looked
        calls.append(args)
        return None if len(calls) == 1 else find(*args, **kwargs)

    monkeypatch.setattr(people, "find_identity", not_yet)
    loser = people.resolve_identity("email", "race@example.com", name="Second")
    assert loser.pk == winner.pk and loser.person_id == winner.person_id
    assert Identity.objects.count() == 1
    assert Person.objects.count() == 1  # the person made for the lost race is undone
    assert len(calls) == 2
