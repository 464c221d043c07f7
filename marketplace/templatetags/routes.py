"""A lot's route as the coloured tag every page shows; a tag, not an include, because the
browse list draws one per row."""

from django import template
from django.utils.html import format_html
from django.utils.text import slugify

register = template.Library()

PROVISIONAL = "Provisional: the lot is not yet measured on the sampling plan's number of packs"
MEASURED = "Backed by measurements on the sampling plan's number of packs"
BY_AUDITOR = "Set by an auditor, with a written reason: a person's decision, not a measurement"


@register.simple_tag
def route_tag(route: str | None, provisional: bool = False, by_auditor: bool = False) -> str:
    if not route:
        return "—"
    css = f"route route-{slugify(route)}"
    if by_auditor:
        return format_html(
            '<span class="{} by-auditor" title="{}">{} (auditor\'s decision)</span>',
            css, BY_AUDITOR, route,
        )  # fmt: skip
    if provisional:
        return format_html(
            '<span class="{} provisional" title="{}">{} (provisional)</span>',
            css, PROVISIONAL, route,
        )  # fmt: skip
    return format_html('<span class="{}" title="{}">{}</span>', css, MEASURED, route)
