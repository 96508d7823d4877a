"""Issue 15: the nearby selector, the public map's GeoJSON, the submit form's similar messages, the
«рядом со мной» sort, the city's bounds and the photo's GPS point."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from messages import selectors, services
from messages.errors import MessageActionError
from messages.models import Message, Photo, Support
from messages.photos import process_image, read_gps_point
from tests.factories import registered, submit
from tests.gps_images import jpeg_with_gps

LAT, LON = Decimal("53.200000"), Decimal("45.170000")
GEOJSON = reverse("portal:map_geojson")
NEARBY = reverse("portal:nearby")


def at(lat_offset_m=0.0, lon_offset_m=0.0):
    """A point this many metres north / east of (LAT, LON)."""
    return {
        "latitude": (LAT + Decimal(lat_offset_m / 111_195)).quantize(Decimal("0.000001")),
        "longitude": (LON + Decimal(lon_offset_m / (111_195 * 0.5990))).quantize(Decimal("0.000001")),
    }


# --- the selector (one rule for the form and the moderators) -----------------------------------------


def test_near_finds_public_messages_of_the_category_within_200_m_from_90_days(
    citizen, category, moderator, world
):
    near = registered(citizen, category, moderator, **at(100))
    east = registered(citizen, category, moderator, **at(0, 150))
    far = registered(citizen, category, moderator, **at(260))
    private = submit(citizen, category, **at(10))
    old = registered(citizen, category, moderator, now=timezone.now() - timedelta(days=91), **at(20))
    other_category = submit(citizen, world["lighting"], **at(10))
    found = selectors.public_messages_near(category_id=category.pk, latitude=LAT, longitude=LON)
    assert [m.number for m in found] == [near.number, east.number]
    assert 95 < found[0].distance_m < 105 and 145 < found[1].distance_m < 155
    for absent in (far, private, old, other_category):
        assert absent.number not in {m.number for m in found}


def test_near_is_one_query_whatever_the_number_of_messages(citizen, category, moderator):
    for i in range(3):
        registered(citizen, category, moderator, **at(10 * i))
    with CaptureQueriesContext(connection) as few:
        selectors.public_messages_near(category_id=category.pk, latitude=LAT, longitude=LON)
    for i in range(8):
        registered(citizen, category, moderator, **at(5 * i))
    with CaptureQueriesContext(connection) as many:
        found = selectors.public_messages_near(category_id=category.pk, latitude=LAT, longitude=LON)
    assert len(few) == len(many) == 1
    assert len(found) == selectors.NEARBY_LIMIT


def test_duplicate_hints_use_the_same_rule(citizen, other_citizen, category, moderator):
    from moderation.selectors import likely_duplicates

    shown = registered(citizen, category, moderator, text="Провал", **at(180))
    not_shown = registered(citizen, category, moderator, text="Провал", **at(230))
    message = services.message_submit(
        author=other_citizen,
        category=category,
        text="Совсем другое",
        occurred_at=timezone.now() - timedelta(hours=1),
        address="напротив школы",
        **at(0),
    )
    hints = {c.message.number for c in likely_duplicates(moderator.official, message)}
    form_shows = {
        m.number for m in selectors.public_messages_near(category_id=category.pk, latitude=LAT, longitude=LON)
    }
    assert shown.number in hints and shown.number in form_shows
    assert not_shown.number not in hints and not_shown.number not in form_shows


# --- bounds: form and service --------------------------------------------------------------------


def test_service_refuses_a_point_outside_the_city(citizen, category):
    with pytest.raises(MessageActionError) as error:
        submit(citizen, category, latitude=Decimal("55.75"), longitude=Decimal("37.62"))
    assert error.value.field == "latitude" and "за пределами города" in str(error.value)


def test_submit_form_shows_the_bounds_error_next_to_the_field(client, citizen, category):
    client.force_login(citizen)
    response = client.post(
        reverse("portal:submit"),
        {
            "category": category.key,
            "text": "Яма",
            "occurred_at": "2026-01-10T10:00",
            "address": "ул. Ленина, 5",
            "latitude": "55.75",
            "longitude": "37.62",
            "client_token": "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d",
        },
    )
    assert response.status_code == 200
    assert "за пределами города Заречного" in str(response.context["form"].errors["latitude"])
    assert not Message.objects.exists()


def test_correction_sets_and_checks_the_point(client, citizen, category, moderator, world):
    from directory.models import RejectionReason

    message = submit(citizen, category)
    services.message_reject(
        message=message, actor=moderator, reasons=list(RejectionReason.objects.filter(code="obscene"))
    )
    client.force_login(citizen)
    data = {
        "category": category.key,
        "text": "Яма на дороге",
        "occurred_at": "2026-01-10T10:00",
        "address": "ул. Ленина, 5",
        "latitude": "53.3",
        "longitude": "45.17",
    }
    url = reverse("portal:edit", kwargs={"number": message.number})
    response = client.post(url, data)
    assert "за пределами города" in str(response.context["form"].errors["latitude"])
    response = client.post(url, {**data, "latitude": "53.2"})
    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.latitude, message.longitude) == (Decimal("53.2"), Decimal("45.17"))


# --- EXIF GPS: read before stripping --------------------------------------------------------------


def test_gps_is_read_from_the_upload_and_the_stored_copies_carry_none():
    data = jpeg_with_gps(53.2001, 45.1702)
    processed = process_image(io.BytesIO(data), name="gps.jpg")
    assert processed.gps_point == (53.2001, 45.1702)
    for copy in (processed.web, processed.thumbnail):
        assert read_gps_point(copy) is None
        assert not dict(Image.open(io.BytesIO(copy)).getexif())


def test_gps_of_a_photo_without_exif_or_with_broken_exif_is_none():
    plain = io.BytesIO()
    Image.new("RGB", (8, 8)).save(plain, "JPEG")
    assert read_gps_point(plain.getvalue()) is None
    assert read_gps_point(b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00MM\x00*garbage") is None


def test_a_returned_submit_form_offers_the_photo_point_and_stores_nothing_of_it(client, citizen, category):
    client.force_login(citizen)
    photo = SimpleUploadedFile("gps.jpg", jpeg_with_gps(53.2001, 45.1702), content_type="image/jpeg")
    response = client.post(
        reverse("portal:submit"),
        {
            "category": category.key,
            "text": "Яма",
            "occurred_at": "2026-01-10T10:00",
            "address": "",  # the form comes back: the address is required (§4.1)
            "client_token": "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d",
            "photos": [photo],
        },
    )
    assert response.status_code == 200
    assert response.context["photo_point"] == (53.2001, 45.1702)
    assert "Фото сделано здесь (53.200100, 45.170200)" in response.content.decode()


def test_a_stored_photo_has_no_gps(citizen, category):
    processed = process_image(io.BytesIO(jpeg_with_gps(53.2001, 45.1702)), name="gps.jpg")
    message = submit(citizen, category, photos=[processed])
    stored = Photo.objects.get(message=message)
    with stored.image.open("rb") as handle:
        assert read_gps_point(handle.read()) is None


# --- the GeoJSON feed ------------------------------------------------------------------------------


def test_geojson_has_public_messages_in_the_box_and_only_their_public_fields(
    client, citizen, category, moderator
):
    public = registered(citizen, category, moderator, **at(0))
    private = submit(citizen, category, **at(0))
    no_point = registered(citizen, category, moderator)
    outside_box = registered(citizen, category, moderator, **at(2000))
    response = client.get(GEOJSON, {"bbox": "45.16,53.19,45.18,53.21"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    assert "public" in response["Cache-Control"] and response["ETag"]
    data = response.json()
    numbers = [f["properties"]["number"] for f in data["features"]]
    assert numbers == [public.number]
    assert private.number not in numbers and no_point.number not in numbers
    assert outside_box.number not in numbers
    feature = data["features"][0]
    assert set(feature["properties"]) == {
        "number",
        "url",
        "state",
        "state_label",
        "category",
        "address",
        "date",
    }
    assert feature["geometry"]["coordinates"] == [45.17, 53.2]
    assert citizen.email not in response.content.decode()


def test_geojson_is_the_same_for_the_author_and_answers_304_to_its_etag(client, citizen, category, moderator):
    registered(citizen, category, moderator, **at(0))
    submit(citizen, category, **at(0))  # the author's own private message is not on the public map
    client.force_login(citizen)
    first = client.get(GEOJSON)
    assert len(first.json()["features"]) == 1
    again = client.get(GEOJSON, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


def test_geojson_filters(client, citizen, category, moderator, other_category_moderator, world):
    potholes = registered(citizen, category, moderator, **at(0))
    lighting = registered(citizen, world["lighting"], other_category_moderator, **at(10))
    old = registered(citizen, category, moderator, now=timezone.now() - timedelta(days=40), **at(20))

    def numbers(**params):
        return {f["properties"]["number"] for f in client.get(GEOJSON, params).json()["features"]}

    assert numbers() == {potholes.number, lighting.number, old.number}
    assert numbers(category="lighting") == {lighting.number}
    assert numbers(period="30") == {potholes.number, lighting.number}
    assert numbers(state="closed") == set()


@pytest.mark.parametrize(
    "params",
    [
        {"bbox": "1,2,3"},
        {"bbox": "a,b,c,d"},
        {"bbox": "45.2,53.2,45.1,53.3"},  # west > east
        {"bbox": "45,53,46,95"},  # north beyond the pole
        {"bbox": "nan,53,46,54"},
        {"bbox": "inf,53,46,54"},
        {"limit": "-5"},
        {"limit": "abc"},
    ],
)
def test_geojson_bad_input_is_400(client, params):
    response = client.get(GEOJSON, params)
    assert response.status_code == 400
    assert response.json()["error"]


def test_geojson_clamps_the_world_and_the_limit(client, citizen, category, moderator):
    for i in range(4):
        registered(citizen, category, moderator, **at(10 * i))
    world_box = client.get(GEOJSON, {"bbox": "-180,-90,180,90", "limit": "99999999999999"})
    assert world_box.status_code == 200 and len(world_box.json()["features"]) == 4
    small = client.get(GEOJSON, {"limit": "2"}).json()
    assert len(small["features"]) == 2 and small["truncated"] is True
    far_away = client.get(GEOJSON, {"bbox": "37,55,38,56"})  # Moscow: nothing of ours
    assert far_away.status_code == 200 and far_away.json()["features"] == []


def test_geojson_query_count_is_constant(client, citizen, category, moderator, django_assert_max_num_queries):
    registered(citizen, category, moderator, **at(0))
    with CaptureQueriesContext(connection) as few:
        client.get(GEOJSON)
    for i in range(6):
        registered(citizen, category, moderator, **at(10 * i))
    with CaptureQueriesContext(connection) as many:
        client.get(GEOJSON)
    assert len(few) == len(many)


def test_map_page_renders_with_settings_in_data_attributes(client, settings, world):
    response = client.get(reverse("portal:map"))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-tiles="{settings.MAP_TILE_URL}"' in page
    assert "<script>" not in page


def test_csp_allows_the_tile_host_and_nothing_else():
    from zarechny.settings import map_tile_hosts

    assert map_tile_hosts("https://tile.openstreetmap.org/{z}/{x}/{y}.png") == [
        "https://tile.openstreetmap.org"
    ]
    assert map_tile_hosts("https://{s}.tiles.example:8443/{z}/{x}/{y}.png") == [
        "https://*.tiles.example:8443"
    ]
    assert map_tile_hosts("/static/tiles/{z}.png") == []


def test_csp_header_names_the_tile_host(client, world):
    header = client.get(reverse("portal:map"))["Content-Security-Policy"]
    img_src = next(part for part in header.split(";") if part.strip().startswith("img-src"))
    assert "https://tile.openstreetmap.org" in img_src


# --- the submit form's similar messages --------------------------------------------------------------


def test_nearby_lists_public_messages_without_the_author(client, citizen, category, moderator):
    near = registered(citizen, category, moderator, text="Яма у остановки", **at(100))
    submit(citizen, category, **at(50))  # private
    response = client.get(NEARBY, {"category": category.key, "lat": "53.2", "lon": "45.17"})
    assert response.status_code == 200
    items = response.json()["messages"]
    assert [item["number"] for item in items] == [near.number]
    assert items[0]["support_url"] == reverse("portal:support", kwargs={"number": near.number})
    assert "author" not in items[0] and citizen.email not in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"lat": "53.2", "lon": "45.17"},  # no category
        {"category": "potholes", "lat": "53.2"},  # half a pair
        {"category": "potholes"},  # no point
        {"category": "potholes", "lat": "x", "lon": "45.17"},
        {"category": "potholes", "lat": "91", "lon": "45.17"},
        {"category": "potholes", "lat": "55.75", "lon": "37.62"},  # outside the city
        {"category": "nope", "lat": "53.2", "lon": "45.17"},
    ],
)
def test_nearby_bad_input_is_400(client, world, params):
    assert client.get(NEARBY, params).status_code == 400


def test_support_from_the_form_answers_json_with_the_same_service(
    client, citizen, other_citizen, category, moderator
):
    message = registered(citizen, category, moderator, **at(0))
    url = reverse("portal:support", kwargs={"number": message.number})
    first = client.post(url, HTTP_ACCEPT="application/json")  # a guest, as on the message page
    assert first.status_code == 200 and first.json()["counted"] is True
    assert "zg_guest" in first.cookies
    second = client.post(url, HTTP_ACCEPT="application/json")
    assert second.json()["counted"] is False
    assert Support.objects.filter(message=message).count() == 1


# --- «Рядом со мной» ----------------------------------------------------------------------------------


def test_list_sorted_by_distance_within_500_m(client, citizen, category, moderator):
    farther = registered(citizen, category, moderator, **at(400))
    near = registered(citizen, category, moderator, **at(50))
    registered(citizen, category, moderator, **at(0, 600))  # beyond 500 m
    registered(citizen, category, moderator)  # no point: not in a distance list
    response = client.get(reverse("portal:message_list"), {"sort": "near", "lat": "53.2", "lon": "45.17"})
    assert [m.number for m in response.context["page"]] == [near.number, farther.number]
    assert "в радиусе 500 м" in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "near"},
        {"sort": "near", "lat": "53.2"},
        {"sort": "near", "lat": "abc", "lon": "1"},
        {"sort": "near", "lat": "1e999", "lon": "45"},
    ],
)
def test_list_with_a_bad_point_ignores_the_sort_with_a_message(client, citizen, category, moderator, params):
    registered(citizen, category, moderator, **at(0))
    response = client.get(reverse("portal:message_list"), params)
    assert response.status_code == 200
    assert len(response.context["page"]) == 1
    assert "Сортировка «рядом» не применена" in response.content.decode()
