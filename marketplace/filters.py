import django_filters
from django import forms
from django.db.models import F, Q, QuerySet
from django_countries import countries
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from routing.choices import RouteChoice
from suppliers.choices import Chemistry
from suppliers.models import Lot
from suppliers.selectors import is_supplier, organisations_of

from .distance import lots_within
from .domain.geo import point_parse
from .search import lot_search_narrow, lot_text_search

# Left out of "verified second-life supply" unless asked for: recycling lots have their own
# view (?route=recycle); a lot held for audit has no route a buyer could rely on.
NOT_SECOND_LIFE_ROUTES = (RouteChoice.RECYCLE, RouteChoice.HOLD)


# The browse form's text and number fields, grouped as a buyer reads them; the choices with
# counts (chemistry, route, maker, history flags) are drawn from marketplace.facets.
FORM_GROUPS = (
    ("Measured", ("soh_min", "soh_max", "weakest_soh_min", "energy_min", "energy_max",
                  "total_energy_min", "coverage_min")),
    ("Pack", ("pack_model", "voltage_min", "voltage_max")),
    ("Offer", ("price_max", "quantity_min", "score_min", "location")),
    ("Where", ("near", "within_km")),
)  # fmt: skip


def _number(field_name: str, lookup: str, label: str, **kwargs) -> django_filters.NumberFilter:
    return django_filters.NumberFilter(
        field_name=field_name, lookup_expr=lookup, label=label, **kwargs
    )


class PointField(forms.CharField):
    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        try:
            return point_parse(text)
        except ValueError as error:
            raise forms.ValidationError(str(error), code="invalid") from error


class CountryCodesField(forms.MultipleChoiceField):
    """ISO 3166 codes checked against django-countries' list, which the field does not carry
    as its choices: every request's form would deep-copy its 249 translated names."""

    def valid_value(self, value: str) -> bool:
        return value in countries


class CountryCodesFilter(django_filters.MultipleChoiceFilter):
    field_class = CountryCodesField


class PointFilter(django_filters.Filter):
    field_class = PointField


class LotFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        wanted = cleaned.get("within_km") is not None
        if wanted and cleaned.get("near") is None and "near" not in self.errors:
            self.add_error("near", "Give the point to measure the distance from.")
        return cleaned


class LotFilter(django_filters.FilterSet):
    """The one filterset for lot lists: the browse page and the API's query parameters."""

    q = django_filters.CharFilter(
        method="filter_text",
        label="Search",
        help_text="Pack model, manufacturer, description, reference, location",
    )
    # distinct=False: each joins one row per lot (a lot has one model, one summary, one
    # country), and DISTINCT would sort every selected column of every match.
    chemistry = django_filters.MultipleChoiceFilter(
        field_name="pack_model__chemistry",
        choices=Chemistry.choices,
        label="Chemistry",
        distinct=False,
    )
    route = django_filters.MultipleChoiceFilter(
        field_name="summary__route",
        choices=RouteChoice.choices,
        distinct=False,
        label="Route",
        help_text="Reuse-ESS and small-application when none is chosen",
    )
    soh_min = _number("summary__measured_soh_pct", "gte", "Measured SOH from (%)")
    soh_max = _number("summary__measured_soh_pct", "lte", "Measured SOH to (%)")
    weakest_soh_min = _number("summary__lowest_pack_soh_pct", "gte", "Weakest pack's SOH from (%)")
    energy_min = _number(
        "summary__usable_energy_kwh", "gte", "Usable energy per pack from (kWh, measured)"
    )
    energy_max = _number(
        "summary__usable_energy_kwh", "lte", "Usable energy per pack to (kWh, measured)"
    )
    total_energy_min = _number(
        "summary__usable_energy_total_kwh", "gte", "Usable energy of the lot from (kWh)"
    )
    voltage_min = _number("pack_model__nominal_voltage_v", "gte", "Nominal voltage from (V)")
    voltage_max = _number("pack_model__nominal_voltage_v", "lte", "Nominal voltage to (V)")
    manufacturer = django_filters.CharFilter(
        field_name="pack_model__manufacturer", lookup_expr="iexact", label="Manufacturer"
    )
    pack_model = django_filters.CharFilter(
        field_name="pack_model__model", lookup_expr="icontains", label="Pack model contains"
    )
    location = django_filters.CharFilter(lookup_expr="icontains", label="Location contains")
    country = CountryCodesFilter(
        label="Country", help_text="Where the packs are (ISO codes)", distinct=False
    )
    near = PointFilter(
        method="filter_near",
        label="Near (latitude, longitude)",
        help_text="Your site, e.g. 52.52, 13.405; with a distance",
    )
    # Method filters: what they compare is in their methods, not a field name.
    within_km = django_filters.NumberFilter(
        method="filter_within", label="Within (km)", min_value=0, max_value=20000
    )
    price_max = _number("summary__price_per_usable_kwh", "lte", "Price per usable kWh up to (EUR)")
    quantity_min = _number("quantity", "gte", "Packs available, at least")
    score_min = _number("supplier__scorecard__total", "gte", "Supplier score from (0-100)")
    no_safety_events = django_filters.BooleanFilter(
        method="filter_no_safety_events",
        label="No safety events",
        widget=forms.CheckboxInput,
        help_text="No accident, thermal event, swelling, leak, flood or deep discharge",
    )
    custody_complete = django_filters.BooleanFilter(
        method="filter_custody_complete",
        label="Complete chain of custody",
        widget=forms.CheckboxInput,
        help_text="A known holder from manufacture to today",
    )
    coverage_min = django_filters.NumberFilter(
        method="filter_coverage", label="Packs measured, at least (% of the lot)"
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("summary__price_per_usable_kwh", "price"),
            ("summary__measured_soh_pct", "soh"),
            ("created_at", "created"),
            ("quantity", "quantity"),
        ),
        field_labels={
            "summary__price_per_usable_kwh": "Price per usable kWh",
            "summary__measured_soh_pct": "Measured SOH",
            "created_at": "Listing date",
            "quantity": "Packs available",
        },
        label="Order by",
    )

    class Meta:
        model = Lot
        form = LotFilterForm
        fields = [
            "q",
            "chemistry",
            "route",
            "soh_min",
            "soh_max",
            "weakest_soh_min",
            "energy_min",
            "energy_max",
            "total_energy_min",
            "voltage_min",
            "voltage_max",
            "manufacturer",
            "pack_model",
            "location",
            "country",
            "near",
            "within_km",
            "price_max",
            "quantity_min",
            "score_min",
            "no_safety_events",
            "custody_complete",
            "coverage_min",
        ]

    def filter_text(self, queryset: QuerySet[Lot], name: str, value: str) -> QuerySet[Lot]:
        return lot_text_search(queryset, value)

    def filter_no_safety_events(self, queryset: QuerySet[Lot], name: str, value: bool | None):
        # Unticked means "any": a checkbox cannot ask for lots with safety events.
        return queryset.filter(summary__safety_events=0) if value else queryset

    def filter_custody_complete(self, queryset: QuerySet[Lot], name: str, value: bool | None):
        return queryset.filter(summary__custody_complete=True) if value else queryset

    @extend_schema_field(OpenApiTypes.STR)
    def filter_near(self, queryset: QuerySet[Lot], name: str, value) -> QuerySet[Lot]:
        return queryset  # the point is read by within_km

    def filter_within(self, queryset: QuerySet[Lot], name: str, value) -> QuerySet[Lot]:
        return lots_within(queryset, self.form.cleaned_data["near"], float(value))

    def filter_coverage(self, queryset: QuerySet[Lot], name: str, value) -> QuerySet[Lot]:
        # Measured packs over packs offered, compared without a division in SQL.
        return queryset.filter(summary__packs_measured__gte=F("quantity") * value / 100)

    def filter_queryset(self, queryset: QuerySet[Lot]) -> QuerySet[Lot]:
        lots = self.queryset_without(set(), queryset=queryset)
        text = self.form.cleaned_data.get("q") or ""
        if not text.strip():
            return lots
        routes = list(self.form.cleaned_data.get("route") or [])
        # Without a route asked for, the list is second-life supply, plus a supplier's own
        # lots in any route: only then may the search's recycling lots be left out early.
        own = self.request is not None and is_supplier(self.request.user)
        excluded = () if routes or own else NOT_SECOND_LIFE_ROUTES
        return lot_search_narrow(lots, text, routes=routes, excluded=excluded)

    def queryset_without(
        self, names: set[str], *, queryset: QuerySet[Lot] | None = None, own: bool = True
    ) -> QuerySet[Lot]:
        """The lots every filter but `names` lets through (a facet counts its values over
        the lots the other filters leave); `own`: as second_life."""
        lots = self.queryset.all() if queryset is None else queryset
        for name, value in self.form.cleaned_data.items():
            if name not in names:
                lots = self.filters[name].filter(lots, value)
        if "route" in names or self.form.cleaned_data.get("route"):
            return lots
        return lots.filter(self.second_life(own=own))

    def second_life(self, *, own: bool) -> Q:
        """No route asked for: second-life supply, and with `own` every lot of the user's own
        organisations (a supplier's API list holds its drafts and recycling lots too)."""
        second_life = ~Q(summary__route__in=NOT_SECOND_LIFE_ROUTES)
        user = getattr(self.request, "user", None)
        if not own or user is None:
            return second_life
        return second_life | Q(supplier__in=organisations_of(user=user))

    def form_groups(self) -> list[tuple[str, list]]:
        return [(title, [self.form[name] for name in names]) for title, names in FORM_GROUPS]

    @property
    def recycling(self) -> bool:
        """Whether the list asked for is the recyclers' view."""
        routes = self.form.cleaned_data.get("route") if self.is_bound and self.is_valid() else []
        return list(routes or []) == [RouteChoice.RECYCLE]
