"""Every write to a message. One function per transition (DESIGN.md "The message lifecycle").

Each service: runs in one transaction, locks the message row (`select_for_update`) so that two people
acting at once are serialised — the second one sees the new state and gets a clear refusal — checks the
actor's right, runs the django-fsm transition, saves the changed fields, writes one MessageEvent and the
Notification rows (the outbox) the event implies. Views, tasks and commands call these and nothing else.

The functions live in `citizen.py`, `staff.py`, `system.py`, `withdrawal.py` and `follow.py`; `common.py` holds
the typed helpers they share (also used by `messages.deadlines`), `transactions.py` the durable transaction of
every entry point (`services_in_one_transaction()` for a caller that runs several as one unit on purpose).
Everything outside the package calls the names exported here; the worker's tasks import the services,
never the reverse (the outbox wake-up lives in `messages.outbox`).
"""

from .citizen import (
    message_rate,
    message_resubmit,
    message_submit,
    message_support,
    new_guest_token,
    notifications_mark_read,
)
from .common import ANSWER_WORKING_DAYS, REGISTRATION_WORKING_DAYS
from .follow import may_follow, message_follow, message_follows_forget, message_unfollow
from .staff import (
    REMARKS_MAX_LENGTH,
    RemarksDecision,
    message_answer,
    message_reassign,
    message_register,
    message_reject,
    message_request_reassign,
    rating_remarks_review,
)
from .system import message_close_unrated
from .transactions import services_in_one_transaction
from .withdrawal import message_withdraw, messages_withdraw_of_author

__all__ = [
    "ANSWER_WORKING_DAYS",
    "REGISTRATION_WORKING_DAYS",
    "REMARKS_MAX_LENGTH",
    "RemarksDecision",
    "may_follow",
    "message_answer",
    "message_close_unrated",
    "message_follow",
    "message_follows_forget",
    "message_rate",
    "message_reassign",
    "message_register",
    "message_reject",
    "message_request_reassign",
    "message_resubmit",
    "message_submit",
    "message_support",
    "message_unfollow",
    "message_withdraw",
    "messages_withdraw_of_author",
    "new_guest_token",
    "notifications_mark_read",
    "rating_remarks_review",
    "services_in_one_transaction",
]
