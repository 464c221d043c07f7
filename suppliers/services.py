from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import TypedDict

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.db.models.functions import Upper
from django.utils import timezone
from django_countries.fields import Country

from core.errors import ApplicationError

from .choices import HistoryEventKind, LotStatus
from .domain.pack_model import rating_problems
from .history import HistoryInput, history_check
from .models import Document, HistoryEvent, Lot, Organisation, Pack, PackModel
from .selectors import (
    acting_supplier,
    is_auditor,
    pack_model_list_for_supplier,
    pack_serials_live,
    supplier_organisations,
)

# How many serials a refusal names before it stops.
SERIALS_NAMED = 5


class PackInput(TypedDict, total=False):
    serial: str
    claimed_soh_pct: Decimal | None
    cycle_count: int | None


@transaction.atomic
def lot_create(
    *,
    user: AbstractBaseUser | None,
    supplier: Organisation,
    pack_model: PackModel,
    reference: str,
    location: str,
    quantity: int,
    claimed_soh_pct: Decimal,
    price_per_kwh: Decimal,
    packs: Iterable[PackInput],
    history: Iterable[HistoryInput] = (),
    description: str = "",
    country: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
) -> Lot:
    """Create a draft lot with its packs and history in one transaction.

    Only the rows: the marketplace's lot service gives the new lot its provisional route and
    its first audit entry in the same transaction. `user` None is an operator's management
    command acting for `supplier`.
    """
    if user is not None and not supplier_organisations(user=user).filter(pk=supplier.pk).exists():
        raise ApplicationError("You can only list lots for your own supplier organisation.")
    if not pack_model_list_for_supplier(supplier=supplier).filter(pk=pack_model.pk).exists():
        raise ApplicationError(
            "That pack model is another organisation's proposal, not yet approved.",
            field="pack_model",
        )
    packs = list(packs)
    if not packs:
        raise ApplicationError("A lot needs at least one pack.", field="packs")
    if len(packs) > quantity:
        raise ApplicationError(
            f"The lot lists {len(packs)} packs but its quantity is {quantity}.", field="packs"
        )
    serials = [p["serial"].strip() for p in packs]
    upper = [serial.upper() for serial in serials]
    if len(set(upper)) != len(upper):
        repeated = sorted({s for s in upper if upper.count(s) > 1})
        raise ApplicationError(
            f"Each pack in a lot needs its own serial; repeated: "
            f"{', '.join(repeated[:SERIALS_NAMED])}.",
            field="packs",
        )
    if Lot.objects.filter(supplier=supplier, reference=reference).exists():
        raise ApplicationError(
            f"Your organisation already has a lot with reference {reference!r}.",
            field="reference",
        )
    _check_site(latitude, longitude)
    history = history_check(history)
    _check_serials_free(serials=serials, supplier=supplier)
    try:
        with transaction.atomic():
            lot = Lot.objects.create(
                supplier=supplier,
                reference=reference,
                pack_model=pack_model,
                location=location,
                description=description,
                country=country,
                latitude=latitude,
                longitude=longitude,
                quantity=quantity,
                claimed_soh_pct=claimed_soh_pct,
                price_per_kwh=price_per_kwh,
                created_by=user,
            )
    except IntegrityError as exc:
        # A concurrent request created the same reference between the check and the insert.
        raise ApplicationError(
            f"Your organisation already has a lot with reference {reference!r}.",
            field="reference",
        ) from exc
    try:
        with transaction.atomic():
            Pack.objects.bulk_create(
                Pack(
                    lot=lot,
                    serial=serial,
                    claimed_soh_pct=p.get("claimed_soh_pct"),
                    cycle_count=p.get("cycle_count"),
                )
                for serial, p in zip(serials, packs, strict=True)
            )
    except IntegrityError as exc:
        # Another lot took one of the serials between the check and the insert.
        raise ApplicationError(
            "One of these serials was just listed in another lot; reload and check the serials.",
            field="packs",
        ) from exc
    HistoryEvent.objects.bulk_create(HistoryEvent(lot=lot, **event) for event in history)
    return lot


# What a draft's supplier may change, field by field (the packs and history have their own).
LOT_EDITABLE_FIELDS = (
    "reference",
    "pack_model",
    "location",
    "description",
    "country",
    "latitude",
    "longitude",
    "quantity",
    "claimed_soh_pct",
    "price_per_kwh",
)


def _check_site(latitude: float | None, longitude: float | None) -> None:
    if (latitude is None) != (longitude is None):
        raise ApplicationError(
            "Give both the latitude and the longitude of the packs' site, or neither.",
            field="latitude" if latitude is None else "longitude",
        )


def _draft_of(*, user: AbstractBaseUser, lot: Lot) -> Lot:
    """The lot, locked, if `user` may change it: a draft of one of their organisations.
    After submission a lot changes only by lifecycle transitions (withdraw, recall)."""
    if not supplier_organisations(user=user).filter(pk=lot.supplier_id).exists():
        raise ApplicationError("Only the supplier of this lot can change it.")
    lot = Lot.objects.select_for_update().select_related("pack_model").get(pk=lot.pk)
    if lot.status != LotStatus.DRAFT:
        raise ApplicationError(
            f"Lot {lot.reference} is {lot.get_status_display().lower()}: only a draft is "
            "edited. Recall it to draft first if it has not been verified yet."
        )
    return lot


def lot_rows_update(*, user: AbstractBaseUser, lot: Lot, **changes) -> tuple[Lot, dict, dict]:
    """Change a draft's own fields; returns the lot and the (before, after) of what changed."""
    unknown = set(changes) - set(LOT_EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    lot = _draft_of(user=user, lot=lot)
    changes = {name: value for name, value in changes.items() if getattr(lot, name) != value}
    if "reference" in changes:
        changes["reference"] = changes["reference"].strip()
        if not changes["reference"]:
            raise ApplicationError("A lot needs a reference.", field="reference")
        taken = Lot.objects.filter(supplier=lot.supplier_id, reference=changes["reference"])
        if taken.exclude(pk=lot.pk).exists():
            raise ApplicationError(
                f"Your organisation already has a lot with reference {changes['reference']!r}.",
                field="reference",
            )
    if "pack_model" in changes:
        visible = pack_model_list_for_supplier(supplier=lot.supplier)
        if not visible.filter(pk=changes["pack_model"].pk).exists():
            raise ApplicationError(
                "That pack model is another organisation's proposal, not yet approved.",
                field="pack_model",
            )
    if "quantity" in changes:
        listed = lot.packs.count()
        if changes["quantity"] < max(listed, 1):
            raise ApplicationError(
                f"The lot lists {listed} packs; its quantity cannot be below that. Remove "
                "packs first.",
                field="quantity",
            )
    if {"latitude", "longitude"} & set(changes):
        _check_site(changes.get("latitude", lot.latitude), changes.get("longitude", lot.longitude))
    before = {name: _plain(getattr(lot, name)) for name in changes}
    for name, value in changes.items():
        setattr(lot, name, value)
    try:
        with transaction.atomic():
            lot.save(update_fields=[*changes, "updated_at"])
    except IntegrityError as exc:
        raise ApplicationError(
            f"Your organisation already has a lot with reference {lot.reference!r}.",
            field="reference",
        ) from exc
    return lot, before, {name: _plain(value) for name, value in changes.items()}


def _plain(value):
    """A field's value as the audit trail records it."""
    return str(value) if isinstance(value, PackModel | Country) else value


def pack_rows_add(*, user: AbstractBaseUser, lot: Lot, packs: Iterable[PackInput]) -> list[Pack]:
    """Add packs to a draft, within its quantity."""
    lot = _draft_of(user=user, lot=lot)
    packs = list(packs)
    if not packs:
        raise ApplicationError("Give at least one pack to add.", field="packs")
    serials = [p["serial"].strip() for p in packs]
    if any(not serial for serial in serials):
        raise ApplicationError("Each pack needs a serial.", field="packs")
    existing = set(lot.packs.annotate(u=Upper("serial")).values_list("u", flat=True))
    upper = [serial.upper() for serial in serials]
    if len(set(upper)) != len(upper) or existing & set(upper):
        repeated = sorted({s for s in upper if upper.count(s) > 1 or s in existing})
        raise ApplicationError(
            f"Each pack in a lot needs its own serial; repeated: {', '.join(repeated[:5])}.",
            field="packs",
        )
    if len(existing) + len(serials) > lot.quantity:
        raise ApplicationError(
            f"The lot's quantity is {lot.quantity} and it lists {len(existing)} packs: "
            f"{len(serials)} more would make {len(existing) + len(serials)}. Raise the "
            "quantity first.",
            field="packs",
        )
    _check_serials_free(serials=serials, supplier=lot.supplier)
    try:
        with transaction.atomic():
            created = Pack.objects.bulk_create(
                Pack(
                    lot=lot,
                    serial=serial,
                    claimed_soh_pct=p.get("claimed_soh_pct"),
                    cycle_count=p.get("cycle_count"),
                )
                for serial, p in zip(serials, packs, strict=True)
            )
    except IntegrityError as exc:
        raise ApplicationError(
            "One of these serials was just listed in another lot; reload and check the serials.",
            field="packs",
        ) from exc
    return created


def pack_rows_remove(*, user: AbstractBaseUser, lot: Lot, pack_ids: Iterable[int]) -> list[str]:
    """Remove packs from a draft (with their own history); returns their serials. A pack
    carrying evidence (test data, documents) stays: the models protect it, and the lot's lock,
    taken first, holds off an upload racing the removal."""
    lot = _draft_of(user=user, lot=lot)
    pack_ids = set(pack_ids)
    packs = list(lot.packs.filter(pk__in=pack_ids).order_by("serial"))
    if len(packs) != len(pack_ids) or not packs:
        raise ApplicationError("Those packs are not all on this lot.", field="packs")
    if len(packs) == lot.packs.count():
        raise ApplicationError(
            "A lot needs at least one pack; withdraw the lot instead of removing them all.",
            field="packs",
        )
    try:
        with transaction.atomic():
            Pack.objects.filter(pk__in=pack_ids).delete()
    except ProtectedError as exc:
        serial_of = {pack.pk: pack.serial for pack in packs}
        kept = sorted({serial_of[row.pack_id] for row in exc.protected_objects})
        raise ApplicationError(
            f"Pack(s) {', '.join(kept[:SERIALS_NAMED])} carry uploaded test data or documents "
            "and stay on the lot: evidence is never deleted. Withdraw the lot if it should "
            "not be offered.",
            field="packs",
        ) from exc
    return [pack.serial for pack in packs]


def _check_serials_free(*, serials: list[str], supplier: Organisation) -> None:
    """A serial (or passport id) names one live pack on the platform. Whose lot holds it is
    said only to its own supplier; another's is "already listed by another organisation"."""
    taken = pack_serials_live(serials=serials).values_list(
        "serial", "lot__supplier_id", "lot__reference"
    )
    own, others = [], []
    for serial, supplier_id, reference in taken:
        (own if supplier_id == supplier.pk else others).append((serial, reference))
    if others:
        names = ", ".join(serial for serial, _ in others[:SERIALS_NAMED])
        raise ApplicationError(
            f"Pack serial(s) {names} are already listed by another organisation. A pack changes "
            "hands by a custody transfer, not by listing it again.",
            field="packs",
        )
    if own:
        names = ", ".join(f"{serial} (lot {ref})" for serial, ref in own[:SERIALS_NAMED])
        raise ApplicationError(
            f"Pack serial(s) already listed in your other lots: {names}. Withdraw that lot or "
            "move the packs before listing them again.",
            field="packs",
        )


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


def pack_model_approve_rows(
    *, user: AbstractBaseUser, pack_model: PackModel, note: str
) -> PackModel:
    """An auditor confirms a pack model's ratings (against the maker's published data): from
    then on measurements against its nominal can confirm claims."""
    if not is_auditor(user):
        raise ApplicationError("Only auditors approve pack models.")
    if not note.strip():
        raise ApplicationError(
            "Say what the ratings were checked against (the maker's datasheet, say).", field="note"
        )
    updated = PackModel.objects.filter(pk=pack_model.pk, approved_at__isnull=True).update(
        approved_at=timezone.now(), approved_by=user, approval_note=note.strip()
    )
    if not updated:
        raise ApplicationError(f"{pack_model} is already approved.")
    pack_model.refresh_from_db()
    return pack_model


def _pack_model_check(fields: dict) -> None:
    """Say what is really wrong with a pack model's ratings, field by field, before the
    database's constraints would refuse them with no words."""
    problems = rating_problems(
        chemistry=fields.get("chemistry"),
        nominal_voltage_v=fields.get("nominal_voltage_v"),
        nominal_capacity_ah=fields.get("nominal_capacity_ah"),
        nominal_energy_kwh=fields.get("nominal_energy_kwh"),
        cells_series=fields.get("cells_series"),
        cells_parallel=fields.get("cells_parallel", 1),
        baseline_resistance_mohm=fields.get("baseline_resistance_mohm"),
    )
    if problems:
        raise ApplicationError(problems[0].message, field=problems[0].field)


def pack_model_create(
    *, user: AbstractBaseUser | None, supplier: Organisation | None = None, **fields
) -> PackModel:
    """A supplier proposes a pack model: visible to its organisation at once, to everyone once
    an auditor approves its ratings. `supplier` may be left out by a member of one supplier
    organisation only; `user` None is an operator's command acting for `supplier`."""
    supplier = _proposing_organisation(user=user, supplier=supplier)
    fields = {
        **fields,
        "manufacturer": fields.get("manufacturer", "").strip(),
        "model": fields.get("model", "").strip(),
    }
    _pack_model_check(fields)
    duplicate = PackModel.objects.filter(
        manufacturer__iexact=fields["manufacturer"], model__iexact=fields["model"]
    ).first()
    if duplicate is not None:
        raise ApplicationError(
            f"A pack model {duplicate.manufacturer} {duplicate.model} already exists"
            + ("." if duplicate.is_approved or duplicate.proposed_by_id == supplier.pk
               else ", proposed by another organisation and awaiting an auditor's approval."),
            field="model",
        )  # fmt: skip
    try:
        with transaction.atomic():
            return PackModel.objects.create(
                **fields, proposed_by=supplier, proposed_at=timezone.now()
            )
    except IntegrityError as exc:
        # A concurrent request registered the same model between the check and the insert.
        raise ApplicationError(
            "A pack model with this manufacturer and model already exists.", field="model"
        ) from exc


def _proposing_organisation(
    *, user: AbstractBaseUser | None, supplier: Organisation | None
) -> Organisation:
    if user is None:
        if supplier is None:
            raise ApplicationError("Say which supplier organisation proposes this model.")
        return supplier
    return acting_supplier(user=user, supplier=supplier, doing="propose pack models")


def packs_move(*, pack_ids: list[int], to_lot: Lot, lot_events: Iterable[HistoryEvent]) -> None:
    """Move packs, with their own history and documents, to another lot of the same supplier;
    the lot-wide events they shared (`lot_events`) and the lot-wide documents are copied (the
    copies name the same stored files), so both lots keep their documented history."""
    lot_events = list(lot_events)
    from_lot_ids = set(Pack.objects.filter(pk__in=pack_ids).values_list("lot_id", flat=True))
    Pack.objects.filter(pk__in=pack_ids).update(lot=to_lot)
    HistoryEvent.objects.filter(pack_id__in=pack_ids).update(lot=to_lot)
    Document.objects.filter(pack_id__in=pack_ids).update(lot=to_lot)
    copies = HistoryEvent.objects.bulk_create(
        HistoryEvent(
            lot=to_lot, kind=e.kind, occurred_on=e.occurred_on, actor=e.actor, vin=e.vin,
            custody_from=e.custody_from, custody_to=e.custody_to, notes=e.notes,
        )
        for e in lot_events
    )  # fmt: skip
    copy_of = {event.pk: copy for event, copy in zip(lot_events, copies, strict=True)}
    Document.objects.bulk_create(
        Document(
            owner_id=d.owner_id, lot=to_lot, history_event=copy_of.get(d.history_event_id),
            kind=d.kind, file=d.file.name, original_name=d.original_name,
            content_type=d.content_type, size_bytes=d.size_bytes, sha256=d.sha256,
            published=d.published, uploaded_by_id=d.uploaded_by_id,
        )
        for d in Document.objects.filter(lot_id__in=from_lot_ids, pack__isnull=True)
    )  # fmt: skip
