import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import pygal
from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe

from verification.charts import COMMON, TestCharts, measurement_charts, render_svg

from .domain.lot_figures import Bin
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


# The histogram depends on nothing but its bins, so its SVG is kept under a digest of them:
# a new verification that moves a pack to another bin draws it again, any other does not.
SOH_CHART_CACHE_SECONDS = 24 * 3600


def _soh_histogram_svg(bins: Sequence[Bin], *, packs: int) -> SafeString:
    chart = pygal.Histogram(
        title="Measured SOH across the lot's packs",
        x_title="measured SOH (%)",
        y_title="packs",
        **{**COMMON, "include_x_axis": True},
    )
    chart.add("packs", [(b.count, b.low, b.high) for b in bins])
    words = "; ".join(f"{b.label}: {b.count}" for b in bins)
    return render_svg(
        chart,
        title=f"Measured SOH of {packs} pack{'s' if packs != 1 else ''}, histogram",
        description=f"Packs per SOH band: {words}.",
    )


def soh_distribution_svg(*, lot_id: int, bins: Sequence[Bin]) -> SafeString:
    """The lot's SOH histogram as inline SVG, drawn once per lot and set of bins."""
    if not bins:
        return SafeString("")
    packs = sum(b.count for b in bins)
    digest = hashlib.sha256(repr([(b.low, b.high, b.count) for b in bins]).encode()).hexdigest()
    key = f"lot-soh-chart:{lot_id}:{digest[:24]}"
    svg = cache.get(key)
    if svg is None:
        svg = str(_soh_histogram_svg(bins, packs=packs))
        cache.set(key, svg, SOH_CHART_CACHE_SECONDS)
    return mark_safe(svg)  # our own drawing, escaped when drawn
