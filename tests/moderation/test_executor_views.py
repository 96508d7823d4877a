"""The answerer's queue, the answer form (§6.1–6.3, §7.3) and the request to reassign."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from directory.models import AnswerTemplate
from messages import services
from messages.models import Answer, MessageEvent
from tests.factories import answered, image_bytes, registered, submit
from tests.moderation.conftest import page_queries
from tests.sharedcache import shared_reads


def url(name, message=None):
    return reverse(name, kwargs={"number": message.number}) if message else reverse(name)


def test_queue_lists_messages_routed_to_my_organisation(
    client, moderator, executor, other_org_executor, category, citizen, world
):
    mine = registered(citizen, category, moderator)
    theirs = registered(citizen, category, moderator, organization=world["kbu"])
    submitted = submit(citizen, category)
    client.force_login(executor)
    numbers = [m.number for m in client.get(url("office:answer_queue")).context["page"].object_list]
    assert numbers == [mine.number]
    client.force_login(other_org_executor)
    numbers = [m.number for m in client.get(url("office:answer_queue")).context["page"].object_list]
    assert numbers == [theirs.number]
    assert submitted.number not in numbers


def test_queue_is_ordered_by_answer_due_and_marks_rework(client, moderator, executor, category, citizen):
    first = answered(citizen, category, moderator, executor)
    services.message_rate(message=first, actor=citizen, positive=False, remarks="Яма осталась")
    week_ago = timezone.now() - timedelta(days=7)
    second = submit(citizen, category, now=week_ago)
    services.message_register(message=second, actor=moderator, now=week_ago)
    client.force_login(executor)
    response = client.get(url("office:answer_queue"))
    # the rework deadline restarted today, later than the week-old registration's deadline
    assert [m.number for m in response.context["page"].object_list] == [second.number, first.number]
    assert "на доработке" in response.content.decode()


@pytest.mark.parametrize("cold", [True, False], ids=["cold", "kept"])
@pytest.mark.parametrize("rows", [2, 20])
def test_queue_query_count_does_not_grow(client, moderator, executor, category, citizen, rows, cold):
    for i in range(rows):
        registered(citizen, category, moderator, text=f"Яма {i}")
    client.force_login(executor)
    # session, user, official with its organisation, the versions (one read), the page rows; cold: the count
    response, queries, sql = page_queries(client, url("office:answer_queue"), cold=cold)
    assert queries == (4 if cold else 3) + shared_reads(), sql
    assert len(response.context["page"].object_list) == rows


def test_answer_page_for_my_message(client, moderator, executor, category, citizen):
    AnswerTemplate.objects.create(
        category=category, title="Ямочный ремонт", kind="planned", text="Ремонт в мае."
    )
    message = registered(citizen, category, moderator)
    client.force_login(executor)
    response = client.get(url("office:answer", message))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ямочный ремонт" in page
    assert 'enctype="multipart/form-data"' in page


def test_template_is_inserted_without_javascript(client, moderator, executor, category, citizen):
    template = AnswerTemplate.objects.create(
        category=category, title="Ремонт", kind="planned", text="Ремонт в мае."
    )
    message = registered(citizen, category, moderator)
    client.force_login(executor)
    form = client.get(url("office:answer", message), {"template": template.pk}).context["answer_form"]
    assert form.initial == {"kind": "planned", "text": "Ремонт в мае."}


@pytest.mark.parametrize("who", ["other_org_executor", "other_category_moderator", "supervisor"])
def test_answer_page_is_404_outside_the_executor_scope(
    client, moderator, executor, category, citizen, who, request
):
    message = registered(citizen, category, moderator)
    client.force_login(request.getfixturevalue(who))
    assert client.get(url("office:answer", message)).status_code == 404
    assert client.post(url("office:answer", message), {"kind": "solved", "text": "x"}).status_code == 404


def test_answer_sent_twice_shows_the_message_and_publishes_one_answer(
    client, moderator, executor, category, citizen
):
    """A double click, or a request retried after its response was lost (a node died, tests/test_scaleout.py):
    the second POST finds the message answered and says so instead of a bare 404."""
    message = registered(citizen, category, moderator)
    client.force_login(executor)
    data = {"kind": "solved", "text": "Яма заделана."}
    assert client.post(url("office:answer", message), data).status_code == 302
    response = client.post(url("office:answer", message), data, follow=True)
    assert response.redirect_chain == [(url("office:review", message), 302)]
    assert f"На сообщение № {message.number} уже дан ответ (дан ответ)" in response.content.decode()
    assert message.answers.count() == 1
    assert client.get(url("office:answer", message)).status_code == 302


def test_answered_message_of_another_organisation_stays_404(
    client, moderator, executor, other_org_executor, category, citizen
):
    message = answered(citizen, category, moderator, executor)
    client.force_login(other_org_executor)
    assert client.post(url("office:answer", message), {"kind": "solved", "text": "x"}).status_code == 404


def test_answer_with_a_photo(client, moderator, executor, category, citizen):
    message = registered(citizen, category, moderator)
    client.force_login(executor)
    upload = SimpleUploadedFile("after.png", image_bytes("PNG"), content_type="image/png")
    response = client.post(
        url("office:answer", message), {"kind": "solved", "text": "Яма заделана.", "attachments": [upload]}
    )
    assert response.status_code == 302
    assert response["Location"] == url("office:answer_queue")
    message.refresh_from_db()
    assert message.state == "answered"
    answer = message.answers.get()
    assert answer.attachments.count() == 1
    assert answer.author == executor.official


def test_planned_answer_needs_a_date_next_to_its_field(client, moderator, executor, category, citizen):
    message = registered(citizen, category, moderator)
    client.force_login(executor)
    response = client.post(url("office:answer", message), {"kind": "planned", "text": "Сделаем."})
    assert response.status_code == 400
    assert response.context["answer_form"].errors["planned_date"] == [
        "Укажите планируемый срок решения (§6.2)."
    ]
    assert 'aria-describedby="id_planned_date_help id_planned_date_error"' in response.content.decode()
    message.refresh_from_db()
    assert message.state == "registered"


def test_planned_answer_with_a_date(client, moderator, executor, category, citizen):
    message = registered(citizen, category, moderator)
    client.force_login(executor)
    planned = (timezone.localdate() + timedelta(days=30)).isoformat()
    response = client.post(
        url("office:answer", message), {"kind": "planned", "text": "Отремонтируем.", "planned_date": planned}
    )
    assert response.status_code == 302
    assert Answer.objects.get(message=message).planned_date.isoformat() == planned


def test_bad_and_too_many_files_are_refused_next_to_the_field(client, moderator, executor, category, citizen):
    message = registered(citizen, category, moderator)
    client.force_login(executor)
    fake = SimpleUploadedFile("scan.pdf", b"%PDF-1.4 not an image", content_type="application/pdf")
    response = client.post(
        url("office:answer", message), {"kind": "solved", "text": "Готово", "attachments": [fake]}
    )
    assert response.status_code == 400
    assert "scan.pdf" in " ".join(response.context["answer_form"].errors["attachments"])
    many = [SimpleUploadedFile(f"p{i}.jpg", image_bytes(), content_type="image/jpeg") for i in range(5)]
    response = client.post(
        url("office:answer", message), {"kind": "solved", "text": "Готово", "attachments": many}
    )
    assert response.status_code == 400
    assert response.context["answer_form"].errors["attachments"]
    message.refresh_from_db()
    assert message.state == "registered"


def test_rework_page_shows_earlier_answer_and_remarks(client, moderator, executor, category, citizen):
    message = answered(citizen, category, moderator, executor)
    services.message_rate(message=message, actor=citizen, positive=False, remarks="Яма всё ещё на месте")
    client.force_login(executor)
    response = client.get(url("office:answer", message))
    page = response.content.decode()
    assert "Сообщение на доработке" in page
    assert "Яма заделана." in page
    assert "Яма всё ещё на месте" in page
    response = client.post(url("office:answer", message), {"kind": "solved", "text": "Заделали повторно."})
    assert response.status_code == 302
    assert message.answers.filter(is_rework=True).count() == 1


def test_request_reassign(client, moderator, executor, category, citizen):
    message = registered(citizen, category, moderator)
    client.force_login(executor)
    response = client.post(url("office:request_reassign", message), {"comment": "Это дорога КБУ"})
    assert response.status_code == 302
    event = message.events.get(kind=MessageEvent.Kind.REASSIGN_REQUESTED)
    assert event.comment == "Это дорога КБУ"
    # the moderator sees it in their list and on the review page
    client.force_login(moderator)
    assert [m.number for m in client.get(url("office:reassign_requests")).context["requests"]] == [
        message.number
    ]
    assert "Это дорога КБУ" in client.get(url("office:review", message)).content.decode()
    assert client.get(url("office:home")).context["summary"]["reassign_requests"] == 1


def test_request_reassign_needs_a_reason(client, moderator, executor, category, citizen):
    message = registered(citizen, category, moderator)
    client.force_login(executor)
    response = client.post(url("office:request_reassign", message), {"comment": "  "})
    assert response.status_code == 400
    assert response.context["request_reassign_form"].errors["comment"]


def test_request_reassign_outside_scope_is_404(
    client, moderator, executor, other_org_executor, category, citizen
):
    message = registered(citizen, category, moderator)
    client.force_login(other_org_executor)
    assert client.post(url("office:request_reassign", message), {"comment": "x"}).status_code == 404


def test_request_is_cleared_by_a_reassignment(
    client, moderator, executor, other_org_executor, category, citizen, world
):
    message = registered(citizen, category, moderator)
    services.message_request_reassign(message=message, actor=executor, comment="Не наше")
    services.message_reassign(message=message, actor=moderator, executing_organization=world["kbu"])
    client.force_login(moderator)
    assert list(client.get(url("office:reassign_requests")).context["requests"]) == []
