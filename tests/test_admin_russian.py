"""Issue 18.5: the admin speaks proper Russian — the case and plural forms of every model name in every phrase
the admin builds from it (zarechny/admin_names.py) — and the administrators reach the outbox."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group

from directory.loader import ADMINISTRATORS_GROUP
from directory.models import Category, Topic
from tests.factories import CategoryFactory, TopicFactory, UserFactory
from zarechny.admin_names import FORMS, Forms

pytestmark = pytest.mark.django_db


def test_every_registered_model_has_its_forms():
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered - set(FORMS) == set(), "add the model's forms to zarechny.admin_names.FORMS"


def test_no_model_name_is_left_in_english():
    for model in admin.site._registry:
        for name in (model._meta.verbose_name, model._meta.verbose_name_plural):
            assert not str(name).isascii(), model._meta.label


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (0, "0 тем"),
        (1, "1 тема"),
        (2, "2 темы"),
        (4, "4 темы"),
        (5, "5 тем"),
        (7, "7 тем"),
        (11, "11 тем"),
        (12, "12 тем"),
        (21, "21 тема"),
        (22, "22 темы"),
        (111, "111 тем"),
        (1001, "1001 тема"),
    ],
)
def test_counts(number, text):
    assert FORMS["directory.topic"].count(number) == text


def test_agreement():
    assert Forms("x", "x", "x", "x", "f").past("добавлен") == "была успешно добавлена"
    assert Forms("x", "x", "x", "x", "n").past("изменен") == "было успешно изменено"
    assert Forms("x", "x", "x", "x", "m").past("удален") == "был успешно удалён"


@pytest.fixture
def root(client):
    user = UserFactory(email="root@city.ru", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def _text(response):
    return response.content.decode()


def test_changelist_speaks_russian(client, root):
    for i in range(7):
        TopicFactory(key=f"t{i}", name=f"Тема {i}")
    page = _text(client.get("/admin/directory/topic/"))
    assert "<h1>Выберите тему для изменения</h1>" in page
    assert "7 тем\n" in page or "7 тем " in page
    assert "7 темы" not in page
    assert "Добавить тему" in page and "Добавить тема" not in page
    assert "<title>Выберите тему для изменения |" in page


def test_add_change_and_delete_pages(client, root):
    category = CategoryFactory(key="potholes", name="Ямы на дорогах")
    add = _text(client.get("/admin/directory/category/add/"))
    assert "<h1>Добавить категорию</h1>" in add
    assert "&rsaquo; Добавить категорию" in add and "Добавить категория" not in add  # the breadcrumb too
    assert "<h1>Изменить категорию</h1>" in _text(
        client.get(f"/admin/directory/category/{category.pk}/change/")
    )
    delete = _text(client.get(f"/admin/directory/category/{category.pk}/delete/"))
    assert "удалить категорию" in delete and "удалить категория" not in delete


def test_success_message_agrees_with_the_noun(client, root):
    response = client.post(
        "/admin/directory/topic/add/",
        {
            "name": "Новая тема",
            "key": "new",
            "order": 1,
            "is_active": "on",
            "categories-TOTAL_FORMS": 0,
            "categories-INITIAL_FORMS": 0,
        },
        follow=True,
    )
    assert Topic.objects.filter(key="new").exists(), response.content.decode()[:3000]
    page = _text(response)
    assert "была успешно добавлена" in page and "был успешно добавлен" not in page


def test_read_only_models_ask_to_view(client, root):
    assert "<h1>Выберите уведомление для изменения</h1>" in _text(
        client.get("/admin/citizen_messages/notification/")
    )
    assert "<h1>Выберите напоминание о сроке для просмотра</h1>" in _text(
        client.get("/admin/citizen_messages/deadlinenotice/")
    )


def test_administrators_reach_the_outbox(client, reference_data):
    """README: failed e-mails are retried in admin → Уведомления, by the administrators of Appendix 2."""
    from directory.models import Official

    user = Official.objects.select_related("user").get(appendix_row=21).user
    assert user.groups.filter(name=ADMINISTRATORS_GROUP).exists() and not user.is_superuser
    client.force_login(user)
    index = _text(client.get("/admin/"))
    assert "/admin/citizen_messages/notification/" in index
    assert client.get("/admin/citizen_messages/notification/?problem=failed").status_code == 200
    assert (
        Group.objects.get(name=ADMINISTRATORS_GROUP)
        .permissions.filter(codename="change_notification")
        .exists()
    )
    assert Category.objects.exists()


# --- issue 18.5: the inline tables and «Удалить выбранные …» -------------------------------------------


def _inline_add_texts(page):
    """The «add another» texts of the inline tables: JSON in data-inline-formset, turned into a link by JS."""
    import html
    import json
    import re

    return [
        json.loads(html.unescape(raw))["options"]["addText"]
        for raw in re.findall(r'data-inline-formset="([^"]+)"', page)
    ]


def test_inline_add_another_in_the_accusative(client, root):
    topic = TopicFactory(key="roads", name="Дороги")
    texts = _inline_add_texts(_text(client.get(f"/admin/directory/topic/{topic.pk}/change/")))
    assert texts == ["Добавить ещё категорию"]
    assert _inline_add_texts(_text(client.get("/admin/directory/topic/add/"))) == ["Добавить ещё категорию"]
    # The account page's official role (an inline with a name of its own).
    user = UserFactory(email="clerk@city.ru")
    texts = _inline_add_texts(_text(client.get(f"/admin/accounts/user/{user.pk}/change/")))
    assert "Добавить ещё роль должностного лица" in texts
    assert not [t for t in texts if "еще один" in t]


def test_every_inline_has_its_add_text():
    from zarechny.admin_names import inline_add_text

    for model_admin in admin.site._registry.values():
        for inline in model_admin.inlines:
            instance = inline(model_admin.model, admin.site)
            assert inline_add_text(instance), f"{inline.__name__}: add its model's forms to FORMS"


def _delete_selected(client, url, objects, **extra):
    return client.post(
        url,
        {"action": "delete_selected", "_selected_action": [o.pk for o in objects], **extra},
        follow=bool(extra),
    )


def test_delete_selected_action_and_confirmation(client, root):
    topics = [TopicFactory(key=f"t{i}", name=f"Тема {i}") for i in range(3)]
    changelist = _text(client.get("/admin/directory/topic/"))
    assert '<option value="delete_selected">Удалить выбранные темы</option>' in changelist
    users = _text(client.get("/admin/accounts/user/"))
    assert '<option value="delete_selected">Удалить выбранных пользователей</option>' in users

    page = _text(_delete_selected(client, "/admin/directory/topic/", topics))
    assert "Вы уверены, что хотите удалить выбранные темы (всего: 3)?" in page
    one = _text(_delete_selected(client, "/admin/directory/topic/", topics[:1]))
    assert "Вы уверены, что хотите удалить выбранную тему?" in one
    assert "выбранные тема" not in one and "удалить тема" not in one

    done = _text(_delete_selected(client, "/admin/directory/topic/", topics, post="yes"))
    assert "Успешно удалено: 3 темы." in done and "Успешно удалены" not in done
    assert not Topic.objects.filter(key__startswith="t").exists()


def test_delete_selected_protected_says_what_in_russian(client, root):
    category = CategoryFactory(key="potholes", name="Ямы на дорогах")
    from tests.factories import submit

    submit(UserFactory(email="author@example.ru"), category)  # a message keeps its category (PROTECT)
    page = _text(_delete_selected(client, "/admin/directory/category/", [category]))
    assert "Не удаётся удалить выбранную категорию" in page
    assert "Вместе с выбранными объектами (1 категория) пришлось бы удалить" in page


def test_selected_forms():
    assert FORMS["directory.topic"].selected(1, "темы") == "выбранную тему"
    assert FORMS["directory.topic"].selected(2, "темы") == "выбранные темы"
    assert FORMS["accounts.user"].selected(1, "пользователи") == "выбранного пользователя"
    assert FORMS["accounts.user"].selected(5, "пользователи") == "выбранных пользователей"
    assert FORMS["citizen_messages.message"].selected(1, "сообщения") == "выбранное сообщение"
    assert FORMS["directory.answertemplate"].selected(1, "шаблоны ответов") == "выбранный шаблон ответа"
