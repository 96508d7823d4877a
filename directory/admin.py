from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.template.response import TemplateResponse
from django.urls import path
from simple_history.admin import SimpleHistoryAdmin as _SimpleHistoryAdmin

from accounts.admin import UserAdmin, is_privileged
from accounts.emails import email_clean
from accounts.selectors import email_is_verified

from . import routing, services
from .models import (
    AnswerTemplate,
    CalendarOverride,
    Category,
    FaqEntry,
    Official,
    Organization,
    RejectionReason,
    Topic,
    TopicProposal,
)


class SimpleHistoryAdmin(_SimpleHistoryAdmin):
    """django-simple-history's admin, with its history page safe against a malformed object id.

    Its history view looks the id up directly, so /admin/…/<not a number>/history/ was a 500; Django's
    own pages treat such an id as "no such object" (get_object returns None) and redirect.
    """

    def history_view(self, request, object_id, extra_context=None):
        if self.get_object(request, unquote(object_id)) is None:
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, object_id)
        return super().history_view(request, object_id, extra_context=extra_context)


@admin.register(Organization)
class OrganizationAdmin(SimpleHistoryAdmin):
    list_display = ("short_name", "kind", "phones", "email", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "short_name", "key", "address")
    prepopulated_fields = {"key": ("short_name",)}
    # A site typed without a scheme is an https one (Django 6's default; silences its deprecation).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class CategoryInline(admin.TabularInline):
    model = Category
    fields = ("name", "key", "responsible_organization", "order", "is_active")
    extra = 0
    show_change_link = True


@admin.register(Topic)
class TopicAdmin(SimpleHistoryAdmin):
    list_display = ("name", "order", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "key")
    inlines = [CategoryInline]


@admin.register(Category)
class CategoryAdmin(SimpleHistoryAdmin):
    list_display = ("name", "topic", "responsible_organization", "is_active")
    list_filter = ("topic", "is_active", "responsible_organization")
    search_fields = ("name", "key", "description")
    filter_horizontal = ("participating_organizations",)
    list_select_related = ("topic", "responsible_organization")

    def get_urls(self):
        coverage = self.admin_site.admin_view(self.coverage_view)
        return [path("coverage/", coverage, name="directory_coverage"), *super().get_urls()]

    def coverage_view(self, request):
        """Read-only "who handles what": built by routing.coverage(), the same rule the services use."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        rows = routing.coverage()
        context = {
            **self.admin_site.each_context(request),
            "title": "Кто что обрабатывает",
            "opts": self.model._meta,
            "rows": rows,
            "gaps": sum(1 for r in rows if r["nobody_moderates"] or r["nobody_answers"]),
            # Filled gaps of Appendix 2, named rather than hidden behind «Пробелов нет» (issue 13.9).
            "supervisors_only": [r["category"] for r in rows if r["moderated_by_supervisors_only"]],
            "moderators_answer": [
                (r["category"], o["organization"])
                for r in rows
                for o in r["organizations"]
                if o["moderators_answer"]
            ],
            "without_categories": list(routing.officials_without_categories()),
        }
        return TemplateResponse(request, "admin/directory/coverage.html", context)


UNVERIFIED_ACCOUNT_MESSAGE = (
    "Владелец этой учётной записи ещё не подтвердил адрес электронной почты, поэтому роль должностного "
    "лица ей назначить нельзя: иначе роль получил бы тот, кто зарегистрировал адрес, а не сотрудник. "
    "Попросите сотрудника подтвердить адрес по ссылке из письма или войти и запросить письмо ещё раз."
)


def check_role_may_be_granted(user):
    """A role goes only to an account whose owner proved the address, or that the administrator is
    creating right now (an imitation of a colleague's address must never receive an official's rights)."""
    if user is not None and user.pk is not None and not email_is_verified(user):
        raise ValidationError(UNVERIFIED_ACCOUNT_MESSAGE, code="unverified")


def may_manage_administrators(request):
    """Only a superuser creates, changes or deletes an administrator's Official row, or gives the role:
    the role makes the account staff and puts it in «Администраторы системы» (issue 11.3: an administrator
    must not edit another administrator, nor make one)."""
    return request.user.is_superuser


def is_protected_official(official):
    """An Official row only a superuser may touch: an administrator's, or one of an account with admin
    access of its own."""
    return official.role == Official.Role.ADMINISTRATOR or is_privileged(official.user)


def role_choices_for(request, db_field, kwargs):
    """The role field offers «администратор» to a superuser only (a POSTed value is then an invalid choice)."""
    if db_field.name == "role" and not may_manage_administrators(request):
        kwargs["choices"] = [c for c in Official.Role.choices if c[0] != Official.Role.ADMINISTRATOR]
    return kwargs


class OfficialForm(forms.ModelForm):
    """The official's change form and the inline on the account page: the same rule when a role is
    attached to an account that did not have one."""

    def clean(self):
        cleaned = super().clean()
        user = cleaned.get("user", getattr(self.instance, "user", None))
        if self.instance.pk is None or "user" in self.changed_data:
            try:
                check_role_may_be_granted(user)
            except ValidationError as error:
                # On the account page the user is the inline's hidden key: show the error on the form.
                visible = "user" in self.fields and not self.fields["user"].widget.is_hidden
                self.add_error("user" if visible else None, error)
        return cleaned


class OfficialCreationForm(forms.ModelForm):
    """One form for a new official: the person (an existing account or a new one), the organisation,
    the role and the categories (Appendix 2 columns)."""

    email = forms.EmailField(
        label="Электронная почта",
        help_text="Если учётной записи с этим адресом ещё нет, она будет создана без пароля: "
        "сотрудник задаст его через «Забыли пароль?».",
    )
    full_name = forms.CharField(label="ФИО", max_length=200)

    class Meta:
        model = Official
        fields = ("email", "full_name", "organization", "position", "role", "categories", "is_active")

    def clean_email(self):
        email = email_clean(self.cleaned_data["email"])
        user = get_user_model().objects.filter_by_email(email).first()
        if user is not None and Official.objects.filter(user=user).exists():
            raise forms.ValidationError("У этого пользователя уже есть роль должностного лица.")
        check_role_may_be_granted(user)
        self.existing_user = user
        return email

    def clean(self):
        cleaned = super().clean()
        role, categories = cleaned.get("role"), cleaned.get("categories")
        if role in (Official.Role.SUPERVISOR, Official.Role.ADMINISTRATOR) and categories:
            self.add_error("categories", "Мониторинг и администрирование не привязываются к категориям.")
        return cleaned

    def save(self, commit=True):
        cleaned = self.cleaned_data
        self.instance = services.official_create(
            email=cleaned["email"],
            full_name=cleaned["full_name"],
            user=getattr(self, "existing_user", None),
            organization=cleaned["organization"],
            position=cleaned["position"],
            role=cleaned["role"],
            categories=cleaned["categories"],
            is_active=cleaned["is_active"],
        )
        self.save_m2m = lambda: None  # the service set the categories; the admin calls this after save_model
        return self.instance


@admin.register(Official)
class OfficialAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "position", "role", "category_list", "appendix_row", "is_active")
    list_filter = ("role", "organization", "categories", "is_active")
    search_fields = ("user__full_name", "user__email", "position", "organization__short_name")
    filter_horizontal = ("categories",)
    autocomplete_fields = ("user",)
    list_select_related = ("user", "organization")
    form = OfficialForm
    add_form = OfficialCreationForm
    add_fieldsets = (
        ("Сотрудник", {"fields": ("email", "full_name")}),
        ("Должность и роль", {"fields": ("organization", "position", "role", "categories", "is_active")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("categories")

    def save_model(self, request, obj, form, change):
        if change:  # a new official was written by services.official_create (OfficialCreationForm.save)
            super().save_model(request, obj, form, change)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        return super().formfield_for_choice_field(
            db_field, request, **role_choices_for(request, db_field, kwargs)
        )

    def _may_touch(self, request, obj):
        return obj is None or may_manage_administrators(request) or not is_protected_official(obj)

    def has_change_permission(self, request, obj=None):
        return self._may_touch(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_touch(request, obj) and super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        # The "delete selected" action checks the permission without an object: check every row here.
        if not all(self._may_touch(request, official) for official in queryset.select_related("user")):
            raise PermissionDenied
        super().delete_queryset(request, queryset)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        return super().get_fieldsets(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
            kwargs["fields"] = None
        return super().get_form(request, obj, **kwargs)

    @admin.display(description="категории")
    def category_list(self, obj):
        return ", ".join(c.name for c in obj.categories.all()) or "—"


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(SimpleHistoryAdmin):
    list_display = ("date", "is_working", "reason")
    list_filter = ("is_working",)
    search_fields = ("reason",)
    date_hierarchy = "date"


@admin.register(RejectionReason)
class RejectionReasonAdmin(SimpleHistoryAdmin):
    list_display = ("title", "code", "regulation_ref", "order", "is_active")
    list_filter = ("regulation_ref", "is_active")
    search_fields = ("title", "code", "citizen_text")


@admin.register(AnswerTemplate)
class AnswerTemplateAdmin(SimpleHistoryAdmin):
    list_display = ("title", "category", "kind")
    list_filter = ("category", "kind")
    search_fields = ("title", "text")


@admin.register(FaqEntry)
class FaqEntryAdmin(SimpleHistoryAdmin):
    list_display = ("question", "category", "order", "is_published")
    list_filter = ("category", "is_published")
    search_fields = ("question", "answer")


@admin.register(TopicProposal)
class TopicProposalAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "proposing_organization", "responsible_organization", "status", "created_at")
    list_filter = ("status", "proposing_organization")
    search_fields = ("topic_name", "category_name", "routing_proposal")
    filter_horizontal = ("participating_organizations",)
    readonly_fields = ("status", "decided_by", "decided_at")
    actions = ["accept", "decline"]

    def _decide(self, request, queryset, service, done):
        for proposal in queryset:
            try:
                service(proposal_id=proposal.pk, actor=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{proposal}: {exc.messages[0]}", messages.ERROR)
            else:
                self.message_user(request, f"{proposal}: {done}", messages.SUCCESS)

    @admin.action(description="Принять и применить выбранные предложения")
    def accept(self, request, queryset):
        self._decide(request, queryset, services.topic_proposal_accept, "принято, изменения применены")

    @admin.action(description="Отклонить выбранные предложения")
    def decline(self, request, queryset):
        self._decide(request, queryset, services.topic_proposal_decline, "отклонено")


class OfficialInline(admin.StackedInline):
    """The account's role as an official (Appendix 2), shown and edited on the account page too.

    Registered from here, not from accounts/admin.py, so that accounts does not depend on directory.
    """

    model = Official
    form = OfficialForm
    fk_name = "user"
    can_delete = False
    max_num = 1
    extra = 0
    fields = ("organization", "position", "role", "categories", "is_active")
    filter_horizontal = ("categories",)
    verbose_name = verbose_name_plural = "роль должностного лица"

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        return super().formfield_for_choice_field(
            db_field, request, **role_choices_for(request, db_field, kwargs)
        )


class UserWithOfficialAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, OfficialInline]

    def _may_touch(self, request, obj):
        # An administrator's account without is_staff (switched off, say) is still an administrator's.
        official = getattr(obj, "official", None) if obj is not None else None
        if (
            official is not None
            and is_protected_official(official)
            and not may_manage_administrators(request)
        ):
            return False
        return super()._may_touch(request, obj)


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), UserWithOfficialAdmin)
