"""The great-circle distance from a point to each lot's site, as SQL (PostgreSQL and SQLite
both have the trigonometric functions): the box first, so the exact formula runs only on
lots near enough to matter."""

from django.db.models import ExpressionWrapper, F, FloatField, Q, QuerySet, Value
from django.db.models.functions import ASin, Cos, Least, Power, Radians, Sin, Sqrt

from .domain.geo import EARTH_RADIUS_KM, Point, bounding_box


def _haversine(centre: Point):
    phi1, lambda1 = Radians(Value(centre.latitude)), Radians(Value(centre.longitude))
    phi2, lambda2 = Radians(F("latitude")), Radians(F("longitude"))
    h = Power(Sin((phi2 - phi1) / 2), 2) + Cos(phi1) * Cos(phi2) * Power(
        Sin((lambda2 - lambda1) / 2), 2
    )
    return Value(2 * EARTH_RADIUS_KM) * ASin(Least(Value(1.0), Sqrt(h)))


def lots_within(lots: QuerySet, centre: Point, radius_km: float) -> QuerySet:
    """Lots whose site is within `radius_km` of `centre`, each with its `distance_km`; a lot
    without a site is not within any distance."""
    box = bounding_box(centre, radius_km)
    near = Q(latitude__gte=box.south, latitude__lte=box.north)
    if box.west is not None:
        near &= Q(longitude__gte=box.west, longitude__lte=box.east)
    return (
        lots.filter(near)
        .annotate(distance_km=ExpressionWrapper(_haversine(centre), output_field=FloatField()))
        .filter(distance_km__lte=radius_km)
    )
