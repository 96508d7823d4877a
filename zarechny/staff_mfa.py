"""Two-factor authentication for staff (issue 11): the back-office and the admin open only to staff who
have enrolled an authenticator app.

Officials and administrators see unpublished messages and citizens' personal data (152-ФЗ), so a stolen
password alone must not open them. allauth asks for the code after the password at every login of an
account with an authenticator; this middleware makes the enrolment itself compulsory for staff when
STAFF_REQUIRE_MFA is on. It lives in the project package because it names the faces it guards.
"""

from functools import cache

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.shortcuts import redirect
from django.urls import get_script_prefix, get_urlconf, reverse

from directory.models import Official
from directory.routing import official_with_organization

GUARDED_NAMESPACES = {"office", "admin"}


def guarded_prefixes():
    """Everything under the back-office's and the admin's roots, whichever app serves it (the staff
    statistics live in the stats app under the back-office's root); taken from the URLconf, not written.
    Reversed once per URLconf and script prefix: every request asks (issue 14)."""
    return _guarded_prefixes(get_urlconf(), get_script_prefix())


@cache
def _guarded_prefixes(urlconf, script_prefix):
    return (reverse("office:home", urlconf=urlconf), reverse("admin:index", urlconf=urlconf))


ENROL_MESSAGE = (
    "Рабочий кабинет и администрирование открываются только после подключения двухфакторной "
    "аутентификации: сотрудники видят неопубликованные сообщения и персональные данные жителей. "
    "Подключите приложение-аутентификатор — после этого при входе, кроме пароля, будет нужен код из него."
)


def is_staff_member(user) -> bool:
    """Anyone who works in the back-office or the admin: an official of Appendix 2 or a staff account.
    An official's row comes with whether the account has an authenticator app, in the same query: the
    guard asks both on every staff request (issue 14)."""
    if user.is_staff:
        return True
    official = official_with_organization(user, **{HAS_TOTP: _totp_exists()})
    if official is None:
        return False
    if hasattr(official, HAS_TOTP):  # read with this row, not a row cached before the guard asked
        setattr(user, HAS_TOTP, getattr(official, HAS_TOTP))
    return True


HAS_TOTP = "_zarechny_has_totp"


def _totp_exists() -> RawSQL:
    """SQL over an Official row: its account has an authenticator app (allauth's rule of
    `is_mfa_enabled`: any row of the type). Written out rather than as Exists(Authenticator…): Django
    compiled that subquery anew on every staff request, a third of the guard's query time (issue 14);
    tests/test_staff_mfa.py holds it to allauth's rule."""
    quote = connection.ops.quote_name
    authenticator, official = Authenticator._meta, Official._meta
    return RawSQL(
        f"EXISTS (SELECT 1 FROM {quote(authenticator.db_table)} mfa"
        f" WHERE mfa.{quote(authenticator.get_field('user').column)}"
        f" = {quote(official.db_table)}.{quote(official.get_field('user').column)}"
        f" AND mfa.{quote(authenticator.get_field('type').column)} = %s)",
        (Authenticator.Type.TOTP.value,),
        output_field=BooleanField(),
    )


def needs_enrolment(user) -> bool:
    return (
        settings.STAFF_REQUIRE_MFA
        and user.is_authenticated
        and is_staff_member(user)
        and not _has_authenticator(user)
    )


def _has_authenticator(user) -> bool:
    """Asked by the guard and again by every staff view: read once per request (the user object lives as
    long as the request), not once per asking (issue 14)."""
    known = getattr(user, HAS_TOTP, None)
    if known is None:
        known = is_mfa_enabled(user, [Authenticator.Type.TOTP])
        setattr(user, HAS_TOTP, known)
    return known


class StaffMfaMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None:
            return None
        guarded = GUARDED_NAMESPACES.intersection(match.namespaces) or request.path_info.startswith(
            guarded_prefixes()
        )
        if not guarded:
            return None
        if match.url_name == "logout" or not needs_enrolment(request.user):
            return None
        messages.warning(request, ENROL_MESSAGE)
        return redirect("mfa_activate_totp")
