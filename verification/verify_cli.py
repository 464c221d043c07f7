"""`manage.py verify_file`: measure a test-data file without a server, with the upload's code.

Pure Python over verification.domain, so that manage.py can run it without setting Django up
(loading every app, the admin and Celery costs a second before the first byte is read, and Django's
management machinery alone a fifth of one); the management command in
verification/management/commands/verify_file.py wraps the same functions for call_command.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from verification.domain import TestDataError
from verification.domain.chemistry import CHEMISTRIES
from verification.domain.evidence import TEST_LEVELS, PackSpec, pack_fit
from verification.domain.formats import FORMATS as FORMAT_LABELS
from verification.domain.measure import measure

HELP = (
    "Measure a test-data file without a server: the same reading and figures as an upload. "
    "A file that cannot be read exits non-zero with the reason on stderr."
)
# TestDataFormat less 'auto' (tests check the two agree), without importing Django's models.
FORMATS = [slug for slug, _ in FORMAT_LABELS]
# Options every Django command takes; given any of them, manage.py runs the command as Django does.
_DJANGO_OPTIONS = (
    "-v",
    "--verbosity",
    "--settings",
    "--pythonpath",
    "--traceback",
    "--no-color",
    "--force-color",
    "--skip-checks",
)


class VerifyError(Exception):
    """The file or the options cannot be measured: the message says why."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path)
    parser.add_argument("--nominal-ah", type=float, required=True, help="nominal capacity, Ah")
    parser.add_argument("--nominal-wh", type=float, help="nominal energy, Wh (energy SOH)")
    parser.add_argument("--format", choices=FORMATS, help="declare the format (default: detect)")
    parser.add_argument("--baseline-mohm", type=float, help="beginning-of-life DC resistance")
    parser.add_argument("--soh-definition", choices=["capacity", "energy"], default="capacity")
    parser.add_argument(
        "--chemistry",
        choices=CHEMISTRIES,
        help="cell chemistry: with --cells-series, sets the lower cutoff a complete "
        "capacity test must reach",
    )
    parser.add_argument("--cells-series", type=int, help="cells in series in what was tested")
    parser.add_argument("--cells-parallel", type=int, default=1, help="cells in parallel")
    parser.add_argument("--nominal-v", type=float, help="nominal voltage of the pack, V")
    parser.add_argument(
        "--test-level",
        choices=TEST_LEVELS,
        default="pack",
        help="what the file is a test of, for the pack-fit checks (with --cells-series)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")


def verify(options: dict, write: Callable[[str], object]) -> None:
    """Measure options["path"] and write the figures, a line per call; VerifyError if it cannot."""
    path: Path = options["path"]
    if not path.is_file():
        raise VerifyError(f"{path}: no such file")
    series = options["cells_series"]
    if series is not None and series < 1:
        raise VerifyError("--cells-series must be at least 1")
    if options["cells_parallel"] < 1:
        raise VerifyError("--cells-parallel must be at least 1")
    try:
        with path.open("rb") as stream:
            figures = measure(
                stream,
                filename=path.name,
                declared_format=options["format"],
                nominal_capacity_ah=options["nominal_ah"],
                nominal_energy_wh=options["nominal_wh"],
                baseline_resistance_mohm=options["baseline_mohm"],
                soh_definition=options["soh_definition"],
                cells_series=series,
                chemistry=options["chemistry"],
            )
    except (TestDataError, ValueError) as exc:
        raise VerifyError(f"{path.name}: {exc}") from exc
    result = figures.to_dict()
    result["pack_fit"] = None
    if series is not None:
        fit = pack_fit(
            figures,
            PackSpec(
                chemistry=options["chemistry"] or "unknown",
                cells_series=series,
                cells_parallel=options["cells_parallel"],
                nominal_capacity_ah=options["nominal_ah"],
                nominal_voltage_v=options["nominal_v"] or 0.0,
            ),
            test_level=options["test_level"],
        )
        result["pack_fit"] = {"fits": fit.fits, "reasons": list(fit.reasons)}
    if options["json"]:
        write(json.dumps(result, indent=2))
        return
    write(f"{path.name}: {result['format']}, {result['sample_count']:,} samples")
    if result["soh_pct"] is not None:
        write(
            f"discharge capacity {result['discharge_capacity_ah']:.4f} Ah "
            f"(cycle {result['cycle_used']}), SOH {result['soh_pct']:.1f} % "
            f"({result['soh_definition']})"
        )
    else:
        write("no SOH: no complete capacity test in the file (see the warnings)")
    if result["pack_fit"] is not None:
        fit = result["pack_fit"]
        write(
            "fits the pack described"
            if fit["fits"]
            else "does not fit the pack described: " + "; ".join(fit["reasons"])
        )
    for pulse, value in result["dcir_summary"].items():
        if value is not None:
            write(f"DC resistance ({pulse} s pulse): {value:.2f} mOhm")
    for warning in result["warnings"]:
        write(f"warning: {warning}")


def main(argv: list[str]) -> int | None:
    """Run `verify_file ARGV` as manage.py would, without Django; the exit status, or None where
    a Django option was given and Django should run the command."""
    if any(arg.split("=")[0] in _DJANGO_OPTIONS for arg in argv):
        return None
    parser = argparse.ArgumentParser(prog="manage.py verify_file", description=HELP)
    add_arguments(parser)
    options = vars(parser.parse_args(argv))
    try:
        verify(options, print)
    except VerifyError as error:
        print(f"CommandError: {error}", file=sys.stderr)
        return 1
    return 0
