"""Pure-Python verification: parse test data, measure capacity, judge claims. No Django here."""

from .canonical_csv import CANONICAL_COLUMNS, CanonicalCsv, Sample, Units
from .errors import TestDataError
from .metrics import soh_pct
from .synthetic import synthetic_cycling_csv, synthetic_cycling_lines
from .verdict import VERDICT_CONFIRMED, VERDICT_DISCREPANCY, ClaimCheck, check_claim

__all__ = [
    "CANONICAL_COLUMNS",
    "VERDICT_CONFIRMED",
    "VERDICT_DISCREPANCY",
    "CanonicalCsv",
    "ClaimCheck",
    "Sample",
    "TestDataError",
    "Units",
    "check_claim",
    "soh_pct",
    "synthetic_cycling_csv",
    "synthetic_cycling_lines",
]
