import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from verification.choices import TestDataFormat
from verification.domain import TestDataError
from verification.domain.measure import measure

FORMATS = [value for value in TestDataFormat.values if value != TestDataFormat.AUTO]


class Command(BaseCommand):
    help = (
        "Measure a test-data file without a server: the same reading and figures as an upload. "
        "A file that cannot be read exits non-zero with the reason on stderr."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--nominal-ah", type=float, required=True, help="nominal capacity, Ah")
        parser.add_argument("--nominal-wh", type=float, help="nominal energy, Wh (energy SOH)")
        parser.add_argument(
            "--format", choices=FORMATS, help="declare the format (default: detect)"
        )
        parser.add_argument("--baseline-mohm", type=float, help="beginning-of-life DC resistance")
        parser.add_argument("--soh-definition", choices=["capacity", "energy"], default="capacity")
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")

    def handle(self, *args, **options):
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
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
                )
        except (TestDataError, ValueError) as exc:
            raise CommandError(f"{path.name}: {exc}") from exc
        result = figures.to_dict()
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
        for pulse, value in result["dcir_summary"].items():
            if value is not None:
                self.stdout.write(f"DC resistance ({pulse} s pulse): {value:.2f} mOhm")
        for warning in result["warnings"]:
            self.stdout.write(f"warning: {warning}")
