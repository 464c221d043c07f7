"""discharge_end.judge / stepped_end / same_limit, and capacity_test's end_judge and wording."""

import math

import numpy as np
import pytest

from verification.domain import discharge_end as de
from verification.domain.capacity_test import CapacityTest, capacity_test, end_judge
from verification.domain.cycles import CycleTotals
from verification.domain.discharge_end import DischargeEnd, judge, same_limit, stepped_end

PLATEAU_TEXT = (
    "while the voltage was still on its plateau: a manual stop or a time limit, not the lower "
    "cutoff"
)
EOF_TEXT = "was still running at the file's last sample: the file ends before the lower cutoff"


def linear(n: int = 101, top: float = 4.0, end: float = 3.5) -> tuple[np.ndarray, ...]:
    ah = np.linspace(0.0, 10.0, n)
    return ah, np.linspace(top, end, n), np.full(n, 5.0)


def kneed() -> tuple[np.ndarray, ...]:
    ah = np.linspace(0.0, 10.0, 1001)
    volts = 4.0 - 0.02 * ah - np.where(ah > 9.7, 5.0 * (ah - 9.7), 0.0)
    return ah, volts, np.full(1001, 5.0)


def cv_hold(last_amps: float = 2.0) -> tuple[np.ndarray, ...]:
    ah = np.concatenate([np.linspace(0.0, 9.5, 90), np.linspace(9.55, 10.0, 10)])
    volts = np.concatenate([np.linspace(4.0, 3.0, 90), np.full(10, 3.0)])
    amps = np.concatenate([np.full(90, 10.0), np.linspace(10.0, last_amps, 10)])
    return ah, volts, amps


def run(curve: tuple[np.ndarray, ...], **kwargs: object) -> DischargeEnd:
    ah, volts, amps = curve
    args = {"discharge_s": 3600.0, "pairs": len(ah) - 1, "at_eof": False, **kwargs}
    return judge(ah=ah, volts=volts, amps=amps, **args)


@pytest.mark.parametrize(("seconds", "pairs"), [(59.9, 100), (3600.0, 1), (0.0, 0)])
def test_too_short(seconds: float, pairs: int) -> None:
    result = run(linear(), discharge_s=seconds, pairs=pairs, cutoff_v=5.0)
    assert result == DischargeEnd(
        False,
        de.TOO_SHORT,
        3.5,
        f"lasted only {seconds:.3g} s ({pairs} sample intervals): a fragment, not a capacity test",
    )


def test_exactly_the_minimum_is_judged() -> None:
    assert run(linear(), discharge_s=60.0, pairs=2).ended_by == de.PLATEAU


def test_empty_curve_is_too_short_with_nan_end() -> None:
    empty = np.array([])
    result = judge(ah=empty, volts=empty, amps=empty, discharge_s=100.0, pairs=5, at_eof=True)
    assert result.ended_by == de.TOO_SHORT and math.isnan(result.end_voltage_v)


def test_one_sample_is_too_short() -> None:
    one = np.array([1.0])
    result = judge(ah=one, volts=one * 3, amps=one, discharge_s=100.0, pairs=5, at_eof=False)
    assert (result.complete, result.ended_by, result.end_voltage_v) == (False, de.TOO_SHORT, 3.0)


@pytest.mark.parametrize(("cutoff", "ended_by"), [(3.5, de.VOLTAGE_CUTOFF), (3.49, de.PLATEAU)])
def test_pack_cutoff_is_inclusive(cutoff: float, ended_by: str) -> None:
    result = run(linear(), cutoff_v=cutoff, cutoff_text="the cutoff")
    assert result.ended_by == ended_by
    if ended_by == de.VOLTAGE_CUTOFF:
        assert result == DischargeEnd(True, de.VOLTAGE_CUTOFF, 3.5, "at or below the cutoff")


def test_knee() -> None:
    result = run(kneed(), at_eof=True)
    assert (result.complete, result.ended_by) == (True, de.STEP_END)
    assert result.end_voltage_v == pytest.approx(2.3)
    assert result.evidence.startswith("a knee: in the last 3% of the discharge the voltage fell 25")
    assert result.evidence.endswith("x faster per Ah than across its middle")


@pytest.mark.parametrize("at_eof", [False, True])
def test_a_straight_line_has_no_knee(at_eof: bool) -> None:
    result = run(linear(), at_eof=at_eof)
    expected = (de.END_OF_FILE, EOF_TEXT) if at_eof else (de.PLATEAU, PLATEAU_TEXT)
    assert result == DischargeEnd(False, *expected[:1], 3.5, expected[1])


def test_a_tiny_fall_at_the_end_is_noise_not_a_knee() -> None:
    ah = np.linspace(0.0, 10.0, 1001)
    volts = np.where(ah > 9.7, 3.0 - 0.01 * (ah - 9.7) / 0.3, 3.0)  # 10 mV < 0.5 % of 2.99 V
    assert run((ah, volts, np.full(1001, 5.0))).ended_by == de.PLATEAU


def test_no_sample_inside_the_end_window_is_no_knee() -> None:
    curve = (np.array([0.0, 5.0, 10.0]), np.array([4.0, 3.9, 2.0]), np.full(3, 5.0))
    assert run(curve, pairs=2).ended_by == de.PLATEAU


def test_no_discharged_ah_is_no_knee() -> None:
    curve = (np.zeros(5), np.linspace(4.0, 3.0, 5), np.full(5, 5.0))
    assert run(curve).ended_by == de.PLATEAU


def test_cv_hold() -> None:
    assert run(cv_hold(), at_eof=True) == DischargeEnd(
        True, de.STEP_END, 3.0, "a CV hold at its lowest voltage: the current fell from 10 A to 2 A"
    )


@pytest.mark.parametrize(("last", "complete"), [(5.0, True), (5.01, False)])
def test_cv_hold_needs_the_current_to_halve(last: float, complete: bool) -> None:
    assert run(cv_hold(last)).complete is complete


def test_cv_hold_must_be_at_the_lowest_voltage() -> None:
    ah, volts, amps = cv_hold()
    volts = volts.copy()
    volts[50] = 2.9  # dipped below the held voltage earlier
    assert run((ah, volts, amps)).ended_by == de.PLATEAU


def test_staged_end() -> None:
    result = run(linear(), stepped_v=3.5 * 1.0009)
    assert result == DischargeEnd(
        True, de.STEP_END, 3.5, "a staged end: a lower current ran again to the same voltage"
    )
    assert run(linear(), stepped_v=3.6).ended_by == de.PLATEAU


def test_same_limit_as_an_earlier_cycle() -> None:
    result = run(linear(), at_eof=True, limits=((3.7, 1), (3.5005, 4)))
    assert result == DischargeEnd(
        True, de.STEP_END, 3.5, "the same voltage limit as cycle 4's discharge (3.50 V)"
    )
    assert run(linear(), at_eof=True, limits=((3.51, 2),)).ended_by == de.END_OF_FILE


def test_knee_is_told_before_cv_and_limits() -> None:
    result = run(kneed(), stepped_v=2.3, limits=((2.3, 1),))
    assert result.evidence.startswith("a knee")


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (3.0, 3.003, True),
        (3.0, 3.0031, False),
        (0.5, 0.5009, True),  # at least 1 mV
        (0.5, 0.5011, False),
        (-3.0, -3.003, True),
        (51.2, 51.25, True),
        (51.2, 51.26, False),
    ],
)
def test_same_limit(a: float, b: float, same: bool) -> None:
    assert same_limit(a, b) is same
    assert same_limit(b, a) is same


@pytest.mark.parametrize(
    ("v", "text"), [(3.0, "3.00 V"), (51.2, "51.20 V"), (1.0, "1.00 V"), (0.5, "0.5 V"),
                    (0.12345, "0.123 V"), (-2.5, "-2.50 V")],
)  # fmt: skip
def test_volts_text(v: float, text: str) -> None:
    assert de.volts_text(v) == text


def stepped(after_amps: float) -> tuple[np.ndarray, ...]:
    ah = np.array([0.0, 1.0, 2.0, 2.0, 3.0, 4.0])
    volts = np.array([3.5, 3.2, 3.0, 3.3, 3.1, 3.0])
    amps = np.array([10.0, 10.0, 10.0, after_amps, after_amps, after_amps])
    return ah, volts, amps


def test_stepped_end() -> None:
    assert stepped_end(*stepped(5.0)) == 3.0
    assert stepped_end(*stepped(9.0)) is None  # not under 90 % of the previous current
    assert stepped_end(*stepped(8.99)) == 3.0


def test_stepped_end_needs_a_rebound_without_charge() -> None:
    assert stepped_end(*linear()) is None
    ah, volts, amps = stepped(5.0)
    ah = np.array([0.0, 1.0, 2.0, 2.5, 3.0, 4.0])  # Ah moved during the rise: no rest
    assert stepped_end(ah, volts, amps) is None
    assert stepped_end(ah[:3], volts[:3], amps[:3]) is None


def test_end_judge_without_cells_has_no_cutoff() -> None:
    judge_end, cutoff = end_judge(cells_series=None, chemistry="not a chemistry")
    assert cutoff is None
    ah, volts, amps = linear(end=0.1)
    assert judge_end(ah, volts, amps, 3600.0, 100, False, ()).ended_by == de.PLATEAU


def test_end_judge_binds_the_pack_cutoff() -> None:
    judge_end, cutoff = end_judge(cells_series=16, chemistry="nmc")
    assert cutoff == pytest.approx(51.2)
    ah, volts, amps = linear(top=60.0, end=51.2)
    assert judge_end(ah, volts, amps, 3600.0, 100, True, ()) == DischargeEnd(
        True,
        de.VOLTAGE_CUTOFF,
        51.2,
        "at or below the NMC lower cutoff (3.2 V per cell x 16 in series = 51.20 V)",
    )
    ah, volts, amps = linear(top=60.0, end=51.3)
    assert judge_end(ah, volts, amps, 3600.0, 100, True, ()).ended_by == de.END_OF_FILE


def test_end_judge_unknown_chemistry_uses_2_8_v() -> None:
    _, cutoff = end_judge(cells_series=4, chemistry=None)
    assert cutoff == pytest.approx(11.2)


def test_end_judge_passes_the_staged_end() -> None:
    judge_end, _ = end_judge(cells_series=None, chemistry=None)
    ah, volts, amps = stepped(5.0)
    result = judge_end(ah, volts, amps, 3600.0, 5, False, ())
    assert result.evidence == "a staged end: a lower current ran again to the same voltage"


def test_end_judge_bad_chemistry() -> None:
    with pytest.raises(ValueError, match="chemistry must be one of"):
        end_judge(cells_series=16, chemistry="LiPo")


KNEE = DischargeEnd(True, de.STEP_END, 3.0, "a knee: ...")
PLATEAU = DischargeEnd(False, de.PLATEAU, 3.3, PLATEAU_TEXT)
EOF_END = DischargeEnd(False, de.END_OF_FILE, 3.31, EOF_TEXT)
SHORT = DischargeEnd(False, de.TOO_SHORT, 3.9, "lasted only 5 s (1 sample intervals): a fragment")


def totals(ah: float, end: DischargeEnd | None) -> CycleTotals:
    return CycleTotals(discharge_ah=ah, end=end)


def test_chosen_cycle_with_later_incomplete_ones() -> None:
    cycles = {
        1: totals(10.0, PLATEAU),  # before the chosen one: not warned
        2: totals(40.0, KNEE),
        3: totals(20.0, PLATEAU),
        4: totals(1.0, SHORT),
        5: totals(30.0, EOF_END),
        6: totals(5.0, PLATEAU),  # past LISTED
        7: totals(0.0, None),
    }
    assert capacity_test(cycles, 2, None) == CapacityTest(
        True,
        "cycle 2's discharge ended at 3.00 V: a knee: ...",
        2,
        3.0,
        de.STEP_END,
        (
            f"cycle 3's discharge (20 Ah) not used for SOH: stopped at 3.30 V {PLATEAU_TEXT}",
            f"cycle 4's discharge (1 Ah) not used for SOH: {SHORT.evidence}",
            f"cycle 5's discharge (30 Ah) not used for SOH: reached 3.31 V and {EOF_TEXT}",
        ),
    )


def test_chosen_cycle_not_judged() -> None:
    cycles = {1: totals(40.0, None), 2: totals(12.345, PLATEAU)}
    result = capacity_test(cycles, 1, 51.2)
    assert result == CapacityTest(
        True,
        "",
        1,
        None,
        None,
        (f"cycle 2's discharge (12.35 Ah) not used for SOH: stopped at 3.30 V {PLATEAU_TEXT}",),
    )


@pytest.mark.parametrize(
    ("cutoff", "where"), [(None, ""), (51.2, "; the pack's lower cutoff is 51.20 V")]
)
def test_no_complete_discharge_names_the_largest(cutoff: float | None, where: str) -> None:
    cycles = {1: totals(30.0, PLATEAU), 2: totals(35.0, EOF_END), 3: totals(1.0, SHORT)}
    result = capacity_test(cycles, None, cutoff)
    reason = (
        "no complete capacity test: no discharge in the file ended at the lower cutoff. The "
        f"largest, cycle 2's (35 Ah), reached 3.31 V and {EOF_TEXT}{where}"
    )
    assert result == CapacityTest(
        False, reason, 2, 3.31, de.END_OF_FILE, (f"SOH not measured: {reason}",)
    )
    assert result.as_dict() == {
        "complete": False,
        "reason": reason,
        "cycle": 2,
        "end_voltage_v": 3.31,
        "ended_by": de.END_OF_FILE,
    }


def test_only_a_fragment() -> None:
    result = capacity_test({4: totals(0.5, SHORT)}, None, None)
    assert result.reason.endswith(f"The largest, cycle 4's (0.5 Ah), {SHORT.evidence}")


def test_no_judged_discharge_at_all_is_no_complete_test_not_a_crash() -> None:
    result = capacity_test({}, None, 3.2)
    assert result.complete is False and result.cycle is None
    assert result.warnings == (
        "SOH not measured: no complete capacity test: no discharge in the file could be judged",
    )
