"""Input bounds of the staff services (issue 11, item 10): a megabyte answer, a duplicate nobody can open."""

import pytest
from django.urls import reverse

from directory.models import RejectionReason
from messages import services
from messages.errors import MessageActionError
from messages.models import ANSWER_TEXT_MAX_LENGTH, Answer, State
from tests.factories import registered, submit


def test_answer_text_is_limited_in_the_service(citizen, category, moderator, executor):
    message = registered(citizen, category, moderator)
    with pytest.raises(MessageActionError) as error:
        services.message_answer(
            message=message, actor=executor, kind="solved", text="я" * (ANSWER_TEXT_MAX_LENGTH + 1)
        )
    assert error.value.field == "text"
    assert "не может быть длиннее 10\u00a0000 символов" in str(error.value)
    assert not Answer.objects.filter(message=message).exists()
    services.message_answer(message=message, actor=executor, kind="solved", text="я" * ANSWER_TEXT_MAX_LENGTH)
    assert Answer.objects.filter(message=message).count() == 1


def test_answer_of_megabytes_is_a_form_error_not_published(client, citizen, category, moderator, executor):
    message = registered(citizen, category, moderator)
    client.force_login(executor)
    response = client.post(
        reverse("office:answer", kwargs={"number": message.number}),
        {"kind": "solved", "text": "x" * 2_400_000},
    )
    assert response.status_code == 400
    assert "Текст ответа не может быть длиннее 10000 символов" in response.content.decode()
    assert not Answer.objects.filter(message=message).exists()


@pytest.mark.parametrize("state", ["submitted", "rejected"])
def test_duplicate_of_an_unpublished_message_is_refused(citizen, other_citizen, category, moderator, state):
    original = submit(other_citizen, category)
    if state == "rejected":
        services.message_reject(
            message=original, actor=moderator, reasons=list(RejectionReason.objects.filter(code="obscene"))
        )
    message = submit(citizen, category)
    with pytest.raises(MessageActionError) as error:
        services.message_reject(
            message=message,
            actor=moderator,
            reasons=list(RejectionReason.objects.filter(code="duplicate")),
            duplicate_of=original,
        )
    assert error.value.field == "duplicate_of"
    assert f"Сообщение № {original.number} не опубликовано" in str(error.value)
    message.refresh_from_db()
    assert message.state == State.SUBMITTED
