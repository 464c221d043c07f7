from django import forms

from suppliers.models import Lot, Pack

from .choices import Decision, SupplierRequestKind


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class AnswerForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), required=False)
    files = MultipleFileField(required=False, help_text="Datasheets, reports, photos")


# The auditors' forms (reviews.views.auditor); each posts to one service.
class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=4000, help_text="Shown to the supplier"
    )


class SupplierRequestForm(forms.Form):
    kind = forms.ChoiceField(choices=SupplierRequestKind.choices)
    pack = forms.ModelChoiceField(
        queryset=Pack.objects.none(), required=False, empty_label="The whole lot"
    )
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)

    def __init__(self, *args, lot: Lot, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pack"].queryset = lot.packs.all()


class RequestCloseForm(forms.Form):
    reason = forms.CharField(max_length=4000)
