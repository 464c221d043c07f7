from dataclasses import dataclass

from verification.charts import TestCharts, measurement_charts

from .selectors import LotReport, PackRow


@dataclass(frozen=True)
class LotCharts:
    row: PackRow
    svg: TestCharts


def lot_charts(report: LotReport, *, pack_id: str | None) -> LotCharts | None:
    """Charts of one pack's test: the asked-for pack, else the weakest one the lot is routed on."""
    measured = [row for row in report.packs if row.verification and row.verification.measurement]
    if not measured:
        return None
    chosen = next((r for r in measured if str(r.pack.pk) == str(pack_id)), None)
    row = chosen or min(measured, key=lambda r: r.verification.measured_soh_pct)
    return LotCharts(row=row, svg=measurement_charts(row.verification.measurement))
