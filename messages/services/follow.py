"""Following a public message (issue 15.5): an e-mail at each of its public steps, until unfollowed.

Following is a reader's mailing preference, not a step of the message: it writes no MessageEvent (the
events are the message's history — the public timeline, the staff history, the statistics — and nothing
of the message changes); the MessageFollow row with its date is the record, and unfollowing deletes it.
The author follows their own message without a row: the regulation's notices (§5.6, §6.4, §7.4) already
tell them every step, and `notify_followers` never sends them a second copy.
"""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User

from ..errors import MessageActionError
from ..models import PUBLIC_STATES, Message, MessageFollow, Notification, State
from ..notifications import FOLLOW_KINDS
from .common import Person, active_official, lock_message
from .transactions import entry_point

STAFF_REFUSAL = (
    "Учётная запись сотрудника не подписывается на сообщения: они видны в рабочем кабинете. "
    "Следить за сообщением можно с личной учётной записи."
)


def may_follow(user: Person) -> bool:
    """Who may follow at all: an active account that is not staff. Officials and administrators work
    with messages in the back-office (queues, the daily digest); their account is the organisation's,
    and a citizen's mailing list does not belong in it."""
    return isinstance(user, User) and user.is_active and not user.is_staff and active_official(user) is None


@entry_point
def message_follow(*, message: Message | int, user: Person, now: datetime | None = None) -> bool:
    """Follow a public message. True if the person follows it from now on, False if they already did
    (a second click changes nothing; the author always does). Refused for guests, staff, a message that
    is not public (§4.8) and a closed one (no step is left to mail).

    The message row is locked, as by every step of the message: a step recorded at the same moment
    comes either before the follow (no e-mail about it) or after (one e-mail), never half of each."""
    if not isinstance(user, User) or not user.is_active:
        raise MessageActionError("Войдите, чтобы следить за сообщением.", code="auth")
    message = lock_message(message)
    if message.author_id == user.pk:
        return False
    if message.state not in PUBLIC_STATES:
        raise MessageActionError("Следить можно только за опубликованным сообщением.", code="wrong_state")
    if not may_follow(user):
        raise MessageActionError(STAFF_REFUSAL, code="staff")
    if MessageFollow.objects.filter(message=message, user=user).exists():
        return False
    if message.state == State.CLOSED:
        raise MessageActionError(
            "Рассмотрение сообщения окончено: писем о нём больше не будет.", code="closed"
        )
    try:
        with transaction.atomic():
            MessageFollow.objects.create(message=message, user=user, created_at=now or timezone.now())
    except IntegrityError:  # the unique (message, user) of the database, should anything bypass the lock
        return False
    return True


@entry_point
def message_unfollow(*, message: Message | int, user: User | int) -> bool:
    """Stop following. True if a subscription ended, False if there was none (already unfollowed, the
    author, a deleted message). Whatever the message's state: leaving is always allowed.

    The follow e-mails about this message still waiting in the outbox for this person are dropped; one
    queued by a step committing at this very moment is refused by the delivery (it checks the
    subscription again before sending)."""
    message_id = message.pk if isinstance(message, Message) else message
    user_id = user.pk if isinstance(user, User) else user
    # The message's lock (when the row exists) orders this against its steps, as in message_follow.
    list(Message.objects.select_for_update(of=("self",)).filter(pk=message_id).values_list("pk", flat=True))
    deleted, _ = MessageFollow.objects.filter(message_id=message_id, user_id=user_id).delete()
    if deleted:
        Notification.objects.filter(
            message_id=message_id,
            recipient_id=user_id,
            kind__in=FOLLOW_KINDS,
            email_status=Notification.EmailStatus.PENDING,
        ).update(email_status=Notification.EmailStatus.SKIPPED, next_attempt_at=None)
    return bool(deleted)


def message_follows_forget(*, user: User) -> int:
    """Account deletion (152-ФЗ): what the person followed goes with the account. Runs inside the
    caller's transaction (accounts.services.account_delete), like the withdrawal of their messages."""
    deleted, _ = MessageFollow.objects.filter(user=user).delete()
    return deleted
