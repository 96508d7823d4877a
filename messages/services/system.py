"""Actions the worker takes on its own: closing answered messages nobody rated."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from ..errors import MessageActionError
from ..models import (
    Message,
    State,
)
from .common import (
    Kind,
    NKind,
    lock_message,
    notify,
    notify_followers,
    record_event,
    transition_guard,
)
from .transactions import entry_point

# --- system actions ------------------------------------------------------------------------------


@entry_point
def message_close_unrated(*, message: Message | int, now: datetime | None = None) -> Message:
    """The author did not rate the answer within RATING_WINDOW_DAYS: the worker closes the message."""
    message = lock_message(message)
    now = now or timezone.now()
    if message.state != State.ANSWERED:
        raise MessageActionError("Закрыть без оценки можно только сообщение с ответом.", code="wrong_state")
    if message.answered_at is None or message.answered_at > now - timedelta(days=settings.RATING_WINDOW_DAYS):
        raise MessageActionError("Срок для оценки ответа ещё не истёк.", code="too_early")
    from_state = message.state
    with transition_guard(message):
        message.close()
    message.closed_at = now
    message.save(update_fields=["state", "closed_at", "updated_at"])
    event = record_event(message, Kind.CLOSED_UNRATED, actor=None, from_state=from_state, now=now)
    notify(event, NKind.CLOSED, [message.author])
    notify_followers(event, NKind.FOLLOW_CLOSED)
    return message
