from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.urls import reverse
from django_countries.fields import CountryField

from core.constraints import percent_or_null

from .choices import (
    Chemistry,
    DocumentKind,
    HistoryEventKind,
    LotStatus,
    MembershipRole,
    OrganisationKind,
)

SOH_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class Organisation(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=10, choices=OrganisationKind.choices)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 alpha-2 code")
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="organisations"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_supplier(self) -> bool:
        return self.kind in (OrganisationKind.SUPPLIER, OrganisationKind.BOTH)

    @property
    def is_buyer(self) -> bool:
        return self.kind in (OrganisationKind.BUYER, OrganisationKind.BOTH)


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(
        max_length=10, choices=MembershipRole.choices, default=MembershipRole.MEMBER
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"


class PackModel(models.Model):
    manufacturer = models.CharField(max_length=120)
    model = models.CharField(max_length=120)
    chemistry = models.CharField(max_length=10, choices=Chemistry.choices)
    nominal_voltage_v = models.DecimalField(max_digits=7, decimal_places=2)
    nominal_capacity_ah = models.DecimalField(max_digits=8, decimal_places=2)
    nominal_energy_kwh = models.DecimalField(max_digits=8, decimal_places=3)
    cells_series = models.PositiveIntegerField()
    cells_parallel = models.PositiveIntegerField(default=1)
    baseline_resistance_mohm = models.DecimalField(
        max_digits=9,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="DC internal resistance of the pack at beginning of life",
    )
    calendar_life_years = models.PositiveIntegerField(
        null=True, blank=True, help_text="Maker's calendar-life expiry, years from manufacture"
    )
    # SOH is measured Ah over this model's nominal Ah, and any supplier may register a model:
    # until an auditor has checked its ratings (against the maker's), it confirms no claim.
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approval_note = models.TextField(
        blank=True, help_text="What the auditor checked the ratings against"
    )
    # A proposed model is visible to the organisation that proposed it at once, and to
    # everyone once an auditor has approved it.
    proposed_by = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposed_pack_models",
    )
    proposed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["manufacturer", "model"]
        constraints = [
            # Duplicates are caught by manufacturer and model whatever their case.
            models.UniqueConstraint(
                Upper("manufacturer"), Upper("model"), name="packmodel_unique_ci"
            ),
            models.CheckConstraint(
                condition=Q(nominal_capacity_ah__gt=0)
                & Q(nominal_voltage_v__gt=0)
                & Q(nominal_energy_kwh__gt=0),
                name="packmodel_positive_ratings",
            ),
            models.CheckConstraint(
                condition=Q(cells_series__gt=0) & Q(cells_parallel__gt=0),
                name="packmodel_positive_cells",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.manufacturer} {self.model} ({self.chemistry})"

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None


class Lot(models.Model):
    supplier = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="lots")
    reference = models.CharField(max_length=60, help_text="The supplier's own lot reference")
    pack_model = models.ForeignKey(PackModel, on_delete=models.PROTECT, related_name="lots")
    location = models.CharField(max_length=200)
    country = CountryField(blank=True, help_text="Where the packs are (ISO 3166 country)")
    # Where the packs are, for buyers' distance searches; both or neither.
    latitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    description = models.TextField(
        blank=True,
        max_length=4000,
        help_text="What buyers should know: the packs' former use, condition, how they ship",
    )
    quantity = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], help_text="Number of packs offered"
    )
    claimed_soh_pct = models.DecimalField(max_digits=5, decimal_places=2, validators=SOH_VALIDATORS)
    price_per_kwh = models.DecimalField(
        max_digits=9,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Asking price per kWh of nominal energy (EUR)",
    )
    status = models.CharField(max_length=12, choices=LotStatus.choices, default=LotStatus.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sub_lots",
        help_text="The lot this one was split from, by route",
    )

    # Lifecycle state: written only by marketplace.lifecycle.lot_transition.
    review_required = models.BooleanField(
        default=False,
        help_text="Set once the lot had a discrepancy or an auditor's decision: from then on "
        "new test data alone never moves it to verified; an auditor decides",
    )

    # An auditor's route, with the reason, in place of the rules' route: shown as a person's
    # decision, never as a measurement. Written only by the reviews app's route override.
    route_override = models.CharField(max_length=20, blank=True)
    route_override_reason = models.TextField(blank=True)
    route_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    route_override_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["supplier", "reference"], name="lot_reference_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="lot_quantity_positive"),
            models.CheckConstraint(
                condition=Q(claimed_soh_pct__gte=0) & Q(claimed_soh_pct__lte=100),
                name="lot_claimed_soh_range",
            ),
            models.CheckConstraint(condition=Q(price_per_kwh__gte=0), name="lot_price_positive"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="lot_site_coordinates",
                violation_error_message="Give both the latitude and the longitude, or neither.",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            # Keyset pages of the browse list: sort value, then id, read in either direction.
            models.Index(fields=["created_at", "id"], name="lot_created_id_idx"),
            models.Index(fields=["quantity", "id"], name="lot_quantity_id_idx"),
            # A supplier's scorecard is current while none of its lots changed since.
            models.Index(fields=["supplier", "updated_at"], name="lot_supplier_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.quantity} x {self.pack_model}"

    def get_absolute_url(self) -> str:
        return reverse("lot-detail", args=[self.pk])

    @property
    def total_energy_kwh(self) -> Decimal:
        return self.pack_model.nominal_energy_kwh * self.quantity


class Pack(models.Model):
    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="packs")
    serial = models.CharField(max_length=100, help_text="Serial number or battery passport id")
    claimed_soh_pct = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=SOH_VALIDATORS,
        help_text="Blank: the lot's claim applies",
    )
    cycle_count = models.PositiveIntegerField(null=True, blank=True)
    # False once its lot is withdrawn: a serial names one pack among the live ones on the
    # platform, whoever lists it.
    live = models.BooleanField(default=True)

    class Meta:
        ordering = ["serial"]
        constraints = [
            models.UniqueConstraint(fields=["lot", "serial"], name="pack_serial_unique_in_lot"),
            models.UniqueConstraint(
                Upper("serial"), condition=Q(live=True), name="pack_serial_unique_live"
            ),
            percent_or_null("claimed_soh_pct", name="pack_claimed_soh_range"),
        ]

    def __str__(self) -> str:
        return self.serial

    @property
    def effective_claimed_soh_pct(self) -> Decimal:
        return (
            self.claimed_soh_pct if self.claimed_soh_pct is not None else self.lot.claimed_soh_pct
        )


class HistoryEvent(models.Model):
    """One link of a lot's documented history (its chain of custody)."""

    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="history")
    pack = models.ForeignKey(
        Pack,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="history",
        help_text="Blank: the event concerns every pack of the lot",
    )
    kind = models.CharField(max_length=20, choices=HistoryEventKind.choices)
    occurred_on = models.DateField()
    actor = models.CharField(max_length=200, blank=True)
    vin = models.CharField(max_length=17, blank=True)
    custody_from = models.CharField(max_length=200, blank=True)
    custody_to = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_on", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.occurred_on}"


class Document(models.Model):
    """Evidence a supplier attaches to a lot, one of its packs or one history event: a safety
    data sheet, a UN 38.3 test summary, a declaration of conformity, a photo, a test report.

    Stored through Django's storage API and served only through the download view (never a
    public media URL); its type is the one read from its content, not its name."""

    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="documents")
    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="documents")
    # Evidence outlives a draft's corrections: a pack carrying documents is never deleted.
    pack = models.ForeignKey(
        Pack, on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    history_event = models.ForeignKey(
        HistoryEvent,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="documents",
        help_text="The event it documents; it stays with the lot if a draft's event is deleted",
    )
    kind = models.CharField(max_length=30, choices=DocumentKind.choices)
    file = models.FileField(upload_to="documents/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100, help_text="Detected from the content")
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    published = models.BooleanField(
        default=False, help_text="Shown to buyers once the lot is verified or listed"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        constraints = [
            # The same file twice on one lot is one piece of evidence.
            models.UniqueConstraint(fields=["lot", "sha256"], name="document_unique_in_lot"),
            models.CheckConstraint(condition=Q(size_bytes__gt=0), name="document_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"
