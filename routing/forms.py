from dataclasses import fields

from django import forms

from .domain import Thresholds
from .domain.sampling import DEFAULT_SAMPLE_PLAN, SamplePlanError, sample_plan_validated

LABELS = {
    "reuse_ess_min_soh_pct": "reuse-ESS from SOH (%)",
    "small_application_min_soh_pct": "small-application from SOH (%)",
    "weakest_cell_min_soh_pct": "Floor: weakest cell / pack SOH below (%) → recycle",
    "nmc_reuse_min_soh_pct": "NMC/NCA reuse needs SOH above (%)",
    "nmc_max_resistance_ratio": "NMC/NCA reuse needs resistance below (times baseline)",
    "require_history": "Hold packs without recorded lifetime history (IEC 63338)",
    "recycle_calendar_expired": "Recycle packs past the maker's calendar life (UL 1974, 2nd ed.)",
    "warranty_lfp_reuse_ess": "Warranty: LFP and other reuse-ESS",
    "warranty_nmc_reuse_ess": "Warranty: NMC/NCA reuse-ESS",
    "warranty_small_application": "Warranty: small-application",
}
PERCENT_FIELDS = {
    "reuse_ess_min_soh_pct",
    "small_application_min_soh_pct",
    "weakest_cell_min_soh_pct",
    "nmc_reuse_min_soh_pct",
}


class RuleSetForm(forms.Form):
    """The auditor's editor for a rule set: one field per threshold of the engine."""

    name = forms.SlugField(max_length=80, help_text="Saving creates the next version of this name")
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), label="Why this change", max_length=2000
    )

    sample_plan = forms.CharField(
        max_length=1000,
        label="Sampling plan (largest lot size: packs to measure, ...)",
        help_text="A lot is verified once this many of its packs carry a complete, consistent "
        "measurement; lots above the last size take its sample. Default: ISO 2859-1 level II.",
    )

    def __init__(
        self,
        *args,
        initial_thresholds: Thresholds | None = None,
        initial_sample_plan=None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["sample_plan"].initial = plan_as_text(
            initial_sample_plan or DEFAULT_SAMPLE_PLAN
        )
        current = (initial_thresholds or Thresholds()).to_dict()
        for f in fields(Thresholds):
            label = LABELS.get(f.name, f.name.replace("_", " "))
            if isinstance(f.default, bool):
                field = forms.BooleanField(required=False, label=label)
            elif isinstance(f.default, str):
                field = forms.CharField(max_length=300, label=label)
            else:
                top = 100 if f.name in PERCENT_FIELDS else 10
                field = forms.FloatField(min_value=0, max_value=top, label=label)
            field.initial = current[f.name]
            self.fields[f.name] = field

    def clean_sample_plan(self) -> list[list[int]]:
        text = self.cleaned_data["sample_plan"]
        rows = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            lot_size, colon, sample = part.partition(":")
            if not colon:
                raise forms.ValidationError(f"{part!r}: missing ':' between the two numbers")
            try:
                rows.append([int(lot_size), int(sample)])
            except ValueError:
                raise forms.ValidationError(
                    f"{part!r}: write each row as largest lot size: packs to measure, e.g. 8: 2"
                ) from None
        try:
            return [list(row) for row in sample_plan_validated(rows)]
        except SamplePlanError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if cleaned["small_application_min_soh_pct"] > cleaned["reuse_ess_min_soh_pct"]:
            self.add_error(
                "small_application_min_soh_pct",
                "The small-application band must start below the reuse-ESS band.",
            )
            return cleaned
        try:
            self.cleaned_thresholds = Thresholds.from_dict(
                {f.name: cleaned[f.name] for f in fields(Thresholds)}
            )
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return cleaned

    def threshold_fields(self):
        return [self[f.name] for f in fields(Thresholds)]


def plan_as_text(plan) -> str:
    return ", ".join(f"{lot_size}: {sample}" for lot_size, sample in plan)
