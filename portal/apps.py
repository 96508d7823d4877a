from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Портал для граждан"

    def ready(self):
        from django.urls import reverse

        from messages import links

        # The citizen's page of a message, which the core's e-mails and get_absolute_url link to.
        links.register("message", lambda number: reverse("portal:message", args=[number]))
        # The download of an answer's scanned document (§6.3), linked from the «answered» e-mail.
        links.register("document", lambda number, token: reverse("portal:document", args=[number, token]))
        # The one-click unfollow page of the follow e-mails (a signed token, no login).
        links.register("unfollow", lambda token: reverse("portal:unfollow", args=[token]))

        from . import pagecache

        # Public page fragments are rebuilt after the events that change them (portal/pagecache.py).
        pagecache.connect_signals()
