"""§2.2, §2.5, §2.7 in the back-office: an official keeps the contacts of their organisation and the FAQ
of its categories, and proposes topic and category changes — tried as the official and as an attacker
(another organisation's official changing ids in the URL or the form, a citizen, a guest)."""

import re

import pytest
from django.urls import reverse

from directory.models import FaqEntry, Organization, TopicProposal
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db

CONTACTS = {
    "address": "442960, г. Заречный, пр. Мира, 19",
    "phones": "+7 (8412) 65-00-00, доб. 123; 8 800 200-00-00",
    "email": "priemnaya@zarechny.example",
    "website": "https://zarechny.example",
    "working_hours": "пн–пт 8:30–17:30",
}


@pytest.fixture
def kbu_entry(world):
    """A typical question of a category МКУ «КБУ» is responsible for."""
    trees = CategoryFactory(
        key="trees", name="Деревья", topic=world["potholes"].topic, responsible_organization=world["kbu"]
    )
    return FaqEntry.objects.create(category=trees, question="Кто пилит деревья?", answer="КБУ.", order=1)


@pytest.fixture
def potholes_faq(category):
    return [
        FaqEntry.objects.create(category=category, question=q, answer=f"Ответ: {q}", order=i)
        for i, q in enumerate(["Когда заделают яму?", "Кто отвечает за двор?"], start=1)
    ]


def _field_error(html, name):
    """The error text tied to the input `name` (its aria-describedby id), or None."""
    match = re.search(rf'<ul class="errorlist" id="id_{name}_error"><li>(.*?)</li>', html)
    return match and match.group(1)


# --- §2.2 contacts -----------------------------------------------------------------------------------


def test_s2_2_an_executor_edits_the_contacts_and_the_directory_shows_them_at_once(client, executor, world):
    client.force_login(executor)
    page = client.get(reverse("office:organization"))
    assert page.status_code == 200 and "Администрация: контакты" in page.content.decode()
    response = client.post(reverse("office:organization"), CONTACTS)
    assert response.status_code == 302
    adm = Organization.objects.get(key="adm")
    assert adm.phones == CONTACTS["phones"]
    assert adm.history.order_by("-history_date").first().history_user == executor

    client.logout()
    public = client.get(reverse("organization_list"))
    html = public.content.decode()
    for value in ("пр. Мира, 19", "+7 (8412) 65-00-00, доб. 123", "priemnaya@zarechny.example", "8:30–17:30"):
        assert value in html
    assert 'href="https://zarechny.example"' in html
    # Nothing may keep an old copy of the public directory: no shared-cache lifetime on it.
    assert "max-age" not in public.get("Cache-Control", "")
    assert "public" not in public.get("Cache-Control", "")


def test_s2_2_invalid_contacts_are_refused_with_russian_errors_next_to_the_fields(client, moderator):
    client.force_login(moderator)
    response = client.post(
        reverse("office:organization"),
        {**CONTACTS, "phones": "звоните в приёмную", "email": "priemnaya@", "website": "ftp://zarechny"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Запишите телефоны цифрами" in _field_error(html, "phones")
    assert "Введите адрес электронной почты целиком" in _field_error(html, "email")
    assert _field_error(html, "website")
    assert 'aria-invalid="true"' in html and "Проверьте форму" in html
    assert Organization.objects.get(key="adm").phones == ""


@pytest.mark.parametrize(
    ("phones", "valid"),
    [
        ("+7 (8412) 65-00-00", True),
        ("8 (84125) 4-11-11, доб. 12", True),
        ("65-00-00; 65-00-01", True),
        ("112", False),
        ("+7 8412 65 00 00 00 00 00 00", False),
        ("позвоните", False),
    ],
)
def test_s2_2_phone_validation(client, executor, phones, valid):
    client.force_login(executor)
    response = client.post(reverse("office:organization"), {**CONTACTS, "phones": phones})
    assert response.status_code == (302 if valid else 400)


def test_s2_2_another_organizations_ids_in_the_form_change_nothing(client, other_org_executor, world):
    """An official of МКУ «КБУ» posts Администрация's id and key: only КБУ's contacts change, and only
    the contact fields."""
    client.force_login(other_org_executor)
    adm = world["administration"]
    response = client.post(
        reverse("office:organization"),
        {**CONTACTS, "id": adm.pk, "pk": adm.pk, "key": "adm", "organization": adm.pk, "name": "Взлом"},
    )
    assert response.status_code == 302
    adm.refresh_from_db()
    kbu = Organization.objects.get(key="kbu")
    assert (adm.phones, adm.name) == ("", "Администрация")
    assert (kbu.phones, kbu.name, kbu.key) == (CONTACTS["phones"], "МКУ «КБУ»", "kbu")


def test_s2_2_only_the_fields_the_official_changed_are_written(client, executor, world):
    """A colleague saved the address while this form was open: saving the phones keeps that address."""
    client.force_login(executor)
    page = client.get(reverse("office:organization")).content.decode()
    assert 'name="initial-address"' in page  # the values the official saw travel with the form
    Organization.objects.filter(key="adm").update(address="пр. Мира, 19")
    seen = {f"initial-{name}": "" for name in CONTACTS}
    blank = {name: "" for name in CONTACTS}
    response = client.post(reverse("office:organization"), {**seen, **blank, "phones": "+7 (8412) 65-00-00"})
    assert response.status_code == 302
    adm = Organization.objects.get(key="adm")
    assert (adm.address, adm.phones) == ("пр. Мира, 19", "+7 (8412) 65-00-00")


# --- §2.5 FAQ -----------------------------------------------------------------------------------------


def test_s2_5_the_faq_page_lists_only_the_organizations_categories(client, executor, kbu_entry, potholes_faq):
    client.force_login(executor)
    html = client.get(reverse("office:faq")).content.decode()
    assert "Когда заделают яму?" in html and "Освещение" in html
    assert "Кто пилит деревья?" not in html and "Деревья" not in html


def test_s2_5_add_edit_hide_move_delete_and_the_public_pages_follow(client, executor, category, potholes_faq):
    client.force_login(executor)
    response = client.post(
        reverse("office:faq_add"),
        {
            "category": category.pk,
            "question": "Можно ли засыпать яму самим?",
            "answer": "Нет.",
            "is_published": "on",
        },
    )
    assert response.status_code == 302
    added = FaqEntry.objects.get(question="Можно ли засыпать яму самим?")
    assert added.order == 3

    first = potholes_faq[0]
    response = client.post(
        reverse("office:faq_edit", kwargs={"entry_id": first.pk}),
        {"question": "Когда заделают яму во дворе?", "answer": "В течение 10 рабочих дней."},
    )  # the box unticked: hidden
    assert response.status_code == 302
    client.post(reverse("office:faq_move", kwargs={"entry_id": added.pk}), {"direction": "up"})

    public = client.get(reverse("faq")).content.decode()
    assert "Можно ли засыпать яму самим?" in public
    assert "Когда заделают яму" not in public  # hidden
    assert public.index("Можно ли засыпать яму самим?") < public.index("Кто отвечает за двор?")
    submit_page = client.get(reverse("portal:submit") + f"?category={category.key}").content.decode()
    assert "Можно ли засыпать яму самим?" in submit_page

    confirm = client.get(reverse("office:faq_delete", kwargs={"entry_id": added.pk}))
    assert confirm.status_code == 200 and "Удалить вопрос?" in confirm.content.decode()
    assert client.post(reverse("office:faq_delete", kwargs={"entry_id": added.pk})).status_code == 302
    public = client.get(reverse("faq")).content.decode().split("<h1>")[1]
    assert "Можно ли засыпать яму самим?" not in public
    assert {h.history_user for h in FaqEntry.history.filter(id=added.pk)} == {executor}


def test_s2_5_empty_or_repeated_question_is_refused_next_to_the_field(
    client, executor, category, potholes_faq
):
    client.force_login(executor)
    response = client.post(reverse("office:faq_add"), {"category": category.pk, "question": "", "answer": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert _field_error(html, "question") == "Напишите вопрос."
    assert _field_error(html, "answer") == "Напишите ответ на вопрос."
    response = client.post(
        reverse("office:faq_edit", kwargs={"entry_id": potholes_faq[1].pk}),
        {"question": "когда заделают яму?", "answer": "."},
    )
    assert response.status_code == 400
    assert "Такой вопрос в этой категории уже есть" in _field_error(response.content.decode(), "question")


def test_s2_5_an_official_of_another_organization_cannot_reach_the_faq_by_id(
    client, other_org_executor, category, potholes_faq
):
    """МКУ «КБУ» takes part in «Ямы на дорогах» but does not keep its questions: every id is a 404, and
    the category's id in the add form is an invalid choice."""
    client.force_login(other_org_executor)
    entry = potholes_faq[0]
    for name, method in [
        ("office:faq_edit", "get"),
        ("office:faq_edit", "post"),
        ("office:faq_move", "post"),
        ("office:faq_delete", "get"),
        ("office:faq_delete", "post"),
    ]:
        data = {"question": "Взлом", "answer": "Взлом", "is_published": "on", "direction": "down"}
        response = getattr(client, method)(reverse(name, kwargs={"entry_id": entry.pk}), data)
        assert response.status_code == 404, (name, method)
    response = client.post(
        reverse("office:faq_add"), {"category": category.pk, "question": "Взлом?", "answer": "Да."}
    )
    assert response.status_code == 400
    assert "Эту категорию ведёт другая организация" in _field_error(response.content.decode(), "category")
    entry.refresh_from_db()
    assert (entry.question, entry.order) == ("Когда заделают яму?", 1)
    assert FaqEntry.objects.count() == 2


def test_s2_5_the_other_way_round_too(client, moderator, kbu_entry):
    client.force_login(moderator)
    assert client.get(reverse("office:faq_edit", kwargs={"entry_id": kbu_entry.pk})).status_code == 404
    assert client.post(reverse("office:faq_delete", kwargs={"entry_id": kbu_entry.pk})).status_code == 404
    response = client.post(
        reverse("office:faq_add"), {"category": kbu_entry.category_id, "question": "Взлом?", "answer": "Да."}
    )
    assert response.status_code == 400
    assert FaqEntry.objects.filter(pk=kbu_entry.pk).exists()


# --- §2.7 proposals -----------------------------------------------------------------------------------


def test_s2_7_a_proposal_from_the_back_office_names_the_officials_organization(
    client, other_org_executor, world, admin_user
):
    client.force_login(other_org_executor)
    response = client.post(
        reverse("office:proposals"),
        {
            "changes_category": world["potholes"].pk,
            "category_description": "Ямы, выбоины, просевший асфальт.",
            "routing_proposal": "Как прежде.",
            "proposing_organization": world["administration"].pk,  # ignored
        },
    )
    assert response.status_code == 302
    proposal = TopicProposal.objects.get()
    assert proposal.proposing_organization == world["kbu"]
    assert (proposal.topic_name, proposal.category_name) == ("Дороги", "Ямы на дорогах")
    assert proposal.responsible_organization == world["administration"]
    page = client.get(reverse("office:proposals")).content.decode()
    assert "на рассмотрении" in page

    # Another organisation does not see it.
    client.force_login(admin_user)
    assert (
        "Ямы на дорогах"
        not in client.get(reverse("office:proposals"))
        .content.decode()
        .split("Предложения вашей организации")[1]
    )


def test_s2_7_a_new_category_needs_a_topic_and_a_responsible_organization(client, executor):
    client.force_login(executor)
    response = client.post(reverse("office:proposals"), {"category_name": "Разметка", "routing_proposal": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert _field_error(html, "topic_name") == "Укажите тему: существующую или новую."
    assert (
        _field_error(html, "responsible_organization")
        == "Выберите организацию, которая будет готовить ответы."
    )
    assert _field_error(html, "routing_proposal")
    assert not TopicProposal.objects.exists()


# --- who gets in ----------------------------------------------------------------------------------------

PAGES = ["office:organization", "office:faq", "office:proposals"]


@pytest.mark.parametrize("name", PAGES)
def test_citizens_are_refused_and_guests_sent_to_login(client, citizen, name, kbu_entry):
    assert client.get(reverse(name)).status_code == 302
    client.force_login(citizen)
    assert client.get(reverse(name)).status_code == 403
    if name != "office:faq":  # a page without a form: POST is 405 for everyone
        assert client.post(reverse(name), CONTACTS).status_code == 403


@pytest.mark.parametrize("name", ["office:faq_edit", "office:faq_move", "office:faq_delete"])
def test_citizens_cannot_touch_an_entry(client, citizen, kbu_entry, name):
    client.force_login(citizen)
    assert client.post(reverse(name, kwargs={"entry_id": kbu_entry.pk}), {"question": "x"}).status_code == 403
    kbu_entry.refresh_from_db()
    assert kbu_entry.question == "Кто пилит деревья?"


def test_a_retired_official_is_refused(client, executor):
    executor.official.is_active = False
    executor.official.save()
    client.force_login(executor)
    assert client.post(reverse("office:organization"), CONTACTS).status_code == 403
    assert Organization.objects.get(key="adm").phones == ""


def test_staff_pages_are_not_cached(client, executor):
    client.force_login(executor)
    response = client.get(reverse("office:organization"))
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
