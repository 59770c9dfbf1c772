from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TeamworkConfig(AppConfig):
    name = "comptoir.teamwork"
    label = "teamwork"
    verbose_name = _("Whole-team support")
