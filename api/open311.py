"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): the field mapping and the two formats.

The mapping of a public message to a GeoReport "request" is the one piece written by hand (issue 16); the
formats are the standard library's: `json` and `xml.etree.ElementTree`, with the element names the spec
uses (`services/service`, `service_requests/request`, `errors/error`, `discovery/endpoints/endpoint/…`).
A generic XML serialiser (djangorestframework-xml) writes `root/list-item` and cannot be told the spec's
names, so a library would add a dependency and still need this module.
"""

import json
from datetime import datetime, time
from xml.etree import ElementTree

from django.utils import timezone
from django.utils.text import capfirst

from directory.workdays import MOSCOW
from messages.models import State

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}

# The fields of each kind of answer, in the spec's order (the conformance tests check against these).
SERVICE_FIELDS = ("service_code", "service_name", "description", "metadata", "type", "keywords", "group")
REQUEST_FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
)
OPEN_STATES = (State.SUBMITTED, State.REGISTERED, State.ANSWERED, State.REWORK)
CLOSED_STATES = (State.CLOSED,)
# In XML a list's items are named by the singular of the list (the spec's examples).
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
}


class Open311Error(Exception):
    """An answer in the spec's error form: HTTP `status` and a list of (code, description)."""

    def __init__(self, status, description, *more):
        super().__init__(description)
        self.status = status
        self.errors = [(status, description), *more]


def w3c(moment):
    """A W3C datetime with the offset (the spec requires one): Moscow time, like every page."""
    if moment is None:
        return None
    return timezone.localtime(moment, MOSCOW).replace(microsecond=0).isoformat()


def status_of(message):
    return "closed" if message.state in CLOSED_STATES else "open"


def service(category):
    """One service per active category: its topic is the group (§2.6)."""
    return {
        "service_code": category.key,
        "service_name": category.name,
        "description": category.description,
        "metadata": False,
        "type": "realtime",
        "keywords": category.topic.name,
        "group": category.topic.name,
    }


def service_notice(message):
    """The deadline that applies now, as the public page says it (§5.4, §6.2, §7.3)."""
    if message.state == State.SUBMITTED:
        return (
            f"Сообщение на модерации: решение о регистрации — до {_date(message.registration_due)} "
            "(3 рабочих дня, §5.4)."
        )
    if message.state in (State.REGISTERED, State.REWORK) and message.answer_due is not None:
        notice = f"Срок ответа — до {_date(message.answer_due)} (10 рабочих дней, §6.2"
        notice += ", после доработки §7.3)." if message.state == State.REWORK else ")."
        late = getattr(message, "answer_overdue_days", None)
        if late is not None:
            notice += " Срок ответа истёк" + (f", рабочих дней назад: {late}." if late else ".")
        return notice
    if message.state == State.ANSWERED:
        return "Дан ответ; автор может оценить его (§7)."
    return ""


def _date(moment):
    return f"{timezone.localtime(moment, MOSCOW):%d.%m.%Y}"


def request(message, *, latest_answer=None, media_url=None):
    """A public message as a GeoReport request. `latest_answer` is the message's last answer (or None)."""
    status_notes = ""
    expected = None
    if latest_answer is not None:
        status_notes = f"{capfirst(latest_answer.get_kind_display())}: {latest_answer.text}"
        if latest_answer.planned_date is not None and latest_answer.kind == latest_answer.Kind.PLANNED:
            # The planned date (§6.2) as the end of that day in Zarechny.
            expected = w3c(datetime.combine(latest_answer.planned_date, time(23, 59, 59), tzinfo=MOSCOW))
    organization = message.executing_organization
    return {
        "service_request_id": message.number,
        "status": status_of(message),
        "status_notes": status_notes,
        "service_name": message.category.name,
        "service_code": message.category.key,
        "description": message.text,
        "agency_responsible": organization.name if organization else "",
        "service_notice": service_notice(message),
        "requested_datetime": w3c(message.submitted_at),
        "updated_datetime": w3c(message.updated_at),
        "expected_datetime": expected,
        "address": message.address,
        "address_id": None,
        "zipcode": None,
        "lat": float(message.latitude) if message.latitude is not None else None,
        "long": float(message.longitude) if message.longitude is not None else None,
        "media_url": media_url,
    }


# --- the formats ---------------------------------------------------------------------------------


def render(fmt, root, data):
    """`data` (a list for `root` = services, service_requests, errors; a dict otherwise) in `fmt`."""
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    element = ElementTree.Element(root)
    _fill(element, root, data)
    return ElementTree.tostring(element, encoding="utf-8", xml_declaration=True)


def _fill(element, name, value):
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ElementTree.SubElement(element, key), key, item)
    elif isinstance(value, list):
        for item in value:
            _fill(ElementTree.SubElement(element, ITEM_NAMES[name]), ITEM_NAMES[name], item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def errors(fmt, error):
    """The spec's error list for an Open311Error."""
    data = [{"code": code, "description": description} for code, description in error.errors]
    return render(fmt, "errors", data)
