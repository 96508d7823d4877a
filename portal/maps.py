"""The public map and the submit form's similar messages (issue 15; DESIGN.md, «Map and places»).

Everything here is public data only: selectors.public_messages and the fields a public message page
shows (number, state, category, address, date, point) — never the author. Bad input is a 400 with a
Russian reason or a clamped answer, never a 500.
"""

import hashlib
import json
import math

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.views.decorators.http import require_safe

from directory.selectors import open_category
from messages import places, selectors
from messages.models import PUBLIC_STATES, State

from .forms import MapFilterForm

GEOJSON_LIMIT = 300  # markers per answer by default (the newest; zooming in shows the rest)
GEOJSON_MAX_LIMIT = 1000  # a larger `limit` is clamped to this
GEOJSON_MAX_AGE = 60  # seconds a shared cache may keep an answer


class BadPlace(ValueError):
    """A coordinate parameter that cannot be used; the message says why, in Russian."""


def parse_float(raw, what, low, high):
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise BadPlace(f"{what}: ожидается число.") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise BadPlace(f"{what}: значение вне допустимого диапазона ({low}…{high}).")
    return value


def parse_point(params, lat_name="lat", lon_name="lon"):
    """(lat, lon) from two parameters, or None when both are absent. Half a pair is an error."""
    raw_lat, raw_lon = params.get(lat_name, "").strip(), params.get(lon_name, "").strip()
    if not raw_lat and not raw_lon:
        return None
    if not raw_lat or not raw_lon:
        raise BadPlace("Укажите и широту, и долготу точки.")
    return parse_float(raw_lat, "Широта", -90, 90), parse_float(raw_lon, "Долгота", -180, 180)


def parse_bbox(raw):
    """`west,south,east,north` (the order of GeoJSON and Leaflet's toBBoxString), clamped to the city:
    a box spanning the world answers with the city's messages, not with more."""
    city = places.city_bounds()
    if not raw:
        return city
    parts = raw.split(",")
    if len(parts) != 4:
        raise BadPlace("bbox: ожидается «запад,юг,восток,север».")
    west = parse_float(parts[0], "bbox", -180, 180)
    south = parse_float(parts[1], "bbox", -90, 90)
    east = parse_float(parts[2], "bbox", -180, 180)
    north = parse_float(parts[3], "bbox", -90, 90)
    if west > east or south > north:
        raise BadPlace("bbox: запад должен быть не больше востока, юг — не больше севера.")
    return places.Box(south, west, north, east).clamped(city)


def parse_limit(raw):
    if not raw:
        return GEOJSON_LIMIT
    if not raw.isdigit():
        raise BadPlace("limit: ожидается целое положительное число.")
    return max(1, min(int(raw[:7]), GEOJSON_MAX_LIMIT))


def _bad(error):
    return JsonResponse({"error": str(error)}, status=400, json_dumps_params={"ensure_ascii": False})


def map_settings():
    """What the map scripts need, for data- attributes (no inline script under the CSP)."""
    south, west, north, east = settings.MAP_BOUNDS
    return {
        "tiles": settings.MAP_TILE_URL,
        "attribution": settings.MAP_ATTRIBUTION,
        "bounds": f"{south},{west},{north},{east}",
        "center": ",".join(str(v) for v in settings.MAP_CENTER),
        "zoom": settings.MAP_ZOOM,
    }


@require_safe
def public_map(request):
    form = MapFilterForm(request.GET)
    form.is_valid()
    states = [(state.value, state.label) for state in PUBLIC_STATES]
    active_filters = sum(1 for name in form.fields if form.cleaned_data.get(name))
    context = {
        "form": form,
        "map": map_settings(),
        "states": states,
        "query": request.GET.urlencode(),
        "active_filters": active_filters,
    }
    return render(request, "portal/map.html", context)


@require_safe
def map_geojson(request):
    """Public messages with a point in the visible box, newest first, at most `limit` (clamped)."""
    try:
        box = parse_bbox(request.GET.get("bbox", "").strip())
        limit = parse_limit(request.GET.get("limit", "").strip())
    except BadPlace as error:
        return _bad(error)
    features = []
    truncated = False
    if box is not None:
        form = MapFilterForm(request.GET, parse_only=True)
        rows = list(
            form.filter(selectors.public_messages_in_box(box))
            .order_by("-submitted_at", "-id")
            .values_list(*FEATURE_FIELDS)[: limit + 1]
        )
        truncated = len(rows) > limit
        # Plain rows and one reverse(): 500 model instances and 500 reverse() calls were most of the time.
        url = reverse("portal:message", kwargs={"number": "NUMBER"})
        labels = dict(State.choices)
        zone = timezone.get_current_timezone()
        features = [_feature(row, url, labels, zone) for row in rows[:limit]]
    body = json.dumps(
        {"type": "FeatureCollection", "features": features, "truncated": truncated},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    # Public data, the same for everyone: a shared cache may keep it, and a repeat costs a 304.
    conditional = get_conditional_response(request, etag=etag)
    response = conditional or HttpResponse(body, content_type="application/geo+json")
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={GEOJSON_MAX_AGE}"
    return response


FEATURE_FIELDS = ("number", "state", "category__name", "address", "submitted_at", "latitude", "longitude")


def _feature(row, url, labels, zone):
    """What the message's public page shows of it: number, state, category, address, date, point."""
    number, state, category, address, submitted_at, latitude, longitude = row
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [float(longitude), float(latitude)]},
        "properties": {
            "number": number,
            "url": url.replace("NUMBER", number),
            "state": state,
            "state_label": labels[state],
            "category": category,
            "address": address,
            "date": submitted_at.astimezone(zone).strftime("%d.%m.%Y"),
        },
    }


@require_safe
def nearby(request):
    """The submit form's «Похожие сообщения рядом»: the category's public messages within about 200 m
    from the last 90 days (selectors.public_messages_near, the moderators' rule too)."""
    category = open_category(request.GET.get("category"))
    if category is None:
        return _bad(BadPlace("Выберите категорию."))
    try:
        point = parse_point(request.GET)
    except BadPlace as error:
        return _bad(error)
    if point is None:
        return _bad(BadPlace("Укажите точку на карте."))
    if not places.in_city(*point):
        return _bad(BadPlace(places.OUT_OF_BOUNDS))
    found = selectors.public_messages_near(category_id=category.pk, latitude=point[0], longitude=point[1])
    items = [
        {
            "number": message.number,
            "url": reverse("portal:message", kwargs={"number": message.number}),
            "support_url": reverse("portal:support", kwargs={"number": message.number}),
            "state": message.state,
            "state_label": message.get_state_display(),
            "address": message.address,
            "text": (message.text or "")[:140],
            "date": timezone.localtime(message.submitted_at).strftime("%d.%m.%Y"),
            "distance_m": round(message.distance_m),
            "support_count": message.support_count,
        }
        for message in found
    ]
    return JsonResponse(
        {"radius_m": selectors.NEARBY_RADIUS_M, "days": selectors.NEARBY_DAYS, "messages": items},
        json_dumps_params={"ensure_ascii": False},
    )
