"""Admin of the messages app: read-only views of messages and their history, and the email outbox.

Messages change only through messages/services.py (the back-office), so the admin shows them read-only.
The outbox is where an administrator sees failed emails and puts them back with "retry".
"""

from django.contrib import admin, messages
from django.db.models import Q

from .models import DeadlineNotice, Message, MessageEvent, Notification, StaffDigest
from .notifications import notifications_retry


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MessageEventInline(admin.TabularInline):
    model = MessageEvent
    fields = ("created_at", "kind", "from_state", "to_state", "actor", "comment", "is_public")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("created_at", "id")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("number", "state", "category", "executing_organization", "submitted_at", "answer_due")
    list_filter = ("state", "category")
    search_fields = ("number", "address", "author__email")
    list_select_related = ("category", "executing_organization")
    date_hierarchy = "submitted_at"
    inlines = [MessageEventInline]
    exclude = ("rejection_reasons", "text")
    readonly_fields = ("text_or_note", "photo_count")

    @admin.display(description="текст сообщения")
    def text_or_note(self, obj):
        # §4.1: a message of photos only has no text; say so instead of an empty dash.
        return obj.text or obj.no_text_label


class EmailProblemFilter(admin.SimpleListFilter):
    title = "проблемы с письмом"
    parameter_name = "problem"

    def lookups(self, request, model_admin):
        return [("failed", "не отправлено"), ("retrying", "ждёт повторной попытки")]

    def queryset(self, request, queryset):
        if self.value() == "failed":
            return queryset.filter(email_status=Notification.EmailStatus.FAILED)
        if self.value() == "retrying":
            return queryset.filter(Q(email_status=Notification.EmailStatus.PENDING) & ~Q(last_error=""))
        return queryset


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "kind",
        "recipient",
        "message",
        "email_status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "short_error",
    )
    list_filter = (EmailProblemFilter, "email_status", "kind")
    search_fields = ("recipient__email", "message__number")
    list_select_related = ("recipient", "message")
    readonly_fields = [f.name for f in Notification._meta.fields]
    actions = ["retry"]

    def has_change_permission(self, request, obj=None):
        # The change page stays read-only (readonly_fields); the permission lets the action run.
        return request.user.has_perm("citizen_messages.change_notification")

    @admin.display(description="последняя ошибка")
    def short_error(self, obj):
        return obj.last_error if len(obj.last_error) <= 80 else obj.last_error[:79] + "…"

    @admin.action(description="Повторить отправку выбранных писем", permissions=["change"])
    def retry(self, request, queryset):
        count = notifications_retry(notification_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"Писем поставлено в очередь на отправку: {count}.", messages.SUCCESS)
        if left := queryset.count() - count:
            # Only failed emails are retried: one being sent or already sent would go out twice.
            self.message_user(
                request, f"Не тронуто (не в состоянии «не отправлено»): {left}.", messages.WARNING
            )


@admin.register(DeadlineNotice)
class DeadlineNoticeAdmin(ReadOnlyAdmin):
    list_display = ("message", "stage", "kind", "due", "created_at")
    list_filter = ("kind", "stage")
    search_fields = ("message__number",)
    list_select_related = ("message",)


@admin.register(StaffDigest)
class StaffDigestAdmin(ReadOnlyAdmin):
    list_display = ("day", "recipient", "status", "to_register", "to_answer", "sent_at")
    list_filter = ("status", "day")
    search_fields = ("recipient__email",)
    list_select_related = ("recipient",)
