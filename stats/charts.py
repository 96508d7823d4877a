"""The three charts of the statistics pages, each with a text alternative (a small table)."""

from dataclasses import dataclass

from . import facts as f
from . import numbers, svg
from .figures import Rates


@dataclass
class Chart:
    id: str
    title: str
    svg: str
    headers: list
    rows: list  # [label, text, text…]


def build(report, tables):
    m = report.min_sample
    unit = "по неделям" if report.series_unit == "week" else "по дням"
    points = [(f"{first:%d.%m}", received, answered) for first, _last, received, answered in report.series]
    total_received = sum(p[1] for p in points)
    total_answered = sum(p[2] for p in points)
    weekly = Chart(
        "chart-flow",
        f"Поступило и дано ответов {unit}",
        svg.received_vs_answered(
            "chart-flow",
            points,
            f"Поступило сообщений и дано ответов {unit}, {report.period.label}",
            f"За период поступило {total_received} сообщений и дано {total_answered} ответов; "
            f"{len(points)} точек {unit}. Те же числа — в таблице под графиком.",
        ),
        ["Период", "Поступило", "Дано ответов"],
        [[row.label, row.cells[0].text, row.cells[1].text] for row in tables[-1].rows],
    )

    org_items = []
    for group in report.organizations:
        if group.key == "org:none":
            continue
        rates = Rates(group.figures, m)
        org_items.append((group.label, rates.answer_on_time_share, None, rates.first_answers))
    on_time = Chart(
        "chart-on-time",
        "Доля первых ответов в срок по организациям",
        svg.horizontal_bars(
            "chart-on-time",
            [(label, value, None) for label, value, _, _ in org_items],
            f"Доля первых ответов, данных в срок ({f.ANSWER_WORKING_DAYS} рабочих дней, §6.2), по организациям",
            "; ".join(f"{label}: {numbers.percent(value)}" for label, value, _, _ in org_items)
            or "Нет данных за период.",
            maximum=100,
            unit=" %",
        ),
        ["Организация", "В срок", "Первых ответов"],
        [[label, numbers.percent(value), numbers.integer(n)] for label, value, _, n in org_items],
    )

    category_items = []
    for group in report.categories:
        rates = Rates(group.figures, m)
        if rates.first_answers:
            category_items.append((group.label, rates.answer_median, rates.answer_p90, rates.first_answers))
    answer_time = Chart(
        "chart-answer-time",
        "Рабочих дней до первого ответа по категориям",
        svg.horizontal_bars(
            "chart-answer-time",
            [(label, median, p90) for label, median, p90, _ in category_items],
            "Рабочих дней от регистрации до первого ответа по категориям: медиана (полоса) и 90-й процентиль "
            "(черта)",
            "; ".join(
                f"{label}: медиана {numbers.days(median)}, 90-й процентиль {numbers.days(p90)}"
                for label, median, p90, _ in category_items
            )
            or "Нет ответов за период.",
            marker_label="90 %:",
        ),
        ["Категория", "Медиана", "90-й процентиль", "Первых ответов"],
        [
            [label, numbers.days(median), numbers.days(p90), numbers.integer(n)]
            for label, median, p90, n in category_items
        ],
    )
    return [weekly, on_time, answer_time]
