"""Pure-Python verification: parse test data, measure capacity, judge claims. No Django here."""

from .canonical_csv import CANONICAL_COLUMNS, CanonicalCsv, Sample, Units, open_canonical_csv
from .errors import TestDataError
from .metrics import CapacityResult, CycleFigures, soh_pct, summarise_cycles
from .synthetic import synthetic_cycling_csv, synthetic_cycling_lines
from .verdict import VERDICT_CONFIRMED, VERDICT_DISCREPANCY, ClaimCheck, check_claim

__all__ = [
    "CANONICAL_COLUMNS",
    "VERDICT_CONFIRMED",
    "VERDICT_DISCREPANCY",
    "CanonicalCsv",
    "CapacityResult",
    "ClaimCheck",
    "CycleFigures",
    "Sample",
    "TestDataError",
    "Units",
    "check_claim",
    "open_canonical_csv",
    "soh_pct",
    "summarise_cycles",
    "synthetic_cycling_csv",
    "synthetic_cycling_lines",
]
