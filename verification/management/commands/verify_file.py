import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from verification.domain import TestDataError
from verification.domain.chemistry import CHEMISTRIES
from verification.domain.evidence import TEST_LEVELS, PackSpec, pack_fit
from verification.domain.formats import FORMATS as FORMAT_LABELS
from verification.domain.measure import measure

# TestDataFormat less 'auto' (tests check the two agree), without importing Django's models.
FORMATS = [slug for slug, _ in FORMAT_LABELS]


class Command(BaseCommand):
    help = (
        "Measure a test-data file without a server: the same reading and figures as an upload. "
        "A file that cannot be read exits non-zero with the reason on stderr."
    )
    # Reads a file and prints figures: nothing here depends on the project's system checks, and
    # they cost half a second before the first byte is read.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--nominal-ah", type=float, required=True, help="nominal capacity, Ah")
        parser.add_argument("--nominal-wh", type=float, help="nominal energy, Wh (energy SOH)")
        parser.add_argument(
            "--format", choices=FORMATS, help="declare the format (default: detect)"
        )
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

    def handle(self, *args, **options):
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        series = options["cells_series"]
        if series is not None and series < 1:
            raise CommandError("--cells-series must be at least 1")
        if options["cells_parallel"] < 1:
            raise CommandError("--cells-parallel must be at least 1")
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
            raise CommandError(f"{path.name}: {exc}") from exc
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
            self.stdout.write(json.dumps(result, indent=2))
            return
        self.stdout.write(f"{path.name}: {result['format']}, {result['sample_count']:,} samples")
        if result["soh_pct"] is not None:
            self.stdout.write(
                f"discharge capacity {result['discharge_capacity_ah']:.4f} Ah "
                f"(cycle {result['cycle_used']}), SOH {result['soh_pct']:.1f} % "
                f"({result['soh_definition']})"
            )
        else:
            self.stdout.write("no SOH: no complete capacity test in the file (see the warnings)")
        if result["pack_fit"] is not None:
            fit = result["pack_fit"]
            self.stdout.write(
                "fits the pack described"
                if fit["fits"]
                else "does not fit the pack described: " + "; ".join(fit["reasons"])
            )
        for pulse, value in result["dcir_summary"].items():
            if value is not None:
                self.stdout.write(f"DC resistance ({pulse} s pulse): {value:.2f} mOhm")
        for warning in result["warnings"]:
            self.stdout.write(f"warning: {warning}")


def run_without_django(argv: list[str]) -> int:
    """`manage.py verify_file ...` without django.setup(): the command reads a file and prints
    figures with the pure domain package, so loading every app, the admin and Celery (1-2 s) is
    skipped. Parses and reports exactly as manage.py would; returns the exit status."""
    command = Command()
    parser = command.create_parser("manage.py", "verify_file")
    options = vars(parser.parse_args(argv))
    args = options.pop("args", ())
    try:
        command.execute(*args, **options)
    except CommandError as error:
        command.stderr.write(f"{error.__class__.__name__}: {error}")
        return error.returncode
    return 0


if __name__ == "__main__":  # pragma: no cover - manage.py is the entry point
    sys.exit(run_without_django(sys.argv[1:]))
