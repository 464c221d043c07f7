"""fingerprint: cycle count and per-cycle Ah and Wh to 4 significant figures."""

import hashlib

import pytest

from verification.domain.fingerprint import fingerprint


def row(c_ah: float, d_ah: float, c_wh: float, d_wh: float, **extra: object) -> dict:
    return {
        "charge_capacity_ah": c_ah,
        "discharge_capacity_ah": d_ah,
        "charge_energy_wh": c_wh,
        "discharge_energy_wh": d_wh,
        **extra,
    }


def test_exact_digest() -> None:
    rows = [row(40.011, 39.9997, 2421.69, 2359.84), row(1, 2, 3, 4)]
    text = "2;40.01,40,2422,2360;1,2,3,4"
    assert fingerprint(rows) == hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize(
    "rows",
    [
        [],
        [row(1, 0, 1, 0)],
        [row(1, 0.0, 1, 0), row(2, -1.0, 2, 0)],
        [{"discharge_capacity_ah": None}],
    ],
)
def test_nothing_discharged_is_none(rows: list[dict]) -> None:
    assert fingerprint(rows) is None


def test_missing_discharge_key_counts_as_none() -> None:
    assert fingerprint([{"charge_capacity_ah": 1.0}]) is None


def test_below_four_significant_figures_is_the_same() -> None:
    a = [row(40.01, 39.99, 2421.0, 2359.0)]
    b = [row(40.0104, 39.9904, 2421.4, 2359.4, cycle=7, c_rate=0.3)]
    assert fingerprint(a) == fingerprint(b)


@pytest.mark.parametrize("field", range(4))
def test_a_change_in_the_fourth_figure_of_any_field_differs(field: int) -> None:
    base = [40.01, 39.99, 2421.0, 2359.0]
    changed = list(base)
    changed[field] = {0: 40.02, 1: 40.0, 2: 2422.0, 3: 2360.0}[field]
    assert fingerprint([row(*base)]) != fingerprint([row(*changed)])


def test_cycle_count_and_order_matter() -> None:
    one, two = row(1, 1, 1, 1), row(2, 2, 2, 2)
    assert fingerprint([one, two]) != fingerprint([two, one])
    assert fingerprint([one]) != fingerprint([one, one])


def test_is_sha256_hex() -> None:
    digest = fingerprint([row(1, 1, 1, 1)])
    assert digest is not None and len(digest) == 64 and int(digest, 16) >= 0
