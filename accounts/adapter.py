from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse

from .emails import email_clean


class AccountAdapter(DefaultAccountAdapter):
    """Where people land after logging in or signing up, unless a `next` link says otherwise:
    officials in the back-office, citizens in their cabinet."""

    def get_login_redirect_url(self, request):
        official = getattr(request.user, "official", None)
        if official is not None and official.is_active:
            return "/office/"
        return reverse("portal:cabinet")

    def get_signup_redirect_url(self, request):
        return reverse("portal:cabinet")

    def clean_email(self, email):
        """Every address allauth takes from a person (sign-up, password reset, e-mail change) becomes the
        canonical form that `User.email` stores, and look-alikes are refused next to the field."""
        return email_clean(super().clean_email(email))
