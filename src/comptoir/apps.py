from django.apps import AppConfig


class ComptoirConfig(AppConfig):
    """The project itself: base templates, static files, product CLI commands."""

    name = "comptoir"
    verbose_name = "comptoir"
