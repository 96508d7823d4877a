"""Issue 15 in a real browser: the place picker on the submit page (a click sets the coordinates, a photo
with GPS offers its point, the similar messages nearby and their «Поддержать»), the public map's markers
from the GeoJSON feed, and a message page's small map. Tiles: one blank local tile (no network).

Screenshots (phone 390×844, desktop 1366×900) go to /tmp/shots/map15a/.
"""

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from messages.models import Support
from tests.factories import registered
from tests.gps_images import jpeg_with_gps

pytestmark = pytest.mark.e2e
SHOTS = Path("/tmp/shots/map15a")
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
CENTER = (Decimal("53.198500"), Decimal("45.170000"))  # settings.MAP_CENTER


@pytest.fixture(autouse=True)
def blank_tiles(settings, live_server):
    settings.MAP_TILE_URL = f"{live_server.url}/static/img/blank-tile.png?{{z}}/{{x}}/{{y}}"


def shoot(page, name, *, full_page=True):
    SHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for label, size in VIEWPORTS.items():
        page.set_viewport_size(size)
        page.wait_for_timeout(300)
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=full_page)
    page.set_viewport_size(original)


def login_as(page, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )


def test_submit_page_map_click_photo_offer_nearby_and_support(
    page, live_server, citizen, other_citizen, category, moderator
):
    neighbour = registered(
        other_citizen, category, moderator, text="Яма у остановки", latitude=CENTER[0], longitude=CENTER[1]
    )
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    login_as(page, live_server, citizen)
    page.set_viewport_size(VIEWPORTS["desktop"])
    page.goto(f"{live_server.url}/submit/?category={category.key}")
    map_box = page.locator("#place-map")
    map_box.wait_for(state="visible")
    # A click at the map's centre drops the pin there: the fields follow.
    map_box.click()
    latitude = float(page.locator("#id_latitude").input_value())
    longitude = float(page.locator("#id_longitude").input_value())
    assert abs(latitude - 53.1985) < 0.001 and abs(longitude - 45.17) < 0.002
    assert "адрес обязателен" in page.locator("#place-status").inner_text()
    # The similar message nearby appears, and one click supports it.
    nearby = page.locator("#nearby")
    nearby.wait_for(state="visible")
    assert f"№ {neighbour.number}" in nearby.inner_text()
    # A photo with GPS in its EXIF: the offer, and its point on a click.
    page.set_input_files(
        'input[name="photos"]',
        files=[{"name": "gps.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps(53.2051, 45.1802)}],
    )
    offer = page.locator("#photo-point")
    offer.wait_for(state="visible")
    assert "Фото сделано здесь" in offer.inner_text()
    page.locator("#place-map").scroll_into_view_if_needed()
    shoot(page, "submit-map")
    page.get_by_role("button", name="Поставить метку").click()
    assert page.locator("#id_latitude").input_value() == "53.205100"
    assert page.locator("#id_longitude").input_value() == "45.180200"
    assert offer.is_hidden()
    # The pin moved 700 m away: the neighbour is no longer near. Back to the centre for the support.
    page.locator("#id_latitude").fill(f"{CENTER[0]:.6f}")
    page.locator("#id_longitude").fill(f"{CENTER[1]:.6f}")
    page.locator("#id_longitude").dispatch_event("change")
    nearby.wait_for(state="visible")
    nearby.scroll_into_view_if_needed()
    page.get_by_role("button", name=f"Поддержать сообщение № {neighbour.number}").click()
    page.get_by_text("Спасибо! Ваша поддержка учтена.").wait_for()
    shoot(page, "submit-nearby")
    assert Support.objects.filter(message=neighbour, user=citizen).count() == 1
    assert not errors, errors


def test_submit_without_javascript_still_has_the_coordinate_fields(browser, live_server, citizen, category):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    login_as(page, live_server, citizen)
    page.goto(f"{live_server.url}/submit/?category={category.key}")
    assert page.locator("#id_latitude").is_visible() and page.locator("#id_longitude").is_visible()
    assert page.locator("#place-map").is_hidden()
    context.close()


def test_public_map_shows_markers_from_the_geojson(page, live_server, citizen, category, moderator):
    numbers = []
    for offset in (0, 8, 2500):  # two close together (a cluster at city zoom) and one apart
        message = registered(
            citizen,
            category,
            moderator,
            latitude=CENTER[0] + Decimal(offset) / Decimal(111195),
            longitude=CENTER[1] + Decimal(offset) / Decimal(66600),
        )
        numbers.append(message.number)
    page.set_viewport_size(VIEWPORTS["desktop"])
    page.goto(f"{live_server.url}/map/")
    page.wait_for_selector("#public-map[data-loaded='3']")
    assert "На карте сообщений: 3." in page.locator("#map-status").inner_text()
    page.locator(".leaflet-marker-icon").first.wait_for()
    shoot(page, "public-map")
    # The lone marker opens a popup with a link to its message.
    page.locator(f".leaflet-marker-icon[title^='№ {numbers[2]}']").click()
    link = page.get_by_role("link", name=f"Сообщение № {numbers[2]}")
    link.click()
    page.wait_for_url(f"**/m/{numbers[2]}/")
    page.locator("#message-map .leaflet-marker-icon").wait_for()
    shoot(page, "message-map")


def test_list_map_switch(page, live_server, world):
    page.goto(f"{live_server.url}/messages/")
    page.get_by_role("link", name="На карте").click()
    page.wait_for_url("**/map/")
    assert page.get_by_role("heading", name="Карта сообщений").is_visible()


# --- issue 18.2: on a phone the filters fold and the map is on the first screen ----------------------


def _first_screen_map(page, size="phone"):
    """How many pixels of the map's height show on the first screen, without scrolling."""
    box = page.locator("#public-map").bounding_box()
    return max(0, min(box["y"] + box["height"], VIEWPORTS[size]["height"]) - box["y"])


@pytest.mark.parametrize("query", ["", "?state=registered&period=30"])
def test_phone_map_filters_folded_map_on_the_first_screen(page, live_server, world, query):
    page.set_viewport_size(VIEWPORTS["phone"])
    page.goto(f"{live_server.url}/map/{query}")
    filters = page.locator("details.filters-more")
    assert filters.get_attribute("open") is None
    assert not page.get_by_label("Состояние").is_visible()
    assert _first_screen_map(page) >= 300  # at least 300 px of the map without scrolling
    if query:  # folded, but it says the map is filtered
        assert "выбрано: 2" in filters.locator("summary").inner_text()
    shoot(page, "public-map-phone-first" + ("-filtered" if query else ""), full_page=False)
    page.get_by_text("Фильтры", exact=False).first.click()
    assert page.get_by_label("Состояние").is_visible()


def test_desktop_map_filters_open(page, live_server, world):
    page.set_viewport_size(VIEWPORTS["desktop"])
    page.goto(f"{live_server.url}/map/")
    page.screenshot(path=str(SHOTS / "public-map-desktop-first.png"))
    assert page.get_by_label("Состояние").is_visible()
    assert _first_screen_map(page, "desktop") >= 300


def test_phone_map_filters_without_javascript(browser, live_server, world):
    context = browser.new_context(java_script_enabled=False, viewport=VIEWPORTS["phone"])
    page = context.new_page()
    page.goto(f"{live_server.url}/map/?state=registered")
    assert not page.get_by_label("Состояние").is_visible()
    page.locator("details.filters-more summary").click()
    assert page.get_by_label("Состояние").is_visible()
    context.close()
