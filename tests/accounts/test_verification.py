"""Issue 10.5: staff logins work as printed by `bootstrap --demo`, and an invited official confirms the
address once — on the password-setting link — through the real allauth pages."""

import io
import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from accounts.verification import email_verify_by_password_reset
from directory.models import Official
from messages.tasks import deliver_outbox

pytestmark = pytest.mark.django_db
User = get_user_model()
NEW_PASSWORD = "Ochen-dlinnyi-parol-42"


def _login(client, email, password):
    return client.post("/accounts/login/", {"login": email, "password": password})


def test_demo_staff_logins_work_as_printed(client, settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("bootstrap", "--demo", stdout=out)
    printed = re.findall(r"^  (\S+@\S+)\s+(.+)$", out.getvalue(), re.MULTILINE)
    staff = [email for email, what in printed if "житель" not in what]
    assert len(staff) == 6
    for email in [*staff, "citizen@demo.zarechny.local"]:
        response = _login(client, email, "zarechny-demo")
        assert response.status_code == 302, email
        assert "confirm-email" not in response["Location"], email
        assert response["Location"] in ("/office/", "/cabinet/"), (email, response["Location"])
        client.logout()


def _set_password_through_the_reset_link(client, email):
    mail.outbox.clear()
    response = client.post("/accounts/password/reset/", {"email": email})
    assert response.status_code == 302
    deliver_outbox()  # account e-mails go out through the worker's outbox
    (letter,) = mail.outbox
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", letter.body).group(1)
    form_url = client.get(link)["Location"]  # allauth swaps the key for a session token
    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302 and "/done/" in response["Location"], response.content[:500]


def _assert_first_login_opens_the_office(client, email):
    mail.outbox.clear()
    response = _login(client, email, NEW_PASSWORD)
    assert response["Location"] == "/office/"
    deliver_outbox()
    assert mail.outbox == []  # no second "confirm your address" letter
    address = EmailAddress.objects.get(email=email)
    assert address.verified and address.primary


def test_official_added_by_an_administrator_confirms_once(client, admin_user, world):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:directory_official_add"),
        {
            "email": "new-official@city.ru",
            "full_name": "Новый Сотрудник",
            "organization": world["administration"].pk,
            "position": "специалист",
            "role": "executor",
            "categories": [world["potholes"].pk],
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    client.logout()
    assert not User.objects.get(email="new-official@city.ru").has_usable_password()
    _set_password_through_the_reset_link(client, "new-official@city.ru")
    _assert_first_login_opens_the_office(client, "new-official@city.ru")


def test_appendix_2_official_confirms_once(client, reference_data):
    email = Official.objects.select_related("user").get(appendix_row=3).user.email
    _set_password_through_the_reset_link(client, email)
    _assert_first_login_opens_the_office(client, email)


def test_reset_does_not_verify_when_the_account_has_another_address(citizen):
    """The link may have gone to the other (say, pending) address: user.email is proven by nothing."""
    EmailAddress.objects.create(user=citizen, email="new-address@example.ru", verified=False, primary=False)
    assert email_verify_by_password_reset(user=citizen) is False
    assert not EmailAddress.objects.filter(email=citizen.email).exists()
