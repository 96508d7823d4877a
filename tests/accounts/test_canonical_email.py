"""One canonical form of an e-mail address (issue 11, item 1): look-alike addresses cannot lock the owner out.

PostgreSQL's UPPER() folds the dotless «ı» into «I», so before the fix `email__iexact` matched the owner and
an imitation «alıce@…» at once and the owner's login raised MultipleObjectsReturned (run these tests with
DATABASE_URL pointing at PostgreSQL to see it).
"""

import importlib

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.emails import LOOKALIKE_MESSAGE, canonical_email, email_clean
from accounts.models import User
from messages.tasks import deliver_outbox
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pass-123"
KELVIN = "\u212a"  # «K», folds to a plain "k"
LONG_S = "\u017f"  # «ſ», folds to a plain "s"


def _verified(user):
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def lookalike(citizen):
    """An imitation of alice@example.ru as it could be stored before the fix (sign-up did not refuse it)."""
    user = UserFactory(email="alıce@example.ru", full_name="Подделка")
    assert user.email == "alıce@example.ru"
    return user


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("Ivan.Petrov@Mail.RU", "ivan.petrov@mail.ru"),
        ("  anna@example.ru ", "anna@example.ru"),
        (f"{KELVIN}ate@example.ru", "kate@example.ru"),
        (f"{LONG_S}am@example.ru", "sam@example.ru"),
        ("a@\ufb01rm.ru", "a@firm.ru"),  # the «ﬁ» ligature
        ("a@ПОЧТА.РФ", "a@почта.рф"),
        ("a@xn--80a1acny.xn--p1ai", "a@почта.рф"),  # the same domain in IDNA
    ],
)
def test_canonical_form(typed, canonical):
    assert canonical_email(typed) == canonical


@pytest.mark.parametrize(
    "typed",
    ["cıtizen@example.ru", "İvan@example.ru", "a@cıty.ru", "a@gmaіl.com"],  # the last «і» is Cyrillic
)
def test_lookalike_addresses_are_refused(typed):
    with pytest.raises(ValidationError) as caught:
        email_clean(typed)
    assert caught.value.code == "lookalike"


def test_one_address_one_account_whatever_the_spelling():
    User.objects.create_user("kate@example.ru", "pass-12345-x")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(f"{KELVIN}ate@Example.RU", "other")
    assert User.objects.get_by_natural_key(f"{KELVIN}ATE@example.ru").email == "kate@example.ru"


def test_signup_with_a_lookalike_address_is_refused_next_to_the_field(client, citizen):
    _verified(citizen)
    response = client.post(
        "/accounts/signup/",
        {
            "email": "alıce@example.ru",
            "password1": "очень-длинный-пароль-42",
            "password2": "очень-длинный-пароль-42",
            "personal_data_consent": "on",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="id_email_error"' in body
    assert LOOKALIKE_MESSAGE.split("(")[0].strip() in body
    assert list(User.objects.values_list("email", flat=True)) == ["alice@example.ru"]


def test_owner_logs_in_although_a_lookalike_account_exists(client, citizen, lookalike):
    _verified(citizen)
    response = client.post("/accounts/login/", {"login": "Alice@Example.ru", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/cabinet/"
    assert client.get("/cabinet/").context["user"] == citizen


def test_staff_owner_reaches_the_admin_although_a_lookalike_account_exists(client, admin_user):
    _verified(admin_user)
    UserFactory(email="admın@city.ru")
    login = client.get("/admin/login/?next=/admin/")
    assert login.status_code == 302
    response = client.post(login["Location"], {"login": admin_user.email, "password": PASSWORD})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_password_reset_reaches_only_the_owner(client, citizen, lookalike):
    _verified(citizen)
    client.post("/accounts/password/reset/", {"email": "ALICE@example.ru"})
    deliver_outbox()  # account e-mails go out through the worker's outbox
    assert [m.to for m in mail.outbox] == [["alice@example.ru"]]
    mail.outbox.clear()
    response = client.post("/accounts/password/reset/", {"email": "alıce@example.ru"})
    assert 'id="id_email_error"' in response.content.decode()
    deliver_outbox()
    assert mail.outbox == []


def test_email_change_to_a_lookalike_is_refused(client, citizen, other_citizen):
    _verified(citizen)
    _verified(other_citizen)
    client.force_login(other_citizen)
    response = client.post("/accounts/email/", {"action_add": "", "email": "alıce@example.ru"})
    assert response.status_code == 200
    assert 'id="id_email_error"' in response.content.decode()
    assert list(EmailAddress.objects.filter(user=other_citizen).values_list("email", flat=True)) == [
        "bob@example.ru"
    ]


def test_migration_stores_the_canonical_form_and_parks_imitations():
    migration = importlib.import_module("accounts.migrations.0003_canonical_email")
    owner = UserFactory(email="sam@example.ru")
    imitation = UserFactory(email="sam2@example.ru")
    mixed = UserFactory(email="mixed@example.ru")
    # Rows as they could be stored before: written past save(), which now canonicalises.
    User.objects.filter(pk=imitation.pk).update(email=f"{LONG_S}am@example.ru")
    User.objects.filter(pk=mixed.pk).update(email="Mixed@ПОЧТА.РФ")
    EmailAddress.objects.create(user=imitation, email=f"{LONG_S}am@example.ru", verified=True)
    EmailAddress.objects.create(user=mixed, email="Mixed@ПОЧТА.РФ", verified=True, primary=True)

    migration.canonicalise(apps, None)

    owner.refresh_from_db()
    imitation.refresh_from_db()
    mixed.refresh_from_db()
    assert owner.email == "sam@example.ru" and owner.is_active
    assert imitation.email == f"lookalike-{imitation.pk}@deleted.invalid"
    assert not imitation.is_active and not imitation.has_usable_password()
    assert not EmailAddress.objects.filter(user=imitation).exists()
    assert mixed.email == "mixed@почта.рф"
    assert EmailAddress.objects.get(user=mixed).email == "mixed@почта.рф"
