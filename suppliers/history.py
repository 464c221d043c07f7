"""A lot's documented history, one event at a time: the rows and the one check of them.

While a lot is a draft its supplier adds, edits and deletes events; once submitted, events
are only added. Every write is checked against the whole history (`suppliers.domain.history`):
the web form and the API call the same functions, through the marketplace's history service,
which audits each change and re-routes the lot."""

from collections.abc import Iterable
from datetime import date
from typing import TypedDict

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from core.errors import ApplicationError

from .choices import HISTORY_CLOSED_LOT_STATUSES, HistoryEventKind, LotStatus
from .domain.custody import HistoryFlags, history_flags
from .domain.history import HistoryFact, history_problems
from .models import HistoryEvent, Lot, Pack
from .selectors import lot_can_manage


class HistoryInput(TypedDict, total=False):
    kind: str
    occurred_on: date
    actor: str
    vin: str
    custody_from: str
    custody_to: str
    notes: str


TEXT_FIELDS = ("actor", "vin", "custody_from", "custody_to", "notes")
EVENT_FIELDS = ("kind", "occurred_on", *TEXT_FIELDS)


def history_fact(event: HistoryEvent | HistoryInput, *, pack_id: int | None = None) -> HistoryFact:
    if isinstance(event, HistoryEvent):
        values = {name: getattr(event, name) for name in EVENT_FIELDS}
        pack_id = event.pack_id
    else:
        values = {name: event.get(name, "") for name in EVENT_FIELDS}
    return HistoryFact(
        kind=values["kind"],
        occurred_on=values["occurred_on"],
        actor=values["actor"] or "",
        vin=values["vin"] or "",
        custody_from=values["custody_from"] or "",
        custody_to=values["custody_to"] or "",
        pack=pack_id,
    )


def lot_history_flags(*, lot: Lot) -> HistoryFlags:
    """What buyers filter the lot's history by: safety events, and a complete custody chain."""
    facts = [history_fact(event) for event in lot.history.all()]
    return history_flags(facts, today=timezone.localdate())


def _problem_keys(facts: list[tuple[object, HistoryFact]]) -> dict[tuple[object, str], str]:
    """(which event, message) -> field, for a history given as (identity, fact) pairs."""
    problems = history_problems([fact for _, fact in facts], today=timezone.localdate())
    return {(facts[p.index][0], p.message): p.field for p in problems}


def lot_history_change_check(
    *,
    lot: Lot,
    new: tuple[HistoryInput, int | None] | None = None,
    replacing: HistoryEvent | None = None,
    removing: HistoryEvent | None = None,
) -> None:
    """Refuse a change that makes the lot's history incoherent: adding `new` (an event and
    its pack id), replacing the event `replacing` with it, or removing `removing`. Problems
    the history already had (recorded before these rules) do not block a change that adds
    none."""
    existing = [(event.pk, history_fact(event)) for event in lot.history.all()]
    left_out = {getattr(replacing, "pk", None), getattr(removing, "pk", None)}
    changed = [pair for pair in existing if pair[0] not in left_out]
    if new is not None:
        event, pack_id = new
        changed.append((getattr(replacing, "pk", "new"), history_fact(event, pack_id=pack_id)))
    before, after = _problem_keys(existing), _problem_keys(changed)
    added = [(key, field) for key, field in after.items() if key not in before]
    if added:
        message = " ".join(message for (_, message), _ in added)
        if removing is not None:
            message = f"Deleting this event would leave the history incoherent: {message}"
        raise ApplicationError(message, field=added[0][1] if removing is None else None)


def history_check(history: Iterable[HistoryInput]) -> list[HistoryInput]:
    """A whole new history (a new lot's), each event cleaned as one added later is, then
    checked together; returns the cleaned events."""
    cleaned = []
    for number, event in enumerate(history, start=1):
        try:
            cleaned.append(history_clean(event))
        except ApplicationError as exc:
            raise ApplicationError(f"Event {number}: {exc.message}", field="history") from exc
    problems = history_problems(
        (history_fact(event) for event in cleaned), today=timezone.localdate()
    )
    if problems:
        raise ApplicationError(" ".join(p.message for p in problems), field="history")
    return cleaned


def history_clean(fields: HistoryInput) -> HistoryInput:
    """One event as typed in: a known kind and a date, text on one line, the VIN upper case,
    custody names only on a custody transfer."""
    kind = fields.get("kind", "")
    if kind not in HistoryEventKind.values:
        raise ApplicationError(f"Unknown history event {kind!r}.", field="kind")
    occurred_on = fields.get("occurred_on")
    if not isinstance(occurred_on, date):
        raise ApplicationError("Give the date the event happened.", field="occurred_on")
    cleaned: HistoryInput = {"kind": kind, "occurred_on": occurred_on}
    for name in TEXT_FIELDS:
        text = str(fields.get(name) or "")
        # One line each, spaces as typed collapsed; notes keep their lines.
        cleaned[name] = text.strip() if name == "notes" else " ".join(text.split())
    cleaned["vin"] = cleaned["vin"].upper()
    if cleaned["kind"] != HistoryEventKind.CUSTODY_TRANSFER and (
        cleaned["custody_from"] or cleaned["custody_to"]
    ):
        raise ApplicationError(
            "Only a custody transfer names who handed the packs over and who took them.",
            field="custody_from",
        )
    return cleaned


def _check_manager(*, user: AbstractBaseUser, lot: Lot) -> None:
    if not lot_can_manage(user=user, lot=lot):
        raise ApplicationError("Only the supplier of this lot records its history.")


def _check_pack(*, lot: Lot, pack: Pack | None) -> None:
    if pack is not None and pack.lot_id != lot.pk:
        raise ApplicationError(f"Pack {pack.serial} is not in lot {lot.reference}.", field="pack")


def history_event_create_rows(
    *, user: AbstractBaseUser, lot: Lot, pack: Pack | None = None, fields: HistoryInput
) -> HistoryEvent:
    """Add one event to the lot (every pack) or to one of its packs. Callers hold the lot's
    row locked, so two additions at once are checked one after the other."""
    _check_manager(user=user, lot=lot)
    if lot.status in HISTORY_CLOSED_LOT_STATUSES:
        raise ApplicationError(f"Lot {lot.reference} is {lot.status}: its history is closed.")
    _check_pack(lot=lot, pack=pack)
    cleaned = history_clean(fields)
    lot_history_change_check(lot=lot, new=(cleaned, pack.pk if pack else None))
    return HistoryEvent.objects.create(lot=lot, pack=pack, **cleaned)


def _check_draft(lot: Lot) -> None:
    if lot.status != LotStatus.DRAFT:
        raise ApplicationError(
            f"Lot {lot.reference} is {lot.status}: its history is evidence now, and events are "
            "only added (a correction is a new event saying what was wrong)."
        )


def history_event_update_rows(
    *, user: AbstractBaseUser, event: HistoryEvent, pack: Pack | None, fields: HistoryInput
) -> HistoryEvent:
    """Change an event of a draft lot."""
    lot = event.lot
    _check_manager(user=user, lot=lot)
    _check_draft(lot)
    _check_pack(lot=lot, pack=pack)
    cleaned = history_clean(fields)
    lot_history_change_check(lot=lot, new=(cleaned, pack.pk if pack else None), replacing=event)
    for name, value in cleaned.items():
        setattr(event, name, value)
    event.pack = pack
    event.save()
    # Its documents follow it to the pack it now concerns.
    event.documents.update(pack=pack)
    return event


def history_event_delete_rows(*, user: AbstractBaseUser, event: HistoryEvent) -> None:
    """Delete an event of a draft lot; its documents stay with the lot."""
    lot = event.lot
    _check_manager(user=user, lot=lot)
    _check_draft(lot)
    lot_history_change_check(lot=lot, removing=event)
    event.delete()
