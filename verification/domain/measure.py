"""One call from an uploaded file to its figures: read whatever format it is, then measure."""

from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO

from .figures import Figures, compute_figures

# Resistance used for routing and shown first: the longer pulse, which includes the slower
# polarisation a stationary-storage duty sees; the 1 s figure is kept beside it.
HEADLINE_PULSES_S = ("10", "1")


def measure(
    stream: BinaryIO,
    *,
    nominal_capacity_ah: float,
    filename: str = "",
    declared_format: str | None = None,
    nominal_energy_wh: float | None = None,
    baseline_resistance_mohm: float | None = None,
    soh_definition: str = "capacity",
    on_batch: Callable[[], None] | None = None,
    cells_series: int | None = None,
    chemistry: str | None = None,
) -> Figures:
    from .formats import read_test_data

    data = read_test_data(stream, filename=filename, declared_format=declared_format)
    return compute_figures(
        data,
        nominal_capacity_ah=nominal_capacity_ah,
        nominal_energy_wh=nominal_energy_wh,
        baseline_resistance_mohm=baseline_resistance_mohm,
        soh_definition=soh_definition,
        on_batch=on_batch,
        cells_series=cells_series,
        chemistry=chemistry,
    )


def headline_resistance(figures: Figures) -> tuple[float | None, float | None]:
    """(median resistance in mOhm, pulse length in s) of the preferred pulse that was measured."""
    for pulse in HEADLINE_PULSES_S:
        value = figures.dcir_summary.get(pulse)
        if value is not None:
            return float(value), float(pulse)
    return None, None
