from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from simple_history.admin import SimpleHistoryAdmin

from . import services
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


@admin.register(Organization)
class OrganizationAdmin(SimpleHistoryAdmin):
    list_display = ("short_name", "kind", "phones", "email", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "short_name", "key", "address")
    prepopulated_fields = {"key": ("short_name",)}


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


@admin.register(Official)
class OfficialAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "position", "role", "category_list", "appendix_row", "is_active")
    list_filter = ("role", "organization", "categories", "is_active")
    search_fields = ("user__full_name", "user__email", "position", "organization__short_name")
    filter_horizontal = ("categories",)
    autocomplete_fields = ("user",)
    list_select_related = ("user", "organization")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("categories")

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
