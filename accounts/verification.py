"""An address is proven by the password-reset link mailed to it.

Staff accounts (Appendix 2 via `bootstrap`, or an official an administrator adds in /admin/) are created
without a password: the official sets one through «Забыли пароль?». Following that link proves the
mailbox as much as a confirmation link does, so the official is not asked to confirm the address a second
time at the first login (ACCOUNT_EMAIL_VERIFICATION is mandatory).
"""

import logging

from allauth.account.models import EmailAddress
from allauth.account.signals import password_reset
from django.db import transaction
from django.dispatch import receiver

logger = logging.getLogger(__name__)


@transaction.atomic
def email_verify_by_password_reset(*, user) -> bool:
    """Mark the account's address verified (and primary) after a password reset by link.

    Only when the account has no other address: the link went to the address typed into the reset form,
    which for an account with a second (say, pending) address need not be `user.email`.
    """
    addresses = list(EmailAddress.objects.select_for_update().filter(user=user))
    if any(a.email.lower() != user.email.lower() for a in addresses):
        return False
    if not addresses:
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    elif not (addresses[0].verified and addresses[0].primary):
        address = addresses[0]
        address.verified = address.primary = True
        address.save(update_fields=["verified", "primary"])
    else:
        return False
    logger.info("address of user %s verified by a password-reset link", user.pk)
    return True


@receiver(password_reset, dispatch_uid="accounts.verification.password_reset")
def _reset_link_proves_the_address(sender, request, user, **kwargs):
    email_verify_by_password_reset(user=user)
