from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import TypedDict

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

from core.errors import ApplicationError

from .choices import HistoryEventKind
from .models import HistoryEvent, Lot, Organisation, Pack, PackModel
from .selectors import supplier_organisations


class PackInput(TypedDict, total=False):
    serial: str
    claimed_soh_pct: Decimal | None
    cycle_count: int | None


class HistoryInput(TypedDict, total=False):
    kind: str
    occurred_on: date
    actor: str
    vin: str
    custody_from: str
    custody_to: str
    notes: str


@transaction.atomic
def lot_create(
    *,
    user: AbstractBaseUser,
    supplier: Organisation,
    pack_model: PackModel,
    reference: str,
    location: str,
    quantity: int,
    claimed_soh_pct: Decimal,
    price_per_kwh: Decimal,
    packs: Iterable[PackInput],
    history: Iterable[HistoryInput] = (),
) -> Lot:
    """Create a draft lot with its packs and history in one transaction.

    Only the rows: the marketplace's lot service gives the new lot its provisional route and
    its first audit entry in the same transaction.
    """
    if not supplier_organisations(user=user).filter(pk=supplier.pk).exists():
        raise ApplicationError("You can only list lots for your own supplier organisation.")
    packs = list(packs)
    if not packs:
        raise ApplicationError("A lot needs at least one pack.", field="packs")
    if len(packs) > quantity:
        raise ApplicationError(
            f"The lot lists {len(packs)} packs but its quantity is {quantity}.", field="packs"
        )
    serials = [p["serial"].strip() for p in packs]
    if len(set(serials)) != len(serials):
        raise ApplicationError("Each pack in a lot needs its own serial.", field="packs")
    if Lot.objects.filter(supplier=supplier, reference=reference).exists():
        raise ApplicationError(
            f"Your organisation already has a lot with reference {reference!r}.",
            field="reference",
        )
    lot = Lot.objects.create(
        supplier=supplier,
        reference=reference,
        pack_model=pack_model,
        location=location,
        quantity=quantity,
        claimed_soh_pct=claimed_soh_pct,
        price_per_kwh=price_per_kwh,
        created_by=user,
    )
    Pack.objects.bulk_create(
        Pack(
            lot=lot,
            serial=serial,
            claimed_soh_pct=p.get("claimed_soh_pct"),
            cycle_count=p.get("cycle_count"),
        )
        for serial, p in zip(serials, packs, strict=True)
    )
    HistoryEvent.objects.bulk_create(HistoryEvent(lot=lot, **event) for event in history)
    return lot


def lot_service_history(
    *, manufactured_on: date | None, removed_on: date | None, vin: str = "", actor: str = ""
) -> list[HistoryInput]:
    """The minimal history a web form collects: when the packs were made and retired."""
    events: list[HistoryInput] = []
    if manufactured_on:
        events.append({"kind": HistoryEventKind.MANUFACTURED, "occurred_on": manufactured_on})
    if removed_on:
        events.append(
            {
                "kind": HistoryEventKind.REMOVED,
                "occurred_on": removed_on,
                "vin": vin,
                "actor": actor,
            }
        )
    return events


def pack_model_create(**fields) -> PackModel:
    try:
        with transaction.atomic():
            return PackModel.objects.create(**fields)
    except IntegrityError as exc:
        raise ApplicationError(
            "A pack model with this manufacturer and model already exists."
        ) from exc


def packs_move(*, pack_ids: list[int], to_lot: Lot, lot_events: Iterable[HistoryEvent]) -> None:
    """Move packs, with their own history, to another lot of the same supplier; the lot-wide
    events they shared (`lot_events`) are copied, so both lots keep their documented history."""
    Pack.objects.filter(pk__in=pack_ids).update(lot=to_lot)
    HistoryEvent.objects.filter(pack_id__in=pack_ids).update(lot=to_lot)
    HistoryEvent.objects.bulk_create(
        HistoryEvent(
            lot=to_lot, kind=e.kind, occurred_on=e.occurred_on, actor=e.actor, vin=e.vin,
            custody_from=e.custody_from, custody_to=e.custody_to, notes=e.notes,
        )
        for e in lot_events
    )  # fmt: skip
