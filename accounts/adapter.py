from urllib.parse import urlsplit, urlunsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.shortcuts import resolve_url
from django.urls import reverse

from directory.routing import active_official

from .emails import email_clean
from .outbox import outbound_email_queue


def on_site(url):
    """The same path and query on SITE_URL: «http://127.0.0.1:8000/accounts/…» → «https://…/accounts/…»."""
    parts = urlsplit(url)
    return settings.SITE_URL + urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))


class AccountAdapter(DefaultAccountAdapter):
    """Where people land after logging in or signing up, unless a `next` link says otherwise:
    officials in the back-office, citizens in their cabinet (settings STAFF_/CITIZEN_LOGIN_REDIRECT_URL)."""

    def get_login_redirect_url(self, request):
        if active_official(request.user) is not None:
            return resolve_url(settings.STAFF_LOGIN_REDIRECT_URL)
        return resolve_url(settings.CITIZEN_LOGIN_REDIRECT_URL)

    def get_signup_redirect_url(self, request):
        return resolve_url(settings.CITIZEN_LOGIN_REDIRECT_URL)

    def clean_email(self, email):
        """Every address allauth takes from a person (sign-up, password reset, e-mail change) becomes the
        canonical form that `User.email` stores, and look-alikes are refused next to the field."""
        return email_clean(super().clean_email(email))

    def send_mail(self, template_prefix, email, context):
        """Every allauth email (confirmation, password reset, e-mail change, …) is rendered in the request
        as allauth does, but only stored in the outbox: the worker mails it (messages/tasks.py), so an SMTP
        outage cannot answer the request with a 500 or leave a half-created account."""
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        # Every link leads to SITE_URL, never to the host the request happened to name (127.0.0.1:8000 behind a
        # proxy, a test server): allauth builds its links from the request (issue 18.6).
        for key, value in list(ctx.items()):
            if key.endswith("_url") and isinstance(value, str):
                ctx[key] = on_site(value)
        ctx["site_url"] = settings.SITE_URL
        ctx["login_url"] = on_site(reverse("account_login"))
        outbound_email_queue(message=self.render_mail(template_prefix, email, ctx), kind=template_prefix)
