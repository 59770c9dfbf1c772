"""Fuzz every operation of the OpenAPI document against the in-process WSGI app.

Each operation is one test; its generated requests (valid ones and deliberately invalid ones)
run inside that test's transaction, as an admin. No answer may be a 5xx, and documented
answers must match their schema.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from comptoir.accounts.models import ApiToken, Role
from comptoir.conversations import services
from comptoir.people.models import Organisation
from comptoir.wsgi import application

from ..factories import make_message, make_team, make_user

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture
def keep_connection():
    """Keep the test's connection (and its transaction) open across requests, as Django's
    test client does: the WSGI handler would close it at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_headers(db, keep_connection) -> dict[str, str]:
    """An admin's token, and a little data so that small ids often exist."""
    admin = make_user(Role.ADMIN)
    make_team()
    Organisation.objects.create(name="Acme")
    for n in range(3):
        message = make_message()
        services.add_tags(message.conversation, admin, [f"tag{n}"])
        services.toggle_reaction(message, admin, "👀")
    _token, key = ApiToken.issue(admin, "schemathesis")
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=15, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.filter_too_much],
)
def test_api_never_fails_with_a_server_error(case, admin_headers):
    case.call_and_validate(
        headers=admin_headers, checks=[not_a_server_error, response_schema_conformance],
    )
