"""Issue 13, points 2 and 3 in a real browser, through the pages people use.

§4.7, §5.7: the moderator refuses a message for its photos → the author reads the comment, replaces the photo
on the correction page and resubmits → the moderator sees the new photo.
§4.4: the moderator marks a repeat with the one-click «дубликат», confirmed on its own page (without
JavaScript) → the author reads a plain notice → supports the original in one step.

Screenshots (phone 390×844, desktop 1366×900) go to /tmp/shots/r13a/.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from directory.models import RejectionReason
from messages import services
from messages.models import Message, Support
from tests.e2e.images import loaded_width
from tests.factories import RejectionReasonFactory, image_bytes, processed_photos, registered

pytestmark = pytest.mark.e2e
SHOTS = Path("/tmp/shots/r13a")
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}


def login_as(page, live_server, user):
    """Share a Django session with the browser (the login form itself is tested elsewhere)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )


def shoot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for label, size in VIEWPORTS.items():
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
    if original:
        page.set_viewport_size(original)


def test_refused_for_photos_author_replaces_one_moderator_sees_it(
    page, live_server, world, citizen, moderator, tmp_path
):
    """§4.7, §5.5, §5.7: a refusal for photos can be fixed on the correction page."""
    RejectionReasonFactory(
        code="photos_need_editing",
        title="Фотографии требуют редактирования",
        citizen_text="Фотографии нужно перевернуть или кадрировать. Замените их и отправьте сообщение снова.",
        regulation_ref="§4.7",
    )
    message = services.message_submit(
        author=citizen,
        category=world["potholes"],
        text="Яма у остановки «Школа», фото ниже",
        occurred_at=timezone.now() - timedelta(hours=3),
        address="ул. Ленина, 12",
        photos=processed_photos(2),
    )
    old_first = message.photos.order_by("position").first()

    # The moderator refuses it for its photos, with a comment to the author.
    login_as(page, live_server, moderator)
    page.goto(f"{live_server.url}/office/m/{message.number}/")
    page.get_by_label("Фотографии требуют редактирования").check()
    page.get_by_label("Комментарий для автора").fill("Первая фотография перевёрнута — ямы не видно.")
    page.get_by_role("button", name="Отказать в регистрации").click()
    page.wait_for_url(f"**/office/m/{message.number}/")
    assert Message.objects.get(pk=message.pk).state == "rejected"

    # The author reads the reason and the comment on the message's own page.
    login_as(page, live_server, citizen)
    page.goto(f"{live_server.url}/m/{message.number}/")
    notice = page.locator("section.notice-danger")
    assert "Фотографии требуют редактирования" in notice.inner_text()
    assert "Первая фотография перевёрнута" in notice.inner_text()
    shoot(page, "refused-message-page")

    page.get_by_role("link", name="Исправить и отправить снова").click()
    page.wait_for_url(f"**/m/{message.number}/edit/")
    assert "Первая фотография перевёрнута" in page.locator("main").inner_text()
    thumbs = page.locator(".photo-choices img")
    assert thumbs.count() == 2 and loaded_width(thumbs.first) > 0
    shoot(page, "correction-page")

    # A file that is not a photo: refused next to the field, the typed text stays.
    bad = tmp_path / "not-a-photo.jpg"
    bad.write_bytes(b"<html>not a photo</html>")
    page.get_by_label("Текст сообщения").fill("Яма у остановки «Школа», вот ровное фото")
    page.get_by_label("Убрать фотографию 1").check()
    page.get_by_label(re.compile("^Добавить фотографии")).set_input_files(str(bad))
    page.get_by_role("button", name="Отправить повторно").click()
    page.wait_for_load_state()
    assert "not-a-photo.jpg" in page.locator("#id_photos_error").inner_text()
    assert page.get_by_label("Текст сообщения").input_value() == "Яма у остановки «Школа», вот ровное фото"
    assert page.get_by_label("Убрать фотографию 1").is_checked()
    shoot(page, "correction-page-error")

    # Now a real photo in place of the first one.
    good = tmp_path / "rovno.jpg"
    good.write_bytes(image_bytes("JPEG", size=(800, 600), color=(40, 160, 60)))
    page.get_by_label(re.compile("^Добавить фотографии")).set_input_files(str(good))
    page.get_by_role("button", name="Отправить повторно").click()
    page.wait_for_url(f"**/m/{message.number}/")
    assert "снова направлено модератору" in page.locator(".flash").inner_text()
    message.refresh_from_db()
    assert message.state == "submitted" and message.photo_count == 2
    new_photo = message.photos.order_by("position").last()
    assert new_photo.original_name == "rovno.jpg"
    assert not message.photos.filter(pk=old_first.pk).exists()

    # The moderator sees the new photo (served) and no longer the removed one.
    login_as(page, live_server, moderator)
    page.goto(f"{live_server.url}/office/m/{message.number}/")
    new_thumb = page.locator(f'.office-photos img[src*="{new_photo.token}"]')
    assert new_thumb.count() == 1 and loaded_width(new_thumb) > 0
    assert page.locator(f'img[src*="{old_first.token}"]').count() == 0
    assert "Фотографии: убрано 1, добавлено 1" in page.locator("main").inner_text()
    response = page.request.get(f"{live_server.url}/m/{message.number}/photo/{old_first.token}/")
    assert response.status == 404


def test_duplicate_confirmed_without_script_author_supports_original(
    browser, page, live_server, world, citizen, other_citizen, moderator
):
    """§4.4: confirm page (no JavaScript), plain notice, one-step support of the original."""
    original = registered(
        other_citizen, world["potholes"], moderator, text="Яма на перекрёстке Мира и Ленина"
    )
    copy = services.message_submit(
        author=citizen,
        category=world["potholes"],
        text="Яма на перекрёстке Мира и Ленина, глубокая",
        occurred_at=timezone.now() - timedelta(hours=1),
        address="ул. Ленина, 5",
    )
    RejectionReason.objects.filter(code="duplicate").update(title="Повтор уже поданного сообщения")

    # The moderator, in a browser without JavaScript: the one click asks, the second one refuses.
    context = browser.new_context(java_script_enabled=False)
    office = context.new_page()
    login_as(office, live_server, moderator)
    office.goto(f"{live_server.url}/office/m/{copy.number}/")
    office.get_by_role("link", name=f"Отказать: дубликат сообщения № {original.number}").click()
    office.wait_for_url(f"**/office/m/{copy.number}/duplicate/**")
    assert Message.objects.get(pk=copy.pk).state == "submitted"
    assert "Яма на перекрёстке Мира и Ленина" in office.locator(".duplicate-compare").inner_text()
    shoot(office, "duplicate-confirmation")
    office.get_by_label(re.compile("^Комментарий для автора")).fill("Это та же яма, её уже ремонтируют.")
    office.get_by_role("button", name=re.compile(rf"Да, отказать: повтор №\s{original.number}")).click()
    office.wait_for_url(f"**/office/m/{copy.number}/")
    assert f"повтор сообщения № {original.number}" in office.locator(".flash").inner_text()
    context.close()
    copy.refresh_from_db()
    assert (copy.state, copy.duplicate_of) == ("rejected", original)

    # The author: a plain notice in the cabinet, the same on the message's page, one button to support.
    login_as(page, live_server, citizen)
    page.goto(f"{live_server.url}/cabinet/notifications/")
    notice = page.locator(".notification-list").inner_text().replace("\xa0", " ")
    assert f"Не зарегистрировано: повтор сообщения № {original.number}" in notice
    assert "уже рассматривается" in notice and "удал" not in notice.lower()
    page.goto(f"{live_server.url}/m/{copy.number}/")
    section = page.locator("#duplicate")
    text = section.inner_text().replace("\xa0", " ")
    assert f"повтор сообщения № {original.number}" in text and "удал" not in text.lower()
    assert "Это та же яма, её уже ремонтируют." in text
    shoot(page, "duplicate-refused-page")
    section.get_by_role("button", name=re.compile(rf"Поддержать сообщение №\s{original.number}")).click()
    page.wait_for_url(f"**/m/{original.number}/#support")
    assert "Ваша поддержка учтена" in page.locator(".flash").inner_text()
    assert Support.objects.filter(message=original, user=citizen).count() == 1
    assert page.locator(".support-count strong").inner_text() == "1"
