"""The data step of 0003_notification_sending_state: the old "sending" mark becomes the real state."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from messages.models import Notification
from tests.factories import submit

BEFORE = [("citizen_messages", "0002_worker_deadline_notices_digests")]
AFTER = [("citizen_messages", "0003_notification_sending_state")]


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.mark.django_db(transaction=True)
def test_rows_marked_sending_become_the_sending_state_with_their_lease(citizen, category):
    submit(citizen, category)
    submit(citizen, category, text="Второе")
    marked, plain = Notification.objects.order_by("pk")
    lease = timezone.now() + timedelta(seconds=120)
    try:
        old_apps = _migrate(BEFORE)
        OldNotification = old_apps.get_model("citizen_messages", "Notification")
        OldNotification.objects.filter(pk=marked.pk).update(
            email_status="pending",
            last_error="[отправляется] 2026-11-29T10:00:00+00:00",
            attempts=1,
            next_attempt_at=lease,
        )
        OldNotification.objects.filter(pk=plain.pk).update(
            email_status="pending", last_error="451 try again", attempts=1
        )
        new_apps = _migrate(AFTER)
        NewNotification = new_apps.get_model("citizen_messages", "Notification")
        marked_row = NewNotification.objects.get(pk=marked.pk)
        plain_row = NewNotification.objects.get(pk=plain.pk)
        assert (marked_row.email_status, marked_row.lease_until, marked_row.last_error) == (
            "sending",
            lease,
            "",
        )
        assert (plain_row.email_status, plain_row.lease_until, plain_row.last_error) == (
            "pending",
            None,
            "451 try again",
        )
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_remarks_given_before_the_review_existed_wait_for_a_moderator(citizen, category, moderator, executor):
    """§7.2–7.3, 0006: remarks already given may hold personal data too: they leave the public page until
    a moderator has reviewed them; ratings without remarks need no review."""
    from messages import services
    from tests.factories import answered

    with_remarks = answered(citizen, category, moderator, executor)
    services.message_rate(message=with_remarks, actor=citizen, positive=False, remarks="Звоните: +7 912 000")
    without = answered(citizen, category, moderator, executor, text="Другая яма")
    services.message_rate(message=without, actor=citizen, positive=True)
    try:
        _migrate([("citizen_messages", "0005_digest_notices_skipped")])
        new_apps = _migrate([("citizen_messages", "0006_answer_documents_remarks_review")])
        Rating = new_apps.get_model("citizen_messages", "Rating")
        assert Rating.objects.get(message_id=with_remarks.pk).remarks_review == "pending"
        assert Rating.objects.get(message_id=without.pk).remarks_review == ""
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
