from django import forms

from suppliers.models import Lot

from .choices import TestDataFormat


class TestRecordUploadForm(forms.Form):
    pack = forms.ModelChoiceField(queryset=None, empty_label=None)
    file = forms.FileField(label="Test-data file")
    data_format = forms.ChoiceField(
        choices=TestDataFormat.choices, initial=TestDataFormat.AUTO, label="Format"
    )

    def __init__(self, *args, lot: Lot, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pack"].queryset = lot.packs.all()
