"""Forms of the citizen portal. They parse and check input; every write goes through messages.services."""

import re
import uuid
from datetime import timedelta

from django import forms
from django.utils import timezone

from directory.models import Category, Organization, Topic
from messages import selectors
from messages.fields import MultipleFileField
from messages.models import PUBLIC_STATES, TEXT_OR_PHOTO_REQUIRED
from messages.photos import MAX_FILES
from messages.places import OUT_OF_BOUNDS, in_city

DATETIME_INPUT = "%Y-%m-%dT%H:%M"
NUMBER_RE = re.compile(r"^(\d{4})\s*[-–/]\s*(\d{1,9})$")


def normalise_number(raw):
    """«№ 2026-123», «2026 – 000123» and «2026-000123» all mean the message 2026-000123 (§6.5)."""
    value = (raw or "").strip().lstrip("№Nn").strip()
    match = NUMBER_RE.match(value)
    if not match:
        return None
    return f"{match.group(1)}-{int(match.group(2)):06d}"


def grouped_category_choices(categories):
    """<optgroup> per topic, so the person picks a topic and then its category (§3.3)."""
    groups = {}
    for category in categories:
        groups.setdefault(category.topic.name, []).append((category.key, category.name))
    return [("", "— выберите категорию —"), *groups.items()]


def _occurred_at_field():
    return forms.DateTimeField(
        label="Дата и время проблемы",
        help_text="Когда вы заметили проблему (§4.1).",
        input_formats=[DATETIME_INPUT, "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT),
    )


def _check_not_future(value):
    if value and value > timezone.now() + timedelta(minutes=5):
        raise forms.ValidationError("Дата и время проблемы не могут быть в будущем.", code="future")
    return value


PHOTOS_HELP = (
    "JPEG, PNG или TIFF, снятые ровно, без поворота и кадрирования (§4.5–4.7). Если форма вернётся "
    "с ошибкой, фотографии нужно выбрать заново — браузер не сохраняет выбранные файлы."
)


class MessageFieldsMixin:
    def check_point(self, cleaned):
        """Both coordinates or neither, inside the city (settings.MAP_BOUNDS). The service checks it again."""
        latitude, longitude = cleaned.get("latitude"), cleaned.get("longitude")
        if self.errors.get("latitude") or self.errors.get("longitude"):
            return
        if (latitude is None) != (longitude is None):
            self.add_error("latitude", "Укажите и широту, и долготу точки или не указывайте точку.")
        elif latitude is not None and not in_city(latitude, longitude):
            self.add_error("latitude", OUT_OF_BOUNDS)

    def clean_occurred_at(self):
        return _check_not_future(self.cleaned_data.get("occurred_at"))

    def check_text_or_photo(self, cleaned, *, kept_photos=0):
        """§4.1: a text, or at least one photo (kept or newly chosen). The service checks it again."""
        has_text = bool((cleaned.get("text") or "").strip())
        if "text" in cleaned and not has_text and not kept_photos and not cleaned.get("photos"):
            self.add_error("text", TEXT_OR_PHOTO_REQUIRED)


class SubmitForm(MessageFieldsMixin, forms.Form):
    category = forms.ModelChoiceField(
        queryset=Category.objects.filter(is_active=True, topic__is_active=True),
        to_field_name="key",
        widget=forms.HiddenInput,
        error_messages={"required": "Выберите категорию.", "invalid_choice": "Выберите категорию из списка."},
    )
    text = forms.CharField(
        label="Текст сообщения",
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text=(
            "Одна проблема в одном сообщении. Опишите, что случилось и что нужно сделать. Можно не писать "
            "текст, если проблему показывают приложенные фотографии (§4.1)."
        ),
    )
    occurred_at = _occurred_at_field()
    address = forms.CharField(
        label="Место: адрес или ориентир",
        max_length=300,
        help_text="Например: ул. Ленина, напротив д. 12.",
        error_messages={"required": "Укажите место, с которым связана проблема (§4.1)."},
    )
    latitude = forms.DecimalField(
        label="Широта (необязательно)",
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=-90,
        max_value=90,
    )
    longitude = forms.DecimalField(
        label="Долгота (необязательно)",
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
    )
    photos = MultipleFileField(
        label=f"Фотографии (не более {MAX_FILES}; обязательны, если нет текста)",
        required=False,
        help_text=PHOTOS_HELP,
    )
    show_author_name = forms.BooleanField(
        label="Показывать моё имя в опубликованном сообщении",
        required=False,
        help_text="Без этой отметки сообщение публикуется без имени автора.",
    )
    client_token = forms.UUIDField(widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        self.check_point(cleaned)
        self.check_text_or_photo(cleaned)
        return cleaned

    @staticmethod
    def new_client_token():
        return uuid.uuid4()


class ResubmitForm(MessageFieldsMixin, forms.Form):
    """§5.7: everything of a rejected message can be corrected, the photos too (remove, replace, add)."""

    category = forms.ModelChoiceField(
        label="Категория",
        queryset=Category.objects.filter(is_active=True, topic__is_active=True).select_related("topic"),
        to_field_name="key",
        error_messages={"required": "Выберите категорию.", "invalid_choice": "Выберите категорию из списка."},
    )
    text = SubmitForm.base_fields["text"]
    occurred_at = _occurred_at_field()
    address = SubmitForm.base_fields["address"]
    latitude = SubmitForm.base_fields["latitude"]
    longitude = SubmitForm.base_fields["longitude"]
    remove_photos = forms.MultipleChoiceField(
        label="Приложенные фотографии",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Отметьте фотографии, которые нужно убрать. Чтобы заменить фотографию, отметьте её и "
        "выберите новую ниже.",
        error_messages={"invalid_choice": "Отмеченная фотография уже удалена. Обновите страницу."},
    )
    photos = MultipleFileField(
        label=f"Добавить фотографии (всего не более {MAX_FILES})",
        required=False,
        help_text=PHOTOS_HELP,
    )

    def __init__(self, *args, photos=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        field.widget.choices = grouped_category_choices(field.queryset)
        self.photos = list(photos)
        remove = self.fields["remove_photos"]
        remove.choices = [
            (str(photo.token), f"Убрать фотографию {index} из {len(self.photos)}")
            for index, photo in enumerate(self.photos, start=1)
        ]
        if not self.photos:
            del self.fields["remove_photos"]

    def clean(self):
        cleaned = super().clean()
        removed = set(cleaned.get("remove_photos") or [])
        kept = len(self.photos) - len(removed)
        chosen = len(cleaned.get("photos") or [])
        if kept + chosen > MAX_FILES and not self.has_error("photos"):
            self.add_error(
                "photos",
                f"Можно приложить не более {MAX_FILES} фотографий (§4.6): остаётся {kept}, выбрано новых "
                f"{chosen}. Отметьте выше, какие фотографии убрать.",
            )
        self.check_point(cleaned)
        self.check_text_or_photo(cleaned, kept_photos=kept)
        return cleaned

    def kept_photo_count(self):
        """Photos left after the ticked removals (the new ones may fill up to MAX_FILES)."""
        removed = set(getattr(self, "cleaned_data", {}).get("remove_photos") or [])
        return len(self.photos) - len(removed)


class RatingForm(forms.Form):
    positive = forms.TypedChoiceField(
        label="Ваша оценка ответа",
        choices=[("yes", "Вопрос решён, ответ меня устраивает"), ("no", "Ответ меня не устраивает")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Выберите оценку."},
    )
    remarks = forms.CharField(
        label="Замечания (обязательно при отрицательной оценке)",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Что именно не сделано или сделано не так (§7.2). Сообщение вернётся на доработку.",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("positive") is False and not (cleaned.get("remarks") or "").strip():
            self.add_error(
                "remarks",
                "При отрицательной оценке укажите конкретные замечания, требующие доработки (§7.2).",
            )
        return cleaned


class LookupForm(forms.Form):
    number = forms.CharField(
        label="Номер сообщения",
        max_length=30,
        widget=forms.TextInput(attrs={"placeholder": "2026-000123", "inputmode": "numeric"}),
        error_messages={"required": "Введите номер сообщения."},
    )

    def clean_number(self):
        number = normalise_number(self.cleaned_data["number"])
        if number is None:
            raise forms.ValidationError("Номер выглядит так: 2026-000123.", code="format")
        return number


class MessageFilterForm(forms.Form):
    SORTS = [
        ("new", "сначала новые"),
        ("supported", "сначала самые поддержанные"),
        ("near", "сначала ближайшие к точке"),
    ]

    q = forms.CharField(label="Поиск по тексту, адресу или номеру", required=False, max_length=100)
    topic = forms.ModelChoiceField(
        label="Тема", required=False, queryset=Topic.objects.filter(is_active=True), to_field_name="key"
    )
    category = forms.ModelChoiceField(
        label="Категория",
        required=False,
        queryset=Category.objects.select_related("topic").order_by("topic__order", "order", "name"),
        to_field_name="key",
    )
    state = forms.ChoiceField(
        label="Состояние",
        required=False,
        choices=[("", "любое")] + [(s.value, s.label) for s in PUBLIC_STATES],
    )
    organization = forms.ModelChoiceField(
        label="Организация-исполнитель",
        required=False,
        queryset=Organization.objects.filter(is_active=True),
        to_field_name="key",
    )
    sort = forms.ChoiceField(label="Порядок", required=False, choices=SORTS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].empty_label = "все темы"
        self.fields["category"].empty_label = "все категории"
        self.fields["organization"].empty_label = "все организации"
        category = self.fields["category"]
        # A callable: the categories are read when the form is rendered, not when it is built (the
        # list's body is usually a cached fragment, and then the form is never rendered).
        category.widget.choices = lambda: [
            ("", "все категории"),
            *grouped_category_choices(category.queryset)[1:],
        ]

    def filter(self, queryset, *, depth=None):
        """Apply the valid filters; an invalid value is ignored rather than emptying the list.

        With a search, PostgreSQL ranks the `depth` newest matches (messages.selectors.search_messages):
        ranking every one of 150,000 matches of a common word would cost half a second, and the list
        shows no more than `depth` rows anyway.
        """
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if data.get("topic"):
            queryset = queryset.filter(category__topic=data["topic"])
        if data.get("category"):
            queryset = queryset.filter(category=data["category"])
        if data.get("state"):
            queryset = queryset.filter(state=data["state"])
        if data.get("organization"):
            queryset = queryset.filter(executing_organization=data["organization"])
        query = (data.get("q") or "").strip()
        if query:
            queryset = selectors.search_messages(queryset, query, number=normalise_number(query), depth=depth)
        if data.get("sort") == "supported":
            return queryset.order_by("-support_count", "-submitted_at", "-id")
        if query and "search_rank" in queryset.query.annotations:
            return queryset.order_by("-search_rank", "-submitted_at", "-id")
        return queryset.order_by("-submitted_at", "-id")


class MapFilterForm(MessageFilterForm):
    """The public map's filters: the list's, and a period instead of the text search and the order."""

    PERIODS = [("", "за всё время"), ("30", "за 30 дней"), ("90", "за 90 дней"), ("365", "за год")]

    period = forms.ChoiceField(label="Период", required=False, choices=PERIODS)

    def __init__(self, *args, parse_only=False, **kwargs):
        if parse_only:
            # The GeoJSON feed only parses: no grouped category choices to build (a query per request).
            forms.Form.__init__(self, *args, **kwargs)
        else:
            super().__init__(*args, **kwargs)
        del self.fields["q"]
        del self.fields["sort"]

    def filter(self, queryset):
        queryset = super().filter(queryset)
        period = getattr(self, "cleaned_data", {}).get("period")
        if period:
            queryset = queryset.filter(submitted_at__gte=timezone.now() - timedelta(days=int(period)))
        return queryset
