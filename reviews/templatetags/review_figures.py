"""Template filters for figures rounded to what they mean: {{ run.measured_soh_pct|soh }}."""

from django import template

from ..domain import figures

register = template.Library()

register.filter("soh", figures.soh_text)
register.filter("soh_points", figures.points_text)
register.filter("ah", figures.capacity_text)
register.filter("mohm", figures.resistance_text)
register.filter("ratio", figures.ratio_text)
