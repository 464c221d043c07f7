"""Charts for the lot page, drawn on the server as inline SVG so the page needs no script."""

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import pygal
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from pygal.style import Style

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1d2733",
    foreground_strong="#1d2733",
    foreground_subtle="#d9dee5",
    colors=("#0b6e4f", "#b26b00", "#4a4f8c", "#8a2432"),
    font_family="system-ui, sans-serif",
    label_font_size=12,
    major_label_font_size=12,
    title_font_size=14,
)
MAX_CYCLE_LABELS = 20
# pygal always writes a <script> with its settings, for a tooltip script the charts do not load
# (js=[] below); the Content-Security-Policy refuses inline scripts, so it is left out. Its text
# is escaped XML, so no "</script>" can occur inside it.
PYGAL_SETTINGS_SCRIPT = re.compile(r"<script[^>]*>.*?</script>", re.S)
COMMON = {
    "style": STYLE,
    "width": 560,
    "height": 300,
    "show_legend": False,
    "js": [],  # no script from anywhere: the page works offline
    "disable_xml_declaration": True,
    "explicit_size": True,
    "dots_size": 2,
}


SVG_OPEN = re.compile(r"<svg\b[^>]*>")


def render_svg(chart, *, title: str = "", description: str = "") -> SafeString:
    """A pygal chart as inline SVG for a page: without pygal's settings script, and, given a
    title, named for screen readers by its own <title> and <desc> (role="img")."""
    svg = PYGAL_SETTINGS_SCRIPT.sub("", chart.render(is_unicode=True))
    if title:
        ident = f"svg-{uuid.uuid4().hex[:12]}"
        label = f'<title id="{ident}-t">{escape(title)}</title>' + (
            f'<desc id="{ident}-d">{escape(description)}</desc>' if description else ""
        )
        names = f"{ident}-t {ident}-d" if description else f"{ident}-t"
        opening = SVG_OPEN.search(svg)
        if opening is not None:
            tag = opening.group(0)[:-1] + f' role="img" aria-labelledby="{names}">'
            svg = svg[: opening.start()] + tag + label + svg[opening.end() :]
    # pygal escapes every label and value it writes; title and description are escaped here.
    return mark_safe(svg)


def capacity_per_cycle_svg(points: Sequence[Sequence[float]], *, nominal_ah: float) -> str:
    """Discharge capacity of each cycle, against the nominal capacity."""
    cycles = sorted({int(p[0]) for p in points})
    chart = pygal.XY(
        title="Discharge capacity per cycle",
        x_title="cycle",
        y_title="Ah",
        range=(0, max([nominal_ah, *(p[1] for p in points)]) * 1.05),
        # Whole cycle numbers where they fit; pygal's own ticks would show 1.1, 1.2, ...
        **({"x_labels": cycles} if len(cycles) <= MAX_CYCLE_LABELS else {}),
        **COMMON,
    )
    chart.add("discharge capacity", [(float(c), float(ah)) for c, ah in points])
    chart.add("nominal", [(float(points[0][0]), nominal_ah), (float(points[-1][0]), nominal_ah)]
              if points else [], stroke_style={"dasharray": "4,4"}, show_dots=False)  # fmt: skip
    shown = "; ".join(f"cycle {int(c)}: {float(ah):.2f} Ah" for c, ah in points[:MAX_CYCLE_LABELS])
    more = (
        f"; and {len(points) - MAX_CYCLE_LABELS} more cycles"
        if len(points) > MAX_CYCLE_LABELS
        else ""
    )
    return render_svg(
        chart,
        title="Discharge capacity per cycle",
        description=f"Nominal {nominal_ah:g} Ah. {shown}{more}.",
    )


def voltage_vs_capacity_svg(points: Sequence[Sequence[float]], *, cycle: int) -> str:
    """The discharge curve of the cycle that gave the SOH figure."""
    chart = pygal.XY(
        title=f"Voltage vs capacity, discharge of cycle {cycle}",
        x_title="Ah discharged",
        y_title="V",
        show_dots=False,
        **{**COMMON, "dots_size": 1},
    )
    chart.add("voltage", [(float(ah), float(v)) for ah, v in points])
    volts = [float(v) for _, v in points]
    return render_svg(
        chart,
        title=f"Voltage vs capacity, discharge of cycle {cycle}",
        description=f"From {max(volts):.2f} V down to {min(volts):.2f} V over "
        f"{float(points[-1][0]):.2f} Ah discharged."
        if points
        else "",
    )


@dataclass(frozen=True)
class TestCharts:
    __test__ = False  # not a pytest test class, despite the name

    capacity_per_cycle: SafeString
    voltage_vs_capacity: SafeString  # empty where the file kept no curve for the chosen cycle


def measurement_charts(measurement) -> TestCharts:
    """Both charts of one measurement's test."""
    curves = measurement.figures.get("curves") or {}
    per_cycle = curves.get("capacity_per_cycle") or [
        [c["cycle"], c["discharge_capacity_ah"]] for c in measurement.cycles
    ]
    discharge = curves.get("voltage_vs_capacity") or []
    # pygal escapes every label and value it writes into the SVG; the numbers come from our
    # own figures, never from the uploaded file's text.
    return TestCharts(
        capacity_per_cycle=mark_safe(
            capacity_per_cycle_svg(per_cycle, nominal_ah=measurement.nominal_capacity_ah)
        )
        if per_cycle
        else SafeString(""),
        voltage_vs_capacity=mark_safe(
            voltage_vs_capacity_svg(discharge, cycle=measurement.cycle_used or 0)
        )
        if discharge
        else SafeString(""),
    )
