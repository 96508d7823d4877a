"""The whole lifecycle in a real browser, every step through the pages people use (issue 5):

citizen submits (portal) → moderator registers (back-office) → executor answers with a photo →
citizen rates negatively with remarks (portal) → executor answers again → citizen rates positively →
closed; the public page's timeline shows every step.
"""

import re

import pytest
from allauth.account.models import EmailAddress

from messages.models import Message
from tests.e2e.images import loaded_width
from tests.factories import image_bytes

pytestmark = pytest.mark.e2e
PASSWORD = "secret-pass-123"


def _verified(*users):
    # Email verification is mandatory for logging in (allauth); the factory users are confirmed here.
    for user in users:
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)


def _logout(page):
    page.get_by_role("button", name="Выйти").first.click()
    page.wait_for_load_state()


def _answer(page, live_server, number, text, photo=None):
    page.goto(live_server.url + "/office/answers/")
    page.get_by_role("link", name=f"Ответить на {number}").click()
    page.wait_for_url(f"**/office/m/{number}/answer/")
    page.get_by_label("вопрос решён").check()
    page.get_by_label("Текст ответа").fill(text)
    if photo:
        page.get_by_label(re.compile("^Фотографии и скан-образы")).set_input_files(photo)
    page.get_by_role("button", name="Опубликовать ответ").click()
    page.wait_for_url("**/office/answers/")
    assert "опубликован" in page.locator(".flash").inner_text()


def _rate(page, live_server, number, *, positive, remarks=""):
    page.goto(f"{live_server.url}/m/{number}/")
    if positive:
        page.get_by_label("Вопрос решён, ответ меня устраивает").check()
    else:
        page.get_by_label("Ответ меня не устраивает").check()
        page.get_by_label(re.compile("^Замечания")).fill(remarks)
    page.get_by_role("button", name="Отправить оценку").click()
    page.wait_for_load_state()


def test_whole_cycle(page, live_server, login, shoot, world, citizen, moderator, executor, tmp_path):
    _verified(citizen, moderator, executor)

    # 1. The citizen submits through the portal.
    login(citizen.email, PASSWORD)
    page.goto(live_server.url + "/submit/?category=potholes")
    page.get_by_label("Текст сообщения").fill(
        "Глубокая яма у остановки «Школа», машины вылетают на встречку."
    )
    page.get_by_label("Место: адрес или ориентир").fill("ул. Ленина, остановка «Школа»")
    page.get_by_role("button", name="Отправить сообщение").click()
    page.wait_for_url("**/submit/done/**")
    number = page.locator("#message-number").inner_text()
    _logout(page)

    # 2. The moderator registers it from the queue.
    login(moderator.email, PASSWORD)
    page.goto(live_server.url + "/office/moderation/")
    page.get_by_role("link", name=number).click()
    page.wait_for_url(f"**/office/m/{number}/")
    page.get_by_role("button", name="Зарегистрировать и опубликовать").click()
    page.wait_for_load_state()
    assert "зарегистрировано и опубликовано" in page.locator(".flash").inner_text()
    _logout(page)

    # 3. The executor answers with a photo.
    photo = tmp_path / "remont.jpg"
    photo.write_bytes(image_bytes("JPEG", size=(800, 600), color=(70, 110, 70)))
    login(executor.email, PASSWORD)
    _answer(page, live_server, number, "Яма засыпана щебнем.", photo=str(photo))
    _logout(page)

    # 4. The citizen is not satisfied: negative, with remarks (§7.2) → rework.
    login(citizen.email, PASSWORD)
    _rate(page, live_server, number, positive=False, remarks="Щебень уже разъехался, нужен асфальт.")
    assert Message.objects.get(number=number).state == "rework"
    _logout(page)

    # 5. The executor sees the remarks and answers again.
    login(executor.email, PASSWORD)
    page.goto(f"{live_server.url}/office/m/{number}/answer/")
    assert page.get_by_text("Щебень уже разъехался, нужен асфальт.").first.is_visible()
    shoot("office-cycle-rework-answer")
    _answer(page, live_server, number, "Участок заасфальтирован картами 2×3 м.")
    _logout(page)

    # 6. The citizen is satisfied → closed.
    login(citizen.email, PASSWORD)
    _rate(page, live_server, number, positive=True)
    message = Message.objects.get(number=number)
    assert (message.state, message.rework_count) == ("closed", 1)
    _logout(page)

    # The public page (a guest) shows the answers, the photo and every step of the timeline.
    page.goto(f"{live_server.url}/m/{number}/")
    timeline = page.locator("#timeline-heading + ol").inner_text()
    steps = [
        "зарегистрировано и опубликовано",
        "дан ответ",
        "ответ оценён отрицательно, направлено на доработку",
        "дан ответ",
        "ответ оценён положительно",
    ]
    positions = []
    start = 0
    for step in steps:
        position = timeline.find(step, start)
        assert position >= 0, f"{step!r} missing after position {start} in:\n{timeline}"
        positions.append(position)
        start = position + len(step)
    # §7.2–7.3: the remarks reached the executor at once, but the public waits for a moderator's review.
    assert "Щебень уже разъехался" not in page.locator("main").inner_text()
    assert "на проверке у модератора" in page.locator("main").inner_text()
    assert "Участок заасфальтирован" in page.locator("main").inner_text()
    answer_images = page.locator("main img")
    assert answer_images.count() >= 1
    assert loaded_width(answer_images.first) > 0  # lazy: it loads once in view
    shoot("office-cycle-public-page")
