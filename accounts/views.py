from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_safe

from . import services
from .forms import AccountDeleteForm, ProfileForm


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        services.profile_update(
            user=request.user,
            full_name=form.cleaned_data["full_name"],
            show_name_publicly=form.cleaned_data["show_name_publicly"],
        )
        messages.success(request, "Настройки сохранены.")
        return redirect("portal:profile")
    return render(request, "portal/profile.html", {"form": form})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def account_delete(request):
    form = AccountDeleteForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_delete(user=request.user)
        except services.AccountError as error:
            form.add_error(None, str(error))
        else:
            logout(request)
            messages.success(
                request,
                "Учётная запись удалена, персональные данные стёрты. Неопубликованные сообщения отозваны, "
                "опубликованные остаются на платформе без имени автора.",
            )
            return redirect("home")
    return render(request, "portal/account_delete.html", {"form": form})


@require_safe
def consent_text(request):
    return render(request, "portal/consent.html")


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
