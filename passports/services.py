"""Writes for passports: issuing a pack's BatteryPass or ReuseCertificate (recorded, so a later
passport names its predecessor) and importing a BatteryPass into a pack of a draft lot.

An import runs in one transaction: a document that fails any check, or a rule of the lot
services it calls, leaves the database exactly as it was."""

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import audit_record
from core.errors import ApplicationError
from marketplace.lifecycle import lot_scope
from marketplace.pipeline import lot_refresh
from marketplace.services import lot_create
from suppliers.choices import LOCATION_NOT_STATED, HistoryEventKind, LotStatus
from suppliers.history import lot_history_change_check
from suppliers.models import HistoryEvent, Lot, Organisation, Pack, PackModel
from suppliers.selectors import pack_model_list_for_supplier, supplier_organisations
from suppliers.services import pack_model_create

from .choices import PassportDirection, PassportKind
from .domain.battery_pass import (
    NO_PREDECESSOR,
    REUSE_ROUTES,
    battery_pass_body,
    battery_pass_document,
    reuse_certificate_document,
)
from .domain.chemistry import cells_in_series
from .domain.reading import PassportFacts, read_battery_pass
from .domain.schema import Problem
from .models import PassportDocument
from .selectors import lot_route, pack_facts, passport_latest, sees_all_figures

# A new lot made for an imported pack is a draft: the supplier states where it is and its
# price before submitting it (nothing in a passport says either).
IMPORTED_LOT_LOCATION = LOCATION_NOT_STATED
IMPORTED_LOT_PRICE = Decimal("0")


class PassportInvalid(ApplicationError):
    """The document was refused; `problems` says where and why, one by one."""

    def __init__(self, problems: list[Problem]):
        count = len(problems)
        super().__init__(
            f"The passport was not imported: {count} problem{'s' if count != 1 else ''}.",
            field="document",
        )
        self.problems = problems


def canonical_json(document: object) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_of(document: object) -> str:
    return hashlib.sha256(canonical_json(document).encode()).hexdigest()


def _issue(
    *, user: AbstractBaseUser | None, pack: Pack, kind: str, content: dict, build
) -> PassportDocument:
    """The passport already issued for exactly this content, or a new one (`build(previous,
    version)` makes the document) recorded with its audit entry."""
    content_sha256 = sha256_of({"kind": kind, "content": content})
    issued = PassportDocument.objects.filter(
        pack=pack, kind=kind, direction=PassportDirection.EXPORT, content_sha256=content_sha256
    )
    existing = issued.first()
    if existing is not None:
        return existing
    previous = passport_latest(pack=pack, kind=kind)
    version = PassportDocument.objects.filter(pack=pack, kind=kind).count() + 1
    document, identifier = build(previous, version)
    try:
        with transaction.atomic():
            record = PassportDocument.objects.create(
                pack=pack,
                kind=kind,
                direction=PassportDirection.EXPORT,
                passport_identifier=identifier,
                predecessor_identifier=previous.passport_identifier if previous else "",
                document=document,
                sha256=sha256_of(document),
                content_sha256=content_sha256,
                created_by=user,
            )
    except IntegrityError:
        # Another request issued the same content meanwhile: that passport is the one.
        return issued.get()
    audit_record(
        actor=user,
        action=f"passport.issue.{kind}",
        object_type="pack",
        object_id=pack.pk,
        after={
            "serial": pack.serial,
            "passport_identifier": identifier,
            "predecessor": record.predecessor_identifier,
            "sha256": record.sha256,
        },
        scope=lot_scope(pack.lot_id),
    )
    return record


@transaction.atomic
def passport_issue(*, user: AbstractBaseUser | None, pack: Pack) -> PassportDocument:
    """The pack's BatteryPass for this user (see `selectors.sees_all_figures`); the caller has
    checked the user may see the pack."""
    body = battery_pass_body(pack_facts(pack=pack, full=sees_all_figures(user=user, lot=pack.lot)))

    def build(previous: PassportDocument | None, version: int) -> tuple[dict, str]:
        identifier = f"urn:uuid:{uuid.uuid4()}"
        document = battery_pass_document(
            body,
            passport_identifier=identifier,
            predecessor=previous.passport_identifier if previous else NO_PREDECESSOR,
            issued_on=timezone.localdate(),
            version=version,
        )
        return document, identifier

    return _issue(user=user, pack=pack, kind=PassportKind.BATTERY_PASS, content=body, build=build)


def pack_twin_id(pack: Pack) -> str:
    """The marketplace's own identifier of a pack's digital twin: stable, and unique to this
    pack on this installation (it has no Catena-X twin id of its own)."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{settings.SITE_URL}/packs/{pack.pk}')}"


@transaction.atomic
def reuse_certificate_issue(*, user: AbstractBaseUser | None, pack: Pack) -> PassportDocument:
    """A ReuseCertificate for a pack whose lot was sold for a second life; refused otherwise."""
    lot, route = pack.lot, lot_route(pack.lot)
    if lot.status != LotStatus.SOLD or route not in REUSE_ROUTES:
        raise ApplicationError(
            "A reuse certificate is issued only for a pack sold for reuse (lot sold, route "
            f"{' or '.join(REUSE_ROUTES)}); lot {lot.reference} is {lot.get_status_display()}"
            f" with route {route or 'none yet'}."
        )
    first_life = (
        PassportDocument.objects.filter(
            pack=pack, kind=PassportKind.BATTERY_PASS, direction=PassportDirection.IMPORT
        )
        .order_by("created_at", "pk")
        .values_list("passport_identifier", flat=True)
        .first()
    )
    content = {
        "catenaXId": pack_twin_id(pack),
        "serial": pack.serial,
        "originalEquipmentNumber": lot.pack_model.model,
        "previousLife": first_life or "",
    }

    def build(previous: PassportDocument | None, version: int) -> tuple[dict, str]:
        document = reuse_certificate_document(
            catena_x_id=content["catenaXId"],
            serial=pack.serial,
            original_equipment_number=content["originalEquipmentNumber"],
            issued_at=timezone.now(),
            previous_life_id=content["previousLife"],
        )
        return document, content["catenaXId"]

    return _issue(
        user=user, pack=pack, kind=PassportKind.REUSE_CERTIFICATE, content=content, build=build
    )


@dataclass
class ImportResult:
    pack: Pack
    lot: Lot
    record: PassportDocument
    pack_created: bool
    lot_created: bool
    pack_model_proposed: bool
    warnings: list[str] = field(default_factory=list)


def passport_import(
    *,
    user: AbstractBaseUser | None,
    supplier: Organisation,
    document: bytes | str | dict,
    lot_reference: str = "",
) -> ImportResult:
    """Create or update the supplier's pack from a BatteryPass document (raw JSON or parsed).

    `user` None is an operator's command acting for `supplier`. Raises PassportInvalid with
    every problem found; nothing is written then."""
    reading = read_battery_pass(document, now=timezone.now())
    if not reading.ok:
        raise PassportInvalid(reading.problems)
    try:
        return _import(
            user=user,
            supplier=supplier,
            document=reading.document,
            facts=reading.facts,
            lot_reference=lot_reference.strip(),
        )
    except PassportInvalid:
        raise
    except ApplicationError as exc:
        raise PassportInvalid([Problem(exc.field or "", exc.message)]) from exc


def _problem(path: str, message: str) -> PassportInvalid:
    return PassportInvalid([Problem(path, message)])


@transaction.atomic
def _import(
    *,
    user: AbstractBaseUser | None,
    supplier: Organisation,
    document: dict,
    facts: PassportFacts,
    lot_reference: str,
) -> ImportResult:
    if user is not None and not supplier_organisations(user=user).filter(pk=supplier.pk).exists():
        raise _problem(
            "supplier", "You can only import passports for your own supplier organisation."
        )
    lot = _named_lot(supplier=supplier, reference=lot_reference) if lot_reference else None
    pack = (
        Pack.objects.select_related("lot__pack_model")
        .filter(live=True, serial__iexact=facts.serial)
        .first()
    )
    if pack is not None:
        lot = _lot_of_existing(pack=pack, supplier=supplier, named=lot)
    _check_identifier_free(facts=facts, supplier=supplier)
    model = _pack_model_found(supplier=supplier, facts=facts)
    if lot is not None and model != lot.pack_model:
        raise _problem(
            "identification.identification.type",
            f"Lot {lot.reference} is of {lot.pack_model}; the passport is for "
            f"{facts.manufacturer or 'a maker it does not name'} {facts.model}.",
        )
    proposed = lot_created = pack_created = False
    grown_from = None
    if lot is None:
        if model is None:
            model, proposed = _pack_model_propose(user=user, supplier=supplier, facts=facts), True
        lot, pack = _new_lot(user=user, supplier=supplier, model=model, facts=facts)
        lot_created = pack_created = True
    else:
        pack, pack_created, grown_from = _pack_write(lot=lot, pack=pack, facts=facts)
        lot_refresh(lot_id=lot.pk, reason="battery passport imported")
    record = PassportDocument.objects.create(
        pack=pack,
        kind=PassportKind.BATTERY_PASS,
        direction=PassportDirection.IMPORT,
        passport_identifier=facts.passport_identifier,
        predecessor_identifier=_predecessor(document),
        document=document,
        sha256=sha256_of(document),
        created_by=user,
    )
    audit_record(
        actor=user,
        action="passport.import",
        object_type="pack",
        object_id=pack.pk,
        after={
            "serial": pack.serial,
            "lot": lot.reference,
            "passport_identifier": facts.passport_identifier,
            "sha256": record.sha256,
            "pack_created": pack_created,
            "claimed_soh_pct": facts.claimed_soh_pct,
            "cycle_count": facts.cycle_count,
            "manufactured_on": facts.manufactured_on.isoformat() if facts.manufactured_on else None,
            "pack_model_proposed": str(model) if proposed else None,
            **({"lot_quantity": lot.quantity} if grown_from is not None else {}),
        },
        before={"lot_quantity": grown_from} if grown_from is not None else None,
        scope=lot_scope(lot.pk),
    )
    return ImportResult(
        pack=pack,
        lot=lot,
        record=record,
        pack_created=pack_created,
        lot_created=lot_created,
        pack_model_proposed=proposed,
        warnings=list(facts.warnings),
    )


def _check_identifier_free(*, facts: PassportFacts, supplier: Organisation) -> None:
    """A passport identifier names one pack's passport: the same document for a pack of
    another serial is evidence reused, as a test file uploaded for two packs is. The same
    serial may bring it back (the pack listed again after changing hands)."""
    identifier = facts.passport_identifier
    holder = (
        PassportDocument.objects.filter(passport_identifier__iexact=identifier)
        .exclude(pack__serial__iexact=facts.serial)
        .select_related("pack__lot")
        .first()
    )
    if holder is None:
        return
    whose = (
        f"pack {holder.pack.serial} (lot {holder.pack.lot.reference})"
        if holder.pack.lot.supplier_id == supplier.pk
        else "a pack of another organisation"
    )
    raise _problem(
        "metadata.passportIdentifier",
        f"Passport {identifier} is already the passport of {whose}: one passport describes "
        "one pack.",
    )


def _predecessor(document: dict) -> str:
    value = (document.get("metadata") or {}).get("predecessor") or ""
    return "" if value == NO_PREDECESSOR else value


def _named_lot(*, supplier: Organisation, reference: str) -> Lot:
    lot = (
        Lot.objects.select_for_update()
        .select_related("pack_model")
        .filter(supplier=supplier, reference=reference)
        .first()
    )
    if lot is None:
        raise _problem("lot", f"{supplier.name} has no lot with reference {reference!r}.")
    if lot.status != LotStatus.DRAFT:
        raise _problem(
            "lot",
            f"Lot {lot.reference} is {lot.get_status_display().lower()}: only a draft lot gains "
            "or changes packs.",
        )
    return lot


def _lot_of_existing(*, pack: Pack, supplier: Organisation, named: Lot | None) -> Lot:
    """The lot whose pack the passport updates: the pack's own, a draft of this supplier."""
    if pack.lot.supplier_id != supplier.pk:
        raise _problem(
            "identification.identification.serial",
            f"Pack {pack.serial} is already listed by another organisation. A pack changes hands "
            "by a custody transfer, not by importing its passport again.",
        )
    if named is not None and named.pk != pack.lot_id:
        raise _problem(
            "lot",
            f"Pack {pack.serial} is in your lot {pack.lot.reference}, not {named.reference}: "
            "import its passport there, or without naming a lot.",
        )
    return named or _named_lot(supplier=supplier, reference=pack.lot.reference)


def _pack_model_found(*, supplier: Organisation, facts: PassportFacts) -> PackModel | None:
    """The model named by the passport among those the supplier may list (approved ones and
    its own proposals), whatever the case; by model alone when the passport names no maker."""
    visible = pack_model_list_for_supplier(supplier=supplier)
    if facts.manufacturer:
        return visible.filter(
            manufacturer__iexact=facts.manufacturer, model__iexact=facts.model
        ).first()
    found = list(visible.filter(model__iexact=facts.model)[:2])
    if len(found) > 1:
        raise _problem(
            "identification.identification.type.nameAtManufacturer",
            f"Several makers have a model {facts.model!r} and the passport names none: write "
            f"'<maker> {facts.model}' as its name at the manufacturer.",
        )
    return found[0] if found else None


def _pack_model_propose(
    *, user: AbstractBaseUser | None, supplier: Organisation, facts: PassportFacts
) -> PackModel:
    """Propose the passport's model for the supplier (an auditor approves its ratings before
    a measurement against them confirms any claim)."""
    type_path = "identification.identification.type.nameAtManufacturer"
    if not facts.manufacturer:
        raise _problem(
            type_path,
            f"No pack model {facts.model!r} is known and the passport "
            "does not name its maker: register the pack model first.",
        )
    volts, amp_hours = facts.nominal_voltage_v, facts.nominal_capacity_ah
    if not volts or not amp_hours:
        raise _problem(
            "performance.rated",
            "A new pack model needs the rated nominal voltage "
            "and capacity; the passport lacks them.",
        )
    cells = cells_in_series(chemistry=facts.chemistry, nominal_voltage_v=float(volts))
    if cells is None:
        raise _problem(
            "identification.chemistry",
            "The chemistry is not one we know, so the "
            "cells in series cannot be told: register the pack model first.",
        )
    energy = facts.nominal_energy_kwh
    if energy is None:
        energy = volts * amp_hours / 1000  # the definition of nominal energy, not a guess
    baseline = facts.baseline_resistance_mohm
    return pack_model_create(
        user=user,
        supplier=supplier,
        manufacturer=facts.manufacturer,
        model=facts.model,
        chemistry=facts.chemistry,
        nominal_voltage_v=volts.quantize(Decimal("0.01")),
        nominal_capacity_ah=amp_hours.quantize(Decimal("0.01")),
        nominal_energy_kwh=energy.quantize(Decimal("0.001")),
        cells_series=cells,
        baseline_resistance_mohm=baseline.quantize(Decimal("0.001")) if baseline else None,
        calendar_life_years=facts.calendar_life_years,
    )


def _manufactured(facts: PassportFacts) -> list[dict]:
    if facts.manufactured_on is None:
        return []
    return [{"kind": HistoryEventKind.MANUFACTURED, "occurred_on": facts.manufactured_on}]


def _new_lot(
    *, user: AbstractBaseUser | None, supplier: Organisation, model: PackModel, facts: PassportFacts
) -> tuple[Lot, Pack]:
    if facts.claimed_soh_pct is None:
        raise _problem(
            "performance.dynamic.capacity",
            "The passport states no capacity figures, so there is no SOH to claim for a new "
            "lot: name a draft lot whose claim applies, or import a passport with them.",
        )
    reference = base = f"BP-{facts.serial}"[:56]
    taken = set(
        Lot.objects.filter(supplier=supplier, reference__startswith=base).values_list(
            "reference", flat=True
        )
    )
    suffix = 1
    while reference in taken:
        suffix += 1
        reference = f"{base}-{suffix}"
    lot = lot_create(
        user=user,
        supplier=supplier,
        pack_model=model,
        reference=reference,
        location=IMPORTED_LOT_LOCATION,
        quantity=1,
        claimed_soh_pct=facts.claimed_soh_pct,
        price_per_kwh=IMPORTED_LOT_PRICE,
        packs=[
            {
                "serial": facts.serial,
                "claimed_soh_pct": facts.claimed_soh_pct,
                "cycle_count": facts.cycle_count,
            }
        ],
        history=_manufactured(facts),
    )
    return lot, lot.packs.get()


def _pack_write(
    *, lot: Lot, pack: Pack | None, facts: PassportFacts
) -> tuple[Pack, bool, int | None]:
    """Add the pack to the draft lot, or update the one there with the passport's figures.
    Returns the pack, whether it is new, and the lot's quantity before it grew (None: it
    did not)."""
    created = pack is None
    grown_from = None
    if created:
        if lot.packs.count() >= lot.quantity:
            # The supplier adds a pack to its own draft: the offer grows with it.
            grown_from = lot.quantity
            lot.quantity += 1
            lot.save(update_fields=["quantity", "updated_at"])
        try:
            with transaction.atomic():
                pack = Pack.objects.create(
                    lot=lot,
                    serial=facts.serial,
                    claimed_soh_pct=facts.claimed_soh_pct,
                    cycle_count=facts.cycle_count,
                )
        except IntegrityError as exc:
            raise _problem(
                "identification.identification.serial",
                f"Pack {facts.serial} was just listed elsewhere; reload and try again.",
            ) from exc
    else:
        changed = []
        if facts.claimed_soh_pct is not None:
            pack.claimed_soh_pct, changed = facts.claimed_soh_pct, [*changed, "claimed_soh_pct"]
        if facts.cycle_count is not None:
            pack.cycle_count, changed = facts.cycle_count, [*changed, "cycle_count"]
        if changed:
            pack.save(update_fields=changed)
    if facts.manufactured_on is not None:
        _manufacture_date_set(lot=lot, pack=pack, on=facts.manufactured_on)
    return pack, created, grown_from


def _manufacture_date_set(*, lot: Lot, pack: Pack, on) -> None:
    """The pack's own manufacture event, checked as the history form checks an event: with
    the lot's whole history (its own date replaces the lot's for this pack)."""
    own = HistoryEvent.objects.filter(pack=pack, kind=HistoryEventKind.MANUFACTURED).first()
    lot_history_change_check(
        lot=lot,
        new=({"kind": HistoryEventKind.MANUFACTURED, "occurred_on": on}, pack.pk),
        replacing=own,
    )
    event = own
    if event is None:
        HistoryEvent.objects.create(
            lot=lot,
            pack=pack,
            kind=HistoryEventKind.MANUFACTURED,
            occurred_on=on,
            notes="From the pack's battery passport",
        )
    elif event.occurred_on != on:
        event.occurred_on = on
        event.save(update_fields=["occurred_on"])
