from django.apps import AppConfig


class ZarechnyConfig(AppConfig):
    """The composition root: platform-wide commands (bootstrap) that touch every app."""

    name = "zarechny"
    verbose_name = "Платформа"

    def ready(self):
        # The admin's models are all registered by now (django.contrib.admin autodiscovers first).
        from . import admin_names

        admin_names.apply()
