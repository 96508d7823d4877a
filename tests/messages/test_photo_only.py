"""§4.1 «информацию в текстовой или иной форме»: a message of a place, a date and photos needs no text (issue 13.1).

The service, the model and the database constraint agree: a text, or at least one photo, or both.
"""

import pytest
from django.db import IntegrityError, transaction

from messages import services
from messages.errors import MessageActionError
from messages.models import TEXT_OR_PHOTO_REQUIRED, Message, Photo
from messages.notifications import build_email
from tests.factories import processed_photos, submit


def test_photos_without_text_are_a_message(citizen, category):
    """§4.1: a place, a date and one photo, no text: accepted, numbered, nothing invented for the text."""
    message = submit(citizen, category, text="", photos=processed_photos(1))
    message.refresh_from_db()
    assert message.text == "" and message.photo_count == 1
    assert Photo.objects.filter(message=message).count() == 1
    assert message.number


def test_whitespace_text_counts_as_no_text(citizen, category):
    """§4.1: spaces are no information; with a photo they are stored as an empty text."""
    message = submit(citizen, category, text="  \n ", photos=processed_photos(2))
    message.refresh_from_db()
    assert message.text == "" and message.photo_count == 2


@pytest.mark.parametrize("text", ["", "   ", None])
def test_neither_text_nor_photo_is_refused(citizen, category, text):
    """§4.1: no text and no photo is no information at all: refused next to the text field."""
    with pytest.raises(MessageActionError) as error:
        submit(citizen, category, text=text, photos=())
    assert error.value.field == "text"
    assert str(error.value) == TEXT_OR_PHOTO_REQUIRED
    assert "Опишите проблему или приложите хотя бы одну фотографию" in str(error.value)
    assert not Message.objects.exists()


def test_the_database_refuses_a_message_without_text_and_photos(citizen, category):
    """§4.1 in the database: a write around the services cannot leave a message with neither."""
    message = submit(citizen, category, text="Есть текст")
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.filter(pk=message.pk).update(text="")
    Message.objects.filter(pk=message.pk).update(text="", photo_count=1)  # with a photo it is allowed


def test_the_database_refuses_more_than_four_photos(citizen, category):
    """§4.6 in the database: the photo count of a message is at most four."""
    message = submit(citizen, category)
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.filter(pk=message.pk).update(photo_count=5)


def test_photo_count_follows_the_photo_rows(citizen, category):
    """The denormalised count the constraint reads is the number of photo rows."""
    message = submit(citizen, category, photos=processed_photos(3))
    message.refresh_from_db()
    assert message.photo_count == Photo.objects.filter(message=message).count() == 3


def test_withdrawal_of_a_photo_only_message(citizen, category):
    """A withdrawn message is erased (152-ФЗ): neither text nor photos, which the constraint allows."""
    message = submit(citizen, category, text="", photos=processed_photos(1))
    services.message_withdraw(message=message, actor=citizen)
    message.refresh_from_db()
    assert (message.state, message.text, message.photo_count) == ("withdrawn", "", 0)


def test_emails_of_a_photo_only_message_render(citizen, category, moderator):
    """§4.1: the author's notices name the number, category and place; an empty text breaks nothing."""
    message = submit(citizen, category, text="", photos=processed_photos(1))
    services.message_register(message=message, actor=moderator)
    for notification in message.notifications.select_related("recipient", "message", "event"):
        if notification.kind in ("received", "registered"):
            email = build_email(notification)
            assert message.number in email.body and "ул. Ленина, 5" in email.body
