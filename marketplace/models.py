from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.constraints import MEASURED_SOH_MAX_PCT, percent_or_null
from routing.choices import RouteChoice

from .choices import LotEvent

ROUTE_VALUES = [value for value, _ in RouteChoice.choices]


class LotSummary(models.Model):
    """What buyers see of a lot, kept by the lot pipeline: its route and measured figures.

    A read model: recomputed from the packs' latest verifications and routing decisions each
    time the pipeline runs, so browse pages filter and sort without joining the evidence.
    """

    lot = models.OneToOneField(
        "suppliers.Lot", on_delete=models.CASCADE, primary_key=True, related_name="summary"
    )
    route = models.CharField(max_length=20, choices=RouteChoice.choices, blank=True)
    route_provisional = models.BooleanField(default=True)
    rule_set = models.ForeignKey(
        "routing.RuleSet",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The rule set that decided the current route",
    )
    measured_soh_pct = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    lowest_pack_soh_pct = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    lowest_pack_serial = models.CharField(
        max_length=100, blank=True, help_text="The pack the lowest measured SOH comes from"
    )
    highest_pack_soh_pct = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True
    )
    packs_measured = models.PositiveIntegerField(
        default=0, help_text="Distinct packs with a complete, consistent measurement"
    )
    sample_size_required = models.PositiveIntegerField(
        default=0, help_text="Packs the rule set's sampling plan needs measured for this lot"
    )
    # Measured energy: the mean of what the measured packs' full discharges delivered; the
    # lot's total and the price per usable kWh extrapolate that mean to every pack offered.
    usable_energy_kwh = models.DecimalField(
        max_digits=9, decimal_places=3, null=True, blank=True,
        help_text="Mean measured discharge energy per pack",
    )  # fmt: skip
    packs_energy_measured = models.PositiveIntegerField(
        default=0, help_text="Packs whose measured discharge energy gives usable_energy_kwh"
    )
    usable_energy_total_kwh = models.DecimalField(
        max_digits=12, decimal_places=3, null=True, blank=True,
        help_text="usable_energy_kwh times the packs offered",
    )  # fmt: skip
    price_per_usable_kwh = models.DecimalField(
        max_digits=11, decimal_places=2, null=True, blank=True,
        help_text="The asking price (per nominal kWh) over the measured energy",
    )  # fmt: skip
    safety_events = models.PositiveIntegerField(
        default=0, help_text="Accidents, thermal events, swelling, leaks, floods, deep discharges"
    )
    custody_complete = models.BooleanField(
        default=False,
        help_text="A known holder from manufacture to today, and a history that hangs together",
    )
    search_text = models.TextField(blank=True, help_text="What buyers' words are looked up in")
    # Kept on PostgreSQL only (marketplace.search), under a GIN index made by the migration.
    search_vector = SearchVectorField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "lot summaries"
        constraints = [
            models.CheckConstraint(
                condition=Q(route="") | Q(route__in=ROUTE_VALUES), name="lotsummary_route_valid"
            ),
            *(
                percent_or_null(name, name=f"lotsummary_{name}_range", upper=MEASURED_SOH_MAX_PCT)
                for name in ("measured_soh_pct", "lowest_pack_soh_pct", "highest_pack_soh_pct")
            ),
            models.CheckConstraint(
                condition=Q(lowest_pack_soh_pct__isnull=True)
                | Q(lowest_pack_soh_pct__lte=models.F("measured_soh_pct")),
                name="lotsummary_lowest_at_most_mean",
            ),
            models.CheckConstraint(
                condition=Q(usable_energy_kwh__isnull=True) | Q(usable_energy_kwh__gt=0),
                name="lotsummary_usable_energy_positive",
            ),
        ]
        indexes = [
            models.Index(fields=["route", "measured_soh_pct"]),
            models.Index(fields=["route", "price_per_usable_kwh"]),
            # Scorecard freshness: the few summaries changed since a score was computed.
            models.Index(fields=["updated_at"], name="lotsummary_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.lot_id}: {self.route or 'not routed'}"

    @property
    def packs_still_needed(self) -> int:
        return max(self.sample_size_required - self.packs_measured, 0)


class SupplierScorecard(models.Model):
    """A supplier organisation's scorecard, materialised so a lot page reads one row.

    Recomputed by marketplace.scorecards (hourly, and when a page finds it stale); `card` is
    marketplace.domain.scorecard.Scorecard.to_dict(), `total` repeats its total for sorting.
    """

    supplier = models.OneToOneField(
        "suppliers.Organisation",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="scorecard",
    )
    total = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="0..100; empty while too few claims are measured"
    )
    card = models.JSONField(default=dict)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(total__isnull=True) | Q(total__lte=100), name="scorecard_total_range"
            ),
        ]
        indexes = [models.Index(fields=["total"], name="scorecard_total_idx")]

    def __str__(self) -> str:
        return f"{self.supplier_id}: {self.total if self.total is not None else 'not scored'}"


class LotOfferEvent(models.Model):
    """The outbox of what buyers are told about a lot (marketplace.signals).

    Written in the transaction that made the change, so a change that commits always leaves
    its event, and relayed to the listeners (saved searches enqueue their matching) once it
    has committed. An event whose relay failed, the broker being down at that moment, keeps
    `relayed_at` empty and the beat relays it again."""

    lot = models.ForeignKey("suppliers.Lot", on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=20, choices=LotEvent.choices)
    created_at = models.DateTimeField(default=timezone.now)
    relayed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(event__in=LotEvent.values), name="lotofferevent_event_valid"
            ),
        ]
        indexes = [
            # The relay reads only what is still waiting, oldest first.
            models.Index(
                fields=["created_at"],
                condition=Q(relayed_at__isnull=True),
                name="lotofferevent_waiting_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"lot {self.lot_id} {self.event} ({'relayed' if self.relayed_at else 'waiting'})"
