from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from .emails import canonical_email, email_clean


class UserManager(BaseUserManager):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email):
        return canonical_email(email or "")

    def get_by_natural_key(self, username):
        # One canonical address, compared for equality: "Ivan@Mail.ru" and "ivan@mail.ru" are one person,
        # "ıvan@mail.ru" is not (never `iexact`: PostgreSQL's UPPER() folds «ı» into «I»; accounts/emails.py).
        return self.get(email=canonical_email(username))

    def filter_by_email(self, address):
        """The account (at most one) that owns `address`, by the canonical form."""
        return self.filter(email=canonical_email(address))

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("Укажите адрес электронной почты.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person with an account: a citizen, or an official when an `Official` row points here."""

    email = models.EmailField("адрес электронной почты", max_length=254, unique=True)
    full_name = models.CharField("ФИО", max_length=200, blank=True)
    show_name_publicly = models.BooleanField(
        "показывать моё имя в опубликованных сообщениях",
        default=False,
        help_text="По умолчанию сообщения публикуются без имени автора.",
    )
    is_staff = models.BooleanField("доступ к администрированию", default=False)
    is_active = models.BooleanField("активна", default=True)
    date_joined = models.DateTimeField("зарегистрирован", default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = "пользователь"
        verbose_name_plural = "пользователи"
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self):
        return self.full_name or self.email

    def clean(self):
        super().clean()
        # Forms refuse look-alike addresses; save() alone only canonicalises (legacy rows stay loadable).
        if self.email:
            try:
                self.email = email_clean(self.email)
            except ValidationError as error:
                raise ValidationError({"email": error.messages}) from error

    def save(self, *args, **kwargs):
        # Stored in the canonical form, so the unique index on `email` is uniqueness of the address.
        self.email = canonical_email(self.email)
        super().save(*args, **kwargs)

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


class ConsentRecord(models.Model):
    """Consent to the processing of personal data (152-ФЗ, ст. 9): who, which text version, when, from where.

    Kept after the account is deleted as evidence that processing was lawful while it lasted; deletion
    stamps `withdrawn_at` (accounts.services.account_delete).
    """

    class Kind(models.TextChoices):
        PERSONAL_DATA = "personal_data", "обработка персональных данных"

    user = models.ForeignKey(User, models.CASCADE, related_name="consents", verbose_name="пользователь")
    kind = models.CharField("вид согласия", max_length=30, choices=Kind.choices, default=Kind.PERSONAL_DATA)
    version = models.CharField("версия текста", max_length=40)
    given_at = models.DateTimeField("дано")
    ip_address = models.GenericIPAddressField("IP-адрес", null=True, blank=True)
    withdrawn_at = models.DateTimeField("отозвано", null=True, blank=True)

    class Meta:
        verbose_name = "согласие на обработку персональных данных"
        verbose_name_plural = "согласия на обработку персональных данных"
        ordering = ["-given_at"]

    def __str__(self):
        return f"{self.get_kind_display()} v{self.version} — {self.user_id}"


class OutboundEmail(models.Model):
    """The outbox of the account emails (sign-up confirmation, password reset, e-mail change, …).

    allauth renders them in the request; the request only stores the row (an SMTP outage cannot fail a
    sign-up or leave a half-created account) and the worker mails it with the rules of the message
    notices: claim, lease, retries with backoff, never twice (messages/tasks.py). The body may hold a
    secret (a reset or confirmation key), so the admin never shows it and it is blanked once sent.
    """

    class EmailStatus(models.TextChoices):
        # The same states as the notices' outbox (messages.models.Notification.EmailStatus).
        PENDING = "pending", "ожидает отправки"
        SENDING = "sending", "отправляется"
        SENT = "sent", "отправлено"
        FAILED = "failed", "не отправлено"

    kind = models.CharField("вид", max_length=100, help_text="Шаблон allauth, например account/email/…")
    to_email = models.EmailField("получатель", max_length=254)
    from_email = models.CharField("отправитель", max_length=254)
    subject = models.CharField("тема", max_length=998)
    body = models.TextField("текст", blank=True)
    html = models.TextField("HTML", blank=True)
    created_at = models.DateTimeField("создано", default=timezone.now)
    email_status = models.CharField(
        "письмо", max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField("попыток", default=0)
    next_attempt_at = models.DateTimeField("следующая попытка", null=True, blank=True, default=timezone.now)
    lease_until = models.DateTimeField("отправка занята до", null=True, blank=True)
    sent_at = models.DateTimeField("отправлено", null=True, blank=True)
    last_error = models.TextField("последняя ошибка", blank=True)

    class Meta:
        verbose_name = "письмо учётной записи"
        verbose_name_plural = "письма учётных записей"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(email_status="sending") | models.Q(lease_until__isnull=False),
                name="outbound_email_sending_has_lease",
            ),
        ]
        indexes = [models.Index(fields=["email_status", "next_attempt_at"], name="outbound_email_outbox")]

    def __str__(self):
        return f"{self.kind} → {self.to_email}"


class ApiClient(models.Model):
    """Software registered by an administrator to use the Open311 API (issue 16): an aggregator, a mobile
    app. Only a hash of its key is stored; the key itself is shown once, when it is issued."""

    name = models.CharField("название", max_length=200, unique=True)
    description = models.TextField("кто и зачем", blank=True)
    key_hash = models.CharField("хеш ключа", max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(
        "начало ключа", max_length=8, editable=False, help_text="Чтобы узнать ключ, не храня его целиком."
    )
    is_active = models.BooleanField("действует", default=True)
    rate_limit = models.CharField(
        "ограничение запросов",
        max_length=100,
        default="1000/1h",
        validators=[
            RegexValidator(
                r"^\s*\d+/\d*[smhd]\s*(,\s*\d+/\d*[smhd]\s*)*$",
                "Укажите как 1000/1h: число запросов, косая черта, период (s, m, h или d).",
            )
        ],
        help_text="Сколько запросов за период, например 1000/1h или 100/1m (s, m, h, d).",
    )
    created_at = models.DateTimeField("зарегистрирован", default=timezone.now)

    class Meta:
        verbose_name = "приложение (API)"
        verbose_name_plural = "приложения (API)"
        ordering = ["name"]

    def __str__(self):
        return self.name


class ApiClientConsent(models.Model):
    """A citizen allows one API client to submit messages in their name (§3.2: only registered users
    submit). One row per permission given; revoking stamps `revoked_at`, so the rows are the history."""

    user = models.ForeignKey(User, models.CASCADE, related_name="api_consents", verbose_name="пользователь")
    client = models.ForeignKey(ApiClient, models.CASCADE, related_name="consents", verbose_name="приложение")
    given_at = models.DateTimeField("разрешено")
    ip_address = models.GenericIPAddressField("IP-адрес", null=True, blank=True)
    revoked_at = models.DateTimeField("отозвано", null=True, blank=True)

    class Meta:
        verbose_name = "разрешение приложению"
        verbose_name_plural = "разрешения приложениям"
        ordering = ["-given_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "client"],
                condition=models.Q(revoked_at__isnull=True),
                name="api_consent_one_active",
            ),
        ]

    def __str__(self):
        return f"{self.client} ← {self.user_id}"
