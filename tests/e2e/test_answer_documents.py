"""Issue 13, points 4, 7, 8 in a real browser: a PDF scan on the answer form (§6.3), the public page with
the PDF, the overdue text (§6.2) and the remarks on review (§7.2–7.3), the moderator's review of the
remarks. Screenshots: test-artifacts/screenshots/r13-*."""

from datetime import timedelta

import pytest
from django.utils import timezone

from messages import services
from messages.models import Rating
from tests.e2e.test_backoffice import login_as
from tests.factories import pdf_bytes, submit

pytestmark = pytest.mark.e2e

REMARKS = "Яму засыпали песком. Позвоните мне: Петров, +7 912 345-67-89."


def test_pdf_answer_overdue_rework_and_remarks_review(
    page, live_server, shoot, world, citizen, moderator, executor, tmp_path
):
    potholes = world["potholes"]
    start = timezone.now() - timedelta(days=40)
    message = submit(citizen, potholes, text="Яма у дома 5 по ул. Ленина", now=start)
    services.message_register(message=message, actor=moderator, now=start + timedelta(hours=2))

    # §6.3: the executor attaches a fake PDF first (an HTML page renamed), then a real scan.
    login_as(page, live_server, executor)
    page.goto(f"{live_server.url}/office/m/{message.number}/answer/")
    page.get_by_label("вопрос решён").check()
    page.get_by_label("Текст ответа").fill("Яма заделана асфальтом, акт приёмки работ приложен.")
    fake = tmp_path / "Акт приёмки.pdf"
    fake.write_bytes(b"<!doctype html><html><script>alert(1)</script></html>")
    page.get_by_label("Фотографии и скан-образы документов").set_input_files(str(fake))
    page.get_by_role("button", name="Опубликовать ответ").click()
    page.wait_for_load_state()
    error = page.locator("#id_attachments_error")
    assert "не является документом PDF" in error.inner_text()
    shoot("r13-answer-form-pdf-error")

    scan = tmp_path / "Акт приёмки работ.pdf"
    scan.write_bytes(pdf_bytes(2))
    page.get_by_label("Текст ответа").fill("Яма заделана асфальтом, акт приёмки работ приложен.")
    page.get_by_label("Фотографии и скан-образы документов").set_input_files(str(scan))
    page.get_by_role("button", name="Опубликовать ответ").click()
    page.wait_for_url("**/office/answers/")
    answer = message.answers.get()
    document = answer.documents.get()

    # The author rates it negatively, long enough ago that the rework is overdue now (§7.3, §6.2).
    services.message_rate(
        message=message, actor=citizen, positive=False, remarks=REMARKS, now=start + timedelta(days=5)
    )

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/m/{message.number}/")
    link = page.get_by_role("link", name=document.label)
    assert link.get_attribute("download") is not None
    assert page.get_by_text("Срок ответа истёк").is_visible()
    assert page.get_by_text("Замечания автора на проверке у модератора").is_visible()
    assert "345-67-89" not in page.content()
    shoot("r13-public-page-pdf-overdue")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == f"{message.number}-dokument-1.pdf"

    page.goto(f"{live_server.url}/messages/")
    assert page.get_by_text("Срок ответа истёк").first.is_visible()
    shoot("r13-public-list-overdue")

    # §7.2–7.3: the moderator sees the marker, removes the personal data and publishes.
    login_as(page, live_server, moderator)
    page.goto(f"{live_server.url}/office/")
    page.get_by_role("link", name="Замечания к оценке ждут проверки: 1").click()
    page.wait_for_url("**/office/remarks/")
    shoot("r13-remarks-queue")
    page.get_by_role("link", name=message.number).click()
    page.wait_for_load_state()
    assert page.get_by_text("Замечания к оценке ждут проверки.").is_visible()
    page.get_by_label("Опубликовать исправленный текст").check()
    page.get_by_label("Текст для публикации").fill("Яму засыпали песком.")
    page.locator("#remarks-heading").scroll_into_view_if_needed()
    shoot("r13-remarks-review")
    page.get_by_role("button", name="Сохранить решение").click()
    page.wait_for_load_state()
    assert "с вашими правками" in page.locator(".flash").inner_text()
    assert Rating.objects.get(message=message).remarks_public == "Яму засыпали песком."

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/m/{message.number}/")
    assert page.get_by_text("Яму засыпали песком.").is_visible()
    assert "345-67-89" not in page.content()
    shoot("r13-public-page-remarks-edited")
