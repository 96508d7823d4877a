"""Reads about accounts that other apps need."""

from allauth.account.models import EmailAddress

from .models import User


def email_is_verified(user: User) -> bool:
    """The person proved they own the account's address (allauth's confirmation link)."""
    return EmailAddress.objects.filter(user=user, email=user.email, verified=True).exists()
