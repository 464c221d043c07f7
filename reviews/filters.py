"""The queue's filters. A plain form, not a FilterSet: queue items are gathered from several
tables and ranked in Python (reviews.queue), so there is no one queryset to filter."""

from django import forms

from suppliers.choices import Chemistry
from suppliers.models import Organisation
from suppliers.selectors import SUPPLIER_KINDS

from .domain.risk import ITEM_KIND_LABELS


class QueueFilterForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("", "All kinds"), *((k.value, label) for k, label in ITEM_KIND_LABELS.items())],
        required=False,
    )
    chemistry = forms.ChoiceField(
        choices=[("", "All chemistries"), *Chemistry.choices], required=False
    )
    # Only suppliers: a buyer's organisation never has a lot in the queue.
    supplier = forms.ModelChoiceField(
        queryset=Organisation.objects.filter(kind__in=SUPPLIER_KINDS).order_by("name"),
        required=False,
        empty_label="All suppliers",
    )
    older_than_days = forms.IntegerField(
        min_value=0, max_value=3650, required=False, label="Waiting at least (days)"
    )

    def queue_filters(self) -> dict:
        """The keyword arguments of reviews.queue.review_queue; none when the input is bad."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "chemistry": data["chemistry"],
            "supplier_id": data["supplier"].pk if data["supplier"] else None,
            "older_than_days": data["older_than_days"],
        }
