from django import forms

from suppliers.models import Lot

from .choices import TestDataFormat, TestLevel


class TestRecordUploadForm(forms.Form):
    pack = forms.ModelChoiceField(queryset=None, empty_label=None)
    file = forms.FileField(label="Test-data file")
    data_format = forms.ChoiceField(
        choices=TestDataFormat.choices, initial=TestDataFormat.AUTO, label="Format"
    )
    test_level = forms.ChoiceField(
        choices=TestLevel.choices,
        initial=TestLevel.PACK,
        label="Tested on",
        help_text="A cell or module test is shown as cell evidence; it never confirms the "
        "pack's claim.",
    )

    def __init__(self, *args, lot: Lot, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pack"].queryset = lot.packs.all()
