"""Distances on the Earth's surface for buyers' "within N km of our site" searches: a box
of latitude and longitude an index can use, then the great-circle distance."""

import math
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG)
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Box:
    south: float
    north: float
    west: float | None  # None: every longitude (near a pole or across the 180th meridian)
    east: float | None


def point_parse(text: str) -> Point:
    """'52.52, 13.405' (latitude, longitude in degrees) -> Point; ValueError says what is
    wrong."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != 2:
        raise ValueError("Give a latitude and a longitude in degrees, e.g. 52.52, 13.405.")
    try:
        latitude, longitude = float(parts[0]), float(parts[1])
    except ValueError:
        raise ValueError("Latitude and longitude are numbers, e.g. 52.52, 13.405.") from None
    if not (math.isfinite(latitude) and -90 <= latitude <= 90):
        raise ValueError("A latitude is between -90 and 90 degrees.")
    if not (math.isfinite(longitude) and -180 <= longitude <= 180):
        raise ValueError("A longitude is between -180 and 180 degrees.")
    return Point(latitude, longitude)


def bounding_box(centre: Point, radius_km: float) -> Box:
    """Every point within `radius_km` of `centre` lies in the box (the box holds more)."""
    spread = radius_km / KM_PER_DEGREE
    south, north = max(centre.latitude - spread, -90.0), min(centre.latitude + spread, 90.0)
    widest = max(abs(south), abs(north))
    if widest >= 90 or spread >= 180:
        return Box(south, north, None, None)
    lon_spread = spread / math.cos(math.radians(widest))
    west, east = centre.longitude - lon_spread, centre.longitude + lon_spread
    if west < -180 or east > 180:
        return Box(south, north, None, None)
    return Box(south, north, west, east)


def distance_km(a: Point, b: Point) -> float:
    """Great-circle distance by the haversine formula."""
    phi1, phi2 = math.radians(a.latitude), math.radians(b.latitude)
    dphi, dlambda = phi2 - phi1, math.radians(b.longitude - a.longitude)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
