"""Whatever a supplier uploads, the outcome is figures or a TestDataError, never a crash."""

import io
import math
import random
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.verification.oracles import CapacityResult, open_canonical_csv, summarise_cycles
from verification.domain import TestDataError, synthetic_cycling_csv

VALID = synthetic_cycling_csv(
    chemistry="LFP", nominal_capacity_ah=20, cells_series=4, soh_pct=80, sample_interval_s=600
).encode()
VALID_LINES = VALID.splitlines(keepends=True)
FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,  # no .hypothesis/ directory in the project
    suppress_health_check=[HealthCheck.too_slow],
)


def outcome(data: bytes) -> CapacityResult | None:
    try:
        parsed = open_canonical_csv(io.BytesIO(data))
        result = summarise_cycles(parsed)
    except TestDataError as err:
        assert str(err)
        assert err.row is None or str(err).startswith(f"row {err.row}: ")
        return None
    figures = [v for c in result.cycles for v in c.to_dict().values()]
    assert all(map(math.isfinite, [*figures, result.mean_discharge_current_a]))
    assert result.discharge_capacity_ah > 0
    return result


def test_the_valid_file_measures() -> None:
    assert outcome(VALID) is not None


@FUZZ
@given(st.binary(max_size=4000))
def test_arbitrary_bytes(data: bytes) -> None:
    outcome(data)


@FUZZ
@given(st.text(max_size=2000))
def test_arbitrary_text(text: str) -> None:
    outcome(text.encode())


@FUZZ
@given(st.text(alphabet="0123456789.,-+eE\n\r naif_\"'", max_size=600))
def test_csv_like_text_after_a_valid_header(body: str) -> None:
    outcome(VALID_LINES[0] + body.encode())


@FUZZ
@given(st.permutations(VALID_LINES))
def test_shuffled_lines(lines: list[bytes]) -> None:
    outcome(b"".join(lines))


@FUZZ
@given(st.integers(min_value=0, max_value=len(VALID)))
def test_truncated(cut: int) -> None:
    outcome(VALID[:cut])


@FUZZ
@given(st.integers(min_value=0, max_value=len(VALID) - 1), st.binary(min_size=1, max_size=3))
def test_corrupted(at: int, junk: bytes) -> None:
    outcome(VALID[:at] + junk + VALID[at + len(junk) :])


def assert_quick_test_data_error(data: bytes) -> None:
    started = time.perf_counter()
    assert outcome(data) is None
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, f"took {elapsed:.2f} s"


def test_twelve_megabytes_of_junk_on_one_line() -> None:
    junk = random.Random(0).randbytes(12 * 1024 * 1024).replace(b"\n", b"").replace(b"\r", b"")
    assert_quick_test_data_error(junk)
    assert_quick_test_data_error(b"x" * 12 * 1024 * 1024)
    assert_quick_test_data_error(VALID_LINES[0] + b"1," * 6 * 1024 * 1024)
