"""Remove stored test-data files that no upload refers to (see `test_data_orphans_sweep`)."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from tqdm import tqdm

from verification.services import ORPHAN_GRACE, test_data_orphans_sweep


class Command(BaseCommand):
    help = "Remove test-data files left in storage by uploads that never committed."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-minutes",
            type=int,
            default=int(ORPHAN_GRACE.total_seconds() // 60),
            help="leave files younger than this (uploads in flight); default %(default)s",
        )
        parser.add_argument("--dry-run", action="store_true", help="report, remove nothing")

    def handle(self, *args, older_than_minutes: int, dry_run: bool, verbosity: int, **options):
        with tqdm(desc="files checked", unit="file", disable=verbosity < 1) as bar:
            result = test_data_orphans_sweep(
                older_than=timedelta(minutes=older_than_minutes),
                dry_run=dry_run,
                progress=lambda name: bar.update(),
            )
        verb = "would remove" if dry_run else "removed"
        self.stdout.write(
            f"{result.files_checked} files older than {older_than_minutes} min checked; "
            f"{verb} {result.files_removed} orphaned ({result.bytes_removed / 1e6:.1f} MB)"
        )
