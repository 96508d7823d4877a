"""The Open311 parameters, checked with Django forms: a bad value is a 400 in the spec's error form."""

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from directory.workdays import MOSCOW

MAX_RANGE = timedelta(days=90)  # GeoReport v2: the server may limit the range; ours is 90 days
MAX_IDS = 500
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100


def w3c_datetime(value, name):
    """A W3C datetime (2026-11-05T08:15:30+03:00, …Z) or a date (the start of that day in Zarechny)."""
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            if day is None:
                raise ValueError
            moment = datetime.combine(day, time.min)
        if timezone.is_naive(moment):
            moment = moment.replace(tzinfo=MOSCOW)
        moment.astimezone(MOSCOW)  # years 1 and 9999 overflow here rather than in the query
        return moment
    except (ValueError, OverflowError):
        raise forms.ValidationError(
            f"{name}: ожидается дата и время в формате W3C, например 2026-11-05T08:15:30+03:00."
        ) from None


def comma_list(value):
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class RequestsQuery(forms.Form):
    service_request_id = forms.CharField(required=False, max_length=MAX_IDS * 21)
    service_code = forms.CharField(required=False, max_length=2000)
    start_date = forms.CharField(required=False, max_length=40)
    end_date = forms.CharField(required=False, max_length=40)
    status = forms.CharField(required=False, max_length=40)
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)
    page_size = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE)

    def clean_service_request_id(self):
        ids = comma_list(self.cleaned_data["service_request_id"])
        if len(ids) > MAX_IDS:
            raise forms.ValidationError(f"service_request_id: не более {MAX_IDS} номеров в одном запросе.")
        return ids

    def clean_service_code(self):
        return comma_list(self.cleaned_data["service_code"])

    def clean_status(self):
        statuses = comma_list(self.cleaned_data["status"])
        if set(statuses) - {"open", "closed"}:
            raise forms.ValidationError("status: допустимы open и closed (через запятую).")
        return statuses

    def clean_start_date(self):
        value = self.cleaned_data["start_date"]
        return w3c_datetime(value, "start_date") if value else None

    def clean_end_date(self):
        value = self.cleaned_data["end_date"]
        return w3c_datetime(value, "end_date") if value else None

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        start, end = data.get("start_date"), data.get("end_date")
        try:
            if start is None and end is None:
                end = timezone.now()
                start = end - MAX_RANGE
            elif start is None:
                start = end - MAX_RANGE
            elif end is None:
                end = min(start + MAX_RANGE, max(start, timezone.now()))
        except OverflowError:
            raise forms.ValidationError("start_date / end_date вне допустимого диапазона.") from None
        if end < start:
            raise forms.ValidationError("end_date раньше start_date.")
        if end - start > MAX_RANGE:
            raise forms.ValidationError("Период start_date – end_date — не более 90 дней.")
        data["start_date"], data["end_date"] = start, end
        data["page"] = data.get("page") or 1
        data["page_size"] = data.get("page_size") or DEFAULT_PAGE_SIZE
        return data


class SubmitForm(forms.Form):
    """POST requests: the spec's fields this platform takes. `media_url` is accepted and never fetched (no
    outbound requests; photos come through the portal); first_name, last_name, phone, device_id,
    account_id and attributes are not stored (the account already holds who the person is)."""

    service_code = forms.CharField(max_length=80)
    email = forms.CharField(max_length=254)
    description = forms.CharField(max_length=10_000)
    address_string = forms.CharField(max_length=300)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90)
    long = forms.FloatField(required=False, min_value=-180, max_value=180)

    def clean(self):
        data = super().clean()
        if (data.get("lat") is None) != (data.get("long") is None):
            raise forms.ValidationError("lat и long указываются вместе.")
        return data


FIELD_NAMES = {
    "service_code": "service_code",
    "email": "email",
    "description": "description",
    "address_string": "address_string (§4.1: место обязательно)",
    "lat": "lat",
    "long": "long",
}


def form_errors(form):
    """The form's errors as "field: text" descriptions (the spec's error list)."""
    out = []
    for field, messages in form.errors.items():
        for message in messages:
            if field == "__all__" or message.startswith(f"{field}:"):
                out.append(message)
            else:
                out.append(f"{FIELD_NAMES.get(field, field)}: {message}")
    return out
