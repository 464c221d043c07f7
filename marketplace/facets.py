"""Counts per facet value for the browse page: how many lots each chemistry, route, maker,
SOH band and history flag would leave, given the other filters chosen.

Chemistry and route are multiple choices, so each value's count ignores its own facet's
choice (ticking LFP still shows how many NMC lots there are). The counts come from four
aggregate queries (values, SOH bands, makers, countries), and are kept for a minute per filter
combination: they describe the market's supply, not a user's own drafts."""

import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Q
from django_countries import countries

from routing.choices import RouteChoice
from suppliers.choices import Chemistry

from .filters import LotFilter

FACET_CACHE_SECONDS = 60
TOP_MANUFACTURERS = 12
TOP_COUNTRIES = 12
# (label, soh_min, soh_max): the bands of measured SOH a buyer picks from.
SOH_BANDS = (
    ("90 % and more", 90, None),
    ("80 to 90 %", 80, 90),
    ("70 to 80 %", 70, 80),
    ("60 to 70 %", 60, 70),
    ("below 60 %", None, 60),
)


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int | None  # None: not counted (the filters were refused)
    selected: bool


@dataclass(frozen=True)
class SohBand:
    label: str
    soh_min: int | None
    soh_max: int | None
    count: int
    share_pct: int  # of the largest band, for the bar drawn beside it


@dataclass(frozen=True)
class Facets:
    chemistry: list[FacetValue]
    route: list[FacetValue]
    manufacturer: list[FacetValue]
    country: list[FacetValue]
    soh_bands: list[SohBand]
    no_safety_events: int | None
    custody_complete: int | None


def _band(soh_min, soh_max) -> Q:
    # Bounds as the soh_min and soh_max filters read them, so a band's count is what its
    # link shows (a lot at exactly 90 % is in both bands either side).
    band = Q(summary__measured_soh_pct__isnull=False)
    if soh_min is not None:
        band &= Q(summary__measured_soh_pct__gte=soh_min)
    if soh_max is not None:
        band &= Q(summary__measured_soh_pct__lte=soh_max)
    return band


def _compute(lots: LotFilter) -> Facets:
    data = lots.form.cleaned_data
    chemistries, routes = list(data.get("chemistry") or []), list(data.get("route") or [])
    chosen_chemistry = Q(pack_model__chemistry__in=chemistries) if chemistries else Q()
    chosen_route = Q(summary__route__in=routes) if routes else lots.second_life(own=False)
    chosen = chosen_chemistry & chosen_route
    counts = (
        lots.queryset_without({"chemistry", "route", "ordering"}, own=False)
        .order_by()
        .aggregate(
            **{f"chemistry_{c}": Count("pk", filter=Q(pack_model__chemistry=c) & chosen_route)
               for c in Chemistry.values},
            **{f"route_{r}": Count("pk", filter=Q(summary__route=r) & chosen_chemistry)
               for r in RouteChoice.values},
            no_safety_events=Count("pk", filter=Q(summary__safety_events=0) & chosen),
            custody_complete=Count("pk", filter=Q(summary__custody_complete=True) & chosen),
        )
    )  # fmt: skip
    bands = (
        lots.queryset_without({"soh_min", "soh_max", "ordering"}, own=False)
        .order_by()
        .aggregate(
            **{f"band_{i}": Count("pk", filter=_band(low, high))
               for i, (_, low, high) in enumerate(SOH_BANDS)}
        )
    )  # fmt: skip
    makers = (
        lots.queryset_without({"manufacturer", "ordering"}, own=False)
        .order_by()
        .values("pack_model__manufacturer")
        .annotate(lots=Count("pk"))
        .order_by("-lots", "pack_model__manufacturer")[:TOP_MANUFACTURERS]
    )
    places = (
        lots.queryset_without({"country", "ordering"}, own=False)
        .exclude(country="")
        .order_by()
        .values("country")
        .annotate(lots=Count("pk"))
        .order_by("-lots", "country")[:TOP_COUNTRIES]
    )
    chosen_countries = list(data.get("country") or [])
    country_values = [
        FacetValue(row["country"], countries.name(row["country"]), row["lots"],
                   row["country"] in chosen_countries)
        for row in places
    ]  # fmt: skip
    listed = {value.value for value in country_values}
    country_values += [
        FacetValue(code, countries.name(code), 0, True)
        for code in chosen_countries
        if code not in listed
    ]
    chosen_maker = (data.get("manufacturer") or "").casefold()
    manufacturers = [
        FacetValue(
            row["pack_model__manufacturer"],
            row["pack_model__manufacturer"],
            row["lots"],
            row["pack_model__manufacturer"].casefold() == chosen_maker,
        )
        for row in makers
    ]
    if chosen_maker and not any(maker.selected for maker in manufacturers):
        manufacturers.append(FacetValue(data["manufacturer"], data["manufacturer"], 0, True))
    widest = max(bands.values(), default=0) or 1
    return Facets(
        chemistry=[
            FacetValue(value, label, counts[f"chemistry_{value}"], value in chemistries)
            for value, label in Chemistry.choices
        ],
        route=[
            FacetValue(value, label, counts[f"route_{value}"], value in routes)
            for value, label in RouteChoice.choices
        ],
        manufacturer=manufacturers,
        country=country_values,
        soh_bands=[
            SohBand(label, low, high, bands[f"band_{i}"], round(100 * bands[f"band_{i}"] / widest))
            for i, (label, low, high) in enumerate(SOH_BANDS)
        ],
        no_safety_events=counts["no_safety_events"],
        custody_complete=counts["custody_complete"],
    )


def unfaceted(data) -> Facets:
    """The facets' choices without counts, for a page whose filters were refused: what was
    ticked stays ticked (`data` is the request's query)."""
    chemistries, routes = data.getlist("chemistry"), data.getlist("route")
    maker = data.get("manufacturer", "")
    return Facets(
        chemistry=[FacetValue(v, label, None, v in chemistries) for v, label in Chemistry.choices],
        route=[FacetValue(v, label, None, v in routes) for v, label in RouteChoice.choices],
        manufacturer=[FacetValue(maker, maker, None, True)] if maker else [],
        country=[
            FacetValue(code, countries.name(code) or code, None, True)
            for code in data.getlist("country")
        ],
        soh_bands=[],
        no_safety_events=None,
        custody_complete=None,
    )


def _key(lots: LotFilter) -> str:
    data = lots.form.cleaned_data
    parts = sorted(
        f"{name}={sorted(map(str, value)) if isinstance(value, list | tuple) else value}"
        for name, value in data.items()
        if name != "ordering" and value not in (None, "", [], ())
    )
    return "lot-facets:" + hashlib.sha256("&".join(parts).encode()).hexdigest()


def lot_facets_cached(lots: LotFilter) -> Facets | None:
    """The facet counts of a valid, bound filterset if they are in the cache, else None."""
    return cache.get(_key(lots))


def lot_facets(lots: LotFilter) -> Facets:
    """The facet counts for a valid, bound filterset (cached a minute per combination)."""
    key = _key(lots)
    facets = cache.get(key)
    if facets is None:
        facets = _compute(lots)
        cache.set(key, facets, FACET_CACHE_SECONDS)
    return facets
