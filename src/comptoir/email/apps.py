from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmailConfig(AppConfig):
    name = "comptoir.email"
    label = "comptoir_email"  # "email" would read like the stdlib package
    verbose_name = _("Email")

    def ready(self) -> None:
        # registers the "email" normaliser, and the "email" sender with its Celery tasks
        from . import outbound, parsing  # noqa: F401
