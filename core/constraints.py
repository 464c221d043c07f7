from django.db import models
from django.db.models import Q

# A measured capacity can exceed the rating a little (a fresh pack often delivers 102 %); above
# this share of nominal a file does not fit the pack and is not evidence for it.
MEASURED_SOH_MAX_PCT = 110


def percent_or_null(field: str, *, name: str, upper: float = 100) -> models.CheckConstraint:
    """A percentage column (an SOH, say): empty, or between 0 and `upper` (100 for claims,
    MEASURED_SOH_MAX_PCT for measured figures)."""
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True})
        | (Q(**{f"{field}__gte": 0}) & Q(**{f"{field}__lte": upper})),
        name=name,
    )
