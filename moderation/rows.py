"""The rows of the staff queues, built in Python instead of by the template engine (issue 14).

A 50-row queue cost 20–40 ms of Django's template engine per request (a context lookup, a filter or a
`{% url %}` per cell); the same markup written here costs about a millisecond. The templates keep the
page around the rows, and the markup of a row is the one the templates wrote before (tests compare it).

Each row comes from `values_list(..., named=True)` (no model instances: a Message sets up its state
machine on creation), with the fields the row shows and nothing else. What depends on the moment of the
request — the «просрочено»/«сегодня» badge and the row's `overdue` class — is decided per request from the
row's deadline, so nothing here is stale a minute later.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from messages.models import NO_TEXT_LABEL, State

from .selectors import end_of_today

# The fields each queue reads (values_list(..., named=True)); category__name is what `{{ m.category }}`
# showed (Category.__str__).
MODERATION_ROW_FIELDS = (
    "number",
    "category__name",
    "text",
    "address",
    "photo_count",
    "submitted_at",
    "registration_due",
)
ANSWER_ROW_FIELDS = ("number", "category__name", "text", "address", "state", "rework_count", "answer_due")
_NUMBER = "0000-0"  # a placeholder number: the URL is reversed once per page, not once per row
_STATE_LABELS = dict(State.choices)


def _url(name: str) -> tuple[str, str]:
    before, _, after = reverse(name, kwargs={"number": _NUMBER}).partition(_NUMBER)
    return before, after


def _moment(value: datetime) -> str:
    """`<time>` as the templates wrote it with `|date:'c'` and `|date:"d.m.Y H:i"` (local time)."""
    local = timezone.localtime(value)
    return f'<time datetime="{local.isoformat()}">{local:%d.%m.%Y %H:%M}</time>'


class _Deadline:
    """The deadline cell of `{% deadline %}` (moderation/templatetags/office.py), for many rows at once."""

    def __init__(self, now: datetime):
        self.now = now
        self.end_of_today = end_of_today(now)

    def cell(self, due: datetime | None) -> str:
        if due is None:
            return "—"
        moment = _moment(due)
        if due < self.now:
            return f'{moment} <span class="badge badge-overdue">просрочено</span>'
        if due <= self.end_of_today:
            return f'{moment} <span class="badge badge-today">сегодня</span>'
        return moment


def _gist(text: str) -> str:
    """The «Суть» cell's first line: the text cut at 110 characters, or the label of a photo-only message."""
    if text:
        return escape(Truncator(text).chars(110))
    return f'<span class="muted">{NO_TEXT_LABEL}</span>'


def moderation_rows(rows: Iterable[Any], now: datetime) -> SafeString:
    """The `<tr>`s of the moderation queue (backoffice/moderation_queue.html)."""
    review_before, review_after = _url("office:review")
    deadline = _Deadline(now)
    parts = []
    for m in rows:
        number = escape(m.number)
        photos = f" · фото: {m.photo_count}" if m.photo_count else ""
        overdue = ' class="overdue"' if m.registration_due < now else ""
        parts.append(
            f"\n    <tr{overdue}>\n"
            f'      <td data-label="Номер"><a href="{review_before}{number}{review_after}">{number}</a></td>\n'
            f'      <td data-label="Категория">{escape(m.category__name)}</td>\n'
            f'      <td data-label="Суть">{_gist(m.text)}<br><span class="muted">'
            f"{escape(m.address)}{photos}</span></td>\n"
            f'      <td data-label="Поступило">{_moment(m.submitted_at)}</td>\n'
            f'      <td data-label="Срок">{deadline.cell(m.registration_due)}</td>\n'
            f"    </tr>\n  "
        )
    return mark_safe("".join(parts))  # every value above is escaped


def answer_rows(rows: Iterable[Any], now: datetime) -> SafeString:
    """The `<tr>`s of the answer queue (backoffice/answer_queue.html)."""
    review_before, review_after = _url("office:review")
    answer_before, answer_after = _url("office:answer")
    deadline = _Deadline(now)
    parts = []
    for m in rows:
        number = escape(m.number)
        if m.state == State.REWORK:
            times = f" ({m.rework_count}-й раз)" if m.rework_count > 1 else ""
            state = f'<span class="badge badge-rework">на доработке{times}</span>'
        else:
            state = escape(_STATE_LABELS.get(m.state, m.state))
        overdue = ' class="overdue"' if m.answer_due is not None and m.answer_due < now else ""
        parts.append(
            f"\n    <tr{overdue}>\n"
            f'      <td data-label="Номер"><a href="{review_before}{number}{review_after}">{number}</a></td>\n'
            f'      <td data-label="Категория">{escape(m.category__name)}</td>\n'
            f'      <td data-label="Суть">{_gist(m.text)}<br><span class="muted">'
            f"{escape(m.address)}</span></td>\n"
            f'      <td data-label="Состояние">{state}</td>\n'
            f'      <td data-label="Срок">{deadline.cell(m.answer_due)}</td>\n'
            f'      <td><a class="button button-small" href="{answer_before}{number}{answer_after}">'
            f'Ответить<span class="visually-hidden"> на {number}</span></a></td>\n'
            f"    </tr>\n  "
        )
    return mark_safe("".join(parts))  # every value above is escaped
