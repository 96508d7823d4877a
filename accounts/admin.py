from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from . import services
from .models import ApiClient, ApiClientConsent, ConsentRecord, OutboundEmail, User
from .outbox import outbound_emails_retry

# Fields that hand out rights: only a superuser sees or changes them. Administrators (the group
# «Администраторы системы») manage reference data and officials; they must not be able to grant themselves
# or anyone else permissions (issue 11: an administrator made themselves superuser). is_staff opens the admin
# itself (and makes the account one only a superuser may edit), so it is a right too.
PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


def is_privileged(user):
    """An account with admin access of its own: only a superuser may edit or delete it."""
    return user.is_superuser or user.is_staff


class EmailUserCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


class EmailUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = EmailUserChangeForm
    add_form = EmailUserCreationForm
    ordering = ("email",)
    list_display = ("email", "full_name", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active")
    search_fields = ("email", "full_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Личные данные", {"fields": ("full_name", "show_name_publicly")}),
        ("Права", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Даты", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),
    )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        # The form is built from the fieldsets, so a POSTed is_superuser / groups is simply ignored.
        return [
            (name, {**options, "fields": tuple(f for f in options["fields"] if f not in PRIVILEGE_FIELDS)})
            for name, options in fieldsets
        ]

    def _may_touch(self, request, obj):
        return obj is None or request.user.is_superuser or not is_privileged(obj)

    def has_view_permission(self, request, obj=None):
        return self._may_touch(request, obj) and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may_touch(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_touch(request, obj) and super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        # The "delete selected" action checks the permission without an object: check every row here.
        if not all(self._may_touch(request, user) for user in queryset):
            raise PermissionDenied
        super().delete_queryset(request, queryset)


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin):
    """Evidence of consent (152-ФЗ): readable, never edited by hand."""

    list_display = ("user", "kind", "version", "given_at", "ip_address", "withdrawn_at")
    list_filter = ("kind", "version")
    search_fields = ("user__email",)
    readonly_fields = ("user", "kind", "version", "given_at", "ip_address", "withdrawn_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    """The account emails' outbox: status, attempts and errors only. The subject and body are never shown
    (a confirmation or password-reset link is a key to the account); the body is blanked once sent."""

    list_display = ("id", "kind", "to_email", "email_status", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("email_status", "kind")
    search_fields = ("to_email",)
    fields = readonly_fields = (
        "kind",
        "to_email",
        "created_at",
        "email_status",
        "attempts",
        "next_attempt_at",
        "lease_until",
        "sent_at",
        "last_error",
    )
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Повторить отправку выбранных писем", permissions=["change"])
    def retry(self, request, queryset):
        count = outbound_emails_retry(ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"Писем поставлено в очередь на отправку: {count}.", messages.SUCCESS)
        if left := queryset.count() - count:
            # Only failed emails are retried: one being sent or already sent would go out twice.
            self.message_user(
                request, f"Не тронуто (не в состоянии «не отправлено»): {left}.", messages.WARNING
            )


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Open311 API clients (issue 16). The key is shown once, on the page right after it is issued (the
    response itself, never a redirect or a flash message that would keep it in the session)."""

    list_display = ("name", "key_prefix", "is_active", "rate_limit", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name",)
    fields = ("name", "description", "is_active", "rate_limit", "key_prefix", "created_at")
    readonly_fields = ("key_prefix", "created_at")
    actions = ["issue_new_key"]

    def has_delete_permission(self, request, obj=None):
        return False  # the consents and the submissions refer to it: switch it off instead

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            request._api_key = services.api_client_issue_key(client=obj)

    def response_add(self, request, obj, post_url_continue=None):
        return self._key_page(request, obj, request._api_key)

    @admin.action(description="Выдать новый ключ (старый перестанет работать)", permissions=["change"])
    def issue_new_key(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Выберите одно приложение.", messages.WARNING)
            return None
        client = queryset.get()
        return self._key_page(request, client, services.api_client_issue_key(client=client))

    def _key_page(self, request, client, key):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "client": client,
            "key": key,
            "title": f"Ключ приложения «{client.name}»",
        }
        response = TemplateResponse(request, "admin/accounts/apiclient/key.html", context)
        response["Cache-Control"] = "no-store"
        return response


@admin.register(ApiClientConsent)
class ApiClientConsentAdmin(admin.ModelAdmin):
    """Who allowed which client, and when it was revoked: the history, read-only."""

    list_display = ("client", "user", "given_at", "revoked_at")
    list_filter = ("client",)
    search_fields = ("user__email", "client__name")
    readonly_fields = ("user", "client", "given_at", "ip_address", "revoked_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
