"""The administrators' pages (Django admin): "who handles what" and creating an official in one form."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import User
from directory import routing
from directory.loader import ADMINISTRATORS_GROUP
from directory.models import Official
from tests.factories import OfficialFactory, UserFactory


def test_coverage_page_marks_gaps_in_red(client, admin_user, moderator, executor, world):
    client.force_login(admin_user)
    response = client.get(reverse("admin:directory_coverage"))
    assert response.status_code == 200
    page = response.content.decode()
    rows = {r["category"].key: r for r in response.context["rows"]}
    # potholes: a moderator and answerers at the responsible organisation
    assert not rows["potholes"]["nobody_answers"]
    # lighting: nobody serves it; supervisors are absent in this world, so nobody moderates either
    assert rows["lighting"]["nobody_moderates"] and rows["lighting"]["nobody_answers"]
    assert '<tr class="gap" data-category="lighting">' in page
    assert '<tr class="" data-category="potholes">' in page
    assert "Некому модерировать" in page
    assert "никто — направить сюда нельзя" in page  # КБУ has no potholes executor here
    assert response.context["gaps"] == 1


def test_coverage_page_agrees_with_routing(
    client, admin_user, moderator, executor, other_org_executor, world
):
    """Generated from routing.coverage(): each listed answerer is accepted by routing.can_answer."""
    client.force_login(admin_user)
    for row in client.get(reverse("admin:directory_coverage")).context["rows"]:
        for org in row["organizations"]:
            for official in org["answerers"]:
                assert routing.can_answer(official, row["category"], org["organization"])
        for official in row["moderators"]:
            assert routing.can_moderate(official, row["category"])


def test_supervisor_fills_the_moderation_gap(client, admin_user, supervisor, world):
    client.force_login(admin_user)
    page = client.get(reverse("admin:directory_coverage")).content.decode()
    assert "Только мониторинг работы платформы" in page
    assert "Некому модерировать" not in page


def test_coverage_page_on_the_real_appendix(client, admin_user, reference_data):
    client.force_login(admin_user)
    response = client.get(reverse("admin:directory_coverage"))
    assert response.status_code == 200
    names = [r["category"].name for r in response.context["rows"]]
    assert "Освещение" in names and "Другая проблема" in names


def test_coverage_page_needs_admin_rights(client, moderator, world):
    assert client.get(reverse("admin:directory_coverage")).status_code == 302
    client.force_login(moderator)
    assert client.get(reverse("admin:directory_coverage")).status_code == 302  # not staff: admin login
    staff = UserFactory(email="staff@city.ru", is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("admin:directory_coverage")).status_code == 403  # staff without the right


def test_category_list_links_to_coverage(client, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("admin:directory_category_changelist")).content.decode()
    assert reverse("admin:directory_coverage") in page


def _add(client, **data):
    return client.post(reverse("admin:directory_official_add"), data)


def test_create_official_with_a_new_account_in_one_form(client, admin_user, world):
    client.force_login(admin_user)
    page = client.get(reverse("admin:directory_official_add")).content.decode()
    assert 'name="email"' in page and 'name="categories"' in page
    response = _add(
        client,
        email="New.Executor@KBU.ru",
        full_name="Новый Исполнитель",
        organization=world["kbu"].pk,
        position="инженер",
        role="executor",
        categories=[world["potholes"].pk],
        is_active="on",
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email="new.executor@kbu.ru")
    assert not user.has_usable_password()
    assert user.full_name == "Новый Исполнитель"
    official = user.official
    assert (official.organization, official.role) == (world["kbu"], "executor")
    assert list(official.categories.all()) == [world["potholes"]]
    assert official.history.filter(history_type="+").exists()
    assert routing.can_answer(official, world["potholes"], world["kbu"])


def test_create_official_for_an_existing_citizen(client, admin_user, citizen, world):
    EmailAddress.objects.create(user=citizen, email=citizen.email, verified=True, primary=True)
    client.force_login(admin_user)
    response = _add(
        client,
        email=citizen.email.upper(),
        full_name="Другое имя",
        organization=world["administration"].pk,
        position="специалист",
        role="moderator",
        categories=[world["lighting"].pk],
        is_active="on",
    )
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.official.role == "moderator"
    assert citizen.full_name == "Алиса Иванова"  # an existing name is kept


def test_new_administrator_gets_the_admin(client, admin_user, world, reference_data):
    client.force_login(admin_user)
    _add(
        client,
        email="second-admin@city.ru",
        full_name="Второй Администратор",
        organization=world["administration"].pk,
        position="администратор",
        role="administrator",
        is_active="on",
    )
    user = User.objects.get(email="second-admin@city.ru")
    assert user.is_staff
    assert user.groups.filter(name=ADMINISTRATORS_GROUP).exists()
    assert Group.objects.get(name=ADMINISTRATORS_GROUP).permissions.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "executor@adm.ru"}, "email"),  # already an official
        ({"role": "supervisor", "categories": ["potholes"]}, "categories"),
        ({"email": "not-an-email"}, "email"),
    ],
)
def test_create_official_errors(client, admin_user, executor, world, data, field):
    client.force_login(admin_user)
    base = {
        "email": "someone@city.ru",
        "full_name": "Кто-то",
        "organization": world["administration"].pk,
        "position": "специалист",
        "role": "executor",
        "is_active": "on",
    }
    if "categories" in data:
        data = {**data, "categories": [world[k].pk for k in data["categories"]]}
    response = _add(client, **{**base, **data})
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert Official.objects.count() == 2  # executor + admin only


def test_change_form_of_an_official_is_the_usual_one(client, admin_user, executor):
    client.force_login(admin_user)
    response = client.get(reverse("admin:directory_official_change", args=[executor.official.pk]))
    assert response.status_code == 200
    assert 'name="email"' not in response.content.decode()


def test_user_page_shows_the_official_role(client, admin_user, executor):
    client.force_login(admin_user)
    page = client.get(reverse("admin:accounts_user_change", args=[executor.pk])).content.decode()
    assert "роль должностного лица" in page.lower()
    assert 'name="official-0-role"' in page


def test_official_of_other_org_listed_with_history(client, admin_user, world):
    OfficialFactory(user=UserFactory(email="x@kbu.ru"), organization=world["kbu"], role="executor")
    client.force_login(admin_user)
    assert client.get(reverse("admin:directory_official_changelist")).status_code == 200


# --- a role only for an account whose owner proved the address (issue 11, item 1) ------------------

NEW_ADMIN = {
    "full_name": "Второй Администратор",
    "position": "администратор",
    "role": "administrator",
    "is_active": "on",
}


def test_official_form_never_attaches_the_role_to_a_lookalike_account(client, admin_user, world):
    """PostgreSQL's UPPER() folds «ı» into «I»: `iexact` used to pick the imitation «second-admın@…»."""
    imitation = UserFactory(email="second-admın@city.ru")
    client.force_login(admin_user)
    response = _add(
        client, email="Second-Admin@city.ru", organization=world["administration"].pk, **NEW_ADMIN
    )
    assert response.status_code == 302
    imitation.refresh_from_db()
    assert not hasattr(imitation, "official") and not imitation.is_staff
    assert not imitation.groups.exists()
    assert User.objects.get(email="second-admin@city.ru").official.role == "administrator"


def test_official_form_refuses_a_lookalike_address(client, admin_user, world):
    client.force_login(admin_user)
    response = _add(
        client, email="second-admın@city.ru", organization=world["administration"].pk, **NEW_ADMIN
    )
    assert response.status_code == 200
    assert "похожи на латинские" in str(response.context["adminform"].form.errors["email"])
    assert not User.objects.filter(email__startswith="second-").exists()


def test_official_form_refuses_an_unverified_existing_account(client, admin_user, citizen, world):
    client.force_login(admin_user)
    response = _add(client, email=citizen.email, organization=world["administration"].pk, **NEW_ADMIN)
    assert response.status_code == 200
    assert "не подтвердил адрес" in str(response.context["adminform"].form.errors["email"])
    citizen.refresh_from_db()
    assert not hasattr(citizen, "official") and not citizen.is_staff and not citizen.groups.exists()


def _user_change_data(user, **official):
    data = {
        "email": user.email,
        "full_name": user.full_name,
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%d.%m.%Y"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "official-TOTAL_FORMS": "1",
        "official-INITIAL_FORMS": "0",
        "official-MIN_NUM_FORMS": "0",
        "official-MAX_NUM_FORMS": "1",
    }
    data.update({f"official-0-{key}": value for key, value in official.items()})
    return data


def test_role_inline_on_the_account_page_refuses_an_unverified_account(client, admin_user, citizen, world):
    client.force_login(admin_user)
    url = reverse("admin:accounts_user_change", args=[citizen.pk])
    role = {"organization": world["administration"].pk, "position": "специалист", "role": "administrator"}
    response = client.post(url, _user_change_data(citizen, **role))
    assert response.status_code == 200
    assert "не подтвердил адрес" in response.content.decode()
    assert not Official.objects.filter(user=citizen).exists()

    EmailAddress.objects.create(user=citizen, email=citizen.email, verified=True, primary=True)
    response = client.post(url, _user_change_data(citizen, **role))
    assert response.status_code == 302
    assert Official.objects.get(user=citizen).role == "administrator"


def test_official_change_form_refuses_to_move_a_role_to_an_unverified_account(
    client, admin_user, executor, citizen
):
    client.force_login(admin_user)
    official = executor.official
    url = reverse("admin:directory_official_change", args=[official.pk])
    data = {
        "user": citizen.pk,
        "organization": official.organization_id,
        "position": official.position,
        "role": official.role,
        "categories": [c.pk for c in official.categories.all()],
        "is_active": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "не подтвердил адрес" in str(response.context["adminform"].form.errors["user"])
    official.refresh_from_db()
    assert official.user == executor
