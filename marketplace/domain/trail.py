"""What an audit-trail entry changed, in one line: the lot page's Change column.

The entry itself (its before and after, in full) is the evidence and stays as recorded; this
is only how a person reads it. Actions without a line of their own are read generically, so
no entry shows an empty change.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

NAMED = 3  # list items named before "and N more"
LIMIT = 200  # characters; the trail's CSV holds the rest
# Values a reader cannot use in one line (digests, internal ids).
SKIPPED = frozenset({"sha256", "documents", "answer", "by", "review_required", "content_type"})

Values = Mapping[str, Any]
Kinds = Mapping[str, str]
EMPTY: Kinds = {}


def _text(value: Any) -> str:
    if value is None or value == "":
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Sequence) and not isinstance(value, str):
        items = [_text(item) for item in value]
        if not items:
            return "none"
        more = len(items) - NAMED
        return ", ".join(items[:NAMED]) + (f" and {more} more" if more > 0 else "")
    if isinstance(value, Mapping):
        return _text(value.get("name") or value.get("reference") or "")
    return str(value)


def _kind(code: str, kinds: Mapping[str, str]) -> str:
    """An event's or document's kind as people read it (the caller gives the names: the
    choices live with the models); its code, spaced, when not given."""
    return kinds.get(code) or _label(code)


def _label(name: str) -> str:
    return name.replace("_", " ")


def _fields(before: Values, after: Values, kinds: Kinds) -> str:
    """Each field of `after` (or of `before` when nothing came after), as it changed."""
    parts = []
    for name in after or before:
        if name in SKIPPED:
            continue
        if name in before and name in after and before[name] != after[name]:
            parts.append(f"{_label(name)} {_text(before[name])} → {_text(after[name])}")
        elif name in after:
            parts.append(f"{_label(name)} {_text(after[name])}")
        else:
            parts.append(f"{_label(name)} {_text(before[name])}")
    return "; ".join(parts)


def _created(before: Values, after: Values, kinds: Kinds) -> str:
    if "reference" not in after:
        return ""
    if after.get("parent"):
        return f"{after['reference']} split from {after['parent']}"
    packs = after.get("packs") or []
    claim = after.get("claimed_soh_pct")
    claimed = f", claimed SOH {claim} %" if claim is not None else ""
    events = len(after.get("history") or [])
    history = f", {events} history event(s)" if events else ""
    listed = f"{len(packs)} of {after.get('quantity', '?')} packs"
    return f"{after['reference']}: {listed}{claimed}{history}"


def _transition(before: Values, after: Values, kinds: Kinds) -> str:
    return f"{before.get('status', '?')} → {after.get('status', '?')}"


def _verification(before: Values, after: Values, kinds: Kinds) -> str:
    verdict = after.get("verdict")
    if not verdict:
        return f"{after.get('file', '')}: {after.get('status', '')}".strip(": ")
    measured = after.get("measured_soh_pct")
    figure = f" ({float(measured):.1f} % measured)" if measured is not None else ""
    return f"{after.get('file') or 'verdict'}: {verdict}{figure}"


def _decision(before: Values, after: Values, kinds: Kinds) -> str:
    provisional = " (provisional)" if after.get("provisional") else ""
    return f"{after.get('route', '?')}{provisional} under {after.get('rule_set', '?')}"


def _split(before: Values, after: Values, kinds: Kinds) -> str:
    subs = after.get("sub_lots") or []
    return "into " + _text([sub.get("reference", "?") for sub in subs]) if subs else ""


def _packs_added(before: Values, after: Values, kinds: Kinds) -> str:
    serials = after.get("serials") or after.get("packs") or []
    return f"{len(serials)} pack(s) added: {_text(serials)}"


def _packs_removed(before: Values, after: Values, kinds: Kinds) -> str:
    serials = before.get("packs") or []
    return f"{len(serials)} pack(s) removed: {_text(serials)}"


def _packs_imported(before: Values, after: Values, kinds: Kinds) -> str:
    events = after.get("history_events") or 0
    history = f", {events} history event(s)" if events else ""
    return f"{after.get('packs', 0)} pack(s){history} from {after.get('file', 'a file')}"


def _history(before: Values, after: Values, kinds: Kinds) -> str:
    event = after or before
    pack = f" of pack {event['pack']}" if event.get("pack") else ""
    custody = (
        f" from {event['custody_from']} to {event['custody_to']}"
        if event.get("custody_from") or event.get("custody_to")
        else ""
    )
    kind = _kind(str(event.get("kind", "event")), kinds)
    return f"{kind}{pack} on {event.get('occurred_on')}{custody}"


def _document(before: Values, after: Values, kinds: Kinds) -> str:
    pack = f" for pack {after['pack']}" if after.get("pack") else ""
    shown = ", published to buyers" if after.get("published") else ""
    return (
        f"{_kind(str(after.get('kind', 'document')), kinds)} {after.get('file', '')}{pack}{shown}"
    )


def _publish(before: Values, after: Values, kinds: Kinds) -> str:
    shown = "shown to buyers" if after.get("published") else "hidden from buyers"
    return f"{after.get('file', 'document')} {shown}"


def _passport(before: Values, after: Values, kinds: Kinds) -> str:
    made = "new pack" if after.get("pack_created") else "pack"
    return f"{made} {after.get('serial', '?')} from passport {after.get('passport_identifier', '')}"


def _upload(before: Values, after: Values, kinds: Kinds) -> str:
    return f"{after.get('file', 'a file')} for pack {after.get('pack', '?')}"


def _route_override(before: Values, after: Values, kinds: Kinds) -> str:
    route = after.get("route_override")
    return f"route set to {route}" if route else "route given back to the rules"


FORMATS: dict[str, Callable[[Values, Values, Kinds], str]] = {
    "lot.create": _created,
    "lot.transition": _transition,
    "verification.result": _verification,
    "verification.rejudged": _verification,
    "routing.decision": _decision,
    "lot.split": _split,
    "lot.packs_add": _packs_added,
    "lot.packs_remove": _packs_removed,
    "lot.packs_import": _packs_imported,
    "history.add": _history,
    "history.edit": _history,
    "history.delete": _history,
    "document.upload": _document,
    "document.publish": _publish,
    "document.unpublish": _publish,
    "passport.import": _passport,
    "review.route_override": _route_override,
    "test_record.upload": _upload,
}


def change_summary(
    action: str, before: Any, after: Any, *, kinds: Mapping[str, str] | None = None
) -> str:
    """One line saying what the entry changed; never empty for an entry that holds values.
    `kinds`: how event and document kinds read (their codes otherwise)."""
    before = before if isinstance(before, Mapping) else {}
    after = after if isinstance(after, Mapping) else {}
    line = FORMATS.get(action, _fields)(before, after, kinds or EMPTY)
    if not line and (before or after):
        line = _fields(before, after, EMPTY)
    return line if len(line) <= LIMIT else line[: LIMIT - 1] + "…"
