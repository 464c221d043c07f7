"""Trend charts of a supplier's scorecard, drawn on the server as inline SVG (no script)."""

from collections.abc import Sequence
from dataclasses import dataclass

import pygal
from django.utils.safestring import SafeString

from verification.charts import COMMON, render_svg

from .domain.scorecard import TrendMonth

# Month labels are ours ("2026-01"), and pygal escapes every label and value it writes.
CHART = {
    **COMMON,
    "show_legend": True,
    "legend_at_bottom": True,
    "x_label_rotation": 30,
    "dots_size": 4,  # a month is one dot: visible where only one or two are measured
    "include_x_axis": True,  # the axis starts at 0, so a small error looks small
}


def _svg(chart) -> SafeString:
    return render_svg(chart)


def volume_svg(trends: Sequence[TrendMonth]) -> SafeString:
    chart = pygal.Bar(title="Volume listed and verified, by month listed", y_title="kWh", **CHART)
    chart.x_labels = [t.month for t in trends]
    chart.add("listed", [t.listed_kwh for t in trends])
    chart.add("verified", [t.verified_kwh for t in trends])
    return _svg(chart)


def confirmed_svg(trends: Sequence[TrendMonth]) -> SafeString:
    chart = pygal.Line(
        title="Share of measured claims confirmed, by month measured",
        y_title="%",
        range=(0, 100),
        **CHART,
    )
    chart.x_labels = [t.month for t in trends]
    chart.add("confirmed", [t.confirmed_pct for t in trends])
    return _svg(chart)


def error_svg(trends: Sequence[TrendMonth]) -> SafeString:
    chart = pygal.Line(
        title="Claim error (claimed - measured SOH), by month measured",
        y_title="SOH points",
        **CHART,
    )
    chart.x_labels = [t.month for t in trends]
    chart.add("mean |error|", [t.mean_error for t in trends])
    chart.add("worst |error|", [t.worst_error for t in trends])
    return _svg(chart)


@dataclass(frozen=True)
class ScorecardCharts:
    volume: SafeString
    confirmed: SafeString
    error: SafeString


def scorecard_charts(trends: Sequence[TrendMonth]) -> ScorecardCharts | None:
    if not trends:
        return None
    measured = any(t.claims for t in trends)
    return ScorecardCharts(
        volume=volume_svg(trends),
        confirmed=confirmed_svg(trends) if measured else SafeString(""),
        error=error_svg(trends) if measured else SafeString(""),
    )
