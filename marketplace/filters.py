import django_filters

from routing.choices import RouteChoice
from suppliers.choices import Chemistry
from suppliers.models import Lot


class LotFilter(django_filters.FilterSet):
    """The one filterset for lot lists: the browse page and the API's query parameters."""

    chemistry = django_filters.ChoiceFilter(
        field_name="pack_model__chemistry", choices=Chemistry.choices, label="Chemistry"
    )
    route = django_filters.ChoiceFilter(
        field_name="summary__route", choices=RouteChoice.choices, label="Route"
    )
    soh_min = django_filters.NumberFilter(
        field_name="summary__measured_soh_pct", lookup_expr="gte", label="Measured SOH from (%)"
    )
    soh_max = django_filters.NumberFilter(
        field_name="summary__measured_soh_pct", lookup_expr="lte", label="Measured SOH to (%)"
    )
    location = django_filters.CharFilter(lookup_expr="icontains", label="Location contains")
    ordering = django_filters.OrderingFilter(
        fields=(
            ("summary__measured_soh_pct", "soh"),
            ("price_per_kwh", "price"),
            ("created_at", "created"),
        ),
        label="Order by",
    )

    class Meta:
        model = Lot
        fields = ["chemistry", "route", "soh_min", "soh_max", "location"]
