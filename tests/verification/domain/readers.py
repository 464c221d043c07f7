"""What the canonical readers' tests compare: a file's outcome (its error message, or its
columns and metadata) read by one reader, and two outcomes alike to the bit."""

import io

import numpy as np

from verification.domain import TestDataError, synthetic_cycling_csv

# A 2-cycle NMC pack test with DC resistance steps, as both canonical dialects' tests read it.
SYNTHETIC = synthetic_cycling_csv(
    chemistry="NMC",
    nominal_capacity_ah=50,
    cells_series=12,
    soh_pct=85,
    cycles=2,
    sample_interval_s=5,
    resistance_mohm=30,
)


def outcome(reader, data: bytes, batch_rows: int) -> str | dict:
    """The error message, or the whole file's columns, units and warnings."""
    try:
        test_data = reader(io.BytesIO(data), batch_rows=batch_rows)
        batches = list(test_data.batches())
    except TestDataError as err:
        return str(err)
    columns = {k: np.concatenate([b[k] for b in batches]) for k in batches[0]} if batches else {}
    return {"columns": columns, "units": test_data.units, "warnings": test_data.warnings}


def assert_same(a: str | dict, b: str | dict) -> None:
    assert type(a) is type(b), (a, b)
    if isinstance(a, str):
        assert a == b
        return
    assert a["units"] == b["units"] and a["warnings"] == b["warnings"]
    assert a["columns"].keys() == b["columns"].keys()
    for key, values in a["columns"].items():
        assert values.dtype == b["columns"][key].dtype, key
        np.testing.assert_array_equal(values, b["columns"][key], err_msg=key)
