"""Reads about accounts that other apps need."""

import hashlib

from allauth.account.models import EmailAddress

from .models import ApiClient, ApiClientConsent, User


def api_key_hash(key: str) -> str:
    """Keys are 32 random bytes: a plain SHA-256 is enough (nothing to brute-force) and can be looked up."""
    return hashlib.sha256(key.encode()).hexdigest()


def email_is_verified(user: User) -> bool:
    """The person proved they own the account's address (allauth's confirmation link)."""
    return EmailAddress.objects.filter(user=user, email=user.email, verified=True).exists()


def api_client_by_key(key: str) -> ApiClient | None:
    """The active client whose key this is (compared by hash), or None."""
    if not key or len(key) > 200:
        return None
    return ApiClient.objects.filter(key_hash=api_key_hash(key), is_active=True).first()


def api_clients_for(user: User) -> list[tuple[ApiClient, ApiClientConsent | None]]:
    """Every active client with the user's current permission for it (None where not given)."""
    consents = {c.client_id: c for c in ApiClientConsent.objects.filter(user=user, revoked_at__isnull=True)}
    return [(client, consents.get(client.pk)) for client in ApiClient.objects.filter(is_active=True)]


def api_submitter(*, client: ApiClient, email: str) -> User | None:
    """The account an API client may submit for: it exists, is active, its address is verified and its
    owner allowed this client (issue 16). None otherwise, for every reason alike."""
    user = User.objects.filter_by_email(email or "").filter(is_active=True).first()
    if user is None or not email_is_verified(user):
        return None
    allowed = ApiClientConsent.objects.filter(user=user, client=client, revoked_at__isnull=True).exists()
    return user if allowed else None
