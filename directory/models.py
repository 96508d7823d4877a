"""Reference data of the platform: who handles what (§2.2, §2.5–2.7, Appendix 2)."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


class KeyedManager(models.Manager):
    """Natural keys make `bootstrap` idempotent: fixtures refer to rows by a stable key."""

    def get_by_natural_key(self, key):
        return self.get(key=key)


class Organization(models.Model):
    class Kind(models.TextChoices):
        LOCAL_GOVERNMENT = "local_government", "орган местного самоуправления"
        ORGANIZATION = "organization", "организация"

    key = models.SlugField("код", max_length=80, unique=True)
    name = models.CharField("полное наименование", max_length=300)
    short_name = models.CharField("краткое наименование", max_length=150)
    kind = models.CharField("вид", max_length=20, choices=Kind.choices, default=Kind.ORGANIZATION)
    address = models.CharField("адрес", max_length=300, blank=True)
    phones = models.CharField("телефоны", max_length=200, blank=True)
    email = models.EmailField("электронная почта", blank=True)
    website = models.URLField("сайт", blank=True)
    working_hours = models.CharField("режим работы", max_length=300, blank=True)
    notes = models.TextField("примечания", blank=True)
    is_active = models.BooleanField("действует", default=True)

    objects = KeyedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "организация"
        verbose_name_plural = "организации"
        ordering = ["short_name"]

    def __str__(self):
        return self.short_name

    def natural_key(self):
        return (self.key,)


class Topic(models.Model):
    key = models.SlugField("код", max_length=80, unique=True)
    name = models.CharField("название", max_length=150, unique=True)
    order = models.PositiveSmallIntegerField("порядок", default=0)
    is_active = models.BooleanField("действует", default=True)

    objects = KeyedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "тема"
        verbose_name_plural = "темы"
        ordering = ["order", "name"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.key,)


class Category(models.Model):
    """A problem type of Appendix 2. Retired by `is_active`, never deleted while messages use it."""

    key = models.SlugField("код", max_length=80, unique=True)
    topic = models.ForeignKey(Topic, models.PROTECT, related_name="categories", verbose_name="тема")
    name = models.CharField("название", max_length=150, unique=True)
    description = models.TextField("что относится к категории", blank=True)
    order = models.PositiveSmallIntegerField("порядок", default=0)
    responsible_organization = models.ForeignKey(
        Organization,
        models.PROTECT,
        related_name="responsible_for",
        verbose_name="ответственная организация",
        help_text="Предлагается модератору как исполнитель при регистрации сообщения.",
    )
    participating_organizations = models.ManyToManyField(
        Organization,
        blank=True,
        related_name="participates_in",
        verbose_name="участвующие организации",
        help_text="Организации, которым модератор тоже может направить сообщение этой категории (§2.7).",
    )
    is_active = models.BooleanField("принимает сообщения", default=True)

    objects = KeyedManager()
    history = HistoricalRecords(m2m_fields=[participating_organizations])

    class Meta:
        verbose_name = "категория"
        verbose_name_plural = "категории"
        ordering = ["topic__order", "order", "name"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.key,)

    def executing_organizations(self) -> list["Organization"]:
        """Organisations a moderator may route this category to: the responsible one first."""
        others = [
            o for o in self.participating_organizations.all() if o.pk != self.responsible_organization_id
        ]
        return [self.responsible_organization, *others]


class Official(models.Model):
    """Ответственное должностное лицо (Appendix 2): a user acting for an organisation in a role."""

    class Role(models.TextChoices):
        MODERATOR = "moderator", "модератор"
        EXECUTOR = "executor", "исполнитель"
        SUPERVISOR = "supervisor", "мониторинг работы платформы"
        ADMINISTRATOR = "administrator", "администратор"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="official", verbose_name="пользователь"
    )
    organization = models.ForeignKey(
        Organization, models.PROTECT, related_name="officials", verbose_name="организация"
    )
    position = models.CharField("должность", max_length=300)
    role = models.CharField("роль", max_length=20, choices=Role.choices)
    categories = models.ManyToManyField(
        Category, blank=True, related_name="officials", verbose_name="категории (типы проблем)"
    )
    appendix_row = models.PositiveSmallIntegerField(
        "строка Приложения 2", null=True, blank=True, unique=True, help_text="Пусто для назначенных позже."
    )
    is_active = models.BooleanField("действует", default=True)
    # Постановление № 2286, п. 4: control over the whole platform lies with the deputy head of the
    # Administration (Appendix 2, row 1). He sees every organisation and official in the back-office's
    # control view (§9) and may open every message there, like the platform's monitors; his rights to
    # act stay those of his role and categories.
    controls_platform = models.BooleanField(
        "контроль за работой всей платформы",
        default=False,
        help_text="Постановление № 2286, п. 4: видит сроки и просрочки всех организаций и должностных лиц "
        "и может открыть любое сообщение (действовать — только по своей роли и категориям).",
    )

    history = HistoricalRecords(m2m_fields=[categories])

    class Meta:
        verbose_name = "ответственное должностное лицо"
        verbose_name_plural = "ответственные должностные лица"
        ordering = ["organization__short_name", "user__full_name"]

    def __str__(self):
        return f"{self.user.get_full_name()} ({self.organization}, {self.get_role_display()})"

    @property
    def is_moderator(self):
        return self.role == self.Role.MODERATOR

    @property
    def is_executor(self):
        return self.role == self.Role.EXECUTOR

    @property
    def is_supervisor(self):
        return self.role == self.Role.SUPERVISOR

    @property
    def oversees_everything(self) -> bool:
        """Sees every message and every organisation's figures: the platform's monitors (Appendix 2 rows
        18–19) and the official in charge of control over the platform (`controls_platform`)."""
        return self.role == self.Role.SUPERVISOR or self.controls_platform

    @property
    def controls_handling(self) -> bool:
        """§2.5, §9: opens the control view of timeliness — the moderators (in Appendix 2 the heads who
        organise their categories' handling) over their scope, the monitors and the platform's controller
        over everything. Executors and administrators do not."""
        return self.oversees_everything or self.role == self.Role.MODERATOR


class CalendarOverride(models.Model):
    """A day the production calendar gets wrong or does not know yet (a new decree). Always wins."""

    date = models.DateField("дата", unique=True)
    is_working = models.BooleanField("рабочий день")
    reason = models.CharField("основание", max_length=300)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "исключение производственного календаря"
        verbose_name_plural = "исключения производственного календаря"
        ordering = ["-date"]

    def __str__(self):
        kind = "рабочий" if self.is_working else "выходной"
        return f"{self.date:%d.%m.%Y} — {kind}"


class RejectionReason(models.Model):
    """A ground to refuse registration (§4.3, §4.4, §5.5) with the words the citizen will read (§5.7)."""

    DUPLICATE = "duplicate"

    code = models.SlugField("код", max_length=80, unique=True)
    title = models.CharField("название", max_length=200)
    citizen_text = models.TextField("текст для автора сообщения")
    regulation_ref = models.CharField("пункт регламента", max_length=20)
    order = models.PositiveSmallIntegerField("порядок", default=0)
    is_active = models.BooleanField("действует", default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "причина отказа в регистрации"
        verbose_name_plural = "причины отказа в регистрации"
        ordering = ["order", "title"]

    def __str__(self):
        return self.title


class AnswerKind(models.TextChoices):
    """§6.2: the three possible results of consideration. The one list of answer kinds: answers
    (messages.models.Answer), answer templates and the statistics all use it."""

    SOLVED = "solved", "вопрос решён"
    PLANNED = "planned", "решение запланировано"
    IMPOSSIBLE = "impossible", "решение невозможно"


class AnswerTemplate(models.Model):
    Kind = AnswerKind

    category = models.ForeignKey(
        Category, models.CASCADE, related_name="answer_templates", verbose_name="категория"
    )
    title = models.CharField("название", max_length=200)
    kind = models.CharField("вид ответа", max_length=20, choices=Kind.choices)
    text = models.TextField("текст")

    history = HistoricalRecords()

    class Meta:
        verbose_name = "шаблон ответа"
        verbose_name_plural = "шаблоны ответов"
        ordering = ["category", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "title"], name="directory_answertemplate_unique_title"
            ),
        ]

    def __str__(self):
        return f"{self.category}: {self.title}"


class FaqEntry(models.Model):
    """Typical questions and answers of a category (§2.5), shown to citizens before they write."""

    category = models.ForeignKey(
        Category, models.CASCADE, related_name="faq_entries", verbose_name="категория"
    )
    question = models.CharField("вопрос", max_length=300)
    answer = models.TextField("ответ")
    order = models.PositiveSmallIntegerField("порядок", default=0)
    is_published = models.BooleanField("опубликован", default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "типовой вопрос"
        verbose_name_plural = "типовые вопросы и ответы"
        ordering = ["category", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "question"], name="directory_faqentry_unique_question"
            ),
        ]

    def __str__(self):
        return self.question


class TopicProposal(models.Model):
    """§2.7: an organisation proposes a new or changed topic/category; an administrator decides."""

    class Status(models.TextChoices):
        PENDING = "pending", "на рассмотрении"
        ACCEPTED = "accepted", "принято и применено"
        DECLINED = "declined", "отклонено"

    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="topic_proposals", verbose_name="автор"
    )
    proposing_organization = models.ForeignKey(
        Organization, models.PROTECT, related_name="+", verbose_name="предлагающая организация"
    )
    # §2.7 item 1: the name of the topic and/or category to create or change.
    topic_name = models.CharField("тема", max_length=150)
    category_name = models.CharField("категория", max_length=150, blank=True)
    category_description = models.TextField(
        "что относится к категории",
        blank=True,
        help_text="Для новой категории — её описание для граждан; для изменяемой — новое описание "
        "(пусто — описание остаётся прежним).",
    )
    changes_category = models.ForeignKey(
        Category,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="изменяемая категория",
        help_text="Пусто — предлагается новая категория.",
    )
    # §2.7 item 2: who prepares the answers.
    responsible_organization = models.ForeignKey(
        Organization, models.PROTECT, related_name="+", verbose_name="ответственная организация"
    )
    # §2.7 item 3: who takes part in preparing the answers.
    participating_organizations = models.ManyToManyField(
        Organization, blank=True, related_name="+", verbose_name="участвующие организации"
    )
    # §2.7 item 4: routing proposals.
    routing_proposal = models.TextField("предложения по маршрутизации")
    status = models.CharField("статус", max_length=20, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField("подано", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="решение принял",
    )
    decided_at = models.DateTimeField("дата решения", null=True, blank=True)
    decision_comment = models.TextField("комментарий к решению", blank=True)

    history = HistoricalRecords(m2m_fields=[participating_organizations])

    class Meta:
        verbose_name = "предложение по темам и категориям"
        verbose_name_plural = "предложения по темам и категориям (§2.7)"
        ordering = ["-created_at"]

    def __str__(self):
        target = self.category_name or self.topic_name
        return f"{target} ({self.get_status_display()})"
