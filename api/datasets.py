"""The open-data set of public messages (issue 16): what their public pages show, without personal data.

A day's file holds every message with a public event that day (registered, reassigned, answered, rated,
closed), in its state when the file is written: applied in date order by `number`, the files keep a full
copy of the public messages up to date. Never the author (not even a name they chose to show), never the
rating remarks (§7.2–7.3: personal data may hide there), never a photo's file, only its public address.
"""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.urls import reverse

from directory.workdays import MOSCOW
from messages.models import MessageEvent
from messages.opendata import Dataset

from . import open311, selectors

COLUMNS = (
    ("number", "номер сообщения (service_request_id в Open311)"),
    ("url", "страница сообщения на портале"),
    (
        "state",
        "состояние: registered — зарегистрировано, answered — дан ответ, rework — на доработке, closed — закрыто",
    ),
    ("status", "open — рассматривается, closed — закрыто (как status в Open311)"),
    ("topic", "тема"),
    ("category_code", "код категории (service_code в Open311)"),
    ("category", "категория"),
    ("text", "текст сообщения, как на портале"),
    ("address", "место (адрес или ориентир)"),
    ("lat", "широта (WGS84), если автор указал точку"),
    ("long", "долгота (WGS84)"),
    ("occurred_at", "когда возникла проблема (по словам автора)"),
    ("submitted_at", "поступило"),
    ("registered_at", "зарегистрировано и опубликовано"),
    ("organization_code", "код организации-исполнителя"),
    ("organization", "организация-исполнитель"),
    ("answer_due", "срок ответа (10 рабочих дней, §6.2; после доработки — заново, §7.3)"),
    ("answered_at", "последний ответ"),
    (
        "answer_kind",
        "результат последнего ответа: solved — решено, planned — запланировано, impossible — невозможно",
    ),
    ("answer_text", "текст последнего ответа"),
    ("planned_date", "планируемый срок решения, если ответ «запланировано»"),
    ("closed_at", "закрыто"),
    ("rework_count", "сколько раз ответ возвращали на доработку"),
    ("support_count", "сколько человек поддержали (§7.5)"),
    ("photos", "фотографий"),
)


def day_bounds(day):
    start = datetime.combine(day, time.min, tzinfo=MOSCOW)
    return start, start + timedelta(days=1)


def rows(day):
    start, end = day_bounds(day)
    touched = MessageEvent.objects.filter(is_public=True, created_at__gte=start, created_at__lt=end).values(
        "message_id"
    )
    messages = selectors.public_requests().filter(pk__in=touched).order_by("number")
    for message in messages.iterator(chunk_size=2000):
        answers = list(message.answers.all())
        latest = answers[-1] if answers else None
        yield {
            "number": message.number,
            "url": settings.SITE_URL + reverse("portal:message", args=[message.number]),
            "state": message.state,
            "status": open311.status_of(message),
            "topic": message.category.topic.name,
            "category_code": message.category.key,
            "category": message.category.name,
            "text": message.text,
            "address": message.address,
            "lat": message.latitude,
            "long": message.longitude,
            "occurred_at": open311.w3c(message.occurred_at),
            "submitted_at": open311.w3c(message.submitted_at),
            "registered_at": open311.w3c(message.registered_at),
            "organization_code": message.executing_organization.key if message.executing_organization else "",
            "organization": message.executing_organization.name if message.executing_organization else "",
            "answer_due": open311.w3c(message.answer_due),
            "answered_at": open311.w3c(message.answered_at),
            "answer_kind": latest.kind if latest else "",
            "answer_text": latest.text if latest else "",
            "planned_date": latest.planned_date.isoformat() if latest and latest.planned_date else "",
            "closed_at": open311.w3c(message.closed_at),
            "rework_count": message.rework_count,
            "support_count": message.support_count,
            "photos": len(message.photos.all()),
        }


MESSAGES = Dataset(
    name="messages",
    title="Опубликованные сообщения",
    description=(
        "Сообщения, с которыми в этот день что-то произошло публично (регистрация, передача другой "
        "организации, ответ, оценка, закрытие), в состоянии на момент выгрузки — то, что показывают их "
        "страницы на портале. Без сведений об авторах и без замечаний к оценкам. Файлы по порядку дат, "
        "применённые по номеру сообщения, дают полную копию опубликованных сообщений."
    ),
    columns=COLUMNS,
    rows=rows,
)
