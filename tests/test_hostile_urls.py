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
