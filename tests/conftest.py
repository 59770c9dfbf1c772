import pytest
from django.db import connection

from comptoir.accounts.models import Role

from .factories import make_conversation, make_user


def pytest_collection_modifyitems(config, items):
    # Decided at collection: settings are loaded by then and say which database runs.
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    skip = pytest.mark.skip(reason="needs PostgreSQL (COMPTOIR_DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness costs seconds per test; it is not what tests check.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def advocate(db):
    return make_user(Role.ADVOCATE, language="en", time_zone="Europe/Paris")


@pytest.fixture
def advocate_client(client, advocate):
    client.force_login(advocate)
    return client


@pytest.fixture
def conversation(db):
    return make_conversation()


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture
def eager_tasks(monkeypatch):
    """Run Celery tasks in the calling process. Celery reads Django settings once, so
    changing ``settings.CELERY_TASK_ALWAYS_EAGER`` in a test does not reach it."""
    from comptoir.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)
    monkeypatch.setitem(app.conf, "task_eager_propagates", True)
