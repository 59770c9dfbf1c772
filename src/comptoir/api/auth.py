"""API authentication: personal tokens sent as ``Authorization: Bearer <key>``."""

from django.utils import timezone
from ninja.security import HttpBearer

from comptoir.accounts.models import ApiToken


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        found = ApiToken.lookup(token)
        if found is None:
            return None
        now = timezone.now()
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found.user
