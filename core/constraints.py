from django.db import models
from django.db.models import Q


def percent_or_null(field: str, *, name: str) -> models.CheckConstraint:
    """A percentage column (an SOH, say): empty, or between 0 and 100."""
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True})
        | (Q(**{f"{field}__gte": 0}) & Q(**{f"{field}__lte": 100})),
        name=name,
    )
