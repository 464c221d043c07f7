"""{{ entry|trail_change }}: one line saying what an audit entry changed."""

from django import template

from audit.models import AuditEntry
from suppliers.choices import DocumentKind, HistoryEventKind

from ..domain.trail import change_summary

register = template.Library()

KINDS = {**dict(HistoryEventKind.choices), **dict(DocumentKind.choices)}


@register.filter
def trail_change(entry: AuditEntry) -> str:
    return change_summary(entry.action, entry.before, entry.after, kinds=KINDS)
