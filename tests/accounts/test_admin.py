"""The user admin (issue 11, item 3): administrators of the group cannot hand out rights.

Only a superuser sees or changes is_superuser, groups and user_permissions, and only a superuser edits or
deletes an account with admin access of its own (a superuser, another administrator, oneself).
"""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts.models import User
from directory.loader import ADMINISTRATORS_GROUP
from tests.factories import OfficialFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def group_admin(world):
    """An administrator of Appendix 2 with every permission on accounts, auth and directory: the worst case."""
    group, _ = Group.objects.get_or_create(name=ADMINISTRATORS_GROUP)
    group.permissions.set(
        Permission.objects.filter(content_type__app_label__in=["accounts", "auth", "directory"])
    )
    user = UserFactory(email="group-admin@city.ru", is_staff=True)
    user.groups.add(group)
    OfficialFactory(user=user, organization=world["administration"], role="administrator")
    return user


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root@city.ru", "secret-pass-123")


def _change_data(user, **extra):
    return {
        "email": user.email,
        "full_name": user.full_name,
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%d.%m.%Y"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "official-TOTAL_FORMS": "0",
        "official-INITIAL_FORMS": "0",
        "official-MIN_NUM_FORMS": "0",
        "official-MAX_NUM_FORMS": "1",
        **extra,
    }


def _privileges():
    group = Group.objects.get(name=ADMINISTRATORS_GROUP)
    permission = Permission.objects.get(codename="delete_user")
    return {"is_staff": "on", "is_superuser": "on", "groups": [group.pk], "user_permissions": [permission.pk]}


def test_group_admin_does_not_see_the_privilege_fields(client, group_admin, citizen):
    client.force_login(group_admin)
    page = client.get(reverse("admin:accounts_user_change", args=[citizen.pk])).content.decode()
    assert 'name="full_name"' in page
    for name in ("is_staff", "is_superuser", "groups", "user_permissions"):
        assert f'name="{name}"' not in page


def test_group_admin_cannot_grant_rights_to_a_citizen(client, group_admin, citizen):
    client.force_login(group_admin)
    url = reverse("admin:accounts_user_change", args=[citizen.pk])
    response = client.post(url, _change_data(citizen, full_name="Алиса П.", **_privileges()))
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.full_name == "Алиса П."  # the ordinary fields still work
    assert not citizen.is_superuser and not citizen.is_staff
    assert not citizen.groups.exists() and not citizen.user_permissions.exists()


def test_group_admin_cannot_make_themselves_superuser(client, group_admin):
    client.force_login(group_admin)
    url = reverse("admin:accounts_user_change", args=[group_admin.pk])
    response = client.post(url, _change_data(group_admin, **_privileges()))
    assert response.status_code == 403
    group_admin.refresh_from_db()
    assert not group_admin.is_superuser and not group_admin.user_permissions.exists()


def test_group_admin_is_refused_on_a_superuser(client, group_admin, superuser):
    client.force_login(group_admin)
    for name, args in [
        ("admin:accounts_user_change", [superuser.pk]),
        ("admin:auth_user_password_change", [superuser.pk]),
        ("admin:accounts_user_delete", [superuser.pk]),
        ("admin:accounts_user_history", [superuser.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 403, name
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_selected", "_selected_action": [superuser.pk], "post": "yes"},
    )
    assert response.status_code == 403
    assert User.objects.filter(pk=superuser.pk, is_active=True).exists()


def test_group_admin_cannot_edit_another_administrator(client, group_admin, world):
    other = UserFactory(email="other-admin@city.ru", is_staff=True)
    client.force_login(group_admin)
    url = reverse("admin:accounts_user_change", args=[other.pk])
    assert client.post(url, _change_data(other, is_active="")).status_code == 403
    other.refresh_from_db()
    assert other.is_active


def test_superuser_sees_and_grants_rights(client, superuser, group_admin, citizen):
    client.force_login(superuser)
    url = reverse("admin:accounts_user_change", args=[citizen.pk])
    assert 'name="is_superuser"' in client.get(url).content.decode()
    assert client.post(url, _change_data(citizen, **_privileges())).status_code == 302
    citizen.refresh_from_db()
    assert (
        citizen.is_staff
        and citizen.is_superuser
        and citizen.groups.filter(name=ADMINISTRATORS_GROUP).exists()
    )
    assert client.get(reverse("admin:accounts_user_change", args=[group_admin.pk])).status_code == 200
