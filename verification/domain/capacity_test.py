"""Whether a file holds a complete capacity test, and the words that say so.

discharge_end.py judges each discharge as its cycle ends; this module binds the pack's cutoff
into that judge and, at the end, states the result: the cycle SOH is read on and how it ended,
or, when no discharge ended at the lower cutoff, the best one and why it is not a capacity test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import discharge_end
from .chemistry import cell_limits
from .cycles import CycleTotals, EndJudge

LISTED = 3


@dataclass(frozen=True)
class CapacityTest:
    complete: bool
    reason: str
    cycle: int | None
    end_voltage_v: float | None
    ended_by: str | None
    warnings: tuple[str, ...]

    def as_dict(self) -> dict:
        return {
            "complete": self.complete,
            "reason": self.reason,
            "cycle": self.cycle,
            "end_voltage_v": self.end_voltage_v,
            "ended_by": self.ended_by,
        }


def end_judge(*, cells_series: int | None, chemistry: str | None) -> tuple[EndJudge, float | None]:
    """The per-discharge judge, with the pack's lower cutoff when cells in series are known
    (per-cell cutoff ceiling of the chemistry x cells in series), and that cutoff."""
    cutoff_v = None
    cutoff_text = ""
    if cells_series is not None:
        limits = cell_limits(chemistry)
        cutoff_v = limits.cutoff_ceiling_v * cells_series
        cutoff_text = (
            f"the {limits.chemistry} lower cutoff ({limits.cutoff_ceiling_v:g} V per cell x "
            f"{cells_series} in series = {discharge_end.volts_text(cutoff_v)})"
        )

    def judge(
        ah: np.ndarray,
        volts: np.ndarray,
        amps: np.ndarray,
        discharge_s: float,
        pairs: int,
        at_eof: bool,
        limits: tuple[tuple[float, int], ...],
    ) -> discharge_end.DischargeEnd:
        return discharge_end.judge(
            ah=ah,
            volts=volts,
            amps=amps,
            discharge_s=discharge_s,
            pairs=pairs,
            at_eof=at_eof,
            stepped_v=discharge_end.stepped_end(ah, volts, amps),
            cutoff_v=cutoff_v,
            cutoff_text=cutoff_text,
            limits=limits,
        )

    return judge, cutoff_v


def capacity_test(
    cycles: dict[int, CycleTotals], chosen: int | None, cutoff_v: float | None
) -> CapacityTest:
    ends = {n: t.end for n, t in cycles.items() if t.end is not None}
    incomplete = [n for n, end in ends.items() if not end.complete]
    if chosen is not None:
        end = cycles[chosen].end
        later = [n for n in incomplete if n > chosen]
        warnings = tuple(
            f"cycle {n}'s discharge ({cycles[n].discharge_ah:.4g} Ah) not used for SOH: "
            f"{_sentence(n, cycles[n])}"
            for n in later[:LISTED]
        )
        if end is None:  # not judged (no judge given): every discharge counts
            return CapacityTest(True, "", chosen, None, None, warnings)
        return CapacityTest(
            True,
            f"cycle {chosen}'s discharge ended at {discharge_end.volts_text(end.end_voltage_v)}: "
            f"{end.evidence}",
            chosen,
            end.end_voltage_v,
            end.ended_by,
            warnings,
        )
    if not incomplete:
        reason = "no complete capacity test: no discharge in the file could be judged"
        return CapacityTest(False, reason, None, None, None, (f"SOH not measured: {reason}",))
    best = max(incomplete, key=lambda n: cycles[n].discharge_ah)
    end = ends[best]
    where = (
        ""
        if cutoff_v is None
        else f"; the pack's lower cutoff is {discharge_end.volts_text(cutoff_v)}"
    )
    largest = f"cycle {best}'s ({cycles[best].discharge_ah:.4g} Ah)"
    reason = (
        f"no complete capacity test: no discharge in the file ended at the lower cutoff. The "
        f"largest, {largest}, {_sentence(best, cycles[best])}{where}"
    )
    return CapacityTest(
        False,
        reason,
        best,
        end.end_voltage_v,
        end.ended_by,
        (f"SOH not measured: {reason}",),
    )


def _sentence(number: int, totals: CycleTotals) -> str:
    end = totals.end
    assert end is not None
    v = discharge_end.volts_text(end.end_voltage_v)
    if end.ended_by == discharge_end.TOO_SHORT:
        return end.evidence
    if end.ended_by == discharge_end.END_OF_FILE:
        return f"reached {v} and {end.evidence}"
    return f"stopped at {v} {end.evidence}"
