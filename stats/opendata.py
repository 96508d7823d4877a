"""The §8.1 figures as an open-data set (issue 16): one row per day, category and executing organisation.

Read from the daily counters (stats.models.DailyCount), the same numbers the statistics page sums; the
open-data face writes the files (messages/opendata.py). Counts only, no message and no person.
"""

from collections import defaultdict

from directory.models import Category, Organization
from messages.opendata import Dataset

from . import facts as f
from .models import DailyCount

# (column, metric, key or None for every key, documentation)
FIGURES = (
    ("received", f.RECEIVED, None, "поступило сообщений"),
    ("registered", f.REGISTERED, None, "зарегистрировано (опубликовано)"),
    ("rejected", f.REJECTED, None, "отказано в регистрации"),
    ("decided_on_time", f.DECIDED, f.ON_TIME, "решений о регистрации в срок 3 рабочих дня (§5.4)"),
    ("decided_late", f.DECIDED, f.LATE, "решений о регистрации с нарушением срока"),
    ("answered", f.ANSWERED, None, "дано ответов (включая ответы после доработки)"),
    ("answered_solved", f.ANSWERED, "solved", "из них «решено»"),
    ("answered_planned", f.ANSWERED, "planned", "из них «запланировано»"),
    ("answered_impossible", f.ANSWERED, "impossible", "из них «решение невозможно»"),
    ("first_answer_on_time", f.FIRST_ANSWER, f.ON_TIME, "первых ответов в срок 10 рабочих дней (§6.2)"),
    ("first_answer_late", f.FIRST_ANSWER, f.LATE, "первых ответов с нарушением срока"),
    ("rework", f.REWORK, None, "возвращено на доработку после отрицательной оценки (§7.3)"),
    ("rated_positive", f.RATED, "positive", "положительных оценок ответа (§7.1)"),
    ("rated_negative", f.RATED, "negative", "отрицательных оценок ответа"),
    ("closed_unrated", f.CLOSED_UNRATED, None, "закрыто без оценки"),
    ("supports", f.SUPPORTS, None, "поддержек (§7.5)"),
)
METRICS = {metric for _, metric, _, _ in FIGURES}


def rows(day):
    totals = defaultdict(lambda: defaultdict(int))
    counters = DailyCount.objects.filter(day=day, metric__in=METRICS).values_list(
        "category_id", "organization_id", "metric", "key", "count"
    )
    for category_id, organization_id, metric, key, count in counters:
        cell = totals[(category_id, organization_id)]
        for column, wanted_metric, wanted_key, _ in FIGURES:
            if metric == wanted_metric and wanted_key in (None, key):
                cell[column] += count
    categories = Category.objects.select_related("topic").in_bulk({c for c, _ in totals})
    organizations = Organization.objects.in_bulk({o for _, o in totals if o is not None})
    for (category_id, organization_id), cell in sorted(
        totals.items(), key=lambda item: (item[0][0], item[0][1] or 0)
    ):
        category = categories.get(category_id)
        organization = organizations.get(organization_id)
        yield {
            "date": day.isoformat(),
            "topic": category.topic.name if category else "",
            "category_code": category.key if category else "",
            "category": category.name if category else "",
            "organization_code": organization.key if organization else "",
            "organization": organization.name if organization else "",
            **{column: cell[column] for column, _, _, _ in FIGURES},
        }


FIGURES_DATASET = Dataset(
    name="figures",
    title="Показатели рассмотрения сообщений (§8.1) по дням, категориям и организациям",
    description=(
        "Сколько сообщений поступило, зарегистрировано, отклонено, сколько дано ответов и в какой срок, "
        "оценки и поддержки — за день, по каждой категории и организации-исполнителю. Те же счётчики, что "
        "на странице статистики; только числа, без сообщений и их авторов."
    ),
    columns=(
        ("date", "день (по московскому времени), ГГГГ-ММ-ДД"),
        ("topic", "тема"),
        ("category_code", "код категории (service_code в Open311)"),
        ("category", "категория"),
        ("organization_code", "код организации-исполнителя; пусто — сообщение ещё не направлено организации"),
        ("organization", "организация-исполнитель"),
        *((column, doc) for column, _, _, doc in FIGURES),
    ),
    rows=rows,
)
