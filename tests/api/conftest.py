import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from comptoir.accounts.models import ApiToken, Role, User

from ..factories import make_user


@dataclass
class ApiClient:
    """The Django test client speaking JSON with one user's API token."""

    client: Client
    user: User
    key: str

    def _headers(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.key}"}

    def get(self, path: str, **params: Any):
        return self.client.get(f"/api{path}", params, **self._headers())

    def post(self, path: str, data: Any = None):
        return self.client.post(f"/api{path}", json.dumps(data or {}),
                                content_type="application/json", **self._headers())

    def patch(self, path: str, data: Any):
        return self.client.patch(f"/api{path}", json.dumps(data),
                                 content_type="application/json", **self._headers())

    def delete(self, path: str):
        return self.client.delete(f"/api{path}", **self._headers())


@pytest.fixture
def api_as(db):
    """``api_as(role)``: an ApiClient for a new user with that role."""

    def make(role: str = Role.ADVOCATE, **fields: Any) -> ApiClient:
        user = make_user(role, **fields)
        _token, key = ApiToken.issue(user, "t")
        return ApiClient(Client(), user, key)

    return make


@pytest.fixture
def api(api_as) -> ApiClient:
    return api_as(Role.ADVOCATE)
