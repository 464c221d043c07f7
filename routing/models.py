import functools
import json

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.constraints import MEASURED_SOH_MAX_PCT, percent_or_null

from .choices import RerouteJobStatus, RouteChoice
from .domain import Thresholds
from .domain.sampling import DEFAULT_SAMPLE_PLAN, sample_size_required
from .domain.stored import stored_checks, stored_fired_names

ROUTE_VALUES = [value for value, _ in RouteChoice.choices]


def default_sample_plan() -> list[list[int]]:
    return [list(row) for row in DEFAULT_SAMPLE_PLAN]


@functools.lru_cache(maxsize=64)
def _thresholds(canonical: str) -> Thresholds:
    # One Thresholds per distinct rule set, so its rendered texts are built once, not once per
    # decision shown; Thresholds is frozen, so sharing it is safe.
    return Thresholds.from_dict(json.loads(canonical))


def decision_words(
    *, outcomes: str, figures: list, words_kept: list[dict] | None, thresholds: dict
) -> list[dict]:
    """A stored decision's rules in words, from its compact columns and its rule set's
    thresholds (for reads that fetch the columns without the rows)."""
    if words_kept is not None:
        return words_kept
    checks = stored_checks(outcomes, figures, _thresholds(json.dumps(thresholds, sort_keys=True)))
    return [check.to_dict() for check in checks]


class RuleSet(models.Model):
    """A named, versioned set of routing thresholds; exactly one is active."""

    name = models.CharField(max_length=80)
    version = models.PositiveIntegerField()
    thresholds = models.JSONField(default=dict)
    sample_plan = models.JSONField(
        default=default_sample_plan,
        help_text="[largest lot size, packs to measure] rows; default ISO 2859-1 level II",
    )
    is_active = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="ruleset_version_unique"),
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="ruleset_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def as_thresholds(self) -> Thresholds:
        return _thresholds(json.dumps(self.thresholds, sort_keys=True))

    def sample_size_for(self, lot_size: int) -> int:
        return sample_size_required(lot_size, self.sample_plan)


class RoutingDecision(models.Model):
    """A route and every rule checked to reach it; decisions are appended, never overwritten."""

    lot = models.ForeignKey("suppliers.Lot", on_delete=models.CASCADE, related_name="decisions")
    pack = models.ForeignKey(
        "suppliers.Pack",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="decisions",
        help_text="Blank: the decision for the lot as a whole",
    )
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="decisions")
    route = models.CharField(max_length=20, choices=RouteChoice.choices)
    provisional = models.BooleanField()
    warranty = models.TextField(blank=True)
    # Every rule checked, stored compactly: its outcome letter and the figures it showed (see
    # routing/domain/stored.py); the words come from the rule set when the decision is shown.
    outcomes = models.CharField(max_length=8, blank=True, help_text="One letter per rule")
    figures = models.JSONField(default=list, blank=True, help_text="The figures each rule showed")
    words_kept = models.JSONField(
        null=True,
        blank=True,
        help_text="Only for a decision stored as words before that its rule set no longer "
        "renders exactly: those words, as they were",
    )
    soh_pct_used = models.FloatField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["lot", "pack", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(route__in=ROUTE_VALUES), name="routingdecision_route_valid"
            ),
            percent_or_null(
                "soh_pct_used", name="routingdecision_soh_range", upper=MEASURED_SOH_MAX_PCT
            ),
        ]

    def __str__(self) -> str:
        return f"{self.route}{' (provisional)' if self.provisional else ''}"

    @functools.cached_property
    def rules(self) -> list[dict]:
        """Every rule checked, in words: name, threshold, value, outcome, explanation."""
        if self.words_kept is not None:
            return self.words_kept
        return decision_words(
            outcomes=self.outcomes,
            figures=self.figures,
            words_kept=None,
            thresholds=self.rule_set.thresholds,
        )

    @property
    def fired_rules(self) -> list[dict]:
        return [rule for rule in self.rules if rule.get("outcome") == "fired"]

    @property
    def fired_rule_names(self) -> list[str]:
        """The names of the rules that fired, without rendering any words."""
        if self.words_kept is not None:
            return [rule["name"] for rule in self.words_kept if rule.get("outcome") == "fired"]
        return stored_fired_names(self.outcomes)


class RerouteJob(models.Model):
    """One background re-route of every lot after a rule set was published; shows progress."""

    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="reroute_jobs")
    status = models.CharField(
        max_length=10, choices=RerouteJobStatus.choices, default=RerouteJobStatus.PENDING
    )
    total_lots = models.PositiveIntegerField(default=0)
    processed_lots = models.PositiveIntegerField(default=0)
    changed_lots = models.PositiveIntegerField(default=0)
    chunks = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(changed_lots__lte=F("processed_lots"))
                & Q(processed_lots__lte=F("total_lots")),
                name="reroutejob_counters_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"Re-route under {self.rule_set} ({self.status})"

    @property
    def progress_pct(self) -> float:
        if not self.total_lots:
            return 100.0 if self.status == RerouteJobStatus.DONE else 0.0
        return round(100.0 * self.processed_lots / self.total_lots, 1)

    @property
    def is_settled(self) -> bool:
        return self.status in (RerouteJobStatus.DONE, RerouteJobStatus.FAILED)
