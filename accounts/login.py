"""The admin's login URL, sent to the one login page (allauth's). The account pages a person sees are the
portal's (portal/account_views.py)."""

from urllib.parse import urlencode

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_safe


@require_safe
def admin_login(request):
    """The admin has no login of its own: one login page for everyone, with allauth's rate limits, e-mail
    verification and the second factor. Installed at the admin's login URL (zarechny/urls.py)."""
    target = request.GET.get(REDIRECT_FIELD_NAME, "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = reverse("admin:index")
    if request.user.is_authenticated:
        if request.user.is_active and request.user.is_staff:
            return redirect(target)
        # Logged in without admin rights: sending them to the login page again would loop back here.
        raise PermissionDenied
    return redirect(f"{reverse('account_login')}?{urlencode({REDIRECT_FIELD_NAME: target})}")
