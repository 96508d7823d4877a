"""Issue 13.5 in a real browser (§2.2, §2.5): an official of Администрация edits the organisation's
contacts (first with mistakes, shown next to the fields) and the typical questions of its category, and a
guest sees both on the public directory and FAQ pages at once. Every page is photographed at phone and
desktop width (test-artifacts/screenshots/org-*, or SHOTS_DIR)."""

import os
import re
from pathlib import Path

import pytest

from directory.models import FaqEntry, Organization
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_backoffice import login_as

pytestmark = pytest.mark.e2e

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}


def _shoot(page, name):
    folder = Path(os.environ.get("SHOTS_DIR") or ARTIFACTS)
    folder.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for label, size in SIZES.items():
        page.set_viewport_size(size)
        page.screenshot(path=str(folder / f"org-{name}-{label}.png"), full_page=True)
    if original:
        page.set_viewport_size(original)


def test_s2_2_s2_5_an_official_edits_contacts_and_faq_and_the_public_pages_show_them(
    page, browser, live_server, world, executor
):
    potholes = world["potholes"]
    FaqEntry.objects.create(
        category=potholes, question="Когда заделают яму?", answer="В течение сезона.", order=1
    )
    login_as(page, live_server, executor)
    page.goto(live_server.url + "/office/")
    page.get_by_role("navigation", name="Меню рабочего места").get_by_role("link", name="Организация").click()
    page.wait_for_url("**/office/organization/")
    _shoot(page, "contacts")

    # Mistakes first: each is said next to its field, and the summary links to it.
    page.get_by_label("Телефоны").fill("звоните в приёмную")
    page.get_by_label("Электронная почта").fill("priemnaya@")
    page.get_by_label("Адрес", exact=True).fill("442960, г. Заречный, пр. Мира, 19")
    page.get_by_role("button", name="Сохранить контакты").click()
    page.wait_for_load_state()
    assert "Запишите телефоны цифрами" in page.locator("#id_phones_error").inner_text()
    assert page.get_by_label("Телефоны").get_attribute("aria-invalid") == "true"
    assert "Введите адрес электронной почты целиком" in page.locator("#id_email_error").inner_text()
    _shoot(page, "contacts-error")

    page.get_by_label("Телефоны").fill("+7 (8412) 65-00-00, доб. 123")
    page.get_by_label("Электронная почта").fill("priemnaya@zarechny.example")
    page.get_by_label("Сайт").fill("zarechny.example")
    page.get_by_label("Режим работы").fill("пн–чт 8:30–17:30, пт 8:30–16:30")
    page.get_by_role("button", name="Сохранить контакты").click()
    page.wait_for_url("**/office/organization/")
    assert "Контакты сохранены" in page.locator(".flash").inner_text()
    assert page.get_by_label("Сайт").input_value() == "https://zarechny.example"

    # The FAQ: an empty question is refused next to the field, then added; an answer is edited.
    page.get_by_role("link", name="Вопросы и ответы").first.click()
    page.wait_for_url("**/office/faq/")
    page.get_by_label("Категория").select_option(label="Ямы на дорогах")
    page.get_by_role("button", name="Добавить вопрос").click()
    page.wait_for_load_state()
    assert page.locator("#id_question_error").inner_text() == "Напишите вопрос."
    _shoot(page, "faq-error")
    page.locator("#id_question").fill("Можно ли засыпать яму самим?")
    page.locator("#id_answer").fill("Нет: сообщите о яме, её заделает подрядчик.")
    page.get_by_role("button", name="Добавить вопрос").click()
    page.wait_for_load_state()
    assert "Вопрос добавлен" in page.locator(".flash").inner_text()
    page.get_by_role("link", name=re.compile("^Изменить.*Когда заделают яму")).click()
    page.wait_for_url("**/office/faq/*/")
    _shoot(page, "faq-entry")
    page.locator("#id_answer").fill("В течение 10 рабочих дней после регистрации сообщения.")
    page.get_by_role("button", name="Сохранить").click()
    page.wait_for_url(re.compile(r"/office/faq/#faq-\d+$"))
    page.get_by_role("button", name=re.compile("^Выше.*Можно ли засыпать яму самим")).click()
    page.wait_for_load_state()
    _shoot(page, "faq")

    page.get_by_role("link", name="Предложения по темам").click()
    page.wait_for_url("**/office/proposals/")
    _shoot(page, "proposals")

    # A guest sees it all at once.
    guest = browser.new_context()
    public = guest.new_page()
    public.goto(live_server.url + "/organizations/")
    card = public.locator("#org-adm")
    assert "+7 (8412) 65-00-00, доб. 123" in card.inner_text()
    assert "пр. Мира, 19" in card.inner_text()
    assert card.get_by_role("link", name="https://zarechny.example").is_visible()
    card.scroll_into_view_if_needed()
    _shoot(public, "public-organizations")
    public.goto(live_server.url + "/faq/")
    questions = public.locator("summary").all_inner_texts()
    assert questions[:2] == ["Можно ли засыпать яму самим?", "Когда заделают яму?"]
    public.get_by_text("Когда заделают яму?").click()
    assert public.get_by_text("В течение 10 рабочих дней после регистрации сообщения.").is_visible()
    _shoot(public, "public-faq")
    guest.close()

    adm = Organization.objects.get(key="adm")
    assert adm.history.order_by("-history_date").first().history_user == executor
