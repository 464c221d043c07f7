"""What verification measures (DESIGN.md), computed from TestData in one pass over its batches.

Memory grows with cycles and chart points, never with rows: each batch is reduced with numpy and
only per-cycle totals, one candidate discharge curve per test rate, the DCIR steps and one open
rest are kept.

Conventions a reader of the figures needs:
- SOH comes only from a *complete capacity test*: a discharge that ended at the lower cutoff
  (discharge_end.py), not at the end of the file, a manual stop or a time limit. Among complete
  discharges it is the last one of at least 80 % of the largest, at the lowest rate in the file
  (cycle_choice.py), so a faster rate-test discharge is not read as lost capacity (warned). A
  file without one keeps its per-cycle figures and has no SOH; `capacity_test` says why.
- No figure depends on the nominal or the claim: the rest threshold comes from the data (a
  thousandth of the first batch's peak current, at most 1 mA); the nominal only turns Ah into
  SOH and C-rate.
- Mean discharge current and C-rate are magnitudes (positive), as in the reference integrator.
- capacity_fade_pct_per_100_cycles and self_discharge_mv_per_day are *losses*: positive when
  capacity or voltage falls. Fade is fitted over the full cycles (the 80 % rule) and needs three.
- A cycle counter that lets one cycle hold several charge/discharge pairs is replaced by cycles
  re-derived from the current: each charge after a discharge starts a new cycle (warned).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass
from statistics import median

import numpy as np

from .capacity_test import capacity_test, end_judge
from .cells import spread_and_weakest
from .counter import counter_warnings
from .curves import as_pairs
from .cycle_choice import CycleFigures, choose_cycle, choose_numbering, cycle_row, fade
from .errors import TestDataError
from .fingerprint import fingerprint
from .onepass import OnePass
from .testdata import Batch, TestData

# Below the rest threshold a sample is neither charge nor discharge: 1 mA (the reference
# integrator's default) for packs and cells, a thousandth of the test's own current for coin
# cells whose whole test runs at a fraction of a milliamp.
REST_CURRENT_A = 1e-3
REST_SHARE_OF_PEAK = 1e-3
CURVE_POINTS = 500
# A measured capacity this far above nominal is not a healthy pack: the nominal is wrong, or a
# column's unit is (core.constraints.MEASURED_SOH_MAX_PCT stores nothing above it either).
SOH_PLAUSIBLE_MAX_PCT = 110.0


@dataclass(frozen=True, slots=True)
class DcirFigure:
    """One DC resistance pulse: the cycle (in the numbering the figures use), the step, when it
    started, the current step that drove it, its length and the resistance it gave."""

    cycle: int
    step: int
    time_s: float
    current_step_a: float
    duration_s: float
    resistance_mohm: float
    ratio_to_baseline: float | None


@dataclass(frozen=True)
class Figures:
    format: str
    units: dict
    cycles: tuple[CycleFigures, ...]
    discharge_capacity_ah: float | None
    cycle_used: int | None
    soh_pct: float | None
    soh_definition: str
    soh_basis: dict
    soh_by_definition: dict  # "capacity" and "energy" -> SOH %, None where not measurable
    bms_soh_pct: float | None  # reported by a BMS, never measured; None for time series
    dcir: tuple[DcirFigure, ...]
    dcir_summary: dict  # "1" (s, as text for JSON) -> median mOhm or None
    cell_spread_mv: float | None
    max_cell_spread_mv: float | None
    weakest_cell: dict | None
    capacity_fade_pct_per_100_cycles: float | None
    self_discharge_mv_per_day: float | None
    sample_count: int
    curves: dict
    warnings: tuple[str, ...]
    # {"complete", "reason", "cycle", "end_voltage_v", "ended_by"}: whether the file holds a
    # discharge that ended at the lower cutoff, the one SOH is read on (or the best one that did
    # not, and why not). None for a BMS snapshot.
    capacity_test: dict | None = None
    counter_check: dict | None = None  # integrated current vs the cycler's own counter
    fingerprint: str | None = None  # the measurement itself, to find it offered twice
    voltage_range_v: tuple[float, float] | None = None  # while current flows
    peak_discharge_current_a: float | None = None
    rest_threshold_a: float | None = None

    def to_dict(self) -> dict:
        """Plain JSON-ready values (None for non-finite numbers): done once per measurement, as
        it copies every cycle and chart point."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


def _plain(value: object) -> object:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value


def compute_figures(
    data: TestData,
    *,
    nominal_capacity_ah: float,
    nominal_energy_wh: float | None = None,
    baseline_resistance_mohm: float | None = None,
    soh_definition: str = "capacity",
    dcir_durations_s: tuple[float, ...] = (1.0, 10.0),
    on_batch: Callable[[], None] | None = None,
    cells_series: int | None = None,
    chemistry: str | None = None,
) -> Figures:
    """All figures from one pass over data.batches(); TestDataError for data that cannot give
    them (no discharge, too few samples), ValueError for bad arguments. `on_batch` is called
    after each batch, on this thread (progress reports). cells_series and chemistry, when
    known, give the pack's lower cutoff, one way to tell a complete capacity test."""
    nominal_capacity_ah = _positive("nominal_capacity_ah", nominal_capacity_ah)
    nominal_energy_wh = _positive("nominal_energy_wh", nominal_energy_wh, optional=True)
    baseline_resistance_mohm = _positive(
        "baseline_resistance_mohm", baseline_resistance_mohm, optional=True
    )
    if soh_definition not in ("capacity", "energy"):
        raise ValueError("soh_definition must be 'capacity' or 'energy'")
    if soh_definition == "energy" and nominal_energy_wh is None:
        raise TestDataError(
            "SOH by energy needs the pack model's nominal energy; it has none, so use SOH by "
            "capacity or add the nominal energy"
        )
    durations = tuple(float(d) for d in dcir_durations_s)
    if not all(math.isfinite(d) and d > 0 for d in durations):
        raise ValueError("dcir_durations_s must be positive numbers of seconds")
    if cells_series is not None and not (isinstance(cells_series, int) and cells_series > 0):
        raise ValueError("cells_series must be a positive whole number")
    if data.snapshot is not None:
        return _snapshot_figures(data, soh_definition, durations)
    judge_end, cutoff_v = end_judge(cells_series=cells_series, chemistry=chemistry)
    one_pass: OnePass | None = None
    waiting: list[Batch] = []  # batches before the first one with current set the threshold
    batches = data.batches()
    try:
        for batch in batches:
            if one_pass is None:
                waiting.append(batch)
                threshold = _rest_threshold_a(batch)
                if threshold is None:
                    continue
                one_pass = OnePass(durations, threshold, CURVE_POINTS, judge_end)
                for held in waiting:
                    one_pass.add(held)
                waiting = []
            else:
                one_pass.add(batch)
            if on_batch is not None:
                on_batch()
        if one_pass is None:
            one_pass = OnePass(durations, REST_CURRENT_A, CURVE_POINTS, judge_end)
            for held in waiting:
                one_pass.add(held)
    finally:
        # A reader may hold a thread or a file open until its generator is closed; an error
        # raised here must not leave that to the garbage collector.
        close = getattr(batches, "close", None)
        if close is not None:
            close()
    one_pass.finish()
    return _assemble(
        data,
        one_pass,
        nominal_capacity_ah,
        nominal_energy_wh,
        soh_definition,
        baseline_resistance_mohm,
        cutoff_v,
    )


def _rest_threshold_a(batch: Batch) -> float | None:
    """A thousandth of the batch's peak current, at most REST_CURRENT_A; None for a batch with
    no current at all (the next one decides)."""
    current = np.abs(np.asarray(batch["current_a"], dtype=np.float64))
    current = current[np.isfinite(current)]
    peak = float(current.max()) if current.size else 0.0
    if not peak > 0:
        return None
    return min(REST_CURRENT_A, REST_SHARE_OF_PEAK * peak)


def _positive(name: str, value: object, optional: bool = False) -> float | None:
    """As a float (Django hands over Decimals); ValueError unless positive and finite."""
    if value is None and optional:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and number > 0):
        raise ValueError(f"{name} must be a positive number")
    return number


def _assemble(
    data: TestData,
    p: OnePass,
    nominal_ah: float,
    nominal_wh: float | None,
    definition: str,
    baseline_mohm: float | None,
    cutoff_v: float | None,
) -> Figures:
    warnings = list(data.warnings)
    counter = p.counter.result()
    warnings.extend(counter_warnings(counter, data.columns))
    book, derived = choose_numbering(p, warnings)
    cycles = book.cycles
    chosen = choose_cycle(data.format, cycles, p.saw_negative, warnings)
    rows = [cycle_row(number, t, nominal_ah) for number, t in cycles.items()]
    numbers = [
        v
        for row in rows
        for v in (getattr(row, f.name) for f in fields(row))
        if isinstance(v, float)
    ]
    if not all(map(math.isfinite, numbers)):
        # Only absurd time stamps (gaps of ~1e300 s) get here; stored figures must stay finite.
        raise TestDataError("the capacity figures overflow; check time_s for absurd values")
    test = capacity_test(cycles, chosen, cutoff_v)
    warnings.extend(test.warnings)
    row = next((r for r in rows if r.cycle == chosen), None)
    totals = None if chosen is None else cycles[chosen]
    by_definition: dict[str, float | None] = {"capacity": None, "energy": None}
    measured = nominal = None
    candidate = None
    if totals is not None:
        by_definition = {
            "capacity": totals.discharge_ah / nominal_ah * 100,
            "energy": totals.discharge_wh / nominal_wh * 100 if nominal_wh else None,
        }
        measured = totals.discharge_wh if definition == "energy" else totals.discharge_ah
        nominal = nominal_wh if definition == "energy" else nominal_ah
        candidate = book.curve_of(chosen)
        if candidate is None:
            warnings.append(f"no voltage curve for cycle {chosen}: its number recurs in the file")
    soh = by_definition[definition]
    if soh is not None and soh > SOH_PLAUSIBLE_MAX_PCT:
        warnings.append(
            f"SOH not given: the measured {measured:.4g} {'Wh' if definition == 'energy' else 'Ah'}"
            f" is {soh:.4g} % of the nominal {nominal:.4g}, above the {SOH_PLAUSIBLE_MAX_PCT:g} % "
            "a used pack can deliver: the nominal is wrong for this pack, or a column's unit is"
        )
        by_definition = {
            k: None if v is not None and v > SOH_PLAUSIBLE_MAX_PCT else v
            for k, v in by_definition.items()
        }
        soh = None
    spread, weakest = spread_and_weakest(
        None if candidate is None else candidate.end_cells, by_definition["capacity"]
    )
    found, dcir_warnings = p.dcir.results(p.peak_a)
    warnings.extend(dcir_warnings)
    dcir = tuple(
        DcirFigure(
            cycle=r.derived_cycle if derived else r.cycle,
            step=r.step,
            time_s=r.time_s,
            current_step_a=r.current_step_a,
            duration_s=r.duration_s,
            resistance_mohm=r.resistance_mohm,
            ratio_to_baseline=r.resistance_mohm / baseline_mohm if baseline_mohm else None,
        )
        for r in found
    )
    summary = {}
    for duration in p.dcir.durations:
        values = [r.resistance_mohm for r in found if r.duration_s == duration]
        summary[f"{duration:g}"] = median(values) if values else None
    unit = "Wh" if definition == "energy" else "Ah"
    loaded = (p.min_loaded_v, p.max_loaded_v) if math.isfinite(p.min_loaded_v) else None
    return Figures(
        format=data.format,
        units=dict(data.units),
        cycles=tuple(rows),
        discharge_capacity_ah=None if totals is None else totals.discharge_ah,
        cycle_used=chosen,
        soh_pct=soh,
        soh_definition=definition,
        soh_basis={
            "test_type": "full capacity discharge" if totals else "no complete capacity test",
            "cycle_used": chosen,
            "c_rate": None if row is None else row.c_rate,
            "max_temperature_c": None if row is None else row.max_temperature_c,
            "measured": measured,
            "nominal": nominal,
            "unit": unit,
        },
        soh_by_definition=by_definition,
        bms_soh_pct=None,
        dcir=dcir,
        dcir_summary=summary,
        cell_spread_mv=spread,
        max_cell_spread_mv=None if p.max_spread_v is None else p.max_spread_v * 1000,
        weakest_cell=weakest,
        capacity_fade_pct_per_100_cycles=fade(cycles),
        self_discharge_mv_per_day=p.rests.mv_per_day(),
        sample_count=p.count,
        curves={
            "capacity_per_cycle": [[r.cycle, r.discharge_capacity_ah] for r in rows],
            "voltage_vs_capacity": [] if candidate is None else as_pairs(*candidate.curve.points()),
        },
        warnings=tuple(warnings),
        capacity_test=test.as_dict(),
        counter_check=None
        if counter is None
        else counter.to_dict(data.columns.get("capacity_counter", "capacity counter")),
        fingerprint=fingerprint(rows),
        voltage_range_v=loaded,
        peak_discharge_current_a=p.peak_discharge_a if p.peak_discharge_a > 0 else None,
        rest_threshold_a=p.rest_threshold_a,
    )


def _snapshot_figures(data: TestData, definition: str, durations: tuple[float, ...]) -> Figures:
    snapshot = data.snapshot
    assert snapshot is not None
    spread, weakest = spread_and_weakest(snapshot.cell_voltages_v or None, None)
    temperatures = [t for t in snapshot.cell_temperatures_c if math.isfinite(t)]
    return Figures(
        format=data.format,
        units=dict(data.units),
        cycles=(),
        discharge_capacity_ah=None,
        cycle_used=None,
        soh_pct=None,
        soh_definition=definition,
        soh_basis={
            "test_type": "BMS snapshot: SOH reported by the BMS, not measured",
            "cycle_used": None,
            "c_rate": None,
            "max_temperature_c": max(temperatures) if temperatures else None,
            "bms_cycle_count": snapshot.cycle_count,
        },
        soh_by_definition={"capacity": None, "energy": None},
        bms_soh_pct=snapshot.bms_soh_pct,
        dcir=(),
        dcir_summary={f"{d:g}": None for d in durations},
        cell_spread_mv=spread,
        max_cell_spread_mv=spread,
        weakest_cell=weakest,
        capacity_fade_pct_per_100_cycles=None,
        self_discharge_mv_per_day=None,
        sample_count=0,
        curves={"capacity_per_cycle": [], "voltage_vs_capacity": []},
        warnings=(
            *data.warnings,
            "a BMS snapshot has no time series: SOH, capacity, DCIR, fade and self-discharge are "
            "not measured; bms_soh_pct is the BMS's own figure, reported, not measured",
        ),
    )
