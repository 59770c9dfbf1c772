"""comptoir: an open-source help desk for companies where the whole team does support."""

from .celery import app as celery_app

__all__ = ["celery_app"]
