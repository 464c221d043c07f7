"""Cycle numbers derived from the current direction."""

import numpy as np
import pytest

from tests.verification.oracles import derive_cycles
from verification.domain.formats.cycles import CounterCheck


def test_a_new_cycle_at_each_charge_after_a_discharge() -> None:
    current = np.array([0, -1, -1, 0, 1, 1, 0, -1, 0, 1, -1, -1, 2])
    assert derive_cycles(current, rest_threshold_a=0.1).tolist() == [
        1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 4,
    ]  # fmt: skip


def test_rests_and_small_currents_do_not_split_cycles() -> None:
    # a CV tail below the threshold and rest noise around a discharge
    current = np.array([1.0, 0.05, -0.0001, 0.0001, -1.0, -0.02, 0.03, -1.0])
    assert derive_cycles(current, rest_threshold_a=0.1).tolist() == [1] * 8
    assert derive_cycles(current, rest_threshold_a=0.0).tolist() == [1, 1, 1, 2, 2, 2, 3, 3]


def test_charge_first_and_empty_input() -> None:
    assert derive_cycles(np.array([2.0, 2.0, -2.0]), rest_threshold_a=0).tolist() == [1, 1, 1]
    assert derive_cycles(np.array([]), rest_threshold_a=0).tolist() == []
    with pytest.raises(ValueError):
        derive_cycles(np.array([1.0]), rest_threshold_a=float("nan"))


def test_counter_check_across_batches() -> None:
    check = CounterCheck("Test export", "Cyc#")
    current = np.array([1.0, -1.0, 0.0, 1.0, -1.0, 1.0, -1.0])
    cycle = np.zeros(len(current), np.int64)
    check.add(current[:4], cycle[:4])
    check.add(current[4:], cycle[4:])
    assert "cycle 0 as numbered by 'Cyc#' holds 3 discharges" in check.warning()


def test_counter_check_is_quiet_when_the_counter_advances() -> None:
    check = CounterCheck("Test export", "Cycle")
    current = np.array([-1.0, -1.0, 0, -0.5, 1.0, 0, -1.0, 1.0])  # two discharge steps, cycle 1
    check.add(current, np.array([1, 1, 1, 1, 1, 2, 2, 2]))
    assert check.warning() is None
