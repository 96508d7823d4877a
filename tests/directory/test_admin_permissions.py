"""Issue 11.2: administrators manage reference data; they cannot run code on the server."""

import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django_q.models import Schedule

from accounts.models import User
from directory.loader import ADMINISTRATOR_PERMISSIONS, ADMINISTRATORS_GROUP
from directory.models import Official

pytestmark = pytest.mark.django_db


def _granted(group):
    return {
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
    }


def test_the_group_has_exactly_the_allow_list(reference_data):
    assert _granted(Group.objects.get(name=ADMINISTRATORS_GROUP)) == ADMINISTRATOR_PERMISSIONS
    django_q = {p for p in ADMINISTRATOR_PERMISSIONS if p.startswith("django_q.")}
    assert django_q == {"django_q.view_success", "django_q.view_failure", "django_q.view_schedule"}


def test_bootstrap_takes_back_what_an_earlier_release_granted(reference_data):
    group = Group.objects.get(name=ADMINISTRATORS_GROUP)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="django_q"))
    call_command("bootstrap", stdout=io.StringIO())
    assert _granted(group) == ADMINISTRATOR_PERMISSIONS


@pytest.fixture
def administrator(reference_data, client):
    user = Official.objects.select_related("user").get(appendix_row=21).user
    assert user.is_staff and not user.is_superuser
    client.force_login(user)
    return user


def test_an_administrator_cannot_add_a_schedule(client, administrator):
    before = Schedule.objects.count()
    assert client.get("/admin/django_q/schedule/").status_code == 200  # may look
    assert client.get("/admin/django_q/schedule/add/").status_code == 403
    response = client.post(
        "/admin/django_q/schedule/add/",
        {"name": "x", "func": "os.system", "args": "'id'", "schedule_type": "O", "repeats": "-1"},
    )
    assert response.status_code == 403
    assert Schedule.objects.count() == before


def test_an_administrator_cannot_change_a_schedule(client, administrator):
    schedule = Schedule.objects.first()
    func = schedule.func
    response = client.post(
        f"/admin/django_q/schedule/{schedule.pk}/change/",
        {"name": schedule.name, "func": "os.system", "schedule_type": schedule.schedule_type},
    )
    assert response.status_code == 403
    schedule.refresh_from_db()
    assert schedule.func == func


# --- issue 11.3: only a superuser makes, edits or removes an administrator ---------------------------


def _official_data(official, **extra):
    return {
        "user": official.user_id,
        "organization": official.organization_id,
        "position": official.position,
        "role": official.role,
        "categories": [c.pk for c in official.categories.all()],
        "appendix_row": official.appendix_row or "",
        "is_active": "on" if official.is_active else "",
        **extra,
    }


def _new_official_data(organization, **extra):
    return {
        "email": "new-admin@city.ru",
        "full_name": "Новый Администратор",
        "organization": organization.pk,
        "position": "Ведущий специалист",
        "role": "administrator",
        "is_active": "on",
        **extra,
    }


def test_an_administrator_cannot_change_or_delete_an_administrators_official(client, administrator):
    for row in (21, 22):  # their own row and a colleague's
        official = Official.objects.get(appendix_row=row)
        change = f"/admin/directory/official/{official.pk}/change/"
        page = client.get(change)
        assert page.status_code == 200  # may look (read-only)
        assert 'name="role"' not in page.content.decode()
        assert (
            client.post(change, _official_data(official, is_active="", role="moderator")).status_code == 403
        )
        assert client.get(f"/admin/directory/official/{official.pk}/delete/").status_code == 403
        response = client.post(
            "/admin/directory/official/",
            {"action": "delete_selected", "_selected_action": [official.pk], "post": "yes"},
        )
        assert response.status_code == 403
        official.refresh_from_db()
        assert official.is_active and official.role == Official.Role.ADMINISTRATOR


def test_an_administrator_is_not_offered_the_administrator_role(client, administrator):
    page = client.get("/admin/directory/official/add/").content.decode()
    assert 'value="moderator"' in page and 'value="administrator"' not in page
    organization = Official.objects.get(appendix_row=21).organization
    response = client.post("/admin/directory/official/add/", _new_official_data(organization))
    assert response.status_code == 200  # the form again, with the error
    assert not Official.objects.filter(user__email="new-admin@city.ru").exists()
    assert not User.objects.filter(email="new-admin@city.ru").exists()


def test_an_administrator_cannot_raise_an_official_to_administrator(client, administrator):
    moderator = Official.objects.get(appendix_row=1)
    change = f"/admin/directory/official/{moderator.pk}/change/"
    assert 'value="administrator"' not in client.get(change).content.decode()
    response = client.post(change, _official_data(moderator, role="administrator", categories=[]))
    assert response.status_code == 200
    moderator.refresh_from_db()
    assert moderator.role == Official.Role.MODERATOR


def test_an_administrator_cannot_raise_an_official_on_the_account_page(client, administrator):
    moderator = Official.objects.select_related("user").get(appendix_row=1)
    user = moderator.user
    data = {
        "email": user.email,
        "full_name": user.full_name,
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%d.%m.%Y"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "official-TOTAL_FORMS": "1",
        "official-INITIAL_FORMS": "1",
        "official-MIN_NUM_FORMS": "0",
        "official-MAX_NUM_FORMS": "1",
        "official-0-id": moderator.pk,
        "official-0-user": user.pk,
        "official-0-organization": moderator.organization_id,
        "official-0-position": moderator.position,
        "official-0-role": "administrator",
        "official-0-is_active": "on",
    }
    url = f"/admin/accounts/user/{user.pk}/change/"
    assert 'value="administrator"' not in client.get(url).content.decode()
    assert client.post(url, data).status_code == 200  # the form again, with the error
    moderator.refresh_from_db()
    user.refresh_from_db()
    assert moderator.role == Official.Role.MODERATOR and not user.is_staff


def test_an_administrators_account_page_is_refused_even_without_is_staff(client, administrator):
    colleague = Official.objects.select_related("user").get(appendix_row=22).user
    User.objects.filter(pk=colleague.pk).update(is_staff=False)
    url = f"/admin/accounts/user/{colleague.pk}/change/"
    assert client.get(url).status_code == 403


def test_a_superuser_makes_an_administrator(client, reference_data):
    client.force_login(User.objects.create_superuser("root@city.ru", "secret-pass-123"))
    organization = Official.objects.get(appendix_row=21).organization
    page = client.get("/admin/directory/official/add/").content.decode()
    assert 'value="administrator"' in page
    response = client.post("/admin/directory/official/add/", _new_official_data(organization))
    assert response.status_code == 302
    user = User.objects.get(email="new-admin@city.ru")
    assert user.is_staff and user.groups.filter(name=ADMINISTRATORS_GROUP).exists()
    colleague = Official.objects.get(appendix_row=22)
    change = f"/admin/directory/official/{colleague.pk}/change/"
    assert client.post(change, _official_data(colleague, is_active="")).status_code == 302
    colleague.refresh_from_db()
    assert not colleague.is_active
