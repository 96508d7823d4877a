from django.apps import AppConfig


class ZarechnyConfig(AppConfig):
    """The composition root: platform-wide commands (bootstrap) that touch every app."""

    name = "zarechny"
    verbose_name = "Платформа"
