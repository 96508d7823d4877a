"""Map benchmark (issue 15): the GeoJSON feed for a city-wide and a street-sized box, the submit form's
nearby query and the list sorted by distance, on PostgreSQL with 1,000,000 messages.

    createdb -h 127.0.0.1 -U postgres bench_map
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_map .venv/bin/python bench/stats_bench.py --fill-only
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_map .venv/bin/python bench/map_bench.py

stats_bench's generator gives nine messages in ten a point, uniform over Zarechny's bounds. Each case is
requested with Django's test Client in this process (the full middleware + view + database stack): one
warm-up request, then --runs timed ones; median and maximum. Then EXPLAIN ANALYZE of each query.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zarechny.settings")
os.environ.setdefault("TESTING", "1")  # development defaults, no DEBUG (no query log in memory)

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from directory.models import Category  # noqa: E402
from messages import places, selectors  # noqa: E402

CITY = "45.12,53.17,45.24,53.24"
STREET = "45.1690,53.1980,45.1740,53.2000"  # about 330 m × 220 m


def timed(client, url, params, runs):
    client.get(url, params)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url, params)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, params, response.status_code)
    return statistics.median(times), max(times), response


def explain(queryset):
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join("    " + row[0] for row in cursor.fetchall())


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("This benchmark needs PostgreSQL.")
    from messages.models import Message

    total = Message.objects.count()
    public_points = selectors.public_messages().filter(latitude__isnull=False).count()
    print(f"messages: {total:,}, public with a point: {public_points:,}")
    category = Category.objects.get(key="potholes")
    guest = Client()
    geojson, nearby, listing = (
        reverse("portal:map_geojson"),
        reverse("portal:nearby"),
        reverse("portal:message_list"),
    )
    cases = [
        ("baseline: /healthz (the stack alone)", reverse("healthz"), {}),
        ("GeoJSON, city-wide box (300 newest)", geojson, {"bbox": CITY}),
        ("GeoJSON, street-sized box", geojson, {"bbox": STREET}),
        (
            "GeoJSON, city, one category, 90 days",
            geojson,
            {"bbox": CITY, "category": "potholes", "period": "90"},
        ),
        (
            "nearby (form): potholes, 200 m, 90 days",
            nearby,
            {"category": "potholes", "lat": "53.199", "lon": "45.171"},
        ),
        ("list, default order, page 1 (for comparison)", listing, {}),
        (
            "list sorted by distance (500 m), page 1",
            listing,
            {"sort": "near", "lat": "53.199", "lon": "45.171"},
        ),
    ]
    print(f"\n{'case':<45} {'median':>9} {'max':>9}  answer")
    for label, url, params in cases:
        median, worst, response = timed(guest, url, params, args.runs)
        size = len(response.content)
        if "json" in response["Content-Type"]:
            body = response.json()
            shown = len(body.get("features", body.get("messages", [])))
        else:
            shown = "-"
        print(f"{label:<45} {median:>7.1f}ms {worst:>7.1f}ms  {shown} items, {size:,} bytes")

    print("\nEXPLAIN ANALYZE")
    box = places.Box(53.1980, 45.1690, 53.2000, 45.1740)
    city = places.city_bounds()
    for label, queryset in (
        ("city box", selectors.public_messages_in_box(city).order_by("-submitted_at", "-id")[:501]),
        ("street box", selectors.public_messages_in_box(box).order_by("-submitted_at", "-id")[:501]),
    ):
        print(f"  {label}:\n{explain(queryset)}")
    from datetime import timedelta

    from django.utils import timezone

    lat, lon = 53.199, 45.171
    near_box = places.box_around(lat, lon, selectors.NEARBY_RADIUS_M)
    near = (
        selectors.public_messages()
        .filter(
            category_id=category.pk,
            submitted_at__gte=timezone.now() - timedelta(days=selectors.NEARBY_DAYS),
            latitude__range=(near_box.south, near_box.north),
            longitude__range=(near_box.west, near_box.east),
        )
        .annotate(distance_sq=places.squared_distance(lat, lon))
        .filter(distance_sq__lte=selectors.NEARBY_RADIUS_M**2)
        .order_by("distance_sq")[: selectors.NEARBY_LIMIT]
    )
    print(f"  nearby:\n{explain(near)}")


if __name__ == "__main__":
    main()
