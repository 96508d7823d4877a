"""The portal's account pages beyond allauth's: profile, account deletion, the consent text. The rules and
writes are the accounts app's (accounts/services.py); this face only renders them."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from accounts import selectors, services
from accounts.forms import AccountDeleteForm, ProfileForm
from accounts.models import ApiClient
from messages.ratelimits import client_ip


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


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def api_clients(request):
    """Issue 16: which registered applications may send messages in the person's name (Open311)."""
    if request.method == "POST":
        raw = request.POST.get("client", "")
        if not raw.isdigit() or len(raw) > 9:
            raise Http404("Приложение не найдено.")
        client = get_object_or_404(ApiClient, pk=int(raw), is_active=True)
        if request.POST.get("action") == "allow":
            services.api_consent_give(user=request.user, client=client, ip_address=client_ip(request))
            messages.success(
                request, f"Приложение «{client.name}» может отправлять сообщения от вашего имени."
            )
        else:
            services.api_consent_revoke(user=request.user, client=client)
            messages.success(request, f"Разрешение приложению «{client.name}» отозвано.")
        return redirect("portal:api_clients")
    context = {
        "clients": selectors.api_clients_for(request.user),
        "verified": selectors.email_is_verified(request.user),
    }
    return render(request, "portal/api_clients.html", context)
