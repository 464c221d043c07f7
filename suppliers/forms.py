from django import forms
from django.utils import timezone

from .domain.history import history_problems
from .models import Lot, Pack
from .selectors import pack_model_list, supplier_organisations


class LotForm(forms.ModelForm):
    manufactured_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="When the packs were made (starts their documented history)",
    )
    removed_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="When the packs were removed from their vehicles",
    )
    vin = forms.CharField(required=False, max_length=17, label="VIN (optional)")

    class Meta:
        model = Lot
        fields = [
            "supplier",
            "reference",
            "pack_model",
            "location",
            "quantity",
            "claimed_soh_pct",
            "price_per_kwh",
        ]
        labels = {
            "supplier": "Supplier organisation",
            "claimed_soh_pct": "Claimed SOH (%)",
            "price_per_kwh": "Asking price per kWh (EUR)",
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = supplier_organisations(user=user)
        self.fields["supplier"].empty_label = None
        self.fields["pack_model"].queryset = pack_model_list(user=user)

    def clean(self):
        cleaned = super().clean()
        # The same rule as the service's (and the API's), reported on the field it concerns.
        given = [
            (name, kind, cleaned[name])
            for name, kind in (("manufactured_on", "manufactured"), ("removed_on", "removed"))
            if cleaned.get(name)
        ]
        problems = history_problems(
            [(kind, on) for _, kind, on in given], today=timezone.localdate()
        )
        for problem in problems:
            field = given[problem.index][0] if problem.index < len(given) else None
            self.add_error(field, problem.message)
        return cleaned

    def validate_unique(self):
        # The service checks the reference per supplier and reports it on the field.
        pass


class PackForm(forms.ModelForm):
    class Meta:
        model = Pack
        fields = ["serial", "claimed_soh_pct", "cycle_count"]
        labels = {"claimed_soh_pct": "Claimed SOH (%)"}

    def validate_unique(self):
        pass


PackFormSet = forms.formset_factory(
    PackForm, extra=3, min_num=1, validate_min=True, max_num=500, validate_max=True
)


class PackImportForm(forms.Form):
    file = forms.FileField(
        label="CSV or XLSX file",
        help_text="One pack a row under a header; nothing is saved until you confirm the preview.",
        widget=forms.FileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
