"""The statistics pages (§8.1): public aggregates, the staff page with drill-down, CSV of every table."""

import hashlib
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages as flash
from django.core.cache import caches
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from messages.access import official_required
from zarechny import guestpages

from . import charts, selectors
from .exports import table_csv
from .periods import PeriodForm, parse_period
from .tables import build_tables, link_drilldowns

TABLE_KEYS = ("summary", "organizations", "moderation", "topics", "categories", "reasons", "series")


# The short summary on top of the report (issue 18.2): the summary table's rows by the start of their label,
# each with what it counts — «в срок» is about the period, «просрочено сейчас» about today.
KEY_FIGURES = (
    ("Поступило сообщений", "Поступило", "за период"),
    ("Дано ответов", "Дано ответов", "за период"),
    ("Первый ответ в срок", "Ответов в срок", "из ответов, данных за период"),
    (
        "Просрочено сейчас: всего",
        "Просрочено сейчас",
        "ещё без решения или ответа, срок уже прошёл — на сегодня",
    ),
)


def _key_figures(summary):
    figures = []
    for start, label, note in KEY_FIGURES:
        row = next((r for r in summary.rows if r.label.startswith(start)), None)
        if row is not None and row.cells:
            figures.append({"label": label, "text": row.cells[0].text, "note": note})
    return figures


# The rendered report of a period is the same for every guest, and for every official (the figures are
# not scoped; only the lists behind them, the drill-downs, are): kept in the shared cache (settings.
# STATS_CACHE, Redis in production), so every worker and node renders it once per refresh. Keyed by the
# counters' refresh, so a refresh shows at once; kept this long, so the live «overdue now» figures are
# at most this old (issue 14).
REPORT_CACHE_SECONDS = 60
# The period form as a query fills it does not change with the figures.
FORM_CACHE_SECONDS = 600


def report_key(period, *, staff, refreshed_at):
    """The cache key of a period's rendered report: what the report depends on — the period, whether it
    links the drill-downs (staff), and the refresh of the counters."""
    stamp = refreshed_at.timestamp() if refreshed_at else 0
    return f"stats-report:{int(staff)}:{period.kind}:{period.start}:{period.end}:{stamp}"


def form_values(params):
    """What the period form shows, as typed in the query (the form renders these, not the period): with
    the period, what the rendered form depends on. Other parameters of the query change nothing."""
    if not any(params.get(name) for name in PeriodForm.base_fields):
        return ("year", "", "", "")  # parse_period's default
    return tuple(params.get(name, "") for name in PeriodForm.base_fields)


def report_body(period, *, staff, refreshed_at, form, values):
    """The HTML of the report of `period`: its short summary (issue 18.2), the period form as `values`
    fill it, and its body (tables, charts, links), from the shared cache when they are there (one read
    for the report and the form)."""
    key = report_key(period, staff=staff, refreshed_at=refreshed_at)
    form_key = "stats-form:" + "|".join(values)
    cache = caches[settings.STATS_CACHE]
    found = cache.get_many([key, form_key])
    form_html = found.get(form_key)
    if form_html is None:
        form_html = render_to_string("stats/_period_form.html", {"form": form})
        cache.set(form_key, form_html, FORM_CACHE_SECONDS)
    parts = found.get(key)
    if parts is None:
        report = selectors.report(period)
        tables = build_tables(report)
        if staff:
            link_drilldowns(tables, period, reverse("stats:staff_drilldown"))
        context = {
            "staff": staff,
            "period": period,
            "report": report,
            "tables": tables,
            "charts": charts.build(report, tables),
            "query": urlencode(period.query()),
            "previous_query": urlencode(period.shifted(-1).query()),
            "next_query": urlencode(period.shifted(1).query()),
            "key_figures": _key_figures(tables[0]),
        }
        parts = (
            render_to_string("stats/_report_key.html", context),
            render_to_string("stats/_report_body.html", context),
        )
        cache.set(key, parts, REPORT_CACHE_SECONDS)
    # Rendered by our own templates above, escaped there.
    return mark_safe(parts[0]), mark_safe(form_html), mark_safe(parts[1])


def _context(request, *, staff, parsed=None, refreshed_at=None):
    form, period = parsed or parse_period(request.GET)
    context = {"form": form, "period": period, "staff": staff, "table_keys": TABLE_KEYS}
    if period is None:
        return context
    key_figures, period_form, body = report_body(
        period,
        staff=staff,
        refreshed_at=refreshed_at or selectors.refreshed_at(),
        form=form,
        values=form_values(request.GET),
    )
    context.update(
        query=urlencode(period.query()), report_key=key_figures, period_form=period_form, report_body=body
    )
    return context


def _csv_response(request, table_key):
    if table_key not in TABLE_KEYS:
        raise Http404("Нет такой таблицы.")
    _form, period = parse_period(request.GET)
    if period is None:
        raise Http404("Неверно указан период.")
    table = next(t for t in build_tables(selectors.report(period)) if t.key == table_key)
    response = HttpResponse(table_csv(table), content_type="text/csv; charset=utf-8")
    name = f"zarechny-stats-{table_key}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_safe
def public_stats(request):
    """A plain guest (portal.guestpages.plain_guest) gets the whole page from the shared cache, kept with
    the report (same key, same minute) for the form as the query fills it."""
    form, period = parse_period(request.GET)
    if period is None or not guestpages.plain_guest(request):
        context = _context(request, staff=False, parsed=(form, period))
        return render(request, "stats/public.html", context, status=200 if period else 400)
    refreshed_at = selectors.refreshed_at()
    key = "stats-page:{}:{}".format(
        report_key(period, staff=False, refreshed_at=refreshed_at), "|".join(form_values(request.GET))
    )
    cache = caches[settings.STATS_CACHE]
    content = cache.get(key)
    if content is None:
        context = _context(request, staff=False, parsed=(form, period), refreshed_at=refreshed_at)
        content = render(request, "stats/public.html", context).content
        cache.set(key, content, REPORT_CACHE_SECONDS)
    return HttpResponse(content)


@require_safe
def public_csv(request, table):
    return _csv_response(request, table)


_official_required = official_required(
    denied="Статистика для сотрудников доступна только ответственным должностным лицам."
)


def _staff_page_key(request, official, period, refreshed_at, *, page="report", extra=()):
    """The key of an official's whole statistics page: the report (the same for every official) and
    what the page shows of the person — the header's name, organisation, role and menu. Per official,
    never shared: another official, or a change of what the header shows, is another key. A drill-down
    (`page`) adds its parameters (`extra`)."""
    user = request.user
    who = (
        official.pk,
        user.pk,
        user.get_full_name(),
        user.is_staff,
        str(official.organization),
        official.role,
        official.controls_handling,
    )
    digest = hashlib.sha256(repr((who, extra)).encode()).hexdigest()[:24]
    report = report_key(period, staff=True, refreshed_at=refreshed_at)
    return f"stats-staff-{page}:{official.pk}:{digest}:{report}:{'|'.join(form_values(request.GET))}"


def _kept_staff_page(request, key, render_page):
    """An official's page from the shared cache, or rendered by `render_page(csrf_token)` and kept for
    the report's minute; the CSRF token of the header's logout form is put in per request."""
    cache = caches[settings.STATS_CACHE]
    content = cache.get(key)
    if content is None:
        content = render_page(guestpages.csrf_placeholder()).content
        cache.set(key, content, REPORT_CACHE_SECONDS)
    return HttpResponse(guestpages.with_csrf_token(request, content))


@require_safe
@_official_required
def staff_stats(request):
    """The page is kept whole per official for the report's minute (`_staff_page_key`), with the CSRF
    token of the header's logout form put in per request; not while a flash message waits to be shown."""
    official = request.official
    form, period = parse_period(request.GET)
    if period is None or len(flash.get_messages(request)):
        context = _context(request, staff=True, parsed=(form, period))
        context["official"] = official
        return render(request, "stats/staff.html", context, status=200 if period else 400)
    refreshed_at = selectors.refreshed_at()

    def render_page(csrf_token):
        context = _context(request, staff=True, parsed=(form, period), refreshed_at=refreshed_at)
        context.update(official=official, csrf_token=csrf_token)
        return render(request, "stats/staff.html", context)

    return _kept_staff_page(request, _staff_page_key(request, official, period, refreshed_at), render_page)


@require_safe
@_official_required
def staff_csv(request, table):
    return _csv_response(request, table)


@require_safe
@_official_required
def staff_drilldown(request):
    """The messages behind a figure, in the official's scope. Kept whole per official like the report
    (`_kept_staff_page`): for the report's minute and until the next refresh, so the list matches the
    figure it opens from; a message's state in the rows is then at most a minute old, as the report's
    «overdue now» is."""
    official = request.official
    _form, period = parse_period(request.GET)
    metric = request.GET.get("metric", "")
    key = request.GET.get("key", "")
    group = request.GET.get("group", "total")
    if period is None or metric not in selectors.DRILL_METRICS:
        raise Http404("Неверно указан показатель или период.")
    if len(flash.get_messages(request)):
        return _drilldown_page(request, official, period, metric, key, group)
    refreshed_at = selectors.refreshed_at()
    page_key = _staff_page_key(
        request,
        official,
        period,
        refreshed_at,
        page="drill",
        extra=(metric, key, group, request.GET.get("page", "")[:12]),
    )
    return _kept_staff_page(
        request,
        page_key,
        lambda csrf_token: _drilldown_page(request, official, period, metric, key, group, csrf_token),
    )


def _drilldown_page(request, official, period, metric, key, group, csrf_token=None):
    try:
        drill = selectors.drilldown(official, period=period, metric=metric, key=key, group=group)
        group_label = selectors.group_label(group)
    except ValueError:
        raise Http404("Неверно указан разрез.") from None
    page = Paginator(drill.ids, 50).get_page(request.GET.get("page"))
    extra = {} if csrf_token is None else {"csrf_token": csrf_token}
    return render(
        request,
        "stats/drilldown.html",
        {
            **extra,
            "period": period,
            "metric_label": selectors.metric_label(metric, key),
            "group_label": group_label,
            "drill": drill,
            "page": page,
            "messages_on_page": selectors.drill_page_messages(list(page.object_list)),
            # Each row's link is this and its number (digits and a hyphen): one reverse() for the page.
            "review_url": reverse("office:review", kwargs={"number": "0"}).removesuffix("0/"),
            "official": official,
            "back_query": urlencode(period.query()),
        },
    )
