from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import TypedDict

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

from .choices import HistoryEventKind, LotStatus
from .errors import ApplicationError
from .models import HistoryEvent, Lot, Organisation, Pack, PackModel
from .selectors import lot_can_manage, supplier_organisations


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
    """Create a draft lot with its packs and history in one transaction."""
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
        status=LotStatus.DRAFT,
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
    # A provisional route from the claim, so the supplier sees where the lot is heading.
    from verification.services import lot_recompute

    return lot_recompute(lot_id=lot.pk)


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


@transaction.atomic
def lot_submit(*, user: AbstractBaseUser, lot: Lot) -> Lot:
    """Hand a draft lot to verification; its packs' test data decide what buyers see."""
    # Imported here: verification depends on suppliers, not the other way round.
    from verification.services import lot_recompute

    if not lot_can_manage(user=user, lot=lot):
        raise ApplicationError("Only the supplier of this lot can submit it.")
    if not lot.packs.exists():
        raise ApplicationError("A lot needs at least one pack before it can be submitted.")
    updated = Lot.objects.filter(pk=lot.pk, status=LotStatus.DRAFT).update(
        status=LotStatus.SUBMITTED
    )
    if not updated:
        raise ApplicationError(f"Only a draft lot can be submitted; this one is {lot.status}.")
    lot.refresh_from_db()
    return lot_recompute(lot_id=lot.pk)


def pack_model_create(**fields) -> PackModel:
    try:
        with transaction.atomic():
            return PackModel.objects.create(**fields)
    except IntegrityError as exc:
        raise ApplicationError(
            "A pack model with this manufacturer and model already exists."
        ) from exc
