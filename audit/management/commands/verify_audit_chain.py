from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from audit.selectors import ChainReport, audit_chain_verify


def broken_message(report: ChainReport) -> str:
    if report.first_broken_seq is None:
        return f"Audit chain broken: {report.reason}"
    if report.first_broken_id is None:
        return f"Audit chain broken at entry #{report.first_broken_seq} (missing): {report.reason}"
    return (
        f"Audit chain broken at entry #{report.first_broken_seq} "
        f"(id {report.first_broken_id}, {report.summary}): {report.reason}"
    )


class Command(BaseCommand):
    help = (
        "Check the audit trail's hash chain, every entry and the head; exit status 1 naming "
        "the first broken entry."
    )

    def handle(self, *args, **options):
        bar = tqdm(
            desc="Checking audit entries",
            unit=" entries",
            file=getattr(self.stderr, "_out", self.stderr),
            disable=options["verbosity"] == 0,
        )

        def on_progress(checked: int, total: int) -> None:
            bar.total = max(total, checked)
            bar.update(checked - bar.n)

        try:
            report = audit_chain_verify(on_progress=on_progress)
        finally:
            bar.close()
        if not report.ok:
            raise CommandError(broken_message(report))
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {report.checked} entries, head {report.head_hash}"
            )
        )
