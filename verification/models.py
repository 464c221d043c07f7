from django.conf import settings
from django.db import models
from django.db.models import Q

from core.constraints import MEASURED_SOH_MAX_PCT, percent_or_null

from .choices import (
    SohDefinition,
    TestDataFormat,
    TestLevel,
    TestRecordStatus,
    Verdict,
    VerificationStatus,
)

VERDICT_VALUES = [value for value, _ in Verdict.choices]


class TestRecord(models.Model):
    """One uploaded file of test data for one pack."""

    __test__ = False  # not a pytest test class, despite the name

    pack = models.ForeignKey(
        "suppliers.Pack", on_delete=models.PROTECT, related_name="test_records"
    )
    file = models.FileField(upload_to="test-data/%Y/%m/")
    original_name = models.CharField(max_length=255)
    format = models.CharField(
        max_length=20,
        choices=TestDataFormat.choices,
        default=TestDataFormat.AUTO,
        help_text="As declared by the uploader; the format read is on the measurement",
    )
    test_level = models.CharField(
        max_length=8,
        choices=TestLevel.choices,
        default=TestLevel.PACK,
        help_text="A cell or module test is cell evidence: it never confirms a pack's claim",
    )
    sha256 = models.CharField(max_length=64, db_index=True)
    size_bytes = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=12, choices=TestRecordStatus.choices, default=TestRecordStatus.PENDING
    )
    error = models.TextField(blank=True, help_text="Why the file could not be used")
    progress_pct = models.PositiveSmallIntegerField(
        default=0, help_text="Share of the file read by the worker while it verifies"
    )
    # The outbox: set once the broker took the verification's message. A pending record
    # without it is sent by the relay (every few seconds), e.g. after a broker outage.
    queued_at = models.DateTimeField(null=True, blank=True)
    # Which generation of its run this upload is verified by (raised by an auditor's re-run).
    run_generation = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_pct__lte=100), name="testrecord_progress_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def is_settled(self) -> bool:
        return self.status in (TestRecordStatus.DONE, TestRecordStatus.FAILED)


def brief_entries(figures: dict, cycles: list) -> dict:
    """What Measurement.brief keeps of a stored figures document and per-cycle table."""
    return {
        "soh_by_definition": figures.get("soh_by_definition"),
        "soh_basis": figures.get("soh_basis"),
        "weakest_cell_index": (figures.get("weakest_cell") or {}).get("index"),
        "cycle_count": len(cycles),
    }


class Measurement(models.Model):
    """Figures computed from one test record; never from the claim.

    `figures` keeps everything the figures engine returned (per-cycle table, every DCIR step,
    curves, how the SOH was obtained); the columns repeat what pages and routing look up.
    """

    test_record = models.OneToOneField(
        TestRecord, on_delete=models.CASCADE, related_name="measurement"
    )
    format = models.CharField(
        max_length=20, choices=TestDataFormat.choices, default=TestDataFormat.CANONICAL_CSV
    )
    figures = models.JSONField(default=dict)
    discharge_capacity_ah = models.FloatField(null=True)
    discharge_energy_wh = models.FloatField(
        null=True, help_text="Energy delivered by the full discharge that gave the capacity"
    )
    nominal_capacity_ah = models.FloatField()
    soh_pct = models.FloatField(null=True)
    soh_definition = models.CharField(
        max_length=12, choices=SohDefinition.choices, default=SohDefinition.CAPACITY
    )
    cycle_used = models.IntegerField(
        null=True, help_text="Cycle whose full discharge gave the capacity"
    )
    cycles = models.JSONField(default=list, help_text="Per-cycle capacities and energies")
    sample_count = models.PositiveIntegerField()
    c_rate = models.FloatField(null=True, help_text="Mean discharge current / nominal capacity")
    max_temperature_c = models.FloatField(null=True)
    resistance_mohm = models.FloatField(null=True, help_text="Median DC resistance, ΔV/ΔI")
    resistance_pulse_s = models.FloatField(null=True, help_text="Pulse length of that figure")
    resistance_ratio = models.FloatField(null=True, help_text="Resistance / pack model baseline")
    cell_spread_mv = models.FloatField(null=True)
    weakest_cell_soh_pct = models.FloatField(null=True)
    bms_soh_pct = models.FloatField(null=True, help_text="Reported by the BMS, not measured")
    units = models.JSONField(default=dict)
    warnings = models.JSONField(default=list)
    # The few entries of `figures` a row about the run shows (brief_entries): kept apart, so a
    # list of runs never reads the figures document (kilobytes per run, stored compressed).
    brief = models.JSONField(
        default=dict, blank=True, help_text="SOH by definition and basis, weakest cell, cycles"
    )
    fingerprint = models.CharField(
        max_length=64,
        blank=True,
        db_index=True,
        help_text="Hash of the per-cycle Ah and Wh: the same measurement in another file",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            percent_or_null(name, name=f"measurement_{name}_range", upper=MEASURED_SOH_MAX_PCT)
            for name in ("soh_pct", "weakest_cell_soh_pct")
        ]

    def __str__(self) -> str:
        if self.soh_pct is None:
            return f"{self.get_format_display()}: no capacity test"
        return f"{self.discharge_capacity_ah:.2f} Ah, SOH {self.soh_pct:.1f} %"

    @property
    def soh_energy_pct(self) -> float | None:
        """SOH by energy (discharge Wh / nominal Wh) of the same cycle, beside the headline."""
        return (self.figures.get("soh_by_definition") or {}).get("energy")

    @property
    def soh_capacity_pct(self) -> float | None:
        return (self.figures.get("soh_by_definition") or {}).get("capacity", self.soh_pct)


class Verification(models.Model):
    """Measured vs claimed for one pack under one rule-set version.

    The row doubles as the pipeline's run row: unique on (pack, file hash, rule set) and claimed
    by compare-and-set, so a task delivered twice does the work once.
    """

    pack = models.ForeignKey(
        "suppliers.Pack", on_delete=models.PROTECT, related_name="verifications"
    )
    test_record = models.ForeignKey(
        TestRecord, on_delete=models.CASCADE, related_name="verifications"
    )
    # The routing rule set active when the run was made, as plain values: part of the run key
    # (new rules re-run identical data), kept without a link because verification does not
    # depend on routing.
    rule_set_ref = models.PositiveBigIntegerField(help_text="Id of the routing rule set")
    rule_set_label = models.CharField(max_length=100, help_text="Its name and version")
    sha256 = models.CharField(max_length=64)
    status = models.CharField(
        max_length=10, choices=VerificationStatus.choices, default=VerificationStatus.PENDING
    )
    measurement = models.ForeignKey(
        Measurement, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    claimed_soh_pct = models.FloatField(null=True)
    measured_soh_pct = models.FloatField(null=True)
    difference_pct_points = models.FloatField(null=True)
    tolerance_pct_points = models.FloatField(null=True)
    verdict = models.CharField(max_length=16, choices=Verdict.choices, blank=True)
    verdict_reason = models.TextField(blank=True, help_text="Why the verdict is what it is")
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The other pack's verification that carries the same evidence",
    )
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The lease: the task (by its Celery id) that holds the run. The same task redelivered
    # after its worker died takes the run over at once instead of finding it busy.
    claim_token = models.CharField(max_length=64, blank=True)
    # The task's retry count when it claimed: the same attempt back again means its worker died
    # (a takeover); a later attempt is the task retrying after a database or storage fault.
    claim_attempt = models.PositiveSmallIntegerField(default=0)
    # Runs taken over from a worker that died mid-run: a file that kills workers again and
    # again is failed with a reason instead of being retried forever.
    takeovers = models.PositiveSmallIntegerField(default=0)
    # An auditor's re-run of a finished run starts the next generation: the earlier run stays,
    # as history, beside the new one.
    generation = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["pack", "sha256", "rule_set_ref", "generation"],
                name="verification_run_unique",
            ),
            percent_or_null(
                "measured_soh_pct",
                name="verification_measured_soh_range",
                upper=MEASURED_SOH_MAX_PCT,
            ),
            models.CheckConstraint(
                condition=Q(verdict__in=["", *VERDICT_VALUES]), name="verification_verdict_valid"
            ),
        ]
        indexes = [models.Index(fields=["verdict", "status"])]

    def __str__(self) -> str:
        return f"Verification #{self.pk} of {self.pack} ({self.status})"

    @property
    def confirms(self) -> bool:
        return self.verdict == Verdict.CONFIRMED


class DiscrepancyClaim(Verification):
    """The auditors' queue: claims the measurement contradicts, and duplicate evidence."""

    class Meta:
        proxy = True
        verbose_name = "claim for an auditor"
        verbose_name_plural = "claims for an auditor"
