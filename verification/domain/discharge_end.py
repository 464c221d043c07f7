"""How a discharge ended, from its own samples: at the lower cutoff (a complete capacity test) or
not (the end of the file, a manual stop or a time limit on the plateau, a fragment).

DESIGN.md: an SOH comes only from a discharge that ended at the lower voltage cutoff. The
cutoff is recognised in one of two ways:
(a) the pack's cutoff is known (chemistry and cells in series): the last voltage per cell is at
    or below the chemistry's cutoff ceiling (chemistry.py);
(b) the schedule's own voltage-limited step end shows in the data:
    - a knee: over the last END_SHARE of the discharged Ah the voltage falls KNEE_RATIO times
      faster per Ah than across the middle half (a cell running out of charge; a plateau stop
      falls no faster at its end than before);
    - a CV hold: the voltage held flat at its lowest while the current fell by half or more
      (a CC-CV discharge, e.g. Arbin's 2.0 V hold);
    - a staged end: a lower current ran again to the same voltage (a step-down discharge);
    - the same voltage limit as an earlier discharge of the file that showed one of the above
      (a high-rate discharge is ohmic all the way down and shows no knee, but it stops where the
      slow one did).
What the judge sees is the cycle's decimated discharge curve (curves.Decimator: ~500 points,
whatever the row count), so memory stays bounded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

VOLTAGE_CUTOFF = "voltage cutoff"
STEP_END = "voltage-limited step end"
END_OF_FILE = "end of file"
PLATEAU = "stopped on the plateau"
TOO_SHORT = "too short"

# Below these a discharge is a fragment (a pulse, a few seconds of a test): nothing about its end
# can be told, and it cannot hold a capacity test's charge.
MIN_DISCHARGE_S = 60.0
MIN_DISCHARGE_PAIRS = 2
END_SHARE = 0.03  # "the last few %" of the discharged Ah
MIDDLE = (0.25, 0.75)
# Real files: knees read 2.1-2.9 (2C, 18650/21700), 5-45 at C/10-1C; plateau stops ~0.7-1.
KNEE_RATIO = 2.0
KNEE_MIN_DROP = 0.005  # the knee's fall, as a share of the end voltage (not noise)
CV_FLAT = 0.005  # a CV hold's voltage stays within 0.5 % (at least CV_FLAT_MIN_V) of its end
CV_FLAT_MIN_V = 0.002
CV_CURRENT_FALL = 2.0  # ... while the current falls by this factor
CV_MIN_POINTS = 3
SAME_LIMIT = 0.001  # two ends within 0.1 % (at least SAME_LIMIT_MIN_V) hit the same limit
SAME_LIMIT_MIN_V = 0.001
STEP_DOWN = 0.9  # a staged discharge's next step runs at under 90 % of the previous current


@dataclass(frozen=True)
class DischargeEnd:
    complete: bool
    ended_by: str  # one of the five constants above
    end_voltage_v: float
    evidence: str  # how it was told, a clause for the reason text


def same_limit(a: float, b: float) -> bool:
    return abs(a - b) <= max(SAME_LIMIT * max(abs(a), abs(b)), SAME_LIMIT_MIN_V)


def volts_text(v: float) -> str:
    return f"{v:.2f} V" if abs(v) >= 1 else f"{v:.3g} V"


def judge(
    *,
    ah: np.ndarray,
    volts: np.ndarray,
    amps: np.ndarray,
    discharge_s: float,
    pairs: int,
    at_eof: bool,
    stepped_v: float | None = None,
    cutoff_v: float | None = None,
    cutoff_text: str = "",
    limits: tuple[tuple[float, int], ...] = (),
) -> DischargeEnd:
    """ah (cumulative discharged Ah), volts and amps (|I|): the discharge's curve in order.
    cutoff_v: the pack's cutoff ceiling when chemistry and cells in series are known.
    limits: (voltage, cycle) of earlier discharges that ended at a voltage limit."""
    end_v = float(volts[-1]) if len(volts) else float("nan")
    if pairs < MIN_DISCHARGE_PAIRS or discharge_s < MIN_DISCHARGE_S or len(ah) < 2:
        return DischargeEnd(
            False,
            TOO_SHORT,
            end_v,
            f"lasted only {discharge_s:.3g} s ({pairs} sample intervals): a fragment, "
            "not a capacity test",
        )
    if cutoff_v is not None and end_v <= cutoff_v:
        return DischargeEnd(True, VOLTAGE_CUTOFF, end_v, f"at or below {cutoff_text}")
    knee = _knee(ah, volts)
    if knee is not None:
        return DischargeEnd(
            True,
            STEP_END,
            end_v,
            f"a knee: in the last {END_SHARE:.0%} of the discharge the voltage fell "
            f"{knee:.3g}x faster per Ah than across its middle",
        )
    cv = _cv_hold(volts, amps)
    if cv is not None:
        return DischargeEnd(
            True,
            STEP_END,
            end_v,
            f"a CV hold at its lowest voltage: the current fell from {cv[0]:.4g} A to "
            f"{cv[1]:.4g} A",
        )
    if stepped_v is not None and same_limit(stepped_v, end_v):
        return DischargeEnd(
            True, STEP_END, end_v, "a staged end: a lower current ran again to the same voltage"
        )
    for limit_v, cycle in limits:
        if same_limit(limit_v, end_v):
            return DischargeEnd(
                True,
                STEP_END,
                end_v,
                f"the same voltage limit as cycle {cycle}'s discharge ({volts_text(limit_v)})",
            )
    if at_eof:
        return DischargeEnd(
            False,
            END_OF_FILE,
            end_v,
            "was still running at the file's last sample: the file ends before the lower cutoff",
        )
    return DischargeEnd(
        False,
        PLATEAU,
        end_v,
        "while the voltage was still on its plateau: a manual stop or a time limit, not the "
        "lower cutoff",
    )


def _knee(ah: np.ndarray, volts: np.ndarray) -> float | None:
    """The end-to-middle slope ratio when it is a knee, else None."""
    total = float(ah[-1] - ah[0])
    if not total > 0:
        return None
    x = ah - ah[0]
    end_v = float(volts[-1])
    before = float(np.interp((1 - END_SHARE) * total, x, volts))
    if np.count_nonzero(x >= (1 - END_SHARE) * total) < 2:
        return None  # no sample inside the end window but the last: nothing to read a slope from
    early, late = (float(np.interp(share * total, x, volts)) for share in MIDDLE)
    middle = max((early - late) / (MIDDLE[1] - MIDDLE[0]), 1e-3 * abs(end_v))
    drop = before - end_v
    ratio = drop / END_SHARE / middle
    if ratio >= KNEE_RATIO and drop >= KNEE_MIN_DROP * abs(end_v):
        return ratio
    return None


def _cv_hold(volts: np.ndarray, amps: np.ndarray) -> tuple[float, float] | None:
    """(current at the hold's start, at its end) when the discharge ends in a CV hold."""
    end_v = float(volts[-1])
    band = max(CV_FLAT * abs(end_v), CV_FLAT_MIN_V)
    if float(volts.min()) < end_v - band:
        return None  # not at its lowest voltage
    off = np.flatnonzero(np.abs(volts - end_v) > band)
    start = int(off[-1]) + 1 if off.size else 0
    if len(volts) - start < CV_MIN_POINTS:
        return None
    held = float(amps[start:].max())
    if held >= CV_CURRENT_FALL * float(amps[-1]) and held > 0:
        return held, float(amps[-1])
    return None


def stepped_end(ah: np.ndarray, volts: np.ndarray, amps: np.ndarray) -> float | None:
    """The end voltage of the discharge step before the last one, when the last one ran at a
    lower current (a step-down discharge: it rests, rebounds, and runs again slower)."""
    if len(volts) < 4:
        return None
    rise = np.diff(volts)
    band = np.maximum(CV_FLAT * np.abs(volts[:-1]), CV_FLAT_MIN_V)
    rebounds = np.flatnonzero((rise > band) & (np.diff(ah) <= 1e-9 + 1e-6 * abs(float(ah[-1]))))
    if not rebounds.size:
        return None
    at = int(rebounds[-1])
    before = float(np.median(amps[max(0, at - 3) : at + 1]))
    after = float(np.median(amps[at + 1 :]))
    if after < STEP_DOWN * before:
        return float(volts[at])
    return None
