"""A message's place (§4.1): an address, and optionally a point inside the city's bounds (DESIGN.md, «Map
and places»). Distances are the equirectangular approximation: within a city it is off by well under a
metre per kilometre, and it is plain arithmetic that both SQLite and PostgreSQL evaluate in SQL."""

import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import F, FloatField, Value
from django.db.models.expressions import CombinedExpression, ExpressionWrapper
from django.db.models.functions import Cast

METRES_PER_DEGREE = 111_195.0  # of latitude, and of longitude at the equator (mean Earth radius)
OUT_OF_BOUNDS = (
    "Точка за пределами города Заречного. Поставьте метку в границах города или не указывайте точку."
)


@dataclass(frozen=True)
class Box:
    south: float
    west: float
    north: float
    east: float

    def contains(self, latitude: Any, longitude: Any) -> bool:
        return self.south <= float(latitude) <= self.north and self.west <= float(longitude) <= self.east

    def clamped(self, other: "Box") -> "Box | None":
        """The part of this box inside `other`; None when they do not meet."""
        south, north = max(self.south, other.south), min(self.north, other.north)
        west, east = max(self.west, other.west), min(self.east, other.east)
        if south > north or west > east:
            return None
        return Box(south, west, north, east)


def city_bounds() -> Box:
    south, west, north, east = settings.MAP_BOUNDS
    return Box(south, west, north, east)


def in_city(latitude: Any, longitude: Any) -> bool:
    return city_bounds().contains(latitude, longitude)


def box_around(latitude: float, longitude: float, radius_m: float) -> Box:
    dlat = radius_m / METRES_PER_DEGREE
    dlon = radius_m / (METRES_PER_DEGREE * max(math.cos(math.radians(latitude)), 0.01))
    return Box(latitude - dlat, longitude - dlon, latitude + dlat, longitude + dlon)


def squared_distance(latitude: float, longitude: float) -> CombinedExpression | ExpressionWrapper:
    """SQL: the squared distance in m² from the point to a message's (latitude, longitude)."""
    kx = METRES_PER_DEGREE * math.cos(math.radians(latitude))
    dy = (Cast(F("latitude"), FloatField()) - Value(float(latitude))) * Value(METRES_PER_DEGREE)
    dx = (Cast(F("longitude"), FloatField()) - Value(float(longitude))) * Value(kx)
    return ExpressionWrapper(dy * dy + dx * dx, output_field=FloatField())
