"""Public information pages: home, organisations, FAQ by topic (§2.5), rules and deadlines."""

import pytest

from directory.models import FaqEntry

pytestmark = pytest.mark.django_db


def test_header_navigation_on_every_page(client):
    body = client.get("/").content.decode()
    for label, href in [
        ("Главная", "/"),
        ("Сообщения", "/messages/"),
        ("Подать сообщение", "/submit/"),
        ("Организации", "/organizations/"),
        ("Вопросы и ответы", "/faq/"),
        ("Правила", "/rules/"),
        ("Статистика", "/stats/"),
    ]:
        assert f'href="{href}"' in body and label in body


def test_faq_grouped_by_topic_and_category(client, world, django_assert_num_queries):
    FaqEntry.objects.create(category=world["potholes"], question="Кто чинит дороги?", answer="МКУ.")
    FaqEntry.objects.create(category=world["lighting"], question="Скрытый?", answer="-", is_published=False)
    with django_assert_num_queries(3):
        response = client.get("/faq/")
    body = response.content.decode()
    assert "Дороги" in body and "Ямы на дорогах" in body and "Кто чинит дороги?" in body
    assert "Скрытый?" not in body


def test_rules_page_explains_deadlines(client):
    body = client.get("/rules/").content.decode()
    for piece in ("3 рабочих дня", "10 рабочих дней", "§4.3", "§7.5", "59-ФЗ"):
        assert piece in body


@pytest.mark.parametrize("url", ["/", "/organizations/", "/faq/", "/rules/", "/personal-data/"])
def test_public_pages_are_get_only(client, url):
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 405
