"""The API's one write: a message sent by a registered client in the name of a consenting citizen."""

from django.utils import timezone

from messages.services import message_submit, services_in_one_transaction

from .models import ApiSubmission


def open311_request_submit(
    *, client, author, category, text, address, latitude=None, longitude=None, now=None
):
    """§3–§5.2 through `message_submit`, exactly as the portal does, plus the row that ties the message to
    the client's token. One transaction on purpose (services_in_one_transaction): a message without its
    token would be one the client can never follow. Nothing slow runs inside (no photos through the API)."""
    now = now or timezone.now()
    with services_in_one_transaction():
        message = message_submit(
            author=author,
            category=category,
            text=text,
            occurred_at=now,
            address=address,
            latitude=latitude,
            longitude=longitude,
            now=now,
        )
        return ApiSubmission.objects.create(client=client, message=message, created_at=now)
