"""Bad input is a 4xx, never a 5xx (issue 11, item 10).

Every URL pattern of the project (from the resolver, so a new one is walked too) is requested with
hostile values in each of its path parameters — NUL, huge and negative numbers, 0, 9999, unicode, a
very long string, ../ — with GET, HEAD and POST, as a guest, a citizen and a staff member; every
page without parameters also gets hostile query strings. No answer may be a 5xx.
"""

import re
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from messages import services
from tests.factories import processed_photos, registered, submit

HOSTILE_VALUES = [
    "%00",
    "99999999999999999999999",
    "0",
    "-1",
    "9999",
    quote("ы☃💥"),
    "x" * 600,
    "..%2F..%2Fetc%2Fpasswd",
]
# The admin's generated model pages share one implementation: fewer values for them keep the walk short.
ADMIN_VALUES = ["99999999999999999999999", quote("ы☃💥"), "..%2F..%2Fetc%2Fpasswd"]
HOSTILE_QUERIES = [
    "?year=9999&page=999999&period=year",
    "?year=0&page=abc&period=month&month=13",
    "?year=-1&page=-1&period=quarter&quarter=9",
    "?year=99999999999999999999&page=99999999999999999999&month=99999999999999999999",
    "?q=%00&category=%00&period=%00&year=%00&page=%00&status=%00&metric=%00&key=%00&group=%00&number=%00",
    "?from=0001-01-01&to=9999-12-31&period=custom&start=0001-01-01&end=9999-12-31",
    "?%00=%00&next=%00",
    "?period=year&on=9999-12-31",
    "?period=week&on=0001-01-01",
    "?period=custom&start=0001-01-01&end=0001-01-03",
    "?period=custom&start=9999-12-25&end=9999-12-31",
    # The map (issue 15): a box spanning the world, a huge limit, half a pair, coordinates out of range.
    "?bbox=-180,-90,180,90&limit=99999999999999999999&sort=near&lat=53.2&category=potholes",
    "?bbox=1e999,-1e999,nan,inf&limit=-1&sort=near&lat=91&lon=181&category=potholes",
    "?bbox=%00&lat=%00&lon=%00&limit=%00&sort=near",
]
# Route converters and regex groups, replaced by the hostile value.
_PARAMETER = re.compile(r"<(?:\w+:)?\w+>|\(\?P<\w+>[^)]*\)")


def _routes(patterns=None, prefix=""):
    """(full route, is admin) for every URL pattern, walking includes."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        route = prefix + str(entry.pattern).lstrip("^").rstrip("$")
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route


def _urls():
    """(url, methods) for every pattern: hostile path values with GET/HEAD/POST, hostile queries with GET."""
    urls = {}
    for route in _routes():
        route = route.replace("\\", "")
        admin = route.startswith("admin/")
        if _PARAMETER.search(route):
            for value in ADMIN_VALUES if admin else HOSTILE_VALUES:
                urls["/" + _PARAMETER.sub(value, route)] = ("get", "head", "post")
        else:
            base = "/" + route
            urls[base] = ("get", "head", "post")
            if not admin:
                urls.update({base + query: ("get",) for query in HOSTILE_QUERIES})
    return sorted(urls.items())


@pytest.fixture
def scene(citizen, moderator, executor, supervisor, admin_user, category):
    from directory.models import RejectionReason

    submit(citizen, category, photos=processed_photos(1))
    rejected = submit(citizen, category)
    services.message_reject(
        message=rejected, actor=moderator, reasons=list(RejectionReason.objects.filter(code="obscene"))
    )
    done = registered(citizen, category, moderator)
    services.message_answer(message=done, actor=executor, kind="solved", text="Заделано.")
    return {"guest": None, "citizen": citizen, "staff": supervisor, "admin": admin_user}


def test_every_url_with_hostile_input_is_never_a_5xx(scene):
    urls = _urls()
    assert len(urls) > 200  # the walk found the project's patterns
    failures = []
    for role in ("guest", "citizen", "staff", "admin"):
        client = Client(raise_request_exception=False)
        for url, methods in urls:
            # The admin's pages run for the administrator only (for the others they are a redirect to
            # its login); the administrator is walked through the admin only.
            if url.startswith("/admin/") != (role == "admin"):
                continue
            if scene[role] is not None:
                client.force_login(scene[role])  # a POST to a logout page ends the session
            for method in methods:
                response = getattr(client, method)(url)
                if response.status_code >= 500:
                    failures.append(f"{role} {method.upper()} {url[:120]} -> {response.status_code}")
    assert not failures, "\n".join(failures)


def test_head_is_answered_wherever_get_is(scene, category):
    """HEAD (load balancers, link checkers) gets the GET answer without a body: 405 was the old answer."""
    from messages.models import Message

    public = Message.objects.filter(state="answered").get()
    pages = ["/" + r for r in _routes() if not _PARAMETER.search(r) and not r.startswith("admin/")]
    pages += [f"/m/{public.number}/", f"/submit/?category={category.key}", f"/office/m/{public.number}/"]
    compared = 0
    for role in ("guest", "citizen", "staff"):
        client = Client()
        if scene[role] is not None:
            client.force_login(scene[role])
        for url in pages:
            get = client.get(url)
            if get.status_code != 200 or url.startswith("/accounts/logout"):
                continue
            head = client.head(url)
            assert (url, head.status_code) == (url, 200)
            assert head.content == b""
            compared += 1
    assert compared > 30


HOSTILE_FIELDS = ["\x00", "x" * 5000, "99999999999999999999999", "-1", "ы☃💥", "../../etc/passwd", "<script>"]


def test_the_organisations_own_data_forms_take_hostile_bodies_without_a_5xx(scene, category, executor):
    """§2.2, §2.5, §2.7 (issue 13.5): every field of the contact, FAQ and proposal forms, and the FAQ
    entry ids in their URLs, with hostile values — a 4xx or a redirect, never a 5xx; nothing is
    written with a NUL byte or past a field's length."""
    from directory.models import FaqEntry, Organization

    entry = FaqEntry.objects.create(category=category, question="Когда?", answer="Скоро.", order=1)
    forms = {
        "/office/organization/": ["address", "phones", "email", "website", "working_hours"],
        "/office/faq/add/": ["category", "question", "answer", "is_published"],
        f"/office/faq/{entry.pk}/": ["question", "answer", "is_published"],
        f"/office/faq/{entry.pk}/move/": ["direction"],
        "/office/proposals/": [
            "changes_category",
            "topic_name",
            "category_name",
            "category_description",
            "responsible_organization",
            "participating_organizations",
            "routing_proposal",
        ],
    }
    client = Client(raise_request_exception=False)
    client.force_login(executor)
    failures = []
    for url, fields in forms.items():
        for value in HOSTILE_FIELDS:
            response = client.post(url, {name: value for name in fields})
            if response.status_code >= 500:
                failures.append(f"POST {url} {value[:20]!r} -> {response.status_code}")
    assert not failures, "\n".join(failures)
    organization = Organization.objects.get(key="adm")
    assert "\x00" not in organization.address and len(organization.address) <= 300
    assert all("\x00" not in e.question for e in FaqEntry.objects.all())


def test_the_decision_forms_take_hostile_bodies_without_a_5xx(citizen, category, moderator, executor):
    """§5, §6 (issue 13): every field of the moderator's and the executor's forms on a message with
    hostile values — a huge id in «reasons» or «category» overflowed SQLite's integer (a 500) — is a 4xx
    or a redirect, never a 5xx, and nothing is decided by it."""
    submitted = submit(citizen, category, text="Яма")
    answerable = registered(citizen, category, moderator)
    forms = {
        (moderator, submitted.number): {
            "register": ["category", "executing_organization", "comment"],
            "reject": ["reasons", "duplicate_of", "comment", "citizen_comment"],
            "duplicate": ["duplicate_of", "confirm"],
            "reassign": ["category", "executing_organization", "comment"],
        },
        (executor, answerable.number): {
            "answer": ["kind", "text", "planned_date"],
            "request-reassign": ["category", "executing_organization", "comment"],
        },
    }
    failures = []
    for (person, number), actions in forms.items():
        client = Client(raise_request_exception=False)
        client.force_login(person)
        for action, fields in actions.items():
            url = f"/office/m/{number}/{action}/"
            for value in HOSTILE_FIELDS:
                response = client.post(url, {name: value for name in fields})
                if response.status_code >= 500:
                    failures.append(f"POST {url} {fields} = {value[:20]!r} -> {response.status_code}")
    assert not failures, "\n".join(failures)
    submitted.refresh_from_db()
    assert submitted.state == "submitted"


OPEN311_QUERIES = [
    "?start_date=0001-01-01T00:00:00Z&end_date=9999-12-31T23:59:59Z",
    "?start_date=9999-12-31T23:59:59%2B14:00",
    "?end_date=0001-01-01T00:00:00-12:00",
    "?start_date=%00&end_date=%00&status=%00&service_code=%00&service_request_id=%00",
    "?page=99999999999999999999&page_size=-1",
    "?page=100000&page_size=1000",
    "?service_request_id=" + ",".join(["2026-000001"] * 10_000),
    "?service_code=" + ",".join(["x" * 200] * 50),
    "?api_key=" + "k" * 5000,
    "?api_key=%00",
]


def test_open311_with_hostile_queries_is_never_a_5xx(scene, settings):
    """The Open311 routes carry their format in the path, so the walk above gives them hostile formats;
    here each real format gets hostile queries too (issue 16), as GET and as POST, and a POST with a
    valid key for a consenting citizen gets hostile fields."""
    from accounts import services as accounts_services
    from accounts.models import ApiClient
    from tests.api.conftest import verify

    settings.RATE_LIMIT_API = ""  # every request must reach the view, not the limit
    settings.RATE_LIMIT_SUBMIT = ""
    api_client = ApiClient(name="hostile", rate_limit="100000/1h")
    key = accounts_services.api_client_issue_key(client=api_client)
    accounts_services.api_consent_give(user=verify(scene["citizen"]), client=api_client)
    client = Client(raise_request_exception=False)
    failures = []
    for path in (
        "discovery",
        "services",
        "services/potholes",
        "requests",
        "requests/2026-000001",
        "tokens/x",
    ):
        for fmt in ("json", "xml"):
            for query in ["", *HOSTILE_QUERIES, *OPEN311_QUERIES]:
                url = f"/open311/v2/{path}.{fmt}{query}"
                for method in ("get", "head", "post"):
                    status = getattr(client, method)(url).status_code
                    if status >= 500:
                        failures.append(f"{method.upper()} {url[:120]} -> {status}")
    valid = {"api_key": key, "email": scene["citizen"].email, "service_code": "potholes"}
    for data in (
        {"api_key": "k" * 5000},
        {"api_key": "%00", "lat": "nan", "long": "inf"},
        {**valid, "description": "x", "address_string": "y", "lat": "nan", "long": "inf"},
        {**valid, "description": "x", "address_string": "y", "lat": "1e400", "long": "-1e400"},
        {**valid, "description": "\x00", "address_string": "\x00"},
        {**valid, "description": "x" * 20_000, "address_string": "y" * 1000},
        {**valid, "service_code": "x" * 500, "email": "x" * 10_000},
        {**valid, "description": " ", "address_string": " "},
    ):
        status = client.post("/open311/v2/requests.json", data).status_code
        if status >= 500:
            failures.append(f"POST requests.json {str(data)[:80]} -> {status}")
    assert not failures, "\n".join(failures)
