from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = "Рабочее место сотрудника"

    def ready(self):
        from django.urls import reverse

        from messages import links

        # The back-office pages the core's staff e-mails link to (messages/notifications.py).
        links.register("staff_home", lambda: reverse("office:home"))
        links.register("staff_review", lambda number: reverse("office:review", args=[number]))
        links.register("staff_answer", lambda number: reverse("office:answer", args=[number]))

        from . import officecache

        # The counts kept per official are rebuilt after the saves that change them (officecache.py).
        officecache.connect_signals()
