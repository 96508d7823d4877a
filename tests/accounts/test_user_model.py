import pytest
from django.contrib.auth import authenticate
from django.db import IntegrityError

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_email_is_the_login_and_unique_case_insensitively():
    user = User.objects.create_user("Ivan.Petrov@Mail.RU", "pass-12345-x")
    assert user.email == "ivan.petrov@mail.ru"
    assert authenticate(username="IVAN.PETROV@mail.ru", password="pass-12345-x") == user
    with pytest.raises(IntegrityError):
        User.objects.create_user("ivan.petrov@MAIL.ru", "other")


def test_names_fall_back_to_email():
    user = User.objects.create_user("anna@example.ru")
    assert str(user) == user.get_full_name() == "anna@example.ru"
    assert not user.has_usable_password()
    user.full_name = "Анна Сергеевна Ким"
    assert user.get_short_name() == "Анна"


def test_superuser():
    admin = User.objects.create_superuser("root@example.ru", "x")
    assert admin.is_staff and admin.is_superuser
