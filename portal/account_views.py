"""The portal's account pages beyond allauth's: profile, account deletion, the consent text. The rules and
writes are the accounts app's (accounts/services.py); this face only renders them."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from accounts import services
from accounts.forms import AccountDeleteForm, ProfileForm


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
