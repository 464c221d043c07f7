import django_filters
from django.db.models import Q, QuerySet

from routing.choices import RouteChoice
from suppliers.choices import Chemistry
from suppliers.models import Lot
from suppliers.selectors import organisations_of

# Left out of "verified second-life supply" unless asked for: recycling lots have their own
# view (?route=recycle); a lot held for audit has no route a buyer could rely on.
NOT_SECOND_LIFE_ROUTES = (RouteChoice.RECYCLE, RouteChoice.HOLD)


class LotFilter(django_filters.FilterSet):
    """The one filterset for lot lists: the browse page and the API's query parameters."""

    chemistry = django_filters.ChoiceFilter(
        field_name="pack_model__chemistry", choices=Chemistry.choices, label="Chemistry"
    )
    route = django_filters.MultipleChoiceFilter(
        field_name="summary__route",
        choices=RouteChoice.choices,
        label="Route",
        help_text="Reuse-ESS and small-application when none is chosen",
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
        field_labels={
            "summary__measured_soh_pct": "Measured SOH",
            "price_per_kwh": "Price per kWh",
            "created_at": "Listing date",
        },
        label="Order by",
    )

    class Meta:
        model = Lot
        fields = ["chemistry", "route", "soh_min", "soh_max", "location"]

    def filter_queryset(self, queryset: QuerySet[Lot]) -> QuerySet[Lot]:
        queryset = super().filter_queryset(queryset)
        if self.form.cleaned_data.get("route"):
            return queryset
        # No route asked for: second-life supply, and every lot of the user's own
        # organisations (a supplier's API list holds its drafts and recycling lots too).
        user = getattr(self.request, "user", None)
        own = organisations_of(user=user) if user is not None else []
        return queryset.filter(~Q(summary__route__in=NOT_SECOND_LIFE_ROUTES) | Q(supplier__in=own))

    @property
    def recycling(self) -> bool:
        """Whether the list asked for is the recyclers' view."""
        routes = self.form.cleaned_data.get("route") if self.is_bound and self.is_valid() else []
        return list(routes or []) == [RouteChoice.RECYCLE]
