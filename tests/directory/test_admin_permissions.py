"""Issue 11.2: administrators manage reference data; they cannot run code on the server."""

import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django_q.models import Schedule

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
