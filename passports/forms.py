from django import forms

from suppliers.models import Lot, Organisation
from suppliers.selectors import supplier_organisations

# A passport is a few dozen kilobytes; the published example is 15 kB.
MAX_PASSPORT_BYTES = 2 * 1024 * 1024


class PassportImportForm(forms.Form):
    supplier = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label="Supplier organisation"
    )
    document = forms.FileField(
        label="BatteryPass JSON file", help_text="A Catena-X BatteryPass 6.1.0 document"
    )
    lot = forms.ModelChoiceField(
        queryset=Lot.objects.none(),
        required=False,
        label="Draft lot (optional)",
        help_text="Blank: a pack already listed stays in its lot; a new one gets a new draft lot",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        organisations = supplier_organisations(user=user)
        self.fields["supplier"].queryset = organisations
        if organisations.count() == 1:
            self.fields["supplier"].initial = organisations.first()
        self.fields["lot"].queryset = Lot.objects.filter(
            supplier__in=organisations, status="draft"
        ).order_by("reference")

    def clean_document(self):
        upload = self.cleaned_data["document"]
        if upload.size > MAX_PASSPORT_BYTES:
            raise forms.ValidationError("A passport file is at most 2 MB.")
        return upload

    def clean(self):
        data = super().clean()
        supplier, lot = data.get("supplier"), data.get("lot")
        if supplier and lot and lot.supplier_id != supplier.pk:
            self.add_error("lot", "That lot belongs to another of your organisations.")
        return data
