"""The domain core of §4–§7: a citizen's message and everything that happens to it.

State changes never happen here directly: `messages/services.py` runs each transition in a transaction
with a row lock and writes a MessageEvent (and the Notifications it implies) next to it.
"""

import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import Q
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from directory.models import AnswerKind, Category, Official, Organization, RejectionReason

from . import links
from .photos import MAX_FILES


def private_storage():
    return storages["private"]


class State(models.TextChoices):
    SUBMITTED = "submitted", "на модерации"
    REGISTERED = "registered", "зарегистрировано"
    REJECTED = "rejected", "отказано в регистрации"
    ANSWERED = "answered", "дан ответ"
    REWORK = "rework", "на доработке"
    CLOSED = "closed", "закрыто"
    # 152-ФЗ: the author withdrew consent (deleted the account) before the message was published; its
    # text, place and photos are erased and nobody works on it any more (accounts.services.account_delete).
    WITHDRAWN = "withdrawn", "отозвано автором"


# §4.8: a message becomes public when it is registered, and stays public with its answers.
PUBLIC_STATES = (State.REGISTERED, State.ANSWERED, State.REWORK, State.CLOSED)
# An answer is published and mailed to the author: a bound on it keeps a pasted megabyte out of both.
ANSWER_TEXT_MAX_LENGTH = 10_000
# States in which the assigned organisation owes an answer (§6.2, §7.3).
AWAITING_ANSWER_STATES = (State.REGISTERED, State.REWORK)
# §4.1: the information may be «в текстовой или иной форме» — a text, or at least one photo.
TEXT_OR_PHOTO_REQUIRED = "Опишите проблему или приложите хотя бы одну фотографию (§4.1)."
# Shown wherever a message's text would be, when the author sent photos only.
NO_TEXT_LABEL = "Без текста — см. фотографии"


class YearCounter(models.Model):
    """Per-year sequence behind the human numbers (§5.2); locked row, so numbers never repeat."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "счётчик номеров"
        verbose_name_plural = "счётчики номеров"

    def __str__(self):
        return f"{self.year}: {self.last}"


def message_path(number):
    """The public address of message `number`: the one place the domain asks for it (mails, admin links,
    `get_absolute_url`). The domain may not reverse a face's URL name, so the portal registers its page in
    messages/links.py; tests/messages/test_notification_links.py keeps the two equal."""
    return links.page_path("message", number=number)


class Message(ConcurrentTransitionMixin, models.Model):
    number = models.CharField("номер", max_length=20, unique=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        related_name="citizen_messages",
        verbose_name="автор",
        help_text="Пусто, если автор удалил учётную запись: сообщение остаётся обезличенным.",
    )
    category = models.ForeignKey(Category, models.PROTECT, related_name="messages", verbose_name="категория")
    # §4.1: may be empty when the message carries photos (constraint message_text_or_photo).
    text = models.TextField("текст сообщения", blank=True)
    # §4.1: the date, time and place the information is about.
    occurred_at = models.DateTimeField("дата и время проблемы")
    address = models.CharField("место (адрес или ориентир)", max_length=300)
    latitude = models.DecimalField("широта", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("долгота", max_digits=9, decimal_places=6, null=True, blank=True)
    show_author_name = models.BooleanField("показывать имя автора", default=False)

    state = FSMField("состояние", default=State.SUBMITTED, choices=State.choices, protected=True)
    submitted_at = models.DateTimeField("поступило")
    registration_due = models.DateTimeField("срок регистрации")
    registered_at = models.DateTimeField("зарегистрировано", null=True, blank=True)
    executing_organization = models.ForeignKey(
        Organization,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="executing_messages",
        verbose_name="организация-исполнитель",
    )
    answer_due = models.DateTimeField("срок ответа", null=True, blank=True)
    answered_at = models.DateTimeField("последний ответ", null=True, blank=True)
    closed_at = models.DateTimeField("закрыто", null=True, blank=True)
    rework_count = models.PositiveSmallIntegerField("возвратов на доработку", default=0)
    support_count = models.PositiveIntegerField("поддержали", default=0)
    duplicate_of = models.ForeignKey(
        "self",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name="дубликат сообщения",
    )
    # Kept by the services with the photo rows, so the database itself holds the §4.1 and §4.6 rules.
    photo_count = models.PositiveSmallIntegerField("фотографий", default=0, editable=False)
    rejection_reasons = models.ManyToManyField(
        RejectionReason, blank=True, related_name="+", verbose_name="причины последнего отказа"
    )
    # A per-form token: the same form posted twice (double click, retry) creates one message.
    client_token = models.UUIDField("токен формы", null=True, blank=True, editable=False)
    updated_at = models.DateTimeField("изменено", auto_now=True)

    class Meta:
        verbose_name = "сообщение"
        verbose_name_plural = "сообщения"
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "client_token"],
                condition=Q(client_token__isnull=False),
                name="message_unique_client_token",
            ),
            # §4.1: a text or at least one photo; a withdrawn message is erased (152-ФЗ) and has neither.
            models.CheckConstraint(
                condition=~Q(text="") | Q(photo_count__gt=0) | Q(state=State.WITHDRAWN),
                name="message_text_or_photo",
            ),
            # §4.6: at most four photos to one message.
            models.CheckConstraint(condition=Q(photo_count__lte=MAX_FILES), name="message_photo_limit"),
        ]
        indexes = [
            models.Index(fields=["state", "registration_due"], name="message_state_reg_due"),
            models.Index(fields=["state", "answer_due"], name="message_state_answer_due"),
            models.Index(fields=["executing_organization", "state"], name="message_org_state"),
            models.Index(fields=["category", "state"], name="message_category_state"),
            models.Index(fields=["submitted_at"], name="message_submitted_at"),
            models.Index(fields=["-support_count", "-submitted_at"], name="message_support_rank"),
            # The map's box queries and the nearby search (issue 15): public messages with a point only.
            models.Index(
                fields=["latitude", "longitude"],
                condition=Q(state__in=PUBLIC_STATES, latitude__isnull=False),
                name="message_public_point",
            ),
            # The nearby search by category (the submit form, the duplicate hints): a few hundred entries.
            models.Index(
                fields=["category", "latitude", "longitude"],
                condition=Q(state__in=PUBLIC_STATES, latitude__isnull=False),
                name="message_public_category_point",
            ),
        ]

    def __str__(self):
        return f"№ {self.number}"

    def get_absolute_url(self):
        return message_path(self.number)

    @property
    def is_public(self):
        return self.state in PUBLIC_STATES

    @property
    def no_text_label(self):
        """What stands in for an empty text (§4.1: photos only) in lists and on pages."""
        return NO_TEXT_LABEL

    # Transitions (DESIGN.md): the services call these under a row lock; nobody else does.
    @transition(field=state, source=State.SUBMITTED, target=State.REGISTERED)
    def register(self) -> None:
        pass

    @transition(field=state, source=State.SUBMITTED, target=State.REJECTED)
    def reject(self) -> None:
        pass

    @transition(field=state, source=State.REJECTED, target=State.SUBMITTED)
    def resubmit(self) -> None:
        pass

    @transition(field=state, source=[State.REGISTERED, State.REWORK], target=State.ANSWERED)
    def answer(self) -> None:
        pass

    @transition(field=state, source=State.ANSWERED, target=State.CLOSED)
    def close(self) -> None:
        pass

    @transition(field=state, source=State.ANSWERED, target=State.REWORK)
    def send_to_rework(self) -> None:
        pass

    @transition(field=state, source=[State.SUBMITTED, State.REJECTED], target=State.WITHDRAWN)
    def withdraw(self) -> None:
        pass


class StoredImage(models.Model):
    """A photo or scan after the pipeline of messages/photos.py: only clean JPEG copies are served."""

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    position = models.PositiveSmallIntegerField("порядок", default=0)
    image = models.FileField("изображение", storage=private_storage, max_length=200)
    thumbnail = models.FileField("миниатюра", storage=private_storage, max_length=200)
    original = models.FileField("оригинал", storage=private_storage, max_length=200, blank=True)
    original_name = models.CharField("имя файла у автора", max_length=255, blank=True)
    source_format = models.CharField("исходный формат", max_length=10)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    class Meta:
        abstract = True
        ordering = ["position", "id"]


class Photo(StoredImage):
    message = models.ForeignKey(Message, models.CASCADE, related_name="photos", verbose_name="сообщение")

    class Meta(StoredImage.Meta):
        verbose_name = "фотография"
        verbose_name_plural = "фотографии"

    def __str__(self):
        return f"Фото {self.position + 1} к {self.message}"


class Answer(models.Model):
    Kind = AnswerKind  # §6.2

    message = models.ForeignKey(Message, models.CASCADE, related_name="answers", verbose_name="сообщение")
    kind = models.CharField("результат", max_length=20, choices=Kind.choices)
    text = models.TextField("текст ответа")
    planned_date = models.DateField("планируемый срок решения", null=True, blank=True)
    author = models.ForeignKey(Official, models.PROTECT, related_name="answers", verbose_name="ответил")
    organization = models.ForeignKey(
        Organization, models.PROTECT, related_name="answers", verbose_name="организация"
    )
    created_at = models.DateTimeField("дан")
    is_rework = models.BooleanField("ответ после доработки", default=False)

    class Meta:
        verbose_name = "ответ"
        verbose_name_plural = "ответы"
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=AnswerKind.PLANNED) | Q(planned_date__isnull=False),
                name="answer_planned_has_date",
            ),
        ]

    def __str__(self):
        return f"Ответ на {self.message} ({self.get_kind_display()})"


class AnswerAttachment(StoredImage):
    answer = models.ForeignKey(Answer, models.CASCADE, related_name="attachments", verbose_name="ответ")

    class Meta(StoredImage.Meta):
        verbose_name = "вложение ответа"
        verbose_name_plural = "вложения ответов"

    def __str__(self):
        return f"Вложение {self.position + 1} к ответу {self.answer_id}"


class AnswerDocument(models.Model):
    """§6.3: a scanned document (PDF) attached to an answer, checked by messages/documents.py.

    Stored as uploaded under a generated name and served only as a download (never inline)."""

    answer = models.ForeignKey(Answer, models.CASCADE, related_name="documents", verbose_name="ответ")
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    position = models.PositiveSmallIntegerField("порядок", default=0)
    file = models.FileField("файл", storage=private_storage, max_length=200)
    original_name = models.CharField("имя файла у автора", max_length=255, blank=True)
    size = models.PositiveIntegerField("размер, байт")
    pages = models.PositiveIntegerField("страниц")

    class Meta:
        verbose_name = "документ ответа"
        verbose_name_plural = "документы ответов"
        ordering = ["position", "id"]

    def __str__(self):
        return f"Документ {self.position + 1} к ответу {self.answer_id}"

    @property
    def label(self):
        """«Документ, PDF, 1,2 МБ»: what the pages and e-mails show as the download link."""
        from .documents import format_size

        return f"Документ, PDF, {format_size(self.size)}"

    def download_name(self, number):
        """A neutral file name for the browser: the message number and the position, nothing typed by anyone."""
        return f"{number}-dokument-{self.position + 1}.pdf"


class RemarksReview(models.TextChoices):
    """§7.2–7.3: the remarks of a rating go to the organisation at once, to the public page only after a
    moderator of the category has read them (they may hold personal data)."""

    NONE = "", "замечаний нет"
    PENDING = "pending", "ждут проверки модератором"
    PUBLISHED = "published", "опубликованы как написаны"
    EDITED = "edited", "опубликованы с правками модератора"
    HIDDEN = "hidden", "не публикуются"


class Rating(models.Model):
    """§7.1–7.2: the author's rating of one answer; negative needs concrete remarks."""

    Review = RemarksReview

    answer = models.OneToOneField(Answer, models.CASCADE, related_name="rating", verbose_name="ответ")
    message = models.ForeignKey(Message, models.CASCADE, related_name="ratings", verbose_name="сообщение")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name="автор"
    )
    positive = models.BooleanField("положительная")
    remarks = models.TextField("замечания", blank=True)
    created_at = models.DateTimeField("дата оценки")
    remarks_review = models.CharField(
        "проверка замечаний", max_length=10, choices=RemarksReview.choices, blank=True, default=""
    )
    # What the public page shows once a moderator published them: the remarks as written or edited.
    remarks_public = models.TextField("замечания для публикации", blank=True)
    remarks_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="проверил замечания",
    )
    remarks_reviewed_at = models.DateTimeField("замечания проверены", null=True, blank=True)

    class Meta:
        verbose_name = "оценка ответа"
        verbose_name_plural = "оценки ответов"
        constraints = [
            models.CheckConstraint(
                condition=Q(positive=True) | ~Q(remarks=""), name="rating_negative_has_remarks"
            ),
            models.CheckConstraint(
                condition=Q(remarks="", remarks_review="") | (~Q(remarks="") & ~Q(remarks_review="")),
                name="rating_remarks_have_review_state",
            ),
        ]
        indexes = [models.Index(fields=["remarks_review"], name="rating_remarks_review")]

    def __str__(self):
        return f"{'+' if self.positive else '−'} {self.message}"


class Support(models.Model):
    """§7.5: a user or a guest supports a public message once — enforced by the database."""

    message = models.ForeignKey(Message, models.CASCADE, related_name="supports", verbose_name="сообщение")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="пользователь",
    )
    guest_token = models.CharField("токен гостя", max_length=64, null=True, blank=True)
    created_at = models.DateTimeField("дата", auto_now_add=True)

    class Meta:
        verbose_name = "поддержка"
        verbose_name_plural = "поддержки"
        constraints = [
            models.UniqueConstraint(
                fields=["message", "user"], condition=Q(user__isnull=False), name="support_once_per_user"
            ),
            models.UniqueConstraint(
                fields=["message", "guest_token"],
                condition=Q(guest_token__isnull=False),
                name="support_once_per_guest",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False, guest_token__isnull=True)
                | Q(user__isnull=True, guest_token__isnull=False),
                name="support_user_xor_guest",
            ),
        ]

    def __str__(self):
        return f"Поддержка {self.message}"


class MessageEvent(models.Model):
    """One row per thing that happened: the public timeline, the staff history and the statistics."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", "сообщение поступило"
        REGISTERED = "registered", "зарегистрировано и опубликовано"
        REJECTED = "rejected", "отказано в регистрации"
        RESUBMITTED = "resubmitted", "исправлено и направлено повторно"
        REASSIGNED = "reassigned", "передано другой организации"
        REASSIGN_REQUESTED = "reassign_requested", "исполнитель просит передать другой организации"
        ANSWERED = "answered", "дан ответ"
        RATED_POSITIVE = "rated_positive", "ответ оценён положительно"
        RATED_NEGATIVE = "rated_negative", "ответ оценён отрицательно, направлено на доработку"
        CLOSED_UNRATED = "closed_unrated", "закрыто без оценки"
        REMINDER = "reminder", "напоминание о сроке"
        ESCALATED = "escalated", "срок нарушен"
        WITHDRAWN = "withdrawn", "отозвано автором до публикации"
        REMARKS_REVIEWED = "remarks_reviewed", "замечания к оценке проверены модератором"

    PUBLIC_KINDS = (
        Kind.REGISTERED,
        Kind.REASSIGNED,
        Kind.ANSWERED,
        Kind.RATED_POSITIVE,
        Kind.RATED_NEGATIVE,
        Kind.CLOSED_UNRATED,
    )

    message = models.ForeignKey(Message, models.CASCADE, related_name="events", verbose_name="сообщение")
    kind = models.CharField("событие", max_length=30, choices=Kind.choices)
    from_state = models.CharField("было", max_length=20, choices=State.choices, blank=True)
    to_state = models.CharField("стало", max_length=20, choices=State.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="кто"
    )
    created_at = models.DateTimeField("время", db_index=True)
    comment = models.TextField("комментарий", blank=True)
    data = models.JSONField("данные", default=dict, blank=True)
    is_public = models.BooleanField("публичное", default=False)

    class Meta:
        verbose_name = "событие"
        verbose_name_plural = "события"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["kind", "created_at"], name="event_kind_created")]

    def __str__(self):
        return f"{self.message}: {self.get_kind_display()}"


class Notification(models.Model):
    """The outbox: written with the event, shown in the cabinet at once, mailed by the worker."""

    class Kind(models.TextChoices):
        RECEIVED = "received", "сообщение получено"
        REGISTERED = "registered", "сообщение зарегистрировано и опубликовано"
        REJECTED = "rejected", "отказано в регистрации"
        ANSWERED = "answered", "получен ответ"
        REWORK = "rework", "ответ направлен на доработку"
        REWORK_ASSIGNED = "rework_assigned", "сообщение возвращено на доработку"
        CLOSED = "closed", "сообщение закрыто"
        ASSIGNED = "assigned", "новое сообщение для ответа"
        REASSIGN_REQUESTED = "reassign_requested", "просьба передать сообщение"
        REMINDER = "reminder", "срок истекает"
        ESCALATION = "escalation", "срок нарушен"
        # For the people who follow a public message (MessageFollow), at its public steps; the author is
        # told by the notices above and never gets these as well.
        FOLLOW_REGISTERED = "follow_registered", "вы следите: сообщение зарегистрировано и опубликовано"
        FOLLOW_ANSWERED = "follow_answered", "вы следите: дан ответ"
        FOLLOW_REWORK = "follow_rework", "вы следите: ответ направлен на доработку"
        FOLLOW_CLOSED = "follow_closed", "вы следите: сообщение закрыто"

    class EmailStatus(models.TextChoices):
        PENDING = "pending", "ожидает отправки"
        SENDING = "sending", "отправляется"
        SENT = "sent", "отправлено"
        FAILED = "failed", "не отправлено"
        SKIPPED = "skipped", "без письма"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="notifications", verbose_name="получатель"
    )
    kind = models.CharField("вид", max_length=30, choices=Kind.choices)
    message = models.ForeignKey(
        Message, models.CASCADE, related_name="notifications", verbose_name="сообщение"
    )
    event = models.ForeignKey(
        MessageEvent, models.CASCADE, related_name="notifications", verbose_name="событие"
    )
    created_at = models.DateTimeField("создано")
    read_at = models.DateTimeField("прочитано", null=True, blank=True)
    email_status = models.CharField(
        "письмо", max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField("попыток", default=0)
    next_attempt_at = models.DateTimeField("следующая попытка", null=True, blank=True)
    # While "sending": the worker that holds the row must finish by then. It is also the claim's fencing
    # token: every write of that worker requires this exact value, so a late worker cannot overwrite a row
    # that was failed as interrupted, retried and claimed again (messages/tasks.py).
    lease_until = models.DateTimeField("отправка занята до", null=True, blank=True)
    sent_at = models.DateTimeField("отправлено", null=True, blank=True)
    last_error = models.TextField("последняя ошибка", blank=True)

    class Meta:
        verbose_name = "уведомление"
        verbose_name_plural = "уведомления"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "message", "kind", "event"], name="notification_once_per_event"
            ),
            models.CheckConstraint(
                condition=~models.Q(email_status="sending") | models.Q(lease_until__isnull=False),
                name="notification_sending_has_lease",
            ),
        ]
        indexes = [
            models.Index(fields=["email_status", "next_attempt_at"], name="notification_outbox"),
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.recipient}"


class MessageFollow(models.Model):
    """A person follows a public message: an e-mail at each of its public steps, until they unfollow.

    Not an event of the message: following changes nothing of it, so it is not in its history (the
    timeline, the staff history, the statistics); this row is the record. The author follows their own
    message without a row: the author's notices of the regulation (§5.6, §6.4, §7.4) tell them already.
    """

    message = models.ForeignKey(Message, models.CASCADE, related_name="follows", verbose_name="сообщение")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="message_follows", verbose_name="пользователь"
    )
    created_at = models.DateTimeField("с")

    class Meta:
        verbose_name = "подписка на сообщение"
        verbose_name_plural = "подписки на сообщения"
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["message", "user"], name="follow_once_per_user")]
        indexes = [models.Index(fields=["user", "-created_at"], name="follow_user_created")]

    def __str__(self):
        return f"{self.user} следит за {self.message}"


class DeadlineNotice(models.Model):
    """Which reminder or escalation was sent for which message and deadline; at most one of each."""

    class Stage(models.TextChoices):
        REGISTRATION = "registration", "срок регистрации (§5.4)"
        ANSWER = "answer", "срок ответа (§6.2, §7.3)"

    class Kind(models.TextChoices):
        REMINDER = "reminder", "напоминание"
        ESCALATION = "escalation", "эскалация"

    message = models.ForeignKey(
        Message, models.CASCADE, related_name="deadline_notices", verbose_name="сообщение"
    )
    stage = models.CharField("срок", max_length=20, choices=Stage.choices)
    kind = models.CharField("вид", max_length=20, choices=Kind.choices)
    due = models.DateTimeField("истекает")
    event = models.OneToOneField(
        MessageEvent, models.CASCADE, related_name="deadline_notice", verbose_name="событие"
    )
    created_at = models.DateTimeField("отправлено")

    class Meta:
        verbose_name = "напоминание о сроке"
        verbose_name_plural = "напоминания и эскалации"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "stage", "kind", "due"], name="deadline_notice_once_per_deadline"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.message}, {self.get_stage_display()}"


class StaffDigest(models.Model):
    """One digest per official and working day: claimed before sending, so it is never mailed twice."""

    class Status(models.TextChoices):
        SENDING = "sending", "отправляется"
        SENT = "sent", "отправлено"
        FAILED = "failed", "не отправлено"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="+", verbose_name="получатель"
    )
    day = models.DateField("день")
    status = models.CharField("письмо", max_length=10, choices=Status.choices, default=Status.SENDING)
    to_register = models.PositiveIntegerField("ждут регистрации", default=0)
    to_answer = models.PositiveIntegerField("ждут ответа", default=0)
    created_at = models.DateTimeField("создано")
    sent_at = models.DateTimeField("отправлено", null=True, blank=True)
    last_error = models.TextField("ошибка", blank=True)

    class Meta:
        verbose_name = "сводка для сотрудника"
        verbose_name_plural = "сводки для сотрудников"
        ordering = ["-day", "recipient_id"]
        constraints = [models.UniqueConstraint(fields=["recipient", "day"], name="staff_digest_once_a_day")]

    def __str__(self):
        return f"Сводка {self.day:%d.%m.%Y} → {self.recipient}"
