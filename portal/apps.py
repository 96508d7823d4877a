from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Портал для граждан"

    def ready(self):
        from django.urls import reverse

        from messages import links

        # The citizen's page of a message, which the core's e-mails and get_absolute_url link to.
        links.register("message", lambda number: reverse("portal:message", args=[number]))

        from . import pagecache

        # Public page fragments are rebuilt after the events that change them (portal/pagecache.py).
        pagecache.connect_signals()
