"""The tables of the statistics pages, built once and rendered as HTML or CSV (stats/exports.py).

A cell carries its display text, its CSV value and, on the staff page, the drill-down it links to
(metric + key + group of the report), so every figure can be opened as the list of its messages.
"""

from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import quote_plus

from directory.models import AnswerKind

from . import facts as f
from . import numbers
from .figures import Rates

NO_DATA = numbers.NO_DATA
# The short column labels of the answer kinds (directory.models.AnswerKind is the list itself).
_SHORT_KIND_LABELS = {
    AnswerKind.SOLVED: "решено",
    AnswerKind.PLANNED: "запланировано",
    AnswerKind.IMPOSSIBLE: "невозможно",
}
ANSWER_KINDS = tuple((kind.value, _SHORT_KIND_LABELS[kind]) for kind in AnswerKind)


@dataclass
class Cell:
    text: str
    value: object = None  # for CSV: int, float or None («мало данных»)
    drill: dict | None = None  # {"metric": …, "key": …, "group": …}
    numeric: bool = True
    no_data: bool = False
    href: str = ""  # set by the staff view: the drill-down list of this figure


@dataclass
class Row:
    label: str
    cells: list
    group: str = ""


@dataclass
class Table:
    key: str
    title: str
    columns: list
    rows: list = field(default_factory=list)
    note: str = ""
    label_header: str = ""


def count(n, metric, key="", group="", **period):
    return Cell(numbers.integer(n), n, drill={"metric": metric, "key": key, "group": group, **period})


def rate(value, metric, key="", group=""):
    drill = {"metric": metric, "key": key, "group": group}
    return Cell(
        numbers.percent(value), None if value is None else round(value, 1), drill=drill, no_data=value is None
    )


def days(value, metric, group=""):
    drill = {"metric": metric, "key": "", "group": group}
    return Cell(numbers.days(value), value, drill=drill, no_data=value is None)


# (header, function(Rates, group) -> Cell)
MODERATION_COLUMNS = [
    ("Поступило", lambda r, g: count(r.received, f.RECEIVED, group=g)),
    ("Зарегистрировано", lambda r, g: count(r.registered, f.REGISTERED, group=g)),
    ("Отказано", lambda r, g: count(r.rejected, f.REJECTED, group=g)),
    ("Рассмотрено в срок", lambda r, g: rate(r.decided_on_time_share, f.DECIDED, f.ON_TIME, g)),
    ("Рассмотрено с нарушением срока", lambda r, g: count(r.decided_late, f.DECIDED, f.LATE, g)),
    ("Дней на рассмотрение, медиана", lambda r, g: days(r.decision_median, f.DECISION_DAYS, g)),
    ("Дней на рассмотрение, 90 %", lambda r, g: days(r.decision_p90, f.DECISION_DAYS, g)),
]
ANSWER_COLUMNS = [
    ("Ответов", lambda r, g: count(r.answered, f.ANSWERED, group=g)),
    ("Первый ответ в срок", lambda r, g: rate(r.answer_on_time_share, f.FIRST_ANSWER, f.ON_TIME, g)),
    ("Первый ответ с нарушением срока", lambda r, g: count(r.first_answer_late, f.FIRST_ANSWER, f.LATE, g)),
    (
        "Ответ после доработки в срок",
        lambda r, g: rate(r.rework_answer_on_time_share, f.REWORK_ANSWER, f.ON_TIME, g),
    ),
    (
        "Ответ после доработки с нарушением срока",
        lambda r, g: count(r.rework_answer_late, f.REWORK_ANSWER, f.LATE, g),
    ),
    ("Дней до ответа, медиана", lambda r, g: days(r.answer_median, f.ANSWER_DAYS, g)),
    ("Дней до ответа, 90 %", lambda r, g: days(r.answer_p90, f.ANSWER_DAYS, g)),
    ("Просрочено сейчас", lambda r, g: count(r.overdue_now, "overdue", group=g)),
    ("Возвращено на доработку", lambda r, g: count(r.rework, f.REWORK, group=g)),
    ("Доля ответов на доработку", lambda r, g: rate(r.rework_share, f.REWORK, "", g)),
    ("Положительных оценок", lambda r, g: rate(r.positive_share, f.RATED, "positive", g)),
    ("Поддержек", lambda r, g: count(r.supports, f.SUPPORTS, group=g)),
]
KIND_COLUMNS = [
    (f"Ответов: {label}", lambda r, g, kind=kind: count(r.answered_kinds[kind], f.ANSWERED, kind, g))
    for kind, label in ANSWER_KINDS
]
# §5.4 by the organisation whose moderators decided (facts.MODERATED), not the executing one
DECIDER_COLUMNS = [
    ("Рассмотрено", lambda r, g: count(r.moderated, f.MODERATED, group=g)),
    ("Рассмотрено в срок", lambda r, g: count(r.moderated_on_time, f.MODERATED, f.ON_TIME, g)),
    ("Рассмотрено с нарушением срока", lambda r, g: count(r.moderated_late, f.MODERATED, f.LATE, g)),
    ("Доля рассмотренных в срок", lambda r, g: rate(r.moderated_on_time_share, f.MODERATED, f.ON_TIME, g)),
]
ORGANIZATION_COLUMNS = [
    ("Направлено", lambda r, g: count(r.registered, f.REGISTERED, group=g)),
    ANSWER_COLUMNS[0],
    *KIND_COLUMNS,
    *ANSWER_COLUMNS[1:],
]


def _dimension_table(key, title, label_header, groups, columns, min_sample, note="", labels=None):
    table = Table(key, title, [h for h, _ in columns], note=note, label_header=label_header)
    for group in groups:
        rates = Rates(group.figures, min_sample)
        label = (labels or {}).get(group.key, group.label)
        table.rows.append(Row(label, [make(rates, group.key) for _, make in columns], group=group.key))
    return table


def build_tables(report):
    """Every table of the page, in page order."""
    m = report.min_sample
    total = Rates(report.total.figures, m)
    g = "total"
    summary_items = [
        ("Поступило сообщений", count(total.received, f.RECEIVED, group=g)),
        ("Зарегистрировано", count(total.registered, f.REGISTERED, group=g)),
        ("Отказано в регистрации", count(total.rejected, f.REJECTED, group=g)),
        (
            f"Рассмотрено в срок (≤ {f.REGISTRATION_WORKING_DAYS} рабочих дней, §5.4)",
            rate(total.decided_on_time_share, f.DECIDED, f.ON_TIME, g),
        ),
        ("Рассмотрено с нарушением срока", count(total.decided_late, f.DECIDED, f.LATE, g)),
        ("Рабочих дней на рассмотрение: медиана", days(total.decision_median, f.DECISION_DAYS, g)),
        ("Рабочих дней на рассмотрение: 90-й процентиль", days(total.decision_p90, f.DECISION_DAYS, g)),
        ("Дано ответов", count(total.answered, f.ANSWERED, group=g)),
        *[
            (f"— {label}", count(total.answered_kinds[kind], f.ANSWERED, kind, g))
            for kind, label in ANSWER_KINDS
        ],
        (
            f"Первый ответ в срок (≤ {f.ANSWER_WORKING_DAYS} рабочих дней, §6.2)",
            rate(total.answer_on_time_share, f.FIRST_ANSWER, f.ON_TIME, g),
        ),
        ("Первый ответ с нарушением срока", count(total.first_answer_late, f.FIRST_ANSWER, f.LATE, g)),
        ("Рабочих дней до первого ответа: медиана", days(total.answer_median, f.ANSWER_DAYS, g)),
        ("Рабочих дней до первого ответа: 90-й процентиль", days(total.answer_p90, f.ANSWER_DAYS, g)),
        ("Возвращено на доработку (циклов, §7.3)", count(total.rework, f.REWORK, group=g)),
        ("Доля ответов, возвращённых на доработку", rate(total.rework_share, f.REWORK, "", g)),
        ("Ответов после доработки", count(total.rework_answers, f.REWORK_ANSWER, group=g)),
        (
            f"Ответ после доработки в срок (≤ {f.ANSWER_WORKING_DAYS} рабочих дней с возврата, §7.3)",
            rate(total.rework_answer_on_time_share, f.REWORK_ANSWER, f.ON_TIME, g),
        ),
        (
            "Ответ после доработки с нарушением срока",
            count(total.rework_answer_late, f.REWORK_ANSWER, f.LATE, g),
        ),
        ("Оценено положительно", count(total.rated_positive, f.RATED, "positive", g)),
        ("Оценено отрицательно", count(total.rated_negative, f.RATED, "negative", g)),
        ("Доля положительных оценок", rate(total.positive_share, f.RATED, "positive", g)),
        ("Закрыто без оценки", count(total.closed_unrated, f.CLOSED_UNRATED, group=g)),
        ("Поддержек сообщений (§7.5)", count(total.supports, f.SUPPORTS, group=g)),
        (
            "Просрочено сейчас: рассмотрение",
            count(total.overdue_registration, "overdue", "registration", g),
        ),
        ("Просрочено сейчас: ответ", count(total.overdue_answer, "overdue", "answer", g)),
        ("Просрочено сейчас: всего", count(total.overdue_now, "overdue", group=g)),
    ]
    summary = Table("summary", "Итого за период", ["Значение"], label_header="Показатель")
    summary.rows = [Row(label, [cell], group=g) for label, cell in summary_items]

    organizations = _dimension_table(
        "organizations",
        "Организации-исполнители",
        "Организация",
        report.organizations,
        ORGANIZATION_COLUMNS,
        m,
        note="Сообщение учитывается за организацией, которой оно направлено сейчас.",
    )
    deciders = _dimension_table(
        "moderation",
        "Рассмотрение модераторами по организациям",
        "Организация модераторов",
        report.moderating_organizations,
        DECIDER_COLUMNS,
        m,
        note=f"Регистрация или отказ (срок — {f.REGISTRATION_WORKING_DAYS} рабочих дня, §5.4) учитывается за организацией модератора, "
        "принявшего решение, а не за организацией-исполнителем.",
        labels={"org:none": "Организация модератора не указана"},
    )
    topics = _dimension_table(
        "topics", "По темам", "Тема", report.topics, MODERATION_COLUMNS + ANSWER_COLUMNS, m
    )
    categories = _dimension_table(
        "categories", "По категориям", "Категория", report.categories, MODERATION_COLUMNS + ANSWER_COLUMNS, m
    )

    reasons = Table(
        "reasons",
        "Причины отказа в регистрации",
        ["Отказов", "Доля отказов"],
        label_header="Причина",
        note="В одном отказе может быть несколько причин, поэтому доли в сумме могут превышать 100 %.",
    )
    for code, title, n in report.reasons:
        share = 100.0 * n / total.rejected if total.rejected >= max(m, 1) else None
        reasons.rows.append(
            Row(
                title,
                [count(n, f.REJECTION_REASON, code, g), rate(share, f.REJECTION_REASON, code, g)],
                group=g,
            )
        )

    unit = "Неделя" if report.series_unit == "week" else "День"
    series = Table(
        "series",
        "Поступило и отвечено по неделям" if unit == "Неделя" else "Поступило и отвечено по дням",
        ["Поступило", "Дано ответов"],
        label_header=unit,
    )
    for first, last, received, answered in report.series:
        label = f"{first:%d.%m}–{last:%d.%m.%Y}" if first != last else f"{first:%d.%m.%Y}"
        span = {"start": first.isoformat(), "end": last.isoformat()}
        series.rows.append(
            Row(
                label,
                [count(received, f.RECEIVED, "", g, **span), count(answered, f.ANSWERED, "", g, **span)],
            )
        )
    return [summary, organizations, deciders, topics, categories, reasons, series]


@lru_cache(maxsize=4096)
def _quoted(value):
    return quote_plus(value)


def _query_string(params):
    """urlencode(params) for string values, with each key and value quoted once per process: a year's
    staff page links ~800 figures, and urlencode's quoting was a third of the page's time (issue 14)."""
    return "&".join(f"{_quoted(str(k))}={_quoted(str(v))}" for k, v in params.items())


def link_drilldowns(tables, period, url):
    """Point every non-zero figure at the list of its messages (the staff page)."""
    for table in tables:
        for row in table.rows:
            for cell in row.cells:
                if cell.drill is None or cell.value == 0:
                    continue
                params = {**period.query(), **{k: v for k, v in cell.drill.items() if v}}
                if "start" in cell.drill:  # a row of the weekly table: that week only
                    params["period"] = "custom"
                    params.pop("on", None)
                cell.href = f"{url}?{_query_string(params)}"
