"""§6.3: PDF scans of an answer — uploaded on the answer form, shown as download links on the public page,
in the back-office and in the e-mail, served only as a download with the answer's access rule."""

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from messages import services
from messages.models import AnswerDocument, Message, State
from messages.tasks import deliver_outbox
from tests.factories import image_bytes, pdf_bytes, processed_documents, registered

HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def answer_url(message):
    return reverse("office:answer", kwargs={"number": message.number})


def document_url(document):
    message = document.answer.message
    return reverse("portal:document", kwargs={"number": message.number, "token": document.token})


def get(client, url, **extra):
    response = client.get(url, **extra)
    if response.streaming:
        response.body = b"".join(response.streaming_content)
    return response


@pytest.fixture
def with_pdf(citizen, moderator, executor, category):
    message = registered(citizen, category, moderator)
    services.message_answer(
        message=message,
        actor=executor,
        kind="solved",
        text="Яма заделана, акт приложен.",
        documents=processed_documents(1),
    )
    return AnswerDocument.objects.select_related("answer__message").get(answer__message=message)


# --- the answer form ---------------------------------------------------------------------------------


def test_answer_form_takes_a_pdf_scan_and_a_photo(client, citizen, moderator, executor, category):
    """§6.3: the executor attaches a scanned act (PDF) and a photo; both are stored with the answer."""
    message = registered(citizen, category, moderator)
    client.force_login(executor)
    data = pdf_bytes(2)
    files = [
        SimpleUploadedFile("Акт выполненных работ.pdf", data, content_type="application/pdf"),
        SimpleUploadedFile("after.jpg", image_bytes(), content_type="image/jpeg"),
    ]
    response = client.post(answer_url(message), {"kind": "solved", "text": "Готово.", "attachments": files})
    assert response.status_code == 302
    answer = Message.objects.get(pk=message.pk).answers.get()
    assert answer.attachments.count() == 1
    document = answer.documents.get()
    assert (document.pages, document.size, document.original_name) == (
        2,
        len(data),
        "Акт выполненных работ.pdf",
    )
    # The stored name is generated, never the one typed by the executor.
    assert re.fullmatch(r"documents/[0-9a-f]{2}/[0-9a-f]{32}\.pdf", document.file.name)
    with document.file.open("rb") as stored:
        assert stored.read() == data


def test_answer_form_shows_a_clear_error_next_to_the_field_for_a_fake_pdf(
    client, citizen, moderator, executor, category
):
    """§6.3: an HTML page renamed .pdf is refused in Russian next to the file input; nothing is saved."""
    message = registered(citizen, category, moderator)
    client.force_login(executor)
    fake = SimpleUploadedFile("scan.pdf", HTML, content_type="application/pdf")
    response = client.post(answer_url(message), {"kind": "solved", "text": "Готово.", "attachments": [fake]})
    assert response.status_code == 400
    errors = response.context["answer_form"].errors["attachments"]
    assert errors == [
        "Файл «scan.pdf» не является документом PDF, хотя назван так. Приложите сам скан-образ в формате "
        "PDF или фотографию в формате JPEG, PNG или TIFF."
    ]
    page = response.content.decode()
    assert 'id="id_attachments_error"' in page
    assert 'aria-describedby="id_attachments_help id_attachments_error"' in page
    assert 'accept="image/jpeg,image/png,image/tiff,application/pdf,.pdf"' in page
    message.refresh_from_db()
    assert message.state == State.REGISTERED
    assert not AnswerDocument.objects.exists()


def test_answer_form_counts_photos_and_pdfs_together(client, citizen, moderator, executor, category):
    """§6.3: up to 4 files in all."""
    message = registered(citizen, category, moderator)
    client.force_login(executor)
    files = [SimpleUploadedFile(f"{i}.pdf", pdf_bytes()) for i in range(3)] + [
        SimpleUploadedFile(f"{i}.jpg", image_bytes()) for i in range(2)
    ]
    response = client.post(answer_url(message), {"kind": "solved", "text": "Готово.", "attachments": files})
    assert response.status_code == 400
    assert "не более 4 файлов" in response.context["answer_form"].errors["attachments"][0]


def test_service_refuses_more_than_four_files_in_all(citizen, moderator, executor, category):
    from messages.errors import MessageActionError
    from tests.factories import processed_photos

    message = registered(citizen, category, moderator)
    with pytest.raises(MessageActionError, match="не более 4"):
        services.message_answer(
            message=message,
            actor=executor,
            kind="solved",
            text="Готово.",
            attachments=processed_photos(2),
            documents=processed_documents(3),
        )


# --- the download ------------------------------------------------------------------------------------


def test_pdf_is_served_only_as_a_download(client, with_pdf):
    """§6.3: attachment, application/pdf, nosniff, a sandboxing CSP, a neutral file name — never inline."""
    for extra in ({}, {"HTTP_ACCEPT": "text/html"}, {"QUERY_STRING": "inline=1"}):
        response = get(client, document_url(with_pdf), **extra)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        number = with_pdf.answer.message.number
        assert response["Content-Disposition"] == f'attachment; filename="{number}-dokument-1.pdf"'
        assert "inline" not in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
        assert response.body.startswith(b"%PDF-")


@pytest.mark.parametrize("who", ["anonymous", "other_citizen"])
def test_a_non_public_pdf_is_hidden_from_guests_and_other_citizens(
    client, with_pdf, who, other_citizen, citizen, moderator
):
    """§4.8, §6.3: the PDF has the answer's access rule. Should its message leave the public states, a
    guest and another citizen get 404; the author and the category's moderator still download it."""
    Message.objects.filter(pk=with_pdf.answer.message_id).update(state=State.SUBMITTED)
    if who == "other_citizen":
        client.force_login(other_citizen)
    assert get(client, document_url(with_pdf)).status_code == 404
    client.force_login(citizen)
    response = get(client, document_url(with_pdf))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("private")
    client.force_login(moderator)
    assert get(client, document_url(with_pdf)).status_code == 200


def test_a_token_under_another_number_is_404(client, with_pdf, citizen, moderator, category):
    other = registered(citizen, category, moderator)
    url = reverse("portal:document", kwargs={"number": other.number, "token": with_pdf.token})
    assert get(client, url).status_code == 404


# --- where the PDF is shown --------------------------------------------------------------------------


def test_public_page_and_back_office_show_the_pdf_as_a_download_link_with_its_size(
    client, with_pdf, executor
):
    """§6.3: «Документ, PDF, 431 Б» on the public page and in the back-office, as a download link."""
    message = with_pdf.answer.message
    assert re.fullmatch(r"Документ, PDF, \d+ Б", with_pdf.label)
    link = f'<a href="{document_url(with_pdf)}" download>{with_pdf.label}</a>'
    page = client.get(reverse("portal:message", kwargs={"number": message.number})).content.decode()
    assert link in page
    client.force_login(executor)
    office = client.get(reverse("office:review", kwargs={"number": message.number})).content.decode()
    assert link in office


def test_answered_email_lists_the_pdf_with_its_size_and_link(with_pdf, settings):
    """§6.3, §6.4: the author's e-mail names the document and links its download."""
    mail.outbox.clear()
    deliver_outbox()
    [email] = [m for m in mail.outbox if "ответ" in m.subject.lower()]
    url = settings.SITE_URL + document_url(with_pdf)
    assert f"- {with_pdf.label}: {url}" in email.body
    html = email.alternatives[0][0]
    assert f'<a href="{url}" style="color:#0b5cad;">{with_pdf.label}</a>' in html
