from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BugsConfig(AppConfig):
    name = "comptoir.bugs"
    label = "bugs"
    verbose_name = _("Bugs")
