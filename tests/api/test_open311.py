"""Open311 GeoReport v2 (issue 16): conformance of every endpoint in both formats, the field mapping, the
POST with a key for a consenting citizen, errors in the spec's form, conditional GET, the query count."""

import json
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import services as accounts_services
from api import open311
from api.models import ApiSubmission
from messages import services
from messages.models import Message
from tests.factories import processed_photos, registered, submit

BASE = "/open311/v2/"
DISCOVERY_FIELDS = ("changeset", "contact", "key_service", "endpoints")
ENDPOINT_FIELDS = ("specification", "url", "changeset", "type", "formats")
ERROR_FIELDS = ("code", "description")
# The spec's types: text may be empty; datetimes carry an offset; lat/long are numbers.
DATETIME_FIELDS = ("requested_datetime", "updated_datetime", "expected_datetime")


def get(client, path, fmt="json", **params):
    return client.get(f"{BASE}{path}.{fmt}", params)


def parse(response, fmt):
    """The body as Python data, from either format: the XML is parsed (so it is well-formed) and its
    element names are checked by the callers against the spec's lists."""
    if fmt == "json":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        return json.loads(response.content)
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    return ElementTree.fromstring(response.content)


def xml_items(root, root_name, item_name, fields):
    assert root.tag == root_name
    items = []
    for item in root:
        assert item.tag == item_name
        assert [child.tag for child in item] == list(fields)
        items.append({child.tag: child.text for child in item})
    return items


def check_w3c(value):
    if value is None:
        return
    assert value[-6] in "+-" and value[-3] == ":", value  # an offset, as the spec requires
    assert timezone.datetime.fromisoformat(value).tzinfo is not None


def check_request_json(item):
    assert tuple(item) == open311.REQUEST_FIELDS
    assert isinstance(item["service_request_id"], str)
    assert item["status"] in ("open", "closed")
    for name in ("status_notes", "service_name", "service_code", "description", "agency_responsible"):
        assert isinstance(item[name], str)
    for name in DATETIME_FIELDS:
        check_w3c(item[name])
    for name in ("lat", "long"):
        assert item[name] is None or isinstance(item[name], float)
    assert item["media_url"] is None or item["media_url"].startswith("http")


@pytest.fixture
def public_scene(citizen, moderator, executor, category):
    """A registered, an answered («planned») with a photo, a closed, a submitted and a rejected message."""
    from directory.models import RejectionReason

    fresh = registered(citizen, category, moderator)
    planned = registered(citizen, category, moderator, photos=processed_photos(1))
    services.message_answer(
        message=planned,
        actor=executor,
        kind="planned",
        text="Отремонтируем весной.",
        planned_date=timezone.localdate() + timedelta(days=90),
    )
    closed = registered(citizen, category, moderator)
    services.message_answer(message=closed, actor=executor, kind="solved", text="Заделано.")
    services.message_rate(message=closed, actor=citizen, positive=True)
    hidden = submit(citizen, category, text="На модерации: не публикуется")
    rejected = submit(citizen, category, text="Отклонено: не публикуется")
    services.message_reject(
        message=rejected, actor=moderator, reasons=list(RejectionReason.objects.filter(code="obscene"))
    )
    return {
        "fresh": fresh,
        "planned": Message.objects.get(pk=planned.pk),
        "closed": closed,
        "hidden": hidden,
        "rejected": rejected,
    }


# --- conformance, both formats ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_discovery(client, db, fmt):
    response = get(client, "discovery", fmt)
    assert response.status_code == 200
    data = parse(response, fmt)
    if fmt == "json":
        assert tuple(data) == DISCOVERY_FIELDS
        endpoint = data["endpoints"][0]
        assert tuple(endpoint) == ENDPOINT_FIELDS
        assert endpoint["formats"] == ["text/xml", "application/json"]
        assert endpoint["url"].endswith("/open311/v2/")
        check_w3c(data["changeset"])
    else:
        assert data.tag == "discovery"
        assert [c.tag for c in data] == list(DISCOVERY_FIELDS)
        endpoint = data.find("endpoints/endpoint")
        assert [c.tag for c in endpoint] == list(ENDPOINT_FIELDS)
        assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_services_one_per_active_category(client, world, fmt):
    world["lighting"].is_active = False
    world["lighting"].save()
    data = parse(get(client, "services", fmt), fmt)
    if fmt == "xml":
        data = xml_items(data, "services", "service", open311.SERVICE_FIELDS)
        assert data[0]["metadata"] == "false"
    else:
        assert all(tuple(s) == open311.SERVICE_FIELDS for s in data)
        assert data[0]["metadata"] is False
    assert [s["service_code"] for s in data] == ["potholes"]
    assert data[0]["service_name"] == "Ямы на дорогах"
    assert data[0]["group"] == "Дороги"
    assert data[0]["type"] == "realtime"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_service_definition_has_no_attributes(client, world, fmt):
    response = get(client, "services/potholes", fmt)
    assert response.status_code == 200
    data = parse(response, fmt)
    if fmt == "json":
        assert data == {"service_code": "potholes", "attributes": []}
    else:
        assert data.tag == "service_definition"
        assert [c.tag for c in data] == ["service_code", "attributes"]
        assert list(data.find("attributes")) == []
    assert get(client, "services/lighting-nope", fmt).status_code == 404


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_requests_list_only_public_with_the_spec_fields(client, public_scene, fmt):
    response = get(client, "requests", fmt)
    assert response.status_code == 200
    data = parse(response, fmt)
    if fmt == "xml":
        data = xml_items(data, "service_requests", "request", open311.REQUEST_FIELDS)
    else:
        for item in data:
            check_request_json(item)
    numbers = {item["service_request_id"] for item in data}
    s = public_scene
    assert numbers == {s["fresh"].number, s["planned"].number, s["closed"].number}


def test_field_mapping(client, public_scene, settings):
    s = public_scene
    data = {i["service_request_id"]: i for i in json.loads(get(client, "requests").content)}
    planned = data[s["planned"].number]
    assert planned["status"] == "open"
    assert planned["status_notes"] == "Решение запланировано: Отремонтируем весной."
    assert planned["agency_responsible"] == "Администрация"
    assert planned["service_code"] == "potholes" and planned["service_name"] == "Ямы на дорогах"
    assert planned["description"] == s["planned"].text
    assert planned["address"] == "ул. Ленина, 5"
    assert planned["expected_datetime"].startswith(
        (timezone.localdate() + timedelta(days=90)).isoformat() + "T23:59:59+03:00"
    )
    photo = s["planned"].photos.get()
    assert planned["media_url"] == f"http://testserver/m/{s['planned'].number}/photo/{photo.token}/"
    photo_response = client.get(planned["media_url"])  # the public photo itself
    assert photo_response.status_code == 200
    b"".join(photo_response.streaming_content)
    assert planned["service_notice"] == "Дан ответ; автор может оценить его (§7)."
    fresh = data[s["fresh"].number]
    assert fresh["status_notes"] == "" and fresh["expected_datetime"] is None
    assert fresh["service_notice"].startswith("Срок ответа — до ")
    assert data[s["closed"].number]["status"] == "closed"


def test_status_and_service_code_filters(client, public_scene):
    closed = json.loads(get(client, "requests", status="closed").content)
    assert [i["service_request_id"] for i in closed] == [public_scene["closed"].number]
    assert len(json.loads(get(client, "requests", status="open").content)) == 2
    assert len(json.loads(get(client, "requests", status="open,closed").content)) == 3
    assert len(json.loads(get(client, "requests", service_code="potholes").content)) == 3
    assert get(client, "requests", service_code="nope").status_code == 404


def test_ids_ignore_the_other_filters_and_never_show_private(client, public_scene):
    s = public_scene
    ids = ",".join(m.number for m in s.values())
    data = json.loads(get(client, "requests", service_request_id=ids, status="closed").content)
    assert {i["service_request_id"] for i in data} == {
        s["fresh"].number,
        s["planned"].number,
        s["closed"].number,
    }


def test_date_range_and_default_ninety_days(client, citizen, moderator, category):
    old = registered(citizen, category, moderator, now=timezone.now() - timedelta(days=120))
    new = registered(citizen, category, moderator)
    default = {i["service_request_id"] for i in json.loads(get(client, "requests").content)}
    assert default == {new.number}
    start = (timezone.now() - timedelta(days=130)).isoformat()
    end = (timezone.now() - timedelta(days=100)).isoformat()
    ranged = json.loads(get(client, "requests", start_date=start, end_date=end).content)
    assert [i["service_request_id"] for i in ranged] == [old.number]


def test_pagination_with_a_next_link(client, citizen, moderator, category):
    made = [registered(citizen, category, moderator) for _ in range(3)]
    first = get(client, "requests", page_size=2)
    assert len(json.loads(first.content)) == 2
    assert 'rel="next"' in first["Link"] and "page=2" in first["Link"]
    second = get(client, "requests", page_size=2, page=2)
    assert "Link" not in second
    numbers = [i["service_request_id"] for i in json.loads(first.content) + json.loads(second.content)]
    assert sorted(numbers) == sorted(m.number for m in made)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_request_detail(client, public_scene, fmt):
    number = public_scene["planned"].number
    response = get(client, f"requests/{number}", fmt)
    assert response.status_code == 200
    assert response["Last-Modified"]
    data = parse(response, fmt)
    if fmt == "xml":
        data = xml_items(data, "service_requests", "request", open311.REQUEST_FIELDS)
    assert [i["service_request_id"] for i in data] == [number]
    for key in ("hidden", "rejected"):
        response = get(client, f"requests/{public_scene[key].number}", fmt)
        assert response.status_code == 404
        errors = parse(response, fmt)
        if fmt == "json":
            assert tuple(errors[0]) == ERROR_FIELDS and errors[0]["code"] == 404
        else:
            assert errors.tag == "errors"
            assert [c.tag for c in errors.find("error")] == list(ERROR_FIELDS)


def test_conditional_get(client, public_scene):
    first = get(client, "requests")
    assert first["ETag"] and "public" in first["Cache-Control"]
    again = client.get(f"{BASE}requests.json", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    detail = get(client, f"requests/{public_scene['fresh'].number}")
    since = client.get(
        f"{BASE}requests/{public_scene['fresh'].number}.json", HTTP_IF_MODIFIED_SINCE=detail["Last-Modified"]
    )
    assert since.status_code == 304


def test_requests_query_count_is_constant(client, citizen, moderator, executor, category):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert get(client, "requests").status_code == 200
        return len(queries)

    for _ in range(2):
        m = registered(citizen, category, moderator, photos=processed_photos(1))
        services.message_answer(message=m, actor=executor, kind="solved", text="Да.")
    small = count()
    for _ in range(8):
        m = registered(citizen, category, moderator, photos=processed_photos(1))
        services.message_answer(message=m, actor=executor, kind="solved", text="Да.")
    assert count() == small


# --- errors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "вчера"},
        {"start_date": "2026-13-45T00:00:00Z"},
        {"start_date": "0001-01-01T00:00:00Z", "end_date": "9999-12-31T23:59:59Z"},
        {"start_date": "2020-01-01T00:00:00Z", "end_date": "2021-01-01T00:00:00Z"},
        {"start_date": "2021-01-01T00:00:00Z", "end_date": "2020-01-01T00:00:00Z"},
        {"end_date": "0001-01-01"},
        {"status": "pending"},
        {"page": "0"},
        {"page_size": "100000"},
        {"service_request_id": ",".join(f"2026-{i:06d}" for i in range(10_000))},
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_hostile_requests_queries_are_400_in_the_spec_form(client, db, params, fmt):
    response = get(client, "requests", fmt, **params)
    assert response.status_code == 400
    errors = parse(response, fmt)
    if fmt == "json":
        assert errors and all(tuple(e) == ERROR_FIELDS and e["code"] == 400 for e in errors)
        assert all(e["description"] for e in errors)
    else:
        assert errors.tag == "errors" and [c.tag for c in errors.find("error")] == list(ERROR_FIELDS)


@pytest.mark.parametrize("path", ["requests.html", "services.csv", "discovery.", "requests/2026-000001.php"])
def test_a_bad_format_extension_is_a_400(client, db, path):
    response = client.get(BASE + path)
    assert response.status_code == 400
    assert ElementTree.fromstring(response.content).tag == "errors"


def test_wrong_method_is_405_in_the_spec_form(client, db):
    response = client.delete(f"{BASE}requests.json")
    assert response.status_code == 405
    assert json.loads(response.content)[0]["code"] == 405
    assert response["Allow"] == "GET, HEAD, POST"
    assert client.post(f"{BASE}services.json").status_code == 405


def test_rate_limit_per_address(client, db, settings):
    settings.RATE_LIMIT_API = "2/1h/ip"
    assert get(client, "services").status_code == 200
    assert get(client, "services").status_code == 200
    refused = get(client, "services")
    assert refused.status_code == 429
    assert json.loads(refused.content)[0]["code"] == 429
    assert int(refused["Retry-After"]) > 0


def test_rate_limit_per_key(client, api_client_key, settings):
    settings.RATE_LIMIT_API = "1/1h/ip"  # a keyed client counts against its own limit, not the address's
    api_client, key = api_client_key
    api_client.rate_limit = "3/1h"
    api_client.save()
    statuses = [get(client, "services", api_key=key).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_an_unknown_key_is_403(client, db):
    response = get(client, "services", api_key="nope")
    assert response.status_code == 403
    assert json.loads(response.content)[0]["code"] == 403


# --- POST --------------------------------------------------------------------------------------------


def post(client, key, fmt="json", **fields):
    data = {
        "api_key": key,
        "service_code": "potholes",
        "email": "alice@example.ru",
        "description": "Яма у подъезда",
        "address_string": "ул. Ленина, 7",
        **fields,
    }
    return client.post(f"{BASE}requests.{fmt}", {k: v for k, v in data.items() if v is not None})


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_for_a_consenting_citizen_goes_through_message_submit(
    client, consenting_citizen, api_client_key, fmt
):
    api_client, key = api_client_key
    response = post(client, key, fmt, lat="53.2", long="45.16", media_url="http://example.org/x.jpg")
    assert response.status_code == 201
    data = parse(response, fmt)
    if fmt == "xml":
        assert data.tag == "service_requests"
        item = data.find("request")
        assert [c.tag for c in item] == ["token", "service_notice"]
        token, notice = item.find("token").text, item.find("service_notice").text
    else:
        assert tuple(data[0]) == ("token", "service_notice")
        token, notice = data[0]["token"], data[0]["service_notice"]
    assert "3 рабочих дня, §5.4" in notice and "media_url не загружаются" in notice
    submission = ApiSubmission.objects.select_related("message").get(token=token)
    message = submission.message
    assert submission.client == api_client
    assert message.author == consenting_citizen and message.state == "submitted"
    assert message.events.get().kind == "submitted"  # the portal's service, its event and notice
    assert consenting_citizen.notifications.filter(kind="received").exists()
    assert message.photos.count() == 0  # media_url is never fetched


@pytest.mark.parametrize(
    "why",
    ["no_key", "bad_key", "no_account", "unverified", "no_consent", "revoked", "inactive_client"],
)
def test_post_is_refused_without_key_or_consent(client, citizen, other_citizen, api_client_key, why):
    from tests.api.conftest import verify

    api_client, key = api_client_key
    verify(citizen)
    accounts_services.api_consent_give(user=citizen, client=api_client)
    email = "alice@example.ru"
    if why == "no_key":
        key = None
    elif why == "bad_key":
        key = "x" * 43
    elif why == "no_account":
        email = "nobody@example.ru"
    elif why == "unverified":
        accounts_services.api_consent_give(user=other_citizen, client=api_client)
        email = "bob@example.ru"
    elif why == "no_consent":
        verify(other_citizen)
        email = "bob@example.ru"
    elif why == "revoked":
        accounts_services.api_consent_revoke(user=citizen, client=api_client)
    elif why == "inactive_client":
        api_client.is_active = False
        api_client.save()
    response = post(client, key, email=email)
    assert response.status_code == 403
    assert json.loads(response.content)[0]["code"] == 403
    assert not Message.objects.exists()


def test_post_checks_fields_in_the_spec_form(client, consenting_citizen, api_client_key):
    key = api_client_key[1]
    missing = post(client, key, address_string=None, description=None)
    assert missing.status_code == 400
    descriptions = [e["description"] for e in json.loads(missing.content)]
    assert len(descriptions) == 2 and any("address_string" in d for d in descriptions)
    assert post(client, key, service_code="nope").status_code == 404
    assert post(client, key, lat="91", long="0").status_code == 400
    assert post(client, key, lat="53").status_code == 400
    assert not Message.objects.exists()


def test_post_takes_the_citizens_submit_limit(client, consenting_citizen, api_client_key, settings):
    settings.RATE_LIMIT_SUBMIT = "1/1h/user,1/1h/ip"
    key = api_client_key[1]
    assert post(client, key).status_code == 201
    refused = post(client, key)
    assert refused.status_code == 429
    assert "Слишком много сообщений" in json.loads(refused.content)[0]["description"]
    assert Message.objects.count() == 1


def test_token_until_registered_then_the_number(client, consenting_citizen, api_client_key, moderator):
    token = json.loads(post(client, api_client_key[1]).content)[0]["token"]
    waiting = json.loads(get(client, f"tokens/{token}").content)
    assert waiting == [{"token": token}]
    message = ApiSubmission.objects.get(token=token).message
    assert get(client, f"requests/{message.number}").status_code == 404  # not public yet (§4.8)
    services.message_register(message=message, actor=moderator)
    assert json.loads(get(client, f"tokens/{token}").content) == [
        {"service_request_id": message.number, "token": token}
    ]
    xml = ElementTree.fromstring(get(client, f"tokens/{token}", "xml").content)
    assert [c.tag for c in xml.find("request")] == ["service_request_id", "token"]
    assert get(client, "tokens/not-a-token").status_code == 404


def test_wrong_keys_count_against_the_address(client, db, settings):
    settings.RATE_LIMIT_API = "2/1h/ip"
    statuses = [get(client, "services", api_key=f"guess-{i}").status_code for i in range(3)]
    assert statuses == [403, 403, 429]
