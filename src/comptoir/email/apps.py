from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmailConfig(AppConfig):
    name = "comptoir.email"
    label = "comptoir_email"  # "email" would read like the stdlib package
    verbose_name = _("Email")

    def ready(self) -> None:
        from . import parsing  # noqa: F401 - registers the "email" normaliser
