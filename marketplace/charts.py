from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

from verification.charts import capacity_per_cycle_svg, voltage_vs_capacity_svg

from .selectors import LotReport, PackRow


@dataclass(frozen=True)
class LotCharts:
    row: PackRow
    capacity_per_cycle: SafeString
    voltage_vs_capacity: SafeString


def lot_charts(report: LotReport, *, pack_id: str | None) -> LotCharts | None:
    """Charts of one pack's test: the asked-for pack, else the weakest one the lot is routed on."""
    measured = [row for row in report.packs if row.verification and row.verification.measurement]
    if not measured:
        return None
    chosen = next((r for r in measured if str(r.pack.pk) == str(pack_id)), None)
    row = chosen or min(measured, key=lambda r: r.verification.measured_soh_pct)
    measurement = row.verification.measurement
    curves = measurement.figures.get("curves") or {}
    per_cycle = curves.get("capacity_per_cycle") or [
        [c["cycle"], c["discharge_capacity_ah"]] for c in measurement.cycles
    ]
    discharge = curves.get("voltage_vs_capacity") or []
    # pygal escapes every label and value it writes into the SVG; the numbers come from our
    # own figures, never from the uploaded file's text.
    return LotCharts(
        row=row,
        capacity_per_cycle=mark_safe(
            capacity_per_cycle_svg(per_cycle, nominal_ah=measurement.nominal_capacity_ah)
        ),
        voltage_vs_capacity=mark_safe(
            voltage_vs_capacity_svg(discharge, cycle=measurement.cycle_used or 0)
        )
        if discharge
        else SafeString(""),
    )
