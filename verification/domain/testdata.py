"""The contract between test-data readers and the figures engine: columns in canonical units.

Every reader (canonical CSV, Arbin, Maccor, Neware, BioLogic, BMS snapshot) turns a file into a
`TestData`: what format it was, which units and sign convention it had (so nothing is guessed
silently), warnings, and the samples as a stream of column batches in canonical units:

- `time_s` float64, elapsed seconds, non-decreasing across the whole file
- `current_a` float64, amperes, **discharge negative**
- `voltage_v` float64, volts (pack or cell terminal voltage)
- `cycle` int64, `step` int64 (as the instrument numbered them; the engine may re-derive cycles)
- optional `temperature_c` float64 (NaN where missing)
- optional `capacity_counter_ah` float64: the cycler's own capacity counter (Maccor `Amp-hr`,
  Arbin `Charge_/Discharge_Capacity`, Neware `Capacity`, BioLogic `Q charge/discharge`) as a
  magnitude in Ah, scaled by the unit its header states and never repaired: it exists to catch
  a current column whose unit label is wrong. It may reset at step or cycle starts; NaN where
  the file has none. `TestData.columns["capacity_counter"]` names the column(s) it came from.
- optional `cell_1_v` ... `cell_n_v` float64, per-cell voltages

Batches keep memory bounded: a reader yields a few hundred thousand rows at a time and never holds
the whole file. A BMS snapshot has no time series; it carries a `BmsSnapshot` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

Batch = dict[str, np.ndarray]

REQUIRED_COLUMNS = ("time_s", "current_a", "voltage_v", "cycle", "step")
OPTIONAL_COLUMNS = ("temperature_c", "capacity_counter_ah")
CELL_COLUMN_PREFIX = "cell_"  # cell_1_v, cell_2_v, ...


@dataclass(frozen=True)
class BmsSnapshot:
    """What a battery management system reports about a pack at one moment."""

    cell_voltages_v: tuple[float, ...]
    cell_temperatures_c: tuple[float, ...] = ()
    cycle_count: int | None = None
    bms_soh_pct: float | None = None  # reported by the BMS, never treated as measured
    pack_voltage_v: float | None = None


@dataclass
class TestData:
    __test__ = False  # not a pytest class

    # e.g. "canonical_csv", "arbin_csv", "maccor_txt", "neware_csv", "neware_ndax",
    # "biologic_mpr", "bms_snapshot"
    format: str
    # as found in the file, e.g. {"current": "mA", "time": "h", "discharge_sign": "from State"}
    units: dict[str, str]
    batches: Callable[[], Iterator[Batch]]  # call once to stream the samples
    warnings: list[str] = field(default_factory=list)
    snapshot: BmsSnapshot | None = None
    metadata: dict[str, str] = field(default_factory=dict)  # e.g. instrument, channel, start time
    # canonical name -> the file's own header(s), for messages: {"current": "Amps",
    # "voltage": "Volts", "capacity_counter": "Amp-hr"}
    columns: dict[str, str] = field(default_factory=dict)
