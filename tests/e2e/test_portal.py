"""The citizen portal in a real browser (issue 4): sign-up → submit → cabinet, guest supports, bad photo.

Every portal page is photographed at phone and desktop width (test-artifacts/screenshots/portal-*).
"""

import io
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from directory import routing
from directory.models import Category, RejectionReason
from messages import services
from tests.factories import UserFactory, image_bytes, processed_photos

pytestmark = pytest.mark.e2e
PASSWORD = "secret-pass-123"


@pytest.fixture
def loaded(transactional_db):
    call_command("bootstrap", stdout=io.StringIO())
    cache.clear()  # the guest limit of an earlier test must not leak in
    yield
    cache.clear()


@pytest.fixture
def potholes(loaded):
    return Category.objects.get(name="Ямы на дорогах")


def _staff(category):
    moderator = routing.category_moderators(category).select_related("user").first().user
    executor = routing.category_answerers(category, category.responsible_organization)
    executor = executor.filter(role="executor").select_related("user").first().user
    return moderator, executor


def _citizen(email, **extra):
    """A factory user who can log in: the address is confirmed (verification is mandatory)."""
    user = UserFactory(email=email, **extra)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def _aware(year, month, day):
    return timezone.make_aware(datetime(year, month, day, 10, 0))


def _photo_files(tmp_path, count):
    paths = []
    for i in range(count):
        path = tmp_path / f"yama-{i + 1}.jpg"
        path.write_bytes(image_bytes("JPEG", size=(640, 480), color=(90 + 40 * i, 90, 100)))
        paths.append(str(path))
    return paths


def _fill_message(page, text):
    page.get_by_label("Текст сообщения").fill(text)
    page.get_by_label("Место: адрес или ориентир").fill("ул. Ленина, напротив д. 12")


def test_citizen_signs_up_confirms_submits_with_two_photos_and_finds_it(
    page, live_server, loaded, shoot, settings, tmp_path
):
    mail_dir = tmp_path / "mail"
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(mail_dir)

    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Регистрация").click()
    page.wait_for_url("**/accounts/signup/")
    shoot("portal-signup")
    page.get_by_label("Адрес электронной почты", exact=True).fill("nina@example.ru")
    page.get_by_label("Пароль", exact=True).fill("очень-длинный-пароль-42")
    page.get_by_label("Пароль (ещё раз)").fill("очень-длинный-пароль-42")
    page.get_by_label("ФИО (необязательно)").fill("Нина Соколова")
    page.get_by_role("button", name="Зарегистрироваться").click()
    # The consent box is its own required field: refused without it, with the error at the box.
    consent_error = page.locator("#id_personal_data_consent_error")
    assert "152-ФЗ" in consent_error.inner_text()
    shoot("portal-signup-error")
    page.get_by_label("Пароль", exact=True).fill("очень-длинный-пароль-42")
    page.get_by_label("Пароль (ещё раз)").fill("очень-длинный-пароль-42")
    page.get_by_label("Я даю согласие на обработку").check()
    page.get_by_role("button", name="Зарегистрироваться").click()
    page.wait_for_url("**/accounts/confirm-email/")
    assert page.get_by_role("heading", level=1).inner_text() == "Подтвердите адрес электронной почты"
    shoot("portal-verification-sent")

    # The confirmation link, from the email file the platform wrote.
    mail_text = "".join(p.read_text() for p in sorted(Path(mail_dir).iterdir()))
    link = re.search(r"http://[^\s]+/accounts/confirm-email/[^\s]+/", mail_text).group(0)
    page.goto(live_server.url + "/" + link.split("/", 3)[3])
    shoot("portal-email-confirm")
    page.get_by_role("button", name="Подтвердить").click()
    page.wait_for_url("**/cabinet/")
    assert page.get_by_role("heading", level=1).inner_text() == "Личный кабинет"
    shoot("portal-cabinet-empty")

    # Submit: topic → category (with its typical questions) → the form.
    page.get_by_role("link", name="Подать сообщение").first.click()
    page.wait_for_url("**/submit/")
    shoot("portal-submit-choose")
    page.get_by_role("link", name=re.compile("^Ямы на дорогах")).click()
    assert page.get_by_role("heading", name="Прежде чем писать: типовые вопросы").is_visible()
    _fill_message(page, "Глубокая яма на проезжей части, машины объезжают по встречной полосе.")
    page.set_input_files("#id_photos", _photo_files(tmp_path, 2))
    assert page.locator("#photo-preview img").count() == 2
    shoot("portal-submit-form")
    page.get_by_role("button", name="Отправить сообщение").click()
    page.wait_for_url("**/submit/done/**")
    number = page.locator("#message-number").inner_text()
    assert re.fullmatch(r"\d{4}-\d{6}", number)
    shoot("portal-submitted")

    page.get_by_role("link", name="Мои сообщения").click()
    page.wait_for_url("**/cabinet/")
    card = page.locator(".cabinet-card", has_text=number)
    assert "на модерации" in card.inner_text() and "Срок регистрации" in card.inner_text()
    shoot("portal-cabinet")
    card.get_by_role("link", name=f"№ {number}").click()
    page.wait_for_url(f"**/m/{number}/")
    assert page.locator(".gallery img").count() == 2
    # The photos of a message on moderation load for its author (lazy images: scroll, then wait).
    page.locator(".gallery img").last.scroll_into_view_if_needed()
    page.wait_for_function(
        "Array.from(document.querySelectorAll('.gallery img')).every(i => i.complete && i.naturalWidth > 0)"
    )
    shoot("portal-message-private")

    page.get_by_role("link", name=re.compile("Личный кабинет")).click()
    page.get_by_role("link", name=re.compile("^Уведомления")).click()
    assert "сообщение получено" in page.locator(".notification-list").inner_text().lower()
    shoot("portal-notifications")
    page.get_by_role("link", name="Настройки").click()
    shoot("portal-profile")
    page.get_by_role("link", name="Изменить адрес электронной почты").click()
    shoot("portal-email-change")
    page.goto(live_server.url + "/accounts/password/change/")
    shoot("portal-password-change")
    page.goto(live_server.url + "/cabinet/delete/")
    shoot("portal-account-delete")


def test_guest_supports_once_and_a_second_try_changes_nothing(page, live_server, loaded, potholes, shoot):
    author = UserFactory(email="author@example.ru", full_name="Пётр Автор")
    moderator, _ = _staff(potholes)
    message = services.message_submit(
        author=author,
        category=potholes,
        text="Не горят фонари и яма у подъезда.",
        occurred_at=_aware(2026, 11, 1),
        address="ул. Ленина, 5",
        photos=processed_photos(1),
    )
    services.message_register(message=message, actor=moderator)
    url = f"{live_server.url}/m/{message.number}/"

    page.goto(url)
    other_tab = page.context.new_page()  # the same guest, the same page open twice
    other_tab.goto(url)
    assert page.locator(".support-count strong").inner_text() == "0"
    shoot("portal-message-public")
    page.get_by_role("button", name="Поддержать").click()
    assert "Ваша поддержка учтена" in page.locator(".flash").inner_text()
    assert page.locator(".support-count strong").inner_text() == "1"
    assert page.get_by_role("button", name="Поддержать").count() == 0
    shoot("portal-message-supported")

    other_tab.get_by_role("button", name="Поддержать").click()
    assert "уже поддержали" in other_tab.locator(".flash").inner_text()
    assert other_tab.locator(".support-count strong").inner_text() == "1"
    message.refresh_from_db()
    assert message.support_count == 1


def test_html_disguised_as_photo_shows_error_and_keeps_text(
    page, live_server, loaded, login, shoot, tmp_path
):
    _citizen("ivan@example.ru")
    login("ivan@example.ru", PASSWORD)
    page.goto(live_server.url + "/submit/?category=potholes")
    typed = "Яма глубиной 20 см, в дождь не видно. Прошу заделать до зимы."
    _fill_message(page, typed)
    fake = tmp_path / "yama.jpg"
    fake.write_text("<html><body><script>alert('x')</script></body></html>")
    page.set_input_files("#id_photos", [str(fake)])
    page.get_by_role("button", name="Отправить сообщение").click()
    error = page.locator("#id_photos_error")
    error.wait_for()
    assert "yama.jpg" in error.inner_text() and "не является фотографией" in error.inner_text()
    assert page.get_by_label("Текст сообщения").input_value() == typed
    assert page.get_by_label("Место: адрес или ориентир").input_value() == "ул. Ленина, напротив д. 12"
    assert "выбрать заново" in page.locator("#id_photos_help").inner_text()
    assert page.locator("#id_photos").get_attribute("aria-describedby") == "id_photos_help id_photos_error"
    assert page.get_by_role("alert").is_visible()
    shoot("portal-submit-error")


def test_public_pages_and_answered_message(page, live_server, loaded, potholes, login, shoot):
    author = _citizen("olga@example.ru", full_name="Ольга Смирнова")
    moderator, executor = _staff(potholes)
    for i in range(3):
        message = services.message_submit(
            author=author,
            category=potholes,
            text=f"Яма на дороге № {i + 1}: колёса машин разбиваются, нужна срочная заделка покрытия.",
            occurred_at=_aware(2026, 11, 2),
            address=f"ул. Комсомольская, д. {i + 3}",
            photos=processed_photos(i % 3),
            show_author_name=i == 0,
        )
        services.message_register(message=message, actor=moderator)
    services.message_answer(
        message=message,
        actor=executor,
        kind="planned",
        text="Ремонт включён в план на весну: асфальт кладут при температуре выше +5 °C.",
        planned_date=date(2027, 5, 15),
        attachments=processed_photos(1),
    )
    pages = [
        ("/", "portal-home"),
        ("/messages/", "portal-messages"),
        ("/messages/?q=яма&sort=supported", "portal-messages-search"),
        (f"/m/{message.number}/", "portal-message-answered-guest"),
        ("/lookup/?number=2026-999999", "portal-lookup-not-found"),
        ("/organizations/", "portal-organizations"),
        ("/faq/", "portal-faq"),
        ("/rules/", "portal-rules"),
        ("/personal-data/", "portal-consent"),
        ("/accounts/login/", "portal-login"),
        ("/accounts/password/reset/", "portal-password-reset"),
    ]
    for path, name in pages:
        page.goto(live_server.url + path)
        assert page.locator("h1").count() == 1, path
        shoot(name)
    assert page.title()
    page.goto(live_server.url + "/messages/")
    assert page.locator(".message-card").count() == 3
    assert page.locator(".message-card img.thumb").count() == 2

    # Lookup by number from the header, then the author rates the answer.
    login("olga@example.ru", PASSWORD)
    page.get_by_label("Найти сообщение по номеру").fill(message.number)
    page.get_by_role("button", name="Найти").click()
    page.wait_for_url(f"**/m/{message.number}/")
    assert "решение запланировано" in page.locator(".answer").inner_text()
    page.get_by_label("Ответ меня не устраивает").check()
    page.get_by_role("button", name="Отправить оценку").click()
    assert "§7.2" in page.locator("#id_remarks_error").inner_text()
    shoot("portal-message-rate-error")
    page.get_by_label(re.compile("^Замечания")).fill("Яма стала глубже, нужна временная засыпка.")
    page.get_by_role("button", name="Отправить оценку").click()
    assert "на доработку" in page.locator(".flash").inner_text()
    shoot("portal-message-rework-author")

    # A rejected message: the author reads the reason, corrects it and sends it again (§5.7).
    rejected = services.message_submit(
        author=author, category=potholes, text="Яма и фонарь", occurred_at=_aware(2026, 11, 4), address="?"
    )
    reason = RejectionReason.objects.get(code="several_issues")
    services.message_reject(message=rejected, actor=moderator, reasons=[reason])
    page.goto(f"{live_server.url}/m/{rejected.number}/")
    shoot("portal-message-rejected-author")
    page.get_by_role("link", name="Исправить и отправить снова").click()
    page.get_by_label("Текст сообщения").fill("Глубокая яма на проезжей части.")
    page.get_by_label("Место: адрес или ориентир").fill("")
    page.get_by_role("button", name="Отправить повторно").click()
    assert "Укажите место" in page.locator("#id_address_error").inner_text()
    shoot("portal-message-edit-error")
    page.get_by_label("Место: адрес или ориентир").fill("ул. Ленина, 9")
    page.get_by_role("button", name="Отправить повторно").click()
    assert "снова направлено модератору" in page.locator(".flash").inner_text()
    rejected.refresh_from_db()
    assert rejected.state == "submitted" and rejected.text == "Глубокая яма на проезжей части."


def test_keyboard_reaches_the_support_button_with_visible_focus(page, live_server, loaded, potholes):
    author = UserFactory(email="kb@example.ru")
    moderator, _ = _staff(potholes)
    message = services.message_submit(
        author=author, category=potholes, text="Яма", occurred_at=_aware(2026, 11, 3), address="ул. Мира, 1"
    )
    services.message_register(message=message, actor=moderator)
    page.goto(f"{live_server.url}/m/{message.number}/")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Поддержать":
            break
    else:
        pytest.fail("the support button is not reachable by keyboard")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    page.locator(".flash").wait_for()
    assert page.locator(".support-count strong").inner_text() == "1"
