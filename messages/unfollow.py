"""The one-click unfollow link of the follow e-mails: signed, no login needed (the mailbox is the proof).

The token names one person and one message, so whoever holds it can end that one subscription and
nothing else — not the session's, not another message's. It is signed with SECRET_KEY and a salt of its
own (a token of another feature never passes for it) and expires: an old forwarded e-mail stops working,
and the person can still unfollow in the cabinet.
"""

from datetime import timedelta

from django.core import signing

SALT = "messages.unfollow"
MAX_AGE = timedelta(days=180)


class UnfollowLinkError(Exception):
    """The link cannot be used: `code` is "expired" or "invalid" (tampered, truncated, not ours)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def unfollow_token(*, user_id: int, message_id: int) -> str:
    return signing.dumps([user_id, message_id], salt=SALT)


def read_unfollow_token(token: str) -> tuple[int, int]:
    """(user id, message id) of a valid token; UnfollowLinkError otherwise."""
    try:
        value = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise UnfollowLinkError("expired") from None
    except (signing.BadSignature, ValueError):
        raise UnfollowLinkError("invalid") from None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(type(part) is int and part > 0 for part in value)
    ):
        raise UnfollowLinkError("invalid")
    return value[0], value[1]
