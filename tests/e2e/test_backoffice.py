"""The back-office in a real browser (issue 5): every page photographed at phone and desktop width
(test-artifacts/screenshots/office-*), the moderator's and the executor's main paths driven by the keyboard
and the mouse, with and without the small progressive-enhancement script.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from directory.models import AnswerTemplate, RejectionReason
from messages import services
from tests.e2e.images import loaded_width
from tests.factories import answered, image_bytes, processed_photos, registered, submit

pytestmark = pytest.mark.e2e


def login_as(page, live_server, user):
    """Share a Django session with the browser (the login form itself is the portal's, tested there)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )


def _place(author, category, text, address, lat, lon, *, photos=(), now=None):
    now = now or timezone.now()
    return services.message_submit(
        author=author,
        category=category,
        text=text,
        occurred_at=now - timedelta(hours=3),
        address=address,
        latitude=Decimal(lat),
        longitude=Decimal(lon),
        photos=photos,
        now=now,
    )


@pytest.fixture
def reasons(world):
    RejectionReason.objects.filter(code="obscene").update(
        citizen_text="В сообщении есть нецензурные выражения (§4.3). Уберите их и отправьте сообщение снова."
    )
    RejectionReason.objects.filter(code="duplicate").update(
        citizen_text="О этой проблеме уже сообщали (§4.4): следите за исходным сообщением."
    )


def test_moderator_queue_review_reject_preview_and_register(
    page, live_server, shoot, world, reasons, citizen, other_citizen, moderator, executor
):
    potholes = world["potholes"]
    original = _place(
        citizen, potholes, "Глубокая яма у школы № 3", "ул. Строителей, 1", "53.2100", "45.1900"
    )
    services.message_register(message=original, actor=moderator)
    submit(other_citizen, potholes, text="Просела крышка люка", now=timezone.now() - timedelta(days=12))
    message = _place(
        other_citizen,
        potholes,
        "Яма у школы, глубокая, машины объезжают по тротуару",
        "напротив школы № 3",
        "53.2104",
        "45.1902",
        photos=processed_photos(2),
    )

    login_as(page, live_server, moderator)
    page.goto(live_server.url + "/office/")
    assert page.locator('[data-count="moderation-total"]').inner_text() == "2"
    assert page.locator('[data-count="moderation-overdue"]').inner_text() == "1"
    shoot("office-home-moderator")

    page.get_by_role("link", name="Открыть очередь модерации").click()
    page.wait_for_url("**/office/moderation/")
    assert page.locator("tr.overdue").count() == 1
    shoot("office-moderation-queue")

    page.get_by_role("link", name=message.number).click()
    page.wait_for_url(f"**/office/m/{message.number}/")
    assert page.get_by_role("link", name=f"Отказать: дубликат сообщения № {original.number}").is_visible()
    thumbs = page.locator(".office-photos img")
    assert thumbs.count() == 2
    assert loaded_width(thumbs.first) > 0  # served by the portal's checked view
    shoot("office-review")

    # The script shows the author's letter as reasons are ticked (§5.7).
    page.get_by_label("Нецензурная лексика").check()
    page.get_by_label("Комментарий для автора").fill("Перепишите, пожалуйста, без ругательств.")
    preview = page.locator("#reject-preview")
    assert "нецензурные выражения (§4.3)" in preview.inner_text()
    assert "Перепишите, пожалуйста" in preview.inner_text()
    preview.scroll_into_view_if_needed()
    shoot("office-reject-preview")

    # Register instead, with the keyboard: the organisation stays preset to the responsible one.
    page.get_by_label("Нецензурная лексика").uncheck()
    page.get_by_role("button", name="Зарегистрировать и опубликовать").focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "зарегистрировано и опубликовано" in page.locator(".flash").inner_text()
    message.refresh_from_db()
    assert message.state == "registered"
    assert message.executing_organization == world["administration"]
    shoot("office-review-registered")


def test_reject_preview_works_without_javascript(browser, live_server, world, reasons, citizen, moderator):
    message = submit(citizen, world["potholes"])
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    login_as(page, live_server, moderator)
    page.goto(f"{live_server.url}/office/m/{message.number}/")
    page.get_by_label("Нецензурная лексика").check()
    page.get_by_role("button", name="Показать письмо автору").click()
    page.wait_for_load_state()
    assert "нецензурные выражения (§4.3)" in page.locator("#reject-preview").inner_text()
    assert page.get_by_label("Нецензурная лексика").is_checked()
    page.get_by_role("button", name="Отказать в регистрации").click()
    page.wait_for_load_state()
    message.refresh_from_db()
    assert message.state == "rejected"
    context.close()


def test_one_step_duplicate(page, live_server, world, reasons, citizen, other_citizen, moderator, executor):
    original = _place(citizen, world["potholes"], "Яма на перекрёстке", "пр. Мира, 10", "53.2000", "45.1700")
    services.message_register(message=original, actor=moderator)
    copy = _place(
        other_citizen, world["potholes"], "Яма на перекрёстке", "пр. Мира, 10", "53.2000", "45.1700"
    )
    login_as(page, live_server, moderator)
    page.goto(f"{live_server.url}/office/m/{copy.number}/")
    page.get_by_role("link", name=f"Отказать: дубликат сообщения № {original.number}").click()
    page.wait_for_url(f"**/office/m/{copy.number}/duplicate/?of={original.number}")
    copy.refresh_from_db()
    assert copy.state == "submitted"  # the click only asks (§4.4)
    page.get_by_role("button", name=re.compile(rf"Да, отказать: повтор №\s{original.number}")).click()
    page.wait_for_url(f"**/office/m/{copy.number}/")
    copy.refresh_from_db()
    assert (copy.state, copy.duplicate_of) == ("rejected", original)


def test_register_error_is_announced_next_to_the_field(
    page, live_server, world, citizen, moderator, executor
):
    message = submit(citizen, world["potholes"])
    login_as(page, live_server, moderator)
    page.goto(f"{live_server.url}/office/m/{message.number}/")
    page.get_by_label("Организация-исполнитель").select_option(label="МКУ «КБУ»")
    page.get_by_role("button", name="Зарегистрировать и опубликовать").click()
    page.wait_for_load_state()
    field = page.get_by_label("Организация-исполнитель")
    assert field.get_attribute("aria-invalid") == "true"
    error = page.locator("#register_executing_organization_error")
    assert "нет сотрудника" in error.inner_text()
    assert "register_executing_organization_error" in field.get_attribute("aria-describedby")
    assert page.evaluate("document.activeElement.id") == "register_executing_organization"


def test_executor_answers_a_rework_with_a_template_and_a_photo(
    page, live_server, shoot, world, citizen, moderator, executor, tmp_path
):
    potholes = world["potholes"]
    AnswerTemplate.objects.create(
        category=potholes, title="Ямочный ремонт выполнен", kind="solved", text="Ямочный ремонт выполнен."
    )
    fresh = registered(citizen, potholes, moderator, text="Яма у остановки «Школа»")
    message = answered(citizen, potholes, moderator, executor, text="Яма у дома 5")
    services.message_rate(
        message=message, actor=citizen, positive=False, remarks="Яму засыпали песком, она снова"
    )

    login_as(page, live_server, executor)
    page.goto(live_server.url + "/office/")
    assert page.locator('[data-count="answers-total"]').inner_text() == "2"
    shoot("office-home-executor")
    page.get_by_role("link", name="Открыть очередь ответов").click()
    page.wait_for_url("**/office/answers/")
    assert page.get_by_text("на доработке").is_visible()
    shoot("office-answer-queue")

    page.get_by_role("link", name=f"Ответить на {message.number}").click()
    page.wait_for_url(f"**/office/m/{message.number}/answer/")
    assert page.get_by_text("Яму засыпали песком, она снова").is_visible()
    assert page.get_by_text("Сообщение на доработке").is_visible()
    page.get_by_role("link", name=re.compile("Вставить в ответ.+Ямочный ремонт выполнен")).click()
    assert page.get_by_label("Текст ответа").input_value() == "Ямочный ремонт выполнен."
    assert page.get_by_label("вопрос решён").is_checked()
    photo = tmp_path / "after.jpg"
    photo.write_bytes(image_bytes("JPEG", size=(800, 600), color=(60, 120, 60)))
    page.get_by_label("Фотографии и скан-образы документов (до 4)").set_input_files(str(photo))
    shoot("office-answer-form-rework")
    page.get_by_role("button", name="Опубликовать ответ").click()
    page.wait_for_url("**/office/answers/")
    assert "опубликован" in page.locator(".flash").inner_text()
    message.refresh_from_db()
    assert message.state == "answered"
    assert message.answers.last().attachments.count() == 1

    # The fresh one: not our competence → ask the moderators.
    page.goto(f"{live_server.url}/office/m/{fresh.number}/answer/")
    page.get_by_role("button", name="Попросить передать").click()
    page.wait_for_load_state()
    assert page.locator("#request_comment_error").is_visible()
    assert page.evaluate("document.activeElement.id") == "request_comment"  # the script moved the focus
    shoot("office-answer-form-error")
    page.get_by_label("Почему сообщение не относится к вашей организации").fill("Остановка на балансе КБУ.")
    page.get_by_role("button", name="Попросить передать").click()
    page.wait_for_url("**/office/answers/")


def test_planned_answer_validation(page, live_server, world, citizen, moderator, executor):
    message = registered(citizen, world["potholes"], moderator)
    login_as(page, live_server, executor)
    page.goto(f"{live_server.url}/office/m/{message.number}/answer/")
    page.get_by_label("решение запланировано").check()
    page.get_by_label("Текст ответа").fill("Отремонтируем в мае.")
    page.get_by_role("button", name="Опубликовать ответ").click()
    page.wait_for_load_state()
    assert page.get_by_label("Планируемый срок решения").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Текст ответа").input_value() == "Отремонтируем в мае."
    page.get_by_label("Планируемый срок решения").fill(
        (timezone.localdate() + timedelta(days=40)).isoformat()
    )
    page.get_by_role("button", name="Опубликовать ответ").click()
    page.wait_for_url("**/office/answers/")


def test_supervisor_board_and_reassign_requests(
    page, live_server, shoot, world, citizen, moderator, executor, other_org_executor, supervisor
):
    long_ago = timezone.now() - timedelta(days=40)
    for text in ("Не горит фонарь во дворе", "Яма у гаражей"):
        category = world["lighting"] if "фонарь" in text else world["potholes"]
        submit(citizen, category, text=text, now=long_ago)
    late = submit(citizen, world["potholes"], text="Разбитый асфальт", now=long_ago)
    services.message_register(message=late, actor=moderator, now=long_ago)
    kbu = submit(citizen, world["potholes"], text="Яма на дороге к КБУ", now=long_ago)
    services.message_register(message=kbu, actor=moderator, executing_organization=world["kbu"], now=long_ago)
    asked = registered(citizen, world["potholes"], moderator, text="Яма у рынка")
    services.message_request_reassign(message=asked, actor=executor, comment="Рынок обслуживает КБУ.")

    login_as(page, live_server, supervisor)
    page.goto(live_server.url + "/office/")
    assert page.locator('[data-count="overdue-total"]').inner_text() == "4"
    shoot("office-home-supervisor")
    page.get_by_role("link", name="Сводка просрочек").click()
    page.wait_for_url("**/office/overdue/")
    assert page.get_by_role("heading", name="Администрация").is_visible()
    assert page.get_by_role("heading", name="МКУ «КБУ»").is_visible()
    shoot("office-overdue-board")

    page.goto(live_server.url + "/office/reassign-requests/")
    shoot("office-reassign-requests")
    page.get_by_role("link", name=asked.number).click()
    assert "Рынок обслуживает КБУ." in page.locator(".office-notice").inner_text()
    page.get_by_label("Передать организации").select_option(label="МКУ «КБУ»")
    page.get_by_label("Причина передачи").fill("По просьбе исполнителя.")
    shoot("office-review-reassign")
    page.get_by_role("button", name="Передать").click()
    page.wait_for_load_state()
    asked.refresh_from_db()
    assert asked.executing_organization == world["kbu"]


def test_admin_coverage_and_new_official(page, live_server, shoot, world, moderator, executor, admin_user):
    login_as(page, live_server, admin_user)
    page.goto(live_server.url + "/admin/directory/category/")
    page.get_by_role("link", name="Кто что обрабатывает").click()
    page.wait_for_url("**/admin/directory/category/coverage/")
    gap = page.locator('tr[data-category="lighting"]')
    assert "Некому модерировать" in gap.inner_text()
    assert (
        gap.evaluate("row => getComputedStyle(row.querySelector('td')).backgroundColor")
        == "rgb(251, 227, 228)"
    )
    shoot("office-admin-coverage")

    page.goto(live_server.url + "/admin/directory/official/add/")
    page.get_by_label("Электронная почта").fill("lamp@adm.ru")
    page.get_by_label("ФИО").fill("Светлана Фонарёва")
    page.locator("#id_organization").select_option(label="Администрация")
    page.get_by_role("textbox", name="Должность").fill("инженер по освещению")
    page.locator("#id_role").select_option("executor")
    page.locator("#id_categories_from").select_option(label="Освещение")
    page.locator("#id_categories_add").click()
    shoot("office-admin-add-official")
    page.get_by_role("button", name="Сохранить", exact=True).click()
    page.wait_for_load_state()
    from accounts.models import User

    official = User.objects.get(email="lamp@adm.ru").official
    assert [c.key for c in official.categories.all()] == ["lighting"]
