"""The public list (filters, search, sort, pages) and the lookup by number (§4.8, §6.5)."""

import pytest
from django.urls import reverse

from messages import services
from tests.factories import processed_photos, registered, submit

pytestmark = pytest.mark.django_db
URL = "/messages/"


def _numbers(response):
    return [m.number for m in response.context["page"].object_list]


def test_list_shows_public_messages_only(client, citizen, moderator, category):
    public = registered(citizen, category, moderator, text="Открытая яма")
    private = submit(citizen, category, text="Ещё не проверено")
    response = client.get(URL)
    assert response.status_code == 200
    assert _numbers(response) == [public.number]
    body = response.content.decode()
    assert "Открытая яма" in body and "Ещё не проверено" not in body and private.number not in body


def test_list_hides_private_messages_even_from_their_author_and_search(client, citizen, category):
    private = submit(citizen, category, text="Секретная яма")
    client.force_login(citizen)
    for query in ({}, {"q": "Секретная"}, {"q": private.number}, {"state": "submitted"}):
        response = client.get(URL, query)
        assert _numbers(response) == []
        assert f"/m/{private.number}/" not in response.content.decode()


def test_filters_by_topic_category_state_and_organisation(
    client, citizen, moderator, other_org_executor, world, category
):
    in_adm = registered(citizen, category, moderator)
    in_kbu = registered(citizen, category, moderator, organization=world["kbu"])
    assert set(_numbers(client.get(URL, {"category": "potholes"}))) == {in_adm.number, in_kbu.number}
    assert set(_numbers(client.get(URL, {"topic": "roads"}))) == {in_adm.number, in_kbu.number}
    assert _numbers(client.get(URL, {"category": "lighting"})) == []
    assert _numbers(client.get(URL, {"organization": "kbu"})) == [in_kbu.number]
    assert set(_numbers(client.get(URL, {"state": "registered"}))) == {in_adm.number, in_kbu.number}
    assert _numbers(client.get(URL, {"state": "closed"})) == []


def test_unknown_filter_values_are_ignored_not_fatal(client, citizen, moderator, category):
    public = registered(citizen, category, moderator)
    response = client.get(URL, {"category": "nope", "state": "submitted", "sort": "x", "page": "zz"})
    assert response.status_code == 200
    assert _numbers(response) == [public.number]


def test_text_search_over_text_address_and_number_case_insensitively(client, citizen, moderator, category):
    pothole = registered(citizen, category, moderator, text="Глубокая Яма у школы")
    other = registered(citizen, category, moderator, text="Сломан люк")
    assert _numbers(client.get(URL, {"q": "яма"})) == [pothole.number]
    assert _numbers(client.get(URL, {"q": "ЯМА"})) == [pothole.number]
    assert set(_numbers(client.get(URL, {"q": "Ленина"}))) == {pothole.number, other.number}
    assert _numbers(client.get(URL, {"q": other.number})) == [other.number]
    short = other.number.split("-")[0] + "-" + str(int(other.number.split("-")[1]))
    assert _numbers(client.get(URL, {"q": short})) == [other.number]


def test_sort_newest_and_most_supported(client, citizen, other_citizen, moderator, category):
    older = registered(citizen, category, moderator, text="первое")
    newer = registered(citizen, category, moderator, text="второе")
    services.message_support(message=older, user=other_citizen)
    assert _numbers(client.get(URL)) == [newer.number, older.number]
    assert _numbers(client.get(URL, {"sort": "supported"})) == [older.number, newer.number]


def test_pagination(client, citizen, moderator, category):
    for i in range(21):
        registered(citizen, category, moderator, text=f"Яма {i}")
    first = client.get(URL)
    assert len(first.context["page"].object_list) == 20
    assert 'rel="next"' in first.content.decode()
    second = client.get(URL, {"page": 2})
    assert len(second.context["page"].object_list) == 1


def test_list_shows_card_details_and_thumbnail(client, citizen, moderator, category):
    message = registered(citizen, category, moderator, photos=processed_photos(1))
    body = client.get(URL).content.decode()
    thumb = reverse(
        "portal:photo_thumb", kwargs={"number": message.number, "token": message.photos.get().token}
    )
    for piece in (
        message.number,
        "Ямы на дорогах",
        "ул. Ленина, 5",
        "зарегистрировано",
        "поддержали: 0",
        thumb,
    ):
        assert piece in body


def test_list_wrong_method(client):
    assert client.post(URL).status_code == 405


# --- lookup by number (§6.5) ----------------------------------------------------------------------


def test_lookup_redirects_to_a_public_message_for_anyone(client, citizen, moderator, category):
    message = registered(citizen, category, moderator)
    response = client.get("/lookup/", {"number": f"№ {message.number}"})
    assert response.status_code == 302
    assert response["Location"] == f"/m/{message.number}/"


def test_lookup_of_private_message_looks_like_unknown(client, citizen, other_citizen, category):
    private = submit(citizen, category)
    client.force_login(other_citizen)
    hidden = client.get("/lookup/", {"number": private.number})
    unknown = client.get("/lookup/", {"number": "1999-000001"})
    assert hidden.status_code == unknown.status_code == 404
    assert "не найдено" in hidden.content.decode()


def test_lookup_finds_own_private_message_for_its_author(client, citizen, category):
    private = submit(citizen, category)
    client.force_login(citizen)
    assert client.get("/lookup/", {"number": private.number})["Location"] == f"/m/{private.number}/"


def test_lookup_form_errors_and_method(client):
    response = client.get("/lookup/", {"number": "яма"})
    assert response.status_code == 200
    assert "Номер выглядит так" in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert client.post("/lookup/", {"number": "2026-000001"}).status_code == 405


def test_lookup_form_is_on_every_portal_page(client):
    for url in ("/", "/messages/", "/organizations/", "/faq/", "/rules/", "/accounts/login/"):
        assert 'action="/lookup/"' in client.get(url).content.decode(), url


# --- bounded counting and paging (issue 14) --------------------------------------------------------


@pytest.fixture
def small_pages(monkeypatch):
    from portal import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    monkeypatch.setattr(views, "MAX_PAGES", 2)


def test_list_counts_no_further_than_it_shows(client, citizen, moderator, category, small_pages):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    made = [registered(citizen, category, moderator, text=f"Яма {i}") for i in range(6)]
    with CaptureQueriesContext(connection) as context:
        body = client.get(URL).content.decode()
    assert "Найдено более 4 сообщений. Показаны 4 самых новых" in body
    assert "Страница 1 из 2" in body
    counts = [
        q["sql"] for q in context.captured_queries if "COUNT(" in q["sql"] and "citizen_messages" in q["sql"]
    ]
    assert len(counts) == 1 and "LIMIT 5" in counts[0] and "photo" not in counts[0], counts
    # Past the last page: the last page, as for any page number out of range.
    deep = client.get(URL, {"page": 500})
    assert _numbers(deep) == [made[2].number, made[3].number][::-1]
    assert "Страница 2 из 2" in deep.content.decode()
    assert 'rel="next"' not in deep.content.decode()


def test_list_count_is_exact_below_the_bound(client, citizen, moderator, category, small_pages):
    for i in range(3):
        registered(citizen, category, moderator, text=f"Яма {i}")
    body = client.get(URL).content.decode()
    assert "Найдено сообщений: 3" in body and "Страница 1 из 2" in body
