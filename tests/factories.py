"""Typed factories. Conversations are made through ``services.receive`` like real intake."""

import itertools

from comptoir.accounts.models import Role, Team, User
from comptoir.conversations import services
from comptoir.conversations.inbound import Inbound
from comptoir.conversations.models import Conversation, Message
from comptoir.people.models import IdentityKind

_seq = itertools.count(1)


def make_user(role: str = Role.ADVOCATE, **fields) -> User:
    n = next(_seq)
    fields.setdefault("username", f"{role}{n}")
    fields.setdefault("first_name", role.capitalize())
    fields.setdefault("last_name", f"N{n}")
    fields.setdefault("email", f"{fields['username']}@staff.example")
    fields.setdefault("spoken_languages", ["en"])
    user = User.objects.create_user(password="pw-correct-horse", role=role, **fields)
    return user


def make_team(name: str = "", **fields) -> Team:
    n = next(_seq)
    name = name or f"Team {n}"
    return Team.objects.create(name=name, slug=fields.pop("slug", f"team-{n}"), **fields)


def make_inbound(**fields) -> Inbound:
    n = next(_seq)
    fields.setdefault("channel", "email")
    fields.setdefault("identity_kind", IdentityKind.EMAIL)
    fields.setdefault("identity_value", f"customer{n}@example.com")
    fields.setdefault("sender_name", f"Customer {n}")
    fields.setdefault("subject", f"Question {n}")
    fields.setdefault("text", f"Hello, I need help with thing {n}.")
    return Inbound(**fields)


def make_message(**fields) -> Message:
    return services.receive(make_inbound(**fields))


def make_conversation(**fields) -> Conversation:
    return make_message(**fields).conversation
