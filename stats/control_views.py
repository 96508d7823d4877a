"""The control view (§9): timeliness per organisation and per official for a period, and what is overdue now,
with CSV downloads. For the moderators, the platform's monitors and the official in charge of control over
the platform (messages.selectors.may_control); each sees their own scope (stats.control)."""

from collections.abc import Callable
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from messages.access import official_required
from messages.selectors import may_control

from . import numbers
from .control import STAGES, Control, ControlRow, Tally, control
from .exports import table_csv
from .periods import parse_period
from .tables import Cell, Row, Table

DENIED = (
    "Контроль сроков доступен модераторам, мониторингу работы платформы и должностному лицу, "
    "ответственному за контроль работы платформы."
)
TABLE_KEYS = ("organizations", "officials", "overdue")

TALLY_COLUMNS: list[tuple[str, Callable[[Tally], int]]] = [
    ("Рассмотрено в срок (§5.4)", lambda t: t.decided_on_time),
    ("Рассмотрено с нарушением срока", lambda t: t.decided_late),
    ("Ответов в срок (§6.2, §7.3)", lambda t: t.answered_on_time),
    ("Ответов с нарушением срока", lambda t: t.answered_late),
    ("Возвращено на доработку (§7.3)", lambda t: t.reworks),
    ("Оценок «положительно»", lambda t: t.rated_positive),
    ("Оценок «отрицательно»", lambda t: t.rated_negative),
]


def _overdue_columns(stage: str, title: str) -> list[tuple[str, Callable[[Tally], int]]]:
    return [
        (f"Просрочено сейчас: {title}", lambda t: t.overdue[stage]),
        (f"Наибольшая просрочка, рабочих дней: {title}", lambda t: t.overdue_days[stage]),
    ]


for _stage, _title in STAGES.items():
    TALLY_COLUMNS += _overdue_columns(_stage, _title)


def _cells(tally: Tally) -> list[Cell]:
    return [Cell(numbers.integer(get(tally)), get(tally)) for _, get in TALLY_COLUMNS]


def _tally_table(key: str, title: str, header: str, rows: list[ControlRow], total: Tally, note: str) -> Table:
    table = Table(key, title, [c for c, _ in TALLY_COLUMNS], note=note, label_header=header)
    for row in rows:
        label = f"{row.label} — {row.detail}" if row.detail else row.label
        table.rows.append(Row(label, _cells(row.tally), group=row.key))
    if rows:
        table.rows.append(Row("Итого", _cells(total), group="total"))
    return table


def build_tables(result: Control) -> list[Table]:
    organizations = _tally_table(
        "organizations",
        "По организациям",
        "Организация",
        result.organizations,
        result.total,
        "Решение о регистрации считается за организацию модератора, ответ — за организацию автора ответа, "
        "доработка и оценка — за автора оценённого ответа; просрочка — за организации тех, кто должен "
        "сделать следующий шаг (у категории с модераторами двух организаций она есть у обеих, поэтому "
        "итог может быть меньше суммы).",
    )
    officials = _tally_table(
        "officials",
        "По должностным лицам",
        "Должностное лицо",
        result.officials,
        result.total,
        "Просрочка считается за каждого, кто может сделать следующий шаг: за модераторов категории "
        "(мониторинг — где модератора нет) при регистрации, за исполнителей организации (модераторов — "
        "где исполнителя нет) при ответе.",
    )
    overdue = Table(
        "overdue",
        "Просрочено сейчас",
        ["Категория", "Этап", "Срок истёк", "Просрочка, рабочих дней", "Организация", "Кто должен"],
        label_header="Сообщение",
    )
    for item in result.overdue:
        overdue.rows.append(
            Row(
                item.number,
                [
                    Cell(item.category, numeric=False),
                    Cell(item.stage_title, numeric=False),
                    Cell(f"{timezone.localtime(item.due):%d.%m.%Y}", numeric=False),
                    Cell(numbers.integer(item.days_late), item.days_late),
                    Cell(", ".join(item.organizations) or "—", numeric=False),
                    Cell(", ".join(item.officials) or "никто — пробел в назначениях", numeric=False),
                ],
                group=str(item.id),
            )
        )
    return [organizations, officials, overdue]


def _require_control(request):
    if not may_control(request.official):
        raise PermissionDenied(DENIED)


_official_required = official_required(denied=DENIED)


@require_safe
@_official_required
def control_page(request):
    _require_control(request)
    form, period = parse_period(request.GET)
    context = {"form": form, "period": period, "official": request.official, "table_keys": TABLE_KEYS}
    if period is None:
        return render(request, "stats/control.html", context, status=400)
    result = control(request.official, period)
    context.update(
        result=result,
        tables=build_tables(result),
        query=urlencode(period.query()),
        previous_query=urlencode(period.shifted(-1).query()),
        next_query=urlencode(period.shifted(1).query()),
        everything=request.official.oversees_everything,
    )
    return render(request, "stats/control.html", context)


@require_safe
@_official_required
def control_csv(request, table):
    _require_control(request)
    if table not in TABLE_KEYS:
        raise Http404("Нет такой таблицы.")
    _form, period = parse_period(request.GET)
    if period is None:
        raise Http404("Неверно указан период.")
    found = next(t for t in build_tables(control(request.official, period)) if t.key == table)
    response = HttpResponse(table_csv(found), content_type="text/csv; charset=utf-8")
    name = f"zarechny-control-{table}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
