"""How fast the verification core reads and measures a canonical CSV, against a fair floor and
against established libraries. A script, not a test: see bench/README.md.

First the contract, on the canonical file with a plain and with a quoted header:
- in one process, interleaved, RUNS times each: the floor (a typed pyarrow.csv.read_csv of
  exactly the columns the reader uses) and read_canonical + compute_figures;
- whole processes, interleaved, RUNS times each: `python -c` doing that typed read, and
  `manage.py verify_file F --nominal-ah N --json`, with wall time, peak RSS of the process and
  the measured capacity against the synthetic file's truth.
Min and median of the runs are printed with their ratios.

Then (unless --contract-only) the library table: every case in its own worker process, so peak
RSS belongs to that case alone; the worker times REPEATS runs and keeps the best, then runs once
more under tracemalloc for Python-level memory (numpy arrays included, Arrow's own buffers not).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROWS = 1_000_000
REPEATS = 3
# BEEP, cellpy and polars live in their own environment (bench/README.md): cellpy pins pandas
# below what the project uses, and none of them is the project's dependency.
LIBS_PYTHON = Path(
    os.environ.get(
        "BENCH_LIBS_PYTHON",
        os.environ.get("BENCH_CELLPY_PYTHON", ROOT / "bench" / ".venv" / "bin" / "python"),
    )
)
BEEP_VERSION = "2026.2.7"  # the version asked for; the bench says which one it found
# BEEP's cycle interpolation runs over a voltage range, 2.8-3.5 V (a cell's) unless told: the
# synthetic pack is 12 NMC cells in series, 3.0-4.2 V each.
PACK_V_RANGE = (36.0, 50.4)
ARBIN_COLUMNS = (
    "Data_Point",
    "Test_Time",
    "DateTime",
    "Step_Time",
    "Step_Index",
    "Cycle_Index",
    "Current",
    "Voltage",
    "Charge_Capacity",
    "Discharge_Capacity",
    "Charge_Energy",
    "Discharge_Energy",
    "dV/dt",
    "Internal_Resistance",
    "Temperature",
)
# The same columns as cellpy's arbin_sql_csv loader names them (Arbin MS SQL Server export).
CELLPY_NAMES = {
    "Test_Time": "Test_Time(s)",
    "DateTime": "Date_Time",
    "Step_Time": "Step_Time(s)",
    "Current": "Current(A)",
    "Voltage": "Voltage(V)",
    "Charge_Capacity": "Charge_Capacity(Ah)",
    "Discharge_Capacity": "Discharge_Capacity(Ah)",
    "Charge_Energy": "Charge_Energy(Wh)",
    "Discharge_Energy": "Discharge_Energy(Wh)",
    "dV/dt": "dV/dt(V/s)",
    "Internal_Resistance": "Internal_Resistance(Ohm)",
    "Temperature": "Aux_Temperature_1(C)",
}
NOMINAL_AH = 50.0
SOH_PCT = 85.0
TRUE_CAPACITY_AH = NOMINAL_AH * SOH_PCT / 100  # what a complete discharge of the file delivers
RUNS = 3
# The columns read_canonical reads from the synthetic file (cell columns would add to these).
USED_COLUMNS = ("time_s", "current_a", "voltage_v", "temperature_c", "cycle", "step")
# The columns the Arbin reader reads from the Arbin file (verification/domain/formats/arbin.py:
# time, current, voltage, cycle, step, temperature and the two capacity counters).
ARBIN_USED_COLUMNS = (
    "Test_Time",
    "Current",
    "Voltage",
    "Cycle_Index",
    "Step_Index",
    "Temperature",
    "Charge_Capacity",
    "Discharge_Capacity",
)


# ---- the files -------------------------------------------------------------------------------


def write_canonical(path: Path, rows: int) -> None:
    sys.path.insert(0, str(ROOT))
    from verification.domain.synthetic import synthetic_cycling_lines

    lines = synthetic_cycling_lines(
        chemistry="NMC",
        nominal_capacity_ah=NOMINAL_AH,
        cells_series=12,
        soh_pct=SOH_PCT,
        cycles=10_000,
        sample_interval_s=1,
        resistance_mohm=30,
    )
    with path.open("w") as out:
        out.writelines(itertools.islice(lines, rows + 1))


def write_quoted(canonical: Path, path: Path) -> None:
    """The same file with its header quoted, as pyarrow, R's write.csv and many exporters write
    it: `"time_s","current_a",...`."""
    with canonical.open("rb") as source, path.open("wb") as out:
        names = source.readline().decode().strip().split(",")
        out.write((",".join(f'"{name}"' for name in names) + "\n").encode())
        shutil.copyfileobj(source, out, 8 << 20)


def write_arbin(canonical: Path, path: Path, cellpy_names: bool) -> None:
    """The canonical samples as an Arbin export: A, V, Ah, Wh; capacity and energy counters
    accumulate within a cycle and reset at its start, as Arbin's do."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    table = pacsv.read_csv(canonical)
    t, i, v = (table.column(n).to_numpy() for n in ("time_s", "current_a", "voltage_v"))
    cycle, step = table.column("cycle").to_numpy(), table.column("step").to_numpy()
    dt = np.diff(t, prepend=t[0])
    amps = np.concatenate(([0.0], (i[1:] + i[:-1]) / 2))
    watts = np.concatenate(([0.0], (i[1:] * v[1:] + i[:-1] * v[:-1]) / 2))
    new_cycle = np.concatenate(([True], cycle[1:] != cycle[:-1]))
    new_step = np.concatenate(([True], (step[1:] != step[:-1]) | new_cycle[1:]))

    def within_cycle(increments: np.ndarray) -> np.ndarray:
        total = np.cumsum(increments)
        return (
            total
            - (total - increments)[np.maximum.accumulate(np.where(new_cycle, np.arange(len(t)), 0))]
        )

    step_start = t[np.maximum.accumulate(np.where(new_step, np.arange(len(t)), 0))]
    safe_dt = np.where(dt > 0, dt, 1.0)
    columns = {
        "Data_Point": np.arange(1, len(t) + 1),
        "Test_Time": t,
        "DateTime": 1_700_000_000.0 + t,  # unix seconds, as Arbin CSV writes them
        "Step_Time": t - step_start,
        "Step_Index": step,
        "Cycle_Index": cycle,
        "Current": i,
        "Voltage": v,
        "Charge_Capacity": within_cycle(np.where(amps > 0, amps, 0) * dt / 3600),
        "Discharge_Capacity": within_cycle(np.where(amps < 0, -amps, 0) * dt / 3600),
        "Charge_Energy": within_cycle(np.where(watts > 0, watts, 0) * dt / 3600),
        "Discharge_Energy": within_cycle(np.where(watts < 0, -watts, 0) * dt / 3600),
        "dV/dt": np.diff(v, prepend=v[0]) / safe_dt,
        "Internal_Resistance": np.zeros(len(t)),
        "Temperature": table.column("temperature_c").to_numpy(),
    }
    for name in (
        "Charge_Capacity",
        "Discharge_Capacity",
        "Charge_Energy",
        "Discharge_Energy",
        "dV/dt",
    ):
        columns[name] = np.round(columns[name], 9)  # an instrument's resolution, not float noise
    if cellpy_names:
        stamps = np.datetime64("2023-11-14T22:13:20") + (t * 1e6).astype("timedelta64[us]")
        columns["DateTime"] = np.datetime_as_string(stamps, unit="us")
        columns = {CELLPY_NAMES.get(k, k): value for k, value in columns.items()}
    table = pa.table({name: pa.array(value) for name, value in columns.items()})
    with path.open("wb") as out:
        out.write((",".join(table.column_names) + "\n").encode())  # pyarrow would quote it
        pacsv.write_csv(table, out, pacsv.WriteOptions(include_header=False, quoting_style="none"))


# ---- the cases (run in a worker) ---------------------------------------------------------------


def case_pyarrow(path: str) -> tuple[int, str]:
    import pyarrow.csv as pacsv

    return pacsv.read_csv(path).num_rows, ""


def _typed_read(path: str, columns: tuple[str, ...]) -> int:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    options = pacsv.ConvertOptions(
        column_types={name: pa.float64() for name in columns}, include_columns=list(columns)
    )
    return pacsv.read_csv(path, convert_options=options).num_rows


def case_floor(path: str) -> tuple[int, str]:
    """The fair floor: the columns the reader uses, typed as it types them, nothing else."""
    return _typed_read(path, USED_COLUMNS), ""


def case_arbin_floor(path: str) -> tuple[int, str]:
    """The Arbin reader's floor: the 8 of 15 columns it reads, typed float64."""
    return _typed_read(path, ARBIN_USED_COLUMNS), ""


def case_polars(path: str) -> tuple[int, str]:
    import polars

    return polars.read_csv(path).height, ""


def case_pandas(path: str) -> tuple[int, str]:
    import pandas

    return len(pandas.read_csv(path)), ""


def _figures_note(figures: object) -> str:
    d = figures.to_dict()  # type: ignore[attr-defined]
    return (
        f"SOH {d['soh_pct']:.2f} % (cycle {d['cycle_used']}, {len(d['cycles'])} cycles), "
        f"DCIR 10 s {d['dcir_summary'].get('10') or 0:.2f} mOhm"
    )


def case_ours_canonical(path: str) -> tuple[int, str]:
    sys.path.insert(0, str(ROOT))
    from verification.domain.canonical_fast import read_canonical
    from verification.domain.figures import compute_figures

    with open(path, "rb") as stream:
        figures = compute_figures(read_canonical(stream), nominal_capacity_ah=NOMINAL_AH)
    return figures.sample_count, _figures_note(figures)


def case_ours_arbin(path: str) -> tuple[int, str]:
    sys.path.insert(0, str(ROOT))
    from verification.domain import formats  # another engineer's work in progress
    from verification.domain.figures import compute_figures

    with open(path, "rb") as stream:
        try:  # its signature is not settled yet
            data = formats.read_test_data(stream, filename=os.path.basename(path))
        except TypeError:
            stream.seek(0)
            data = formats.read_test_data(stream)
        figures = compute_figures(data, nominal_capacity_ah=NOMINAL_AH)
    return figures.sample_count, _figures_note(figures)


def _cellpy(path: str, summary: bool) -> tuple[int, str]:
    import logging

    import cellpy

    logging.disable(logging.WARNING)
    cellpy.prms.Reader.sep = ","  # cellpy's default is ";"
    cell = cellpy.get(
        path, instrument="arbin_sql_csv", nominal_capacity=NOMINAL_AH * 1000, auto_summary=summary
    )
    if not summary:
        return len(cell.data.raw), "raw data only (auto_summary=False)"
    cycles = len(cell.data.summary)
    return len(cell.data.raw), f"step table and summary of {cycles} cycles (auto_summary=True)"


def case_cellpy(path: str) -> tuple[int, str]:
    return _cellpy(path, summary=True)


def case_cellpy_raw(path: str) -> tuple[int, str]:
    return _cellpy(path, summary=False)


def _beep(path: str, structure: bool) -> tuple[int, str]:
    import logging

    from beep.structure.arbin import ArbinDatapath

    logging.disable(logging.WARNING)
    datapath = ArbinDatapath.from_file(path)
    rows = len(datapath.raw_data)
    if not structure:
        return rows, "raw data only (ArbinDatapath.from_file)"
    # from_file keeps Data_Point (1-based) as the index; interpolate_cycles then indexes the
    # rows with a 0-based mask and raises IndexingError. A plain 0-based index, as its own
    # test files give, lets structure() run.
    datapath.raw_data = datapath.raw_data.reset_index(drop=True)
    datapath.structure(nominal_capacity=NOMINAL_AH, v_range=list(PACK_V_RANGE))
    summary = datapath.structured_summary
    return rows, (
        f"{len(datapath.structured_data):,} interpolated points, summary of {len(summary)} "
        f"cycles (cycle 1 discharge {summary['discharge_capacity'].iloc[0]:.4f} Ah, from the "
        "Discharge_Capacity counter)"
    )


def case_beep(path: str) -> tuple[int, str]:
    return _beep(path, structure=True)


def case_beep_raw(path: str) -> tuple[int, str]:
    return _beep(path, structure=False)


CASES: dict[str, Callable[[str], tuple[int, str]]] = {
    name.removeprefix("case_"): function
    for name, function in dict(globals()).items()
    if name.startswith("case_")
}


# Imported before the baseline RSS is taken and before the clock starts.
IMPORTS = {
    "pyarrow": ["pyarrow.csv"],
    "floor": ["pyarrow.csv"],
    "arbin_floor": ["pyarrow.csv"],
    "polars": ["polars"],
    "pandas": ["pandas"],
    "ours_canonical": ["verification.domain.canonical_fast", "verification.domain.figures"],
    "ours_arbin": ["verification.domain.figures"],
    "cellpy": ["cellpy"],
    "cellpy_raw": ["cellpy"],
    "beep": ["beep.structure.arbin"],
    "beep_raw": ["beep.structure.arbin"],
}

# What each row of the library table does with the file, printed under it.
WORK = {
    "(a)": "parse only: typed float64 columns, no checks, no figures",
    "(b)": "parse only: every column, types inferred, no checks, no figures",
    "(c)": (
        "parse and check 6 columns (finite, in range, time never falling, whole cycle and step "
        "numbers; a bad row named by line and column), then every figure: per-cycle charge and "
        "discharge Ah and Wh integrated from the current, how each discharge ended (complete "
        "capacity test or not), SOH on the chosen cycle, DC resistance at 1 s and 10 s from the "
        "current steps, capacity fade, self-discharge from long rests, a 500-point discharge "
        "curve"
    ),
    "(c')": (
        "the same figures from the Arbin file's 8 used columns (detection, unit and sign "
        "handling), and the cycler's own capacity counter checked against the integrated current"
    ),
    "(d) cellpy": (
        "pandas read of all 15 columns under the SQL-export headers; with the summary: a step "
        "table (per cycle and step: mean, std, min, max, first, last and delta of time, current, "
        "voltage, capacity, IR; step types) and per-cycle capacities, coulombic efficiency, "
        "losses and cumulated values read from the Charge_/Discharge_Capacity counters (not "
        "integrated from the current); no complete-discharge rule, SOH, DC resistance from "
        "pulses, fade fit or self-discharge"
    ),
    "(d) FALLBACK": "pandas.read_csv of all 15 columns, types inferred; no checks, no figures",
    "(e) BEEP": (
        "ArbinDatapath.from_file: pandas read of all 15 columns, current and voltage cast to "
        "float32, an ISO date string per row from DateTime (a Python call per row); with "
        "structure(): each cycle's discharge interpolated on 1,000 voltage points and its "
        "charge on 1,000 charge-capacity points, and a per-cycle summary of the counters' "
        "maxima (capacity, energy), the Internal_Resistance column's last value, temperature "
        "max/mean/min, energy efficiency, throughput, charge duration, CV time, current and "
        "capacity; no integration of the current, no complete-discharge rule, SOH, DC "
        "resistance from pulses, fade fit or self-discharge"
    ),
}


def _status_mb(field: str) -> float | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _reset_peak_rss() -> float:
    """RSS now, after resetting the peak to it. ru_maxrss will not do: Linux carries it over
    from the parent at fork, and the parent has just written the files."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        pass
    rss = _status_mb("VmRSS")
    return rss if rss is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _peak_rss() -> float:
    peak = _status_mb("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(case: str, path: str, repeats: int, trace: bool) -> dict:
    import importlib

    sys.path.insert(0, str(ROOT))
    for module in IMPORTS.get(case, []):
        importlib.import_module(module)
    function = CASES[case]
    rss_before = _reset_peak_rss()
    best, rows, note = float("inf"), 0, ""
    for _ in range(repeats):
        started = time.perf_counter()
        rows, note = function(path)
        best = min(best, time.perf_counter() - started)
    rss_peak = _peak_rss()
    traced = None
    if trace:
        tracemalloc.start()
        function(path)
        traced = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return {
        "seconds": best,
        "rows": rows,
        "note": note,
        "rss_mb": rss_peak,
        "rss_start_mb": rss_before,
        "traced_mb": traced,
    }


INTERLEAVED = {"canonical": ("floor", "ours_canonical"), "arbin": ("arbin_floor", "ours_arbin")}


def interleaved(path: str, runs: int, kind: str = "canonical") -> dict:
    """Floor and ours alternately in this one process: both see the same page cache, the same
    imports and the same neighbours on the machine. One untimed run of each first, so that
    neither pays for first imports (pandas for the vendor readers) or a cold page cache."""
    sys.path.insert(0, str(ROOT))
    # Imported before the clock starts.
    import verification.domain.canonical_fast
    import verification.domain.figures  # noqa: F401

    floor, ours = INTERLEAVED[kind]
    times: dict[str, list[float]] = {"floor": [], "ours": []}
    for case in (floor, ours):
        CASES[case](path)
    for _ in range(runs):
        for label, case in (("floor", floor), ("ours", ours)):
            started = time.perf_counter()
            rows, _ = CASES[case](path)
            times[label].append(time.perf_counter() - started)
    from verification.domain.figures import compute_figures
    from verification.domain.formats import read_test_data

    with open(path, "rb") as stream:
        data = read_test_data(stream, filename=os.path.basename(path))
        figures = compute_figures(data, nominal_capacity_ah=NOMINAL_AH)
    return {"times": times, "rows": rows, "capacity_ah": figures.discharge_capacity_ah}


FLOOR_SNIPPET = (
    "import sys, pyarrow as pa, pyarrow.csv as c; "
    f"names = {list(USED_COLUMNS)!r}; "
    "c.read_csv(sys.argv[1], convert_options=c.ConvertOptions("
    "column_types={n: pa.float64() for n in names}, include_columns=names))"
)


def _process(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB and stdout of one process (its own rusage, via wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode:
            raise RuntimeError(f"{command[1]} failed: {err.read().decode().strip()[-300:]}")
        return wall, usage.ru_maxrss / 1024, out.read().decode()


def whole_processes(path: Path, runs: int) -> dict:
    """`python -c` floor and `manage.py verify_file` alternately, each a fresh process."""
    floor = [sys.executable, "-c", FLOOR_SNIPPET, str(path)]
    verify = [sys.executable, str(ROOT / "manage.py"), "verify_file", str(path)]
    verify += ["--nominal-ah", str(NOMINAL_AH), "--json"]
    result: dict[str, dict[str, list[float]]] = {
        "floor": {"seconds": [], "rss_mb": []},
        "verify_file": {"seconds": [], "rss_mb": []},
    }
    capacity = None
    for _ in range(runs):
        for name, command in (("floor", floor), ("verify_file", verify)):
            wall, peak, out = _process(command)
            result[name]["seconds"].append(wall)
            result[name]["rss_mb"].append(peak)
            if name == "verify_file":
                capacity = json.loads(out)["discharge_capacity_ah"]
    return {**result, "capacity_ah": capacity}


def _spread(values: list[float]) -> str:
    return f"min {min(values):6.2f}  median {statistics.median(values):6.2f}"


def _ratio(ours: list[float], floor: list[float]) -> str:
    best = min(ours) / min(floor)
    middle = statistics.median(ours) / statistics.median(floor)
    return f"{best:.2f}x (min/min), {middle:.2f}x (median/median)"


def _capacity(measured: float | None) -> str:
    if measured is None:
        return "capacity: none measured"
    error = (measured - TRUE_CAPACITY_AH) / TRUE_CAPACITY_AH * 100
    return f"capacity {measured:.4f} Ah vs truth {TRUE_CAPACITY_AH:.4f} Ah ({error:+.3f} %)"


def contract(files: dict[str, Path], runs: int) -> None:
    print(f"contract: {runs} runs of each, interleaved; seconds")
    for label, path in files.items():
        same = _interleaved(path, runs, "canonical")
        floor, ours = same["times"]["floor"], same["times"]["ours"]
        print(f"\n{label} ({same['rows']:,} rows, {path.stat().st_size / 2**20:.0f} MB)")
        floor_label = f"floor (typed read of {len(USED_COLUMNS)} columns)"
        print(f"  same process   {floor_label:<40} {_spread(floor)}")
        print(f"                 read_canonical + compute_figures         {_spread(ours)}")
        print(f"                 ours / floor = {_ratio(ours, floor)}")
        whole = whole_processes(path, runs)
        fw, vw = whole["floor"], whole["verify_file"]
        print(f"  whole process  python -c floor                          {_spread(fw['seconds'])}"
              f"  peak RSS {max(fw['rss_mb']):.0f} MB")  # fmt: skip
        print(f"                 manage.py verify_file --json             {_spread(vw['seconds'])}"
              f"  peak RSS {max(vw['rss_mb']):.0f} MB")  # fmt: skip
        print(f"                 verify_file / floor = {_ratio(vw['seconds'], fw['seconds'])}"
              "  (goal <= 1.5x, peak RSS <= 300 MB)")  # fmt: skip
        print(f"                 {_capacity(whole['capacity_ah'])}  (goal within 0.5 %)")


def _interleaved(path: Path, runs: int, kind: str) -> dict:
    command = [sys.executable, __file__, "--interleaved", str(path), str(runs), kind]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def arbin_same_process(path: Path, runs: int) -> None:
    """The Arbin reader against its own floor, interleaved in one process."""
    same = _interleaved(path, runs, "arbin")
    floor, ours = same["times"]["floor"], same["times"]["ours"]
    size = path.stat().st_size / 2**20
    print(f"Arbin ({same['rows']:,} rows, {size:.0f} MB), {runs} runs of each, interleaved in "
          "one process; seconds")  # fmt: skip
    label = f"floor (typed read of {len(ARBIN_USED_COLUMNS)} of {len(ARBIN_COLUMNS)} columns)"
    print(f"  {label:<54} {_spread(floor)}")
    print(f"  {'formats.read_test_data + compute_figures':<54} {_spread(ours)}")
    print(f"  ours / floor = {_ratio(ours, floor)}")
    print(f"  {_capacity(same['capacity_ah'])}")


def run_case(
    case: str,
    path: Path,
    python: Path = Path(sys.executable),
    trace: bool = True,
    repeats: int = REPEATS,
    timeout: float = 150,
) -> dict:
    command = [str(python), __file__, "--worker", case, str(path), str(repeats)]
    if not trace:
        command.append("--no-trace")
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"took longer than {timeout:.0f} s"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"error": last[:160]}
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---- the report --------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument(
        "--keep", type=Path, help="write the files here and keep them (reused if the same size)"
    )
    parser.add_argument("--runs", type=int, default=RUNS, help="runs of each contract case")
    parser.add_argument(
        "--contract-only", action="store_true", help="skip the library table (for big files)"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-verification-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        canonical, arbin = folder / "canonical.csv", folder / "arbin.csv"
        quoted = folder / "canonical_quoted.csv"
        arbin_cellpy = folder / "arbin_sql_server.csv"
        marker = folder / "rows.txt"
        if not (canonical.exists() and marker.exists() and marker.read_text() == str(args.rows)):
            write_canonical(canonical, args.rows)
            marker.write_text(str(args.rows))
        write_quoted(canonical, quoted)
        print(
            f"files: {args.rows:,} rows; canonical {canonical.stat().st_size / 2**20:.0f} MB, "
            f"ready in {time.perf_counter() - started:.1f} s\n"
        )
        contract({"plain header": canonical, "quoted header": quoted}, args.runs)
        if args.contract_only:
            print(f"\ntotal {time.perf_counter() - started:.0f} s")
            return
        write_arbin(canonical, arbin, cellpy_names=False)
        write_arbin(canonical, arbin_cellpy, cellpy_names=True)
        print(f"\nArbin files {arbin.stat().st_size / 2**20:.0f} MB\n")
        arbin_same_process(arbin, args.runs)
        print()
        results, notes = measure(canonical, arbin, arbin_cellpy)
    report(results, notes)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


def library_versions(python: Path) -> dict[str, str | None]:
    """The versions of BEEP, cellpy and polars that `python` imports (None where missing); all
    None when there is no such interpreter."""
    names = ("beep", "cellpy", "polars")
    if not python.exists():
        return dict.fromkeys(names)
    probe = (
        "import importlib.metadata as m, json\n"
        "def v(n):\n"
        "    try:\n"
        "        return m.version(n)\n"
        "    except m.PackageNotFoundError:\n"
        "        return None\n"
        f"print(json.dumps({{n: v(n) for n in {list(names)!r}}}))"
    )
    done = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=False)
    if done.returncode:
        return dict.fromkeys(names)
    return json.loads(done.stdout)


def _skipped(why: str) -> dict:
    return {"skipped": why}


def measure(canonical: Path, arbin: Path, arbin_cellpy: Path) -> tuple[dict, list[str]]:
    results: dict[str, dict] = {}
    notes: list[str] = []
    libs = library_versions(LIBS_PYTHON)
    own = library_versions(Path(sys.executable))
    missing = "has no such package" if LIBS_PYTHON.exists() else "is absent"
    where = f"not installed ({LIBS_PYTHON} {missing}; see bench/README.md)"
    found = ", ".join(f"{name} {version}" for name, version in libs.items() if version)
    notes.append(f"libraries in {LIBS_PYTHON}: {found or 'none'}")
    results["(a) pyarrow.csv.read_csv, canonical, typed used columns (floor)"] = run_case(
        "floor", canonical
    )
    results["(a) pyarrow.csv.read_csv, canonical, untyped"] = run_case("pyarrow", canonical)
    polars_python = Path(sys.executable) if own["polars"] else LIBS_PYTHON
    results["(b) polars.read_csv, canonical"] = (
        run_case("polars", canonical, polars_python, trace=False)
        if own["polars"] or libs["polars"]
        else _skipped(where)
    )
    results["(c) read_canonical + compute_figures"] = run_case("ours_canonical", canonical)
    results["(a') pyarrow.csv.read_csv, Arbin, typed used columns (floor)"] = run_case(
        "arbin_floor", arbin
    )
    results["(a') pyarrow.csv.read_csv, Arbin, untyped, all 15 columns"] = run_case(
        "pyarrow", arbin
    )
    ours_arbin = run_case("ours_arbin", arbin)
    if "error" in ours_arbin:
        notes.append(f"our Arbin pipeline skipped: formats.read_test_data: {ours_arbin['error']}")
    else:
        results["(c') formats.read_test_data + compute_figures, Arbin"] = ours_arbin
    if not libs["cellpy"]:
        results["(d) cellpy.get arbin_sql_csv"] = _skipped(where)
    else:
        attempt = run_case("cellpy", arbin, LIBS_PYTHON, trace=False, timeout=60)
        if "error" in attempt:
            notes.append(
                "cellpy cannot load the Arbin file as specified: its arbin_sql_csv loader wants "
                "Arbin's SQL-Server export headers (Test_Time(s), Current(A), ..., Date_Time as "
                f"text), not unit-less names with DateTime in unix seconds ({attempt['error']}); "
                "so it is timed on the same samples under those headers"
            )
        else:
            results["(d) cellpy.get arbin_sql_csv"] = attempt
        full = run_case("cellpy", arbin_cellpy, LIBS_PYTHON, trace=False)
        results["(d) cellpy.get arbin_sql_csv, SQL-export headers"] = full
        results["(d) cellpy.get arbin_sql_csv, SQL-export headers, no summary"] = run_case(
            "cellpy_raw", arbin_cellpy, LIBS_PYTHON, trace=False
        )
    # BEEP reads the Arbin file as specified: its ArbinDatapath knows these unit-less names.
    if not libs["beep"]:
        results["(e) BEEP ArbinDatapath.from_file, Arbin"] = _skipped(where)
    else:
        if libs["beep"] != BEEP_VERSION:
            notes.append(f"BEEP {libs['beep']} timed; {BEEP_VERSION} was asked for")
        results["(e) BEEP ArbinDatapath.from_file, Arbin"] = run_case(
            "beep_raw", arbin, LIBS_PYTHON, trace=False
        )
        results["(e) BEEP from_file + structure(), Arbin"] = run_case(
            "beep", arbin, LIBS_PYTHON, trace=False, timeout=600
        )
    # Asked for when cellpy cannot load the file as specified; always timed, for comparison.
    results["(d) FALLBACK pandas.read_csv, Arbin as specified (established library)"] = run_case(
        "pandas", arbin
    )
    return results, notes


def report(results: dict[str, dict], notes: list[str]) -> None:
    width = max(map(len, results))
    print(f"{'case':<{width}}  {'seconds':>8}  {'rows/s':>11}  {'RSS MB':>7}  {'traced MB':>9}")
    for name, r in results.items():
        if "skipped" in r:
            print(f"{name:<{width}}  skipped: {r['skipped']}")
            continue
        if "error" in r:
            print(f"{name:<{width}}  failed: {r['error']}")
            continue
        traced = "-" if r["traced_mb"] is None else f"{r['traced_mb']:.0f}"
        print(
            f"{name:<{width}}  {r['seconds']:8.3f}  {r['rows'] / r['seconds']:11,.0f}  "
            f"{r['rss_mb'] - r['rss_start_mb']:7.0f}  {traced:>9}"
        )
    print("\nRSS MB: peak RSS above the worker's RSS before the first run (imports excluded).")
    for name, r in results.items():
        if r.get("note"):
            print(f"  {name}: {r['note']}")
    print("\nWhat each row does with the file:")
    for row, work in WORK.items():
        if any(name.startswith(row) for name in results):
            print(f"  {row} {work}")
    ours = results.get("(c) read_canonical + compute_figures", {})
    floor = results.get("(a) pyarrow.csv.read_csv, canonical, typed used columns (floor)", {})
    if "seconds" not in ours:
        return
    if "seconds" in floor:
        print(f"\nours / floor, canonical: (c) / (a) = {ours['seconds'] / floor['seconds']:.2f}x"
              "  (goal <= 2x)")  # fmt: skip
    # The same samples either way; our own Arbin pipeline is the fairer base once it exists.
    arbin = next((n for n in results if n.startswith("(c')") and "seconds" in results[n]), None)
    arbin_floor = results.get("(a') pyarrow.csv.read_csv, Arbin, typed used columns (floor)", {})
    if arbin and "seconds" in arbin_floor:
        ratio = results[arbin]["seconds"] / arbin_floor["seconds"]
        print(f"ours / floor, Arbin: (c') / (a') = {ratio:.2f}x  (goal <= 2x)")
    base, label = (results[arbin], "(c')") if arbin else (ours, "(c)")
    for name, r in results.items():
        if name.startswith(("(d)", "(e)")) and "seconds" in r:
            print(f"{name} / {label} = {r['seconds'] / base['seconds']:.1f}x  (goal >= 5x)")
    for note in notes:
        print(f"note: {note}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--interleaved":
        print(json.dumps(interleaved(sys.argv[2], int(sys.argv[3]), sys.argv[4])))
    elif len(sys.argv) > 1 and sys.argv[1] == "--worker":
        result = worker(sys.argv[2], sys.argv[3], int(sys.argv[4]), "--no-trace" not in sys.argv)
        print(json.dumps(result))
    else:
        main()
