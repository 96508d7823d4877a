"""The reporting period of the statistics pages: a week, month, quarter, year or any range of days."""

from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.utils import timezone

from directory.workdays import local_date
from zarechny.fields import accessible_attrs

MONTHS = (
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
)
MAX_DAYS = 366 * 5
FIRST_DAY = date(2000, 1, 1)  # statistics are asked for within these dates only
LAST_DAY = date(2099, 12, 31)


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # included

    @property
    def days(self):
        return (self.end - self.start).days + 1

    @property
    def label(self):
        if self.kind == "year":
            return f"{self.start.year} год"
        if self.kind == "quarter":
            return f"{(self.start.month - 1) // 3 + 1}-й квартал {self.start.year} года"
        if self.kind == "month":
            return f"{MONTHS[self.start.month - 1]} {self.start.year} года"
        if self.kind == "week":
            return f"неделя {self.start:%d.%m.%Y} — {self.end:%d.%m.%Y}"
        return f"{self.start:%d.%m.%Y} — {self.end:%d.%m.%Y}"

    @property
    def full_label(self):
        if self.kind == "custom":
            return f"с {self.start:%d.%m.%Y} по {self.end:%d.%m.%Y} включительно"
        return f"{self.label}: с {self.start:%d.%m.%Y} по {self.end:%d.%m.%Y} включительно"

    def query(self):
        """The GET parameters that select this period again (for links and CSV downloads)."""
        if self.kind == "custom":
            return {"period": "custom", "start": self.start.isoformat(), "end": self.end.isoformat()}
        return {"period": self.kind, "on": self.start.isoformat()}

    def shifted(self, step):
        """The previous (-1) or next (+1) period of the same kind."""
        if self.kind == "custom":
            delta = timedelta(days=self.days * step)
            return Period("custom", self.start + delta, self.end + delta)
        anchor = self.start - timedelta(days=1) if step < 0 else self.end + timedelta(days=1)
        return period_of(self.kind, anchor)


def period_of(kind, on):
    if kind == "week":
        start = on - timedelta(days=on.weekday())
        return Period(kind, start, start + timedelta(days=6))
    if kind == "month":
        start = on.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
        return Period(kind, start, following - timedelta(days=1))
    if kind == "quarter":
        first_month = (on.month - 1) // 3 * 3 + 1
        start = on.replace(month=first_month, day=1)
        following = (start + timedelta(days=100)).replace(day=1)
        return Period(kind, start, following - timedelta(days=1))
    start = on.replace(month=1, day=1)
    return Period("year", start, on.replace(month=12, day=31))


class PeriodForm(forms.Form):
    period = forms.ChoiceField(
        label="Период",
        choices=[
            ("week", "неделя"),
            ("month", "месяц"),
            ("quarter", "квартал"),
            ("year", "год"),
            ("custom", "свой диапазон дат"),
        ],
        initial="year",
        required=False,
    )
    on = forms.DateField(
        label="Дата внутри периода",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Для недели, месяца, квартала и года.",
    )
    start = forms.DateField(
        label="С даты", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label="По дату", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def full_clean(self):
        super().full_clean()
        # Tie the help text and the errors to their field for screen readers.
        for name, field in self.fields.items():
            field.widget.attrs.update(accessible_attrs(self[name], sep="-"))

    def clean(self):
        data = super().clean()
        # Years like 0 or 9999 have no previous or next period (datetime stops at 1 and 9999): a 400.
        for name in ("on", "start", "end"):
            value = data.get(name)
            if value and not FIRST_DAY <= value <= LAST_DAY:
                self.add_error(name, f"Укажите дату с {FIRST_DAY.year} по {LAST_DAY.year} год.")
        if data.get("period") == "custom":
            start, end = data.get("start"), data.get("end")
            if start is None:
                self.add_error("start", "Укажите первую дату диапазона.")
            if end is None:
                self.add_error("end", "Укажите последнюю дату диапазона.")
            if start and end:
                if end < start:
                    self.add_error("end", "Последняя дата не может быть раньше первой.")
                elif (end - start).days + 1 > MAX_DAYS:
                    self.add_error("end", "Диапазон не может быть длиннее пяти лет.")
        return data

    def selected_period(self):
        data = self.cleaned_data
        kind = data.get("period") or "year"
        if kind == "custom":
            return Period("custom", data["start"], data["end"])
        return period_of(kind, data.get("on") or local_date(timezone.now()))


def parse_period(params):
    """(form, Period or None): the period asked for in GET `params`, the current year by default."""
    form = PeriodForm(params or None)
    if not params:
        form = PeriodForm({"period": "year"})
    if form.is_valid():
        return form, form.selected_period()
    return form, None
