"""Back-office forms. They only parse input; every rule about the action lives in messages.services."""

import functools
import re

from django import forms
from django.conf import settings

from directory import selectors as directory_selectors
from directory import stewardship
from directory.models import Category, Organization, RejectionReason
from messages.documents import ANSWER_ACCEPT
from messages.fields import MultipleFileField, MultipleFileInput
from messages.models import ANSWER_TEXT_MAX_LENGTH, Answer
from messages.photos import MAX_FILES
from messages.services import REMARKS_MAX_LENGTH, RemarksDecision

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
    # Set by a view on an unbound form whose rendered fields may be kept ({% field %}, officecache).
    fragment_key: str | None = None

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


_MAX_ID = 2**31 - 1  # past any row id; a bigger number would overflow the database's integer


def _check_ids(field, values):
    """A choice that is not a row id at all is an invalid choice before any query: a huge number
    overflowed SQLite's integer (a 500) in `pk__in`."""
    for value in values:
        if not (str(value).isdigit() and int(value) <= _MAX_ID):
            raise forms.ValidationError(
                field.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
            )


class RowChoiceField(ListedModelChoiceField):
    def to_python(self, value):
        if value not in self.empty_values:
            _check_ids(self, [value])
        return super().to_python(value)


class RowMultipleChoiceField(forms.ModelMultipleChoiceField):
    iterator = ListedChoiceIterator

    def _check_values(self, value):
        _check_ids(self, value)
        return super()._check_values(value)


class QueueFilterForm(forms.Form):
    category: "forms.ModelChoiceField[Category]" = RowChoiceField(
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
    executing_organization = RowChoiceField(
        queryset=Organization.objects.filter(is_active=True),
        required=False,
        label="Организация-исполнитель",
        help_text="По умолчанию — ответственная организация категории (§2.7).",
    )
    category: "forms.ModelChoiceField[Category]" = RowChoiceField(
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
        # Read when the field is rendered, not here: a page whose fields are kept (fragment_key) renders
        # none and needs none of the two queries; validation reads the queryset, not the choices.
        category = message.category

        @functools.cache  # a rendering walks the choices more than once
        def organization_choices():
            return _organization_choices(
                category, default_label=f"{category.responsible_organization} (ответственная)"
            )

        self.fields["executing_organization"].choices = organization_choices


class ReassignForm(ActionForm):
    id_prefix = "reassign"
    executing_organization = RowChoiceField(
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


class ReasonChoiceField(RowMultipleChoiceField):
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


class DuplicateForm(ActionForm):
    """§4.4: the confirmation step of the review page's one-click «дубликат» (a page of its own, no script)."""

    id_prefix = "duplicate"
    duplicate_of = forms.CharField(
        max_length=20,
        widget=forms.HiddenInput,
        error_messages={"required": "Укажите номер исходного сообщения."},
    )
    comment = forms.CharField(
        required=False,
        label="Комментарий для автора (необязательно)",
        help_text="Попадёт в письмо автору вместе с номером исходного сообщения.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


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
        help_text=(
            "Фотографии в формате JPEG, PNG или TIFF и скан-образы документов в формате PDF "
            f"(до {settings.ANSWER_PDF_MAX_BYTES // (1024 * 1024)} МБ, без пароля), всего не более "
            f"{MAX_FILES} файлов (§6.3). Документы PDF на портале можно будет только скачать. Если форма "
            "вернётся с ошибкой, файлы нужно выбрать заново — браузер не сохраняет выбранные файлы."
        ),
        widget=MultipleFileInput(attrs={"accept": ANSWER_ACCEPT}),
    )


class RequestReassignForm(ActionForm):
    id_prefix = "request"
    comment = forms.CharField(
        label="Почему сообщение не относится к вашей организации",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Объясните, почему сообщение не относится к вашей организации."},
    )


class RemarksReviewForm(ActionForm):
    """§7.2–7.3: what the public page shows of the author's remarks."""

    decision = forms.ChoiceField(
        label="Решение о публикации",
        choices=[
            (RemarksDecision.PUBLISH, "Опубликовать как написаны"),
            (RemarksDecision.EDIT, "Опубликовать исправленный текст (ниже)"),
            (RemarksDecision.HIDE, "Не публиковать"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Выберите, что сделать с замечаниями."},
    )
    text = forms.CharField(
        required=False,
        max_length=REMARKS_MAX_LENGTH,
        label="Текст для публикации",
        help_text=(
            "Для «Опубликовать исправленный текст»: уберите персональные данные — фамилии, телефоны, "
            "номера квартир, адреса электронной почты — и оскорбления, суть замечаний оставьте. "
            "Исполнитель и автор видят замечания полностью."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, rating, **kwargs):
        self.id_prefix = f"remarks{rating.pk}"
        kwargs.setdefault("initial", {"text": rating.remarks_public or rating.remarks})
        super().__init__(*args, **kwargs)


# --- the organisation's own data (§2.2, §2.5, §2.7) -----------------------------------------------

_PHONE_EXTENSION = re.compile(r",?\s*доб\.?\s*[0-9]+", re.IGNORECASE)
_PHONE_CHARS = re.compile(r"[0-9+()\-\s.]*")
PHONE_ERROR = (
    "Запишите телефоны цифрами, например +7 (8412) 65-00-00; несколько номеров разделите запятой, "
    "добавочный — «доб. 123»."
)


def _phone_numbers_are_valid(text):
    """Numbers separated by commas or semicolons, each of 5 to 15 digits, with an optional «доб. N»."""
    for number in re.split(r"[,;]", _PHONE_EXTENSION.sub("", text)):
        if not _PHONE_CHARS.fullmatch(number) or not 5 <= sum(ch.isdigit() for ch in number) <= 15:
            return False
    return True


class OrganizationContactsForm(forms.ModelForm):
    """The contact details an organisation keeps itself (directory.stewardship.CONTACT_FIELDS)."""

    # Declared, not generated: a site typed without a scheme is an https one.
    website = forms.URLField(
        label="Сайт",
        required=False,
        max_length=200,
        assume_scheme="https",
        help_text="Например https://example.ru.",
        error_messages={"invalid": "Введите адрес сайта, например https://example.ru."},
    )

    class Meta:
        model = Organization
        fields = stewardship.CONTACT_FIELDS
        labels = {
            "address": "Адрес",
            "phones": "Телефоны",
            "email": "Электронная почта",
            "working_hours": "Режим работы",
        }
        help_texts = {
            "address": "Почтовый адрес или адрес приёма граждан, например «442960, г. Заречный, пр. Мира, 19».",
            "phones": "Например «+7 (8412) 65-00-00, доб. 123». Несколько номеров — через запятую.",
            "email": "Адрес для вопросов жителей, например priemnaya@example.ru.",
            "working_hours": "Например «пн–чт 8:30–17:30, пт 8:30–16:30, обед 13:00–13:48».",
        }
        error_messages = {
            "address": {"max_length": "Адрес не длиннее %(limit_value)d символов (сейчас %(show_value)d)."},
            "phones": {"max_length": "Не длиннее %(limit_value)d символов (сейчас %(show_value)d)."},
            "email": {"invalid": "Введите адрес электронной почты целиком, например priemnaya@example.ru."},
            "working_hours": {"max_length": "Не длиннее %(limit_value)d символов (сейчас %(show_value)d)."},
        }
        widgets = {"working_hours": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.fields:
            # changed_data then compares with what the official saw, not with the row at POST time.
            self.fields[name].show_hidden_initial = True
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["phones"].widget.input_type = "tel"
        self.fields["phones"].widget.attrs["inputmode"] = "tel"

    def clean_phones(self):
        phones = " ".join(self.cleaned_data["phones"].split())
        if phones and not _phone_numbers_are_valid(phones):
            raise forms.ValidationError(PHONE_ERROR)
        return phones

    def clean_website(self):
        website = self.cleaned_data["website"]
        if website and not website.lower().startswith(("http://", "https://")):
            raise forms.ValidationError("Адрес сайта начинается с https:// или http://.")
        return website

    def changes(self):
        """Only the fields the official changed on the page they saw: a colleague's edit of another
        field, saved in the meantime, is kept."""
        return {name: self.cleaned_data[name] for name in self.changed_data}


class FaqEntryForm(forms.Form):
    category: "forms.ModelChoiceField[Category]" = RowChoiceField(
        queryset=Category.objects.none(),
        label="Категория",
        empty_label=None,
        error_messages={"invalid_choice": "Эту категорию ведёт другая организация: выберите одну из списка."},
    )
    question = forms.CharField(
        label="Вопрос",
        max_length=300,
        help_text="Так, как его задал бы житель.",
        error_messages={
            "required": "Напишите вопрос.",
            "max_length": "Вопрос не длиннее %(limit_value)d символов (сейчас %(show_value)d).",
        },
    )
    answer = forms.CharField(
        label="Ответ",
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Напишите ответ на вопрос."},
    )
    is_published = forms.BooleanField(
        label="Показывать жителям", required=False, initial=True, help_text="Снимите, чтобы скрыть вопрос."
    )

    def __init__(self, *args, official, entry=None, **kwargs):
        if entry is not None:
            kwargs.setdefault(
                "initial",
                {"question": entry.question, "answer": entry.answer, "is_published": entry.is_published},
            )
        super().__init__(*args, **kwargs)
        if entry is not None:
            del self.fields["category"]  # an entry stays in its category
        else:
            self.fields["category"].queryset = stewardship.faq_categories(official).select_related("topic")


class ProposalCategoryField(RowChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.topic} → {obj.name}"


class TopicProposalForm(forms.Form):
    """§2.7: the four items of a proposal, plus which category it changes (if any)."""

    changes_category = ProposalCategoryField(
        queryset=Category.objects.none(),
        required=False,
        label="Что меняется",
        empty_label="— новая категория или тема —",
        help_text="Выберите категорию, если предлагаете её изменить; иначе предлагается новая.",
        error_messages={"invalid_choice": "Выберите категорию из списка."},
    )
    topic_name = forms.CharField(
        label="Тема",
        max_length=150,
        required=False,
        help_text="Существующая тема или новая. Для изменяемой категории пусто — тема остаётся прежней.",
    )
    category_name = forms.CharField(
        label="Название категории",
        max_length=150,
        required=False,
        help_text="Новое название; пусто — название остаётся прежним (или предлагается только тема).",
    )
    category_description = forms.CharField(
        label="Что относится к категории",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Описание для жителей; для изменяемой категории пусто — прежнее.",
    )
    responsible_organization = RowChoiceField(
        queryset=Organization.objects.none(),
        required=False,
        label="Ответственная организация (§2.7)",
        empty_label="— для изменяемой категории: прежняя —",
        help_text="Готовит ответы на сообщения этой категории.",
    )
    participating_organizations = RowMultipleChoiceField(
        queryset=Organization.objects.none(),
        required=False,
        label="Участвующие организации (§2.7)",
        help_text="Для изменяемой категории ничего не отмечено — остаются прежние.",
        widget=forms.CheckboxSelectMultiple,
    )
    routing_proposal = forms.CharField(
        label="Предложения по маршрутизации (§2.7)",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Кто модерирует сообщения, кому они направляются, кто отвечает.",
        error_messages={"required": "Опишите, кому направлять сообщения и кто на них отвечает."},
    )

    def __init__(self, *args, official, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["changes_category"].queryset = directory_selectors.proposal_categories()
        organizations = directory_selectors.proposal_organizations()
        self.fields["responsible_organization"].queryset = organizations
        self.fields["participating_organizations"].queryset = organizations

    def clean(self):
        cleaned = super().clean()
        changed = cleaned.get("changes_category")
        if not cleaned.get("topic_name"):
            if changed is None:
                self.add_error("topic_name", "Укажите тему: существующую или новую.")
            else:
                cleaned["topic_name"] = changed.topic.name
        if changed is None and not cleaned.get("responsible_organization"):
            self.add_error("responsible_organization", "Выберите организацию, которая будет готовить ответы.")
        return cleaned
