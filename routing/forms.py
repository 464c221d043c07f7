from dataclasses import fields

from django import forms

from .domain import Thresholds

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

    def __init__(self, *args, initial_thresholds: Thresholds | None = None, **kwargs):
        super().__init__(*args, **kwargs)
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
