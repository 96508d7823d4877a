"""Writes on accounts: consent records, profile settings, account deletion."""

import secrets
import uuid
from datetime import datetime

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import ApiClient, ApiClientConsent, ConsentRecord, User
from .selectors import api_key_hash
from .signals import account_deleting

TOMBSTONE_DOMAIN = "deleted.invalid"  # RFC 2606: never deliverable


class AccountError(Exception):
    """An account action that is not allowed; `str(error)` is the Russian text for the person."""


def consent_record(
    *, user: User, ip_address: str | None = None, version: str | None = None, now: datetime | None = None
) -> ConsentRecord:
    """152-ФЗ ст. 9: store which text version the person agreed to, when and from which address."""
    return ConsentRecord.objects.create(
        user=user,
        kind=ConsentRecord.Kind.PERSONAL_DATA,
        version=version or settings.CONSENT_VERSION,
        given_at=now or timezone.now(),
        ip_address=ip_address or None,
    )


def profile_update(*, user: User, full_name: str, show_name_publicly: bool) -> User:
    user.full_name = (full_name or "").strip()
    user.show_name_publicly = bool(show_name_publicly)
    user.save(update_fields=["full_name", "show_name_publicly"])
    return user


def is_deleted(user: User | None) -> bool:
    return user is not None and user.email.endswith("@" + TOMBSTONE_DOMAIN)


@transaction.atomic
def account_delete(*, user: User, now: datetime | None = None) -> User:
    """Remove a citizen's personal data but keep the User row.

    The row stays so that the person's messages keep their author (shown as anonymous: the name is
    gone and show_author_name never reveals anything again), and supports and statistics stay exact —
    deleting the row would cascade their Support rows away and change support counts of other people's
    messages. What goes: the email (replaced by a unique undeliverable tombstone), the name, the
    password, every allauth EmailAddress, the notifications. The account becomes inactive, so every
    open session of it stops working. Consent records are kept, stamped as withdrawn. Messages not yet
    published are withdrawn (erased, out of every queue) by the receivers of `account_deleting`.
    """
    # NO KEY UPDATE: a service that locked one of the person's messages and then writes a notification
    # for them takes a key-share lock on this row; FOR UPDATE would deadlock with it (the withdrawal
    # below waits for that message's lock).
    user = User.objects.select_for_update(no_key=True).get(pk=user.pk)
    if hasattr(user, "official"):
        raise AccountError("Учётную запись ответственного должностного лица удаляет администратор платформы.")
    if is_deleted(user):
        return user
    now = now or timezone.now()
    # The messages app withdraws the unpublished messages (accounts imports nothing from above it).
    account_deleting.send(sender=User, user=user, now=now)
    EmailAddress.objects.filter(user=user).delete()
    user.notifications.all().delete()
    ConsentRecord.objects.filter(user=user, withdrawn_at__isnull=True).update(withdrawn_at=now)
    ApiClientConsent.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
    user.email = f"deleted-{user.pk}-{uuid.uuid4().hex[:12]}@{TOMBSTONE_DOMAIN}"
    user.full_name = ""
    user.show_name_publicly = False
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["email", "full_name", "show_name_publicly", "is_active", "password"])
    return user


def account_ensure(*, email: str, full_name: str) -> User:
    """The account with this address, created (without a usable password) if there is none."""
    user, _ = User.objects.get_or_create(email=email, defaults={"full_name": full_name})
    return user


def account_password_set(*, user: User, password: str) -> None:
    """A known password (the demo logins of `bootstrap --demo`); nothing else of the account changes."""
    user.set_password(password)
    user.save(update_fields=["password"])


@transaction.atomic
def address_confirm_current(*, user: User) -> None:
    """The printed login must work as printed, not stop at «Подтвердите адрес электронной почты»: the
    account's current address is its verified primary one — also after an administrator changed it (the
    old address stays, no longer primary: allauth allows one primary per account)."""
    EmailAddress.objects.filter(user=user, primary=True).exclude(email__iexact=user.email).update(
        primary=False
    )
    EmailAddress.objects.update_or_create(
        user=user, email__iexact=user.email, defaults={"email": user.email, "verified": True, "primary": True}
    )


# --- API clients (issue 16) ---------------------------------------------------------------------


def api_client_issue_key(*, client: ApiClient) -> str:
    """A new key for the client (a new client, or one whose key leaked): returns the key, stores its hash.
    The key is shown to the administrator once and is never readable again; the old key stops at once."""
    key = secrets.token_urlsafe(32)
    client.key_hash = api_key_hash(key)
    client.key_prefix = key[:8]
    if client.pk is None:
        client.save()
    else:
        client.save(update_fields=["key_hash", "key_prefix"])
    return key


@transaction.atomic
def api_consent_give(
    *, user: User, client: ApiClient, ip_address: str | None = None, now: datetime | None = None
) -> ApiClientConsent:
    """The citizen allows the client to submit messages in their name. Idempotent: an existing permission
    is returned as it is. The user row lock serialises two clicks (the unique constraint is the last word)."""
    User.objects.select_for_update(no_key=True).filter(pk=user.pk).exists()
    if not client.is_active:
        raise AccountError("Это приложение отключено администратором.")
    current = ApiClientConsent.objects.filter(user=user, client=client, revoked_at__isnull=True).first()
    if current is not None:
        return current
    return ApiClientConsent.objects.create(
        user=user, client=client, given_at=now or timezone.now(), ip_address=ip_address or None
    )


@transaction.atomic
def api_consent_revoke(*, user: User, client: ApiClient, now: datetime | None = None) -> int:
    """The citizen withdraws the permission: the client's next request in their name is refused. Messages
    already sent stay (they are the citizen's own). Returns how many permissions were revoked (0 or 1)."""
    return ApiClientConsent.objects.filter(user=user, client=client, revoked_at__isnull=True).update(
        revoked_at=now or timezone.now()
    )
