"""What the API face keeps: which client submitted which message (the Open311 token), and the open-data
files written by the worker."""

import uuid

from django.db import models

from accounts.models import ApiClient
from messages.models import Message


class ApiSubmission(models.Model):
    """A message sent through Open311 POST requests: the token the client polls (tokens/{token}) until
    the message is registered and gets its public service_request_id."""

    token = models.UUIDField("токен", default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(
        ApiClient, models.PROTECT, related_name="submissions", verbose_name="приложение"
    )
    message = models.OneToOneField(
        Message, models.CASCADE, related_name="api_submission", verbose_name="сообщение"
    )
    created_at = models.DateTimeField("отправлено")

    class Meta:
        verbose_name = "сообщение через API"
        verbose_name_plural = "сообщения через API"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.message} ← {self.client}"


class OpenDataFile(models.Model):
    """One daily open-data file in the "opendata" storage (api.opendata.write_day)."""

    dataset = models.CharField("набор", max_length=40)
    day = models.DateField("за день")
    format = models.CharField("формат", max_length=10)
    name = models.CharField("файл", max_length=200, unique=True)
    rows = models.PositiveIntegerField("строк")
    size = models.PositiveIntegerField("размер, байт")
    created_at = models.DateTimeField("создан")

    class Meta:
        verbose_name = "файл открытых данных"
        verbose_name_plural = "файлы открытых данных"
        ordering = ["-day", "dataset", "format"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "day", "format"], name="opendata_file_once"),
        ]

    def __str__(self):
        return self.name
