"""Fuzzing the whole path an upload takes (detect, read, measure) with damaged real files:
truncated, shuffled, corrupted, padded with binary. Every outcome is figures that are finite or
a TestDataError that says what is wrong; no other exception reaches the worker."""

from __future__ import annotations

import io
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cycler_files import DATA
from verification.domain import TestDataError
from verification.domain.measure import measure

# Heads of the real files keep each example fast; every head still holds cycling data.
HEAD_BYTES = 150_000
FILES = {
    name: (DATA / name).read_bytes()[:HEAD_BYTES]
    for name in (
        "arbin_example.csv",
        "xTESLADIAG_000019_CH70.070",
        "maccor_001.txt",
        "maccor_002.txt",
        "neware_uio.csv",
    )
}
BINARY = {name: (DATA / name).read_bytes() for name in ("biol.mpr",)}
FUZZ = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def outcome(raw: bytes, name: str, declared: str | None = None) -> str:
    try:
        figures = measure(
            io.BytesIO(raw), nominal_capacity_ah=5.0, filename=name, declared_format=declared
        )
    except TestDataError as err:
        assert str(err).strip(), "an error must say what is wrong"
        return "refused"
    result = figures.to_dict()
    numbers = [result["discharge_capacity_ah"], result["soh_pct"]]
    numbers += [c["discharge_capacity_ah"] for c in result["cycles"]]
    assert all(n is None or math.isfinite(n) for n in numbers)
    assert result["soh_pct"] is None or result["soh_pct"] >= 0
    return "measured"


@FUZZ
@given(st.sampled_from(sorted(FILES)), st.floats(0, 1))
def test_truncated(name: str, share: float) -> None:
    raw = FILES[name]
    outcome(raw[: int(len(raw) * share)], name)


@FUZZ
@given(st.sampled_from(sorted(FILES)), st.randoms(use_true_random=False))
def test_shuffled_body(name: str, rng) -> None:
    lines = FILES[name].splitlines(keepends=True)
    head, body = lines[:15], lines[15:]
    rng.shuffle(body)
    outcome(b"".join(head + body), name)


@FUZZ
@given(
    st.sampled_from(sorted(FILES)),
    st.lists(st.tuples(st.floats(0, 1), st.binary(min_size=1, max_size=8)), max_size=6),
)
def test_corrupted_bytes(name: str, damage: list[tuple[float, bytes]]) -> None:
    raw = bytearray(FILES[name])
    for share, junk in damage:
        at = int((len(raw) - 1) * share)
        raw[at : at + len(junk)] = junk
    outcome(bytes(raw), name)


@FUZZ
@given(st.sampled_from(sorted(FILES)), st.binary(min_size=1, max_size=2000), st.booleans())
def test_binary_spliced_in(name: str, junk: bytes, at_start: bool) -> None:
    raw = FILES[name]
    outcome(junk + raw if at_start else raw[: len(raw) // 2] + junk + raw[len(raw) // 2 :], name)


@FUZZ
@given(
    st.sampled_from(sorted(FILES)),
    st.sampled_from(
        ["canonical_csv", "arbin_csv", "maccor_txt", "neware_csv", "biologic_mpt", "bms_snapshot"]
    ),
)
def test_a_wrongly_declared_text_format(name: str, declared: str) -> None:
    outcome(FILES[name], name, declared)


@settings(max_examples=25, deadline=None, database=None)
@given(st.floats(0, 1), st.binary(min_size=1, max_size=16))
def test_corrupted_mpr(share: float, junk: bytes) -> None:
    raw = bytearray(BINARY["biol.mpr"])
    at = int((len(raw) - 1) * share)
    raw[at : at + len(junk)] = junk
    outcome(bytes(raw), "biol.mpr")


def test_a_last_row_with_more_fields_than_the_one_before_is_no_torn_row() -> None:
    """Found by test_corrupted_bytes: NUL bytes near the end of a Maccor export gave the last
    row more fields than the row before it, and the torn-tail check looked past the end."""
    raw = bytearray(FILES["maccor_001.txt"])
    at = int((len(raw) - 1) * 0.9987523823345066)
    raw[at : at + 4] = b"\x00\x00\x00\x00"
    assert outcome(bytes(raw), "maccor_001.txt") in {"refused", "measured"}
