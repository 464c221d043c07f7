from django import forms
from django.utils import timezone

from .choices import DocumentKind, HistoryEventKind
from .domain.history import history_problems
from .models import HistoryEvent, Lot, Pack, PackModel
from .selectors import pack_model_list, pack_model_list_for_supplier, supplier_organisations


class PackModelChoiceField(forms.ModelChoiceField):
    """A proposal says so: a lot of a model not yet approved is held until an auditor
    confirms its ratings."""

    def label_from_instance(self, obj: PackModel) -> str:
        if obj.approved_at is None:
            return f"{obj} (proposed, awaiting an auditor's approval)"
        return str(obj)


class LotForm(forms.ModelForm):
    manufactured_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="When the packs were made (starts their documented history)",
    )
    removed_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
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
            "description",
            "country",
            "latitude",
            "longitude",
            "quantity",
            "claimed_soh_pct",
            "price_per_kwh",
        ]
        labels = {
            "supplier": "Supplier organisation",
            "claimed_soh_pct": "Claimed SOH (%)",
            "price_per_kwh": "Asking price per kWh (EUR)",
            "latitude": "Site latitude (optional)",
            "longitude": "Site longitude (optional)",
        }
        field_classes = {"pack_model": PackModelChoiceField}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

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


# One empty row to start with; the page adds rows as they are needed (htmx, or a plain
# "add a row" submit without JavaScript).
MAX_PACK_ROWS = 500
PackFormSet = forms.formset_factory(
    PackForm, extra=1, min_num=1, validate_min=True, max_num=MAX_PACK_ROWS, validate_max=True
)
# Packs added to an existing draft: no minimum, blank rows are skipped.
PackAddFormSet = forms.formset_factory(PackForm, extra=1, max_num=MAX_PACK_ROWS, validate_max=True)


def pack_formset_grown(formset_class, data, *, prefix: str):
    """The formset re-shown with one more empty row: the no-JavaScript "add a row" path."""
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    data[key] = str(min(int(data.get(key) or 0) + 1, MAX_PACK_ROWS))
    return formset_class(data, prefix=prefix)


class LotEditForm(forms.ModelForm):
    """A draft's own fields; its supplier never changes."""

    class Meta:
        model = Lot
        fields = [
            "reference",
            "pack_model",
            "location",
            "description",
            "country",
            "latitude",
            "longitude",
            "quantity",
            "claimed_soh_pct",
            "price_per_kwh",
        ]
        labels = LotForm.Meta.labels
        field_classes = LotForm.Meta.field_classes
        widgets = LotForm.Meta.widgets

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # The supplier's own catalogue: approved models and its proposals.
        self.fields["pack_model"].queryset = pack_model_list_for_supplier(
            supplier=self.instance.supplier
        )

    def validate_unique(self):
        pass


PACK_MODEL_FIELDS = [
    "manufacturer",
    "model",
    "chemistry",
    "nominal_voltage_v",
    "nominal_capacity_ah",
    "nominal_energy_kwh",
    "cells_series",
    "cells_parallel",
    "baseline_resistance_mohm",
    "calendar_life_years",
]
PACK_MODEL_LABELS = {
    "nominal_voltage_v": "Nominal voltage (V)",
    "nominal_capacity_ah": "Nominal capacity (Ah)",
    "nominal_energy_kwh": "Nominal energy (kWh)",
    "baseline_resistance_mohm": "Beginning-of-life resistance (mΩ)",
    "calendar_life_years": "Calendar life (years)",
}


class PackModelForm(forms.Form):
    """A supplier's proposal of a pack model. A plain form with the model's fields: the
    service names what is wrong with the ratings, where the model's constraints would only
    say "violated"."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(
            forms.fields_for_model(PackModel, fields=PACK_MODEL_FIELDS, labels=PACK_MODEL_LABELS)
        )
        choices = supplier_organisations(user=user)
        if choices.count() > 1:
            self.fields["supplier"] = forms.ModelChoiceField(
                queryset=choices, empty_label=None, label="Proposed by"
            )


class PackImportForm(forms.Form):
    file = forms.FileField(
        label="CSV or XLSX file",
        help_text="One pack a row under a header; nothing is saved until you confirm the preview.",
        widget=forms.FileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )


# Up to this many packs a lot's pack is picked from a list; a larger lot's by typing its
# serial (a list of thousands of options on every page view helps nobody).
PACK_SELECT_LIMIT = 200


class PackSerialField(forms.CharField):
    """A pack of the lot named by its serial, whatever its case; blank: no particular pack."""

    def __init__(self, *, lot: Lot, empty_label: str, **kwargs):
        self.lot = lot
        kwargs.setdefault("help_text", f"Type the pack's serial; leave it blank for {empty_label}")
        super().__init__(required=False, max_length=100, label="Pack", **kwargs)

    def prepare_value(self, value):
        if isinstance(value, int):  # an initial pack given by its id
            return self.lot.packs.filter(pk=value).values_list("serial", flat=True).first()
        return value.serial if isinstance(value, Pack) else value

    def clean(self, value) -> Pack | None:
        serial = (super().clean(value) or "").strip()
        if not serial:
            return None
        pack = self.lot.packs.filter(serial__iexact=serial).first()
        if pack is None:
            raise forms.ValidationError(f"Lot {self.lot.reference} has no pack {serial}.")
        return pack


def lot_pack_field(lot: Lot, *, empty_label: str) -> forms.Field:
    """The lot's packs to choose from: a list for a small lot, a serial for a large one
    (a lot never lists more packs than its quantity)."""
    if lot.quantity <= PACK_SELECT_LIMIT:
        return forms.ModelChoiceField(
            queryset=lot.packs.order_by("serial"),
            required=False,
            empty_label=empty_label,
        )
    return PackSerialField(lot=lot, empty_label=empty_label.lower())


class HistoryEventForm(forms.Form):
    """One event of a lot's history. Only the types are checked here: whether the history
    still hangs together is the service's one check, shared with the API."""

    kind = forms.ChoiceField(choices=HistoryEventKind.choices, label="What happened")
    occurred_on = forms.DateField(
        label="On", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    actor = forms.CharField(
        required=False,
        max_length=200,
        label="Who",
        help_text="The maker, operator, workshop or lab; for manufacture, entry into and "
        "removal from service it names who held the packs",
    )
    vin = forms.CharField(required=False, max_length=17, label="VIN (optional)")
    custody_from = forms.CharField(
        required=False, max_length=200, label="Handed over by", help_text="Custody transfers"
    )
    custody_to = forms.CharField(
        required=False, max_length=200, label="Taken by", help_text="Custody transfers"
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    document = forms.FileField(
        required=False,
        label="Supporting document (optional)",
        help_text="PDF, PNG, JPEG or WebP; checked from its content",
    )
    document_kind = forms.ChoiceField(
        choices=DocumentKind.choices, required=False, initial=DocumentKind.PHOTO
    )
    publish_document = forms.BooleanField(required=False, label="Publish it to buyers")

    def __init__(self, *args, lot: Lot, **kwargs):
        # Ids of their own: the lot page holds this form beside the test-data upload's.
        kwargs.setdefault("auto_id", "history_%s")
        super().__init__(*args, **kwargs)
        self.fields = {"pack": lot_pack_field(lot, empty_label="Every pack of the lot"),
                       **self.fields}  # fmt: skip

    def history_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in EVENT_FORM_FIELDS}


EVENT_FORM_FIELDS = ("kind", "occurred_on", "actor", "vin", "custody_from", "custody_to", "notes")


class EventChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: HistoryEvent) -> str:
        return f"{obj} (pack {obj.pack.serial})" if obj.pack_id else f"{obj} (every pack)"


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(choices=DocumentKind.choices)
    file = forms.FileField(help_text="PDF, PNG, JPEG or WebP; checked from its content")
    history_event = EventChoiceField(
        queryset=HistoryEvent.objects.none(), required=False, empty_label="No particular event"
    )
    published = forms.BooleanField(
        required=False,
        label="Publish to buyers",
        help_text="Buyers see it once the lot is verified or listed",
    )

    def __init__(self, *args, lot: Lot, **kwargs):
        kwargs.setdefault("auto_id", "document_%s")
        super().__init__(*args, **kwargs)
        self.fields["pack"] = lot_pack_field(lot, empty_label="The whole lot")
        self.order_fields(["kind", "file", "pack", "history_event", "published"])
        self.fields["history_event"].queryset = lot.history.select_related("pack")
