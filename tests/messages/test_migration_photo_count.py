"""The data step of 0007_message_text_or_photo (issue 13.1): existing messages get their photo count."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from messages.models import Message
from tests.factories import processed_photos, submit

BEFORE = [("citizen_messages", "0006_answer_documents_remarks_review")]
AFTER = [("citizen_messages", "0007_message_text_or_photo")]


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.mark.django_db(transaction=True)
def test_existing_messages_get_their_photo_count(citizen, category):
    """§4.1, §4.6: the constraint reads photo_count, so the migration fills it from the photo rows."""
    with_photos = submit(citizen, category, photos=processed_photos(3))
    without = submit(citizen, category)
    try:
        _migrate(BEFORE)
        new_apps = _migrate(AFTER)
        NewMessage = new_apps.get_model("citizen_messages", "Message")
        assert NewMessage.objects.get(pk=with_photos.pk).photo_count == 3
        assert NewMessage.objects.get(pk=without.pk).photo_count == 0
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert Message.objects.get(pk=with_photos.pk).photo_count == 3
