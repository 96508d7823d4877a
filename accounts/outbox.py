"""The account emails' outbox: allauth's mails are stored in the request and mailed by the worker.

The worker lives in a higher app (messages/tasks.py delivers this outbox with the notices' rules), so this
module does not import it: it sends `outbound_email_queued` after commit and the worker's app listens.
"""

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from .models import OutboundEmail

# Sent after the commit that queued account emails; messages.apps connects the worker's wake-up to it.
outbound_email_queued = Signal()


def _wake_after_commit():
    transaction.on_commit(lambda: outbound_email_queued.send(sender=OutboundEmail))


def outbound_email_queue(*, message, kind, now=None):
    """Store one rendered email (a django EmailMessage, alternatives included) for the worker to send.

    Written in the caller's transaction: the email exists exactly when what it talks about does.
    """
    html = next(
        (content for content, mimetype in getattr(message, "alternatives", []) if mimetype == "text/html"), ""
    )
    rows = [
        OutboundEmail(
            kind=kind[:100],
            to_email=address,
            from_email=message.from_email or "",
            subject=message.subject,
            body=message.body,
            html=html,
            created_at=now or timezone.now(),
            next_attempt_at=now or timezone.now(),
        )
        for address in message.to
    ]
    with transaction.atomic():
        OutboundEmail.objects.bulk_create(rows)
        _wake_after_commit()
    return rows


def outbound_emails_retry(*, ids, now=None):
    """The admin's retry: `failed` rows only, in one conditional UPDATE (a row being sent or sent already
    is never touched, so nothing is mailed twice). Returns the count."""
    now = now or timezone.now()
    with transaction.atomic():
        count = OutboundEmail.objects.filter(
            pk__in=list(ids), email_status=OutboundEmail.EmailStatus.FAILED
        ).update(
            email_status=OutboundEmail.EmailStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            lease_until=None,
            last_error="",
        )
        if count:
            _wake_after_commit()
    return count
