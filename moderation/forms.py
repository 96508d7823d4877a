"""Back-office forms. They only parse input; every rule about the action lives in messages.services."""

from django import forms

from directory.models import Category, Organization, RejectionReason
from messages.fields import MultipleFileField
from messages.models import ANSWER_TEXT_MAX_LENGTH, Answer
from messages.photos import MAX_FILES

from . import selectors


class ListedChoiceIterator(forms.models.ModelChoiceIterator):
    """Choices from the field's queryset evaluated once per form. Django's iterator re-runs the query
    for every rendering (`.iterator()`, a server-side cursor on PostgreSQL: three round trips), and a
    review page renders its choice fields and reads the same reasons again (issue 14)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:  # the queryset's own result cache after the first pass
            yield self.choice(obj)


class ListedModelChoiceField(forms.ModelChoiceField):
    iterator = ListedChoiceIterator


class ActionForm(forms.Form):
    # Several forms share a page and field names ("comment"): distinct ids keep labels unambiguous.
    id_prefix = "id"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class QueueFilterForm(forms.Form):
    category: "forms.ModelChoiceField[Category]" = ListedModelChoiceField(
        queryset=None, required=False, label="Категория", empty_label="Все"
    )
    submitted_from = forms.DateField(
        required=False, label="Поступило с", widget=forms.DateInput(attrs={"type": "date"})
    )
    submitted_to = forms.DateField(
        required=False, label="Поступило по", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, official, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = selectors.moderatable_categories(official)


class RegisterForm(ActionForm):
    id_prefix = "register"
    executing_organization = forms.ModelChoiceField(
        queryset=Organization.objects.filter(is_active=True),
        required=False,
        label="Организация-исполнитель",
        help_text="По умолчанию — ответственная организация категории (§2.7).",
    )
    category: "forms.ModelChoiceField[Category]" = ListedModelChoiceField(
        queryset=None,
        required=False,
        label="Категория",
        empty_label=None,
        help_text="Исправьте, если автор выбрал категорию неверно.",
    )
    comment = forms.CharField(
        required=False, label="Комментарий (виден сотрудникам)", widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, message, official, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("category", message.category_id)
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = selectors.moderatable_categories(official)
        org_field = self.fields["executing_organization"]
        org_field.choices = _organization_choices(
            message.category, default_label=f"{message.category.responsible_organization} (ответственная)"
        )


class ReassignForm(ActionForm):
    id_prefix = "reassign"
    executing_organization = forms.ModelChoiceField(
        queryset=Organization.objects.filter(is_active=True), label="Передать организации"
    )
    comment = forms.CharField(
        required=False, label="Причина передачи", widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, message, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["executing_organization"].choices = _organization_choices(
            message.category, exclude=message.executing_organization_id, default_label="— выберите —"
        )


def _organization_choices(category, *, default_label, exclude=None):
    """The category's organisations first (§2.7), then the rest for a corrected category."""
    own = [o for o in category.executing_organizations() if o.pk != exclude]
    own_pks = {o.pk for o in own}
    others = Organization.objects.filter(is_active=True).exclude(pk__in=own_pks)
    if exclude:
        others = others.exclude(pk=exclude)
    return [
        ("", default_label),
        ("Работают с категорией", [(o.pk, str(o)) for o in own]),
        ("Другие организации", [(o.pk, str(o)) for o in others]),
    ]


class ReasonChoiceField(forms.ModelMultipleChoiceField):
    iterator = ListedChoiceIterator

    def label_from_instance(self, obj):
        return obj.title


class RejectForm(ActionForm):
    id_prefix = "reject"
    reasons = ReasonChoiceField(
        queryset=RejectionReason.objects.none(),
        label="Причины отказа",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Выберите хотя бы одну причину отказа."},
    )
    duplicate_of = forms.CharField(
        required=False,
        max_length=20,
        label="Номер исходного сообщения (для причины «дубликат»)",
        help_text="Например, 2026-000123.",
    )
    comment = forms.CharField(
        required=False,
        label="Комментарий для автора",
        help_text="Попадёт в письмо автору вместе с текстами причин (§5.7).",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reasons"].queryset = selectors.active_rejection_reasons()

    def duplicate_reason(self) -> RejectionReason | None:
        """The «duplicate» reason among the offered ones (§4.4), from the same evaluated list."""
        field: ReasonChoiceField = self.fields["reasons"]  # type: ignore[assignment]
        return next((r for r in field.queryset or () if r.code == RejectionReason.DUPLICATE), None)

    def citizen_preview(self):
        """The texts the author will read, for the preview before sending (§5.7)."""
        if not self.is_bound or not hasattr(self, "cleaned_data"):
            return None
        reasons = self.cleaned_data.get("reasons") or []
        return {
            "reasons": list(reasons),
            "comment": self.cleaned_data.get("comment", ""),
            "duplicate_of": self.cleaned_data.get("duplicate_of", ""),
        }


class AnswerForm(ActionForm):
    kind = forms.ChoiceField(
        choices=Answer.Kind.choices, label="Результат рассмотрения (§6.2)", widget=forms.RadioSelect
    )
    planned_date = forms.DateField(
        required=False,
        label="Планируемый срок решения",
        help_text="Обязателен, если решение запланировано.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    text = forms.CharField(
        label="Текст ответа",
        help_text="Если решение невозможно, обоснуйте почему.",
        max_length=ANSWER_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={
            "required": "Напишите текст ответа.",
            "max_length": "Текст ответа не может быть длиннее %(limit_value)s символов (сейчас %(show_value)s).",
        },
    )
    attachments = MultipleFileField(
        required=False,
        label=f"Фотографии и скан-образы документов (до {MAX_FILES})",
        help_text="JPEG, PNG или TIFF (§6.3).",
    )


class RequestReassignForm(ActionForm):
    id_prefix = "request"
    comment = forms.CharField(
        label="Почему сообщение не относится к вашей организации",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Объясните, почему сообщение не относится к вашей организации."},
    )
