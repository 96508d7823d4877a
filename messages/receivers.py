"""What the messages app does when something happens below it (accounts)."""

from . import services


def withdraw_unpublished_messages(sender, *, user, now, **kwargs):
    """An account is being deleted: its messages on moderation or rejected are withdrawn (152-ФЗ)."""
    services.messages_withdraw_of_author(author=user, cause="account_deleted", now=now)


def forget_follows(sender, *, user, now, **kwargs):
    """An account is being deleted: the messages it followed are forgotten, no e-mail goes out any more."""
    services.message_follows_forget(user=user)
