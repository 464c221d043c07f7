"""Writes that span the apps: a lot's life from listing to split, test-data uploads and auditor
actions on them, publishing rule sets. Each runs in one transaction with its audit entries;
status changes go through `marketplace.lifecycle.lot_transition`."""

from collections.abc import Iterable
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from audit.services import AuditInput, audit_record, audit_record_many
from core.errors import ApplicationError
from routing.domain import Thresholds
from routing.models import RerouteJob
from routing.selectors import lots_routable, pack_routes_latest, rule_set_active
from routing.services import routing_decisions_move, rule_set_create_version
from suppliers.choices import LOCATION_NOT_STATED
from suppliers.history import HistoryInput
from suppliers.models import HistoryEvent, Lot, Organisation, PackModel
from suppliers.selectors import is_auditor, lot_can_manage
from suppliers.services import (
    PackInput,
    lot_rows_update,
    pack_model_approve_rows,
    pack_rows_add,
    pack_rows_remove,
    packs_move,
)
from suppliers.services import lot_create as lot_rows_create
from verification.choices import TestDataFormat, TestLevel, Verdict
from verification.models import TestRecord
from verification.services import (
    test_record_create,
    test_record_file_discard,
    test_record_rerun_reset,
    verifications_rejudge_for_model,
)

from .domain.lifecycle import Action
from .lifecycle import lot_scope, lot_transition
from .pipeline import lock_lot_of_pack, lot_refresh
from .tasks import reroute_lots, verification_enqueue


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
    """List a draft lot with its packs and history; it gets a provisional route from the claim,
    so the supplier sees where it is heading."""
    lot = lot_rows_create(
        user=user,
        supplier=supplier,
        pack_model=pack_model,
        reference=reference,
        location=location,
        description=description,
        country=country,
        latitude=latitude,
        longitude=longitude,
        quantity=quantity,
        claimed_soh_pct=claimed_soh_pct,
        price_per_kwh=price_per_kwh,
        packs=packs,
        history=history,
    )
    audit_record(
        actor=user,
        action="lot.create",
        object_type="lot",
        object_id=lot.pk,
        after={
            "reference": lot.reference,
            "supplier": supplier.name,
            "pack_model": str(pack_model),
            "quantity": lot.quantity,
            "claimed_soh_pct": lot.claimed_soh_pct,
            "price_per_kwh": lot.price_per_kwh,
            "status": lot.status,
            "packs": sorted(lot.packs.values_list("serial", flat=True)),
            "history": list(
                lot.history.values(
                    "kind", "occurred_on", "actor", "vin", "custody_from", "custody_to"
                )
            ),
        },
        scope=lot_scope(lot.pk),
    )
    return lot_refresh(lot_id=lot.pk, reason="listed")


@transaction.atomic
def lot_submit(*, user: AbstractBaseUser, lot: Lot) -> Lot:
    """Hand a draft lot to verification; its packs' test data decide what buyers see."""
    if not lot_can_manage(user=user, lot=lot):
        raise ApplicationError("Only the supplier of this lot can submit it.")
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    if not lot.packs.exists():
        raise ApplicationError("A lot needs at least one pack before it can be submitted.")
    if lot.status != "draft":
        raise ApplicationError(f"Only a draft lot can be submitted; this one is {lot.status}.")
    missing = [
        what
        for what, unset in (
            ("its asking price per kWh", lot.price_per_kwh <= 0),
            ("where the packs are", lot.location.strip() in ("", LOCATION_NOT_STATED)),
        )
        if unset
    ]
    if missing:
        raise ApplicationError(
            f"Lot {lot.reference} goes to buyers once verified: set {' and '.join(missing)} "
            "first (Edit the draft)."
        )
    lot_transition(lot=lot, to="submitted", action=Action.SUBMIT, actor=user)
    return lot_refresh(lot_id=lot.pk, reason="submitted: test data decide the status")


@transaction.atomic
def lot_withdraw(*, user: AbstractBaseUser, lot: Lot, reason: str = "") -> Lot:
    """The supplier takes a lot off the platform; its records and trail stay."""
    if not lot_can_manage(user=user, lot=lot):
        raise ApplicationError("Only the supplier of this lot can withdraw it.")
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    return lot_transition(
        lot=lot, to="withdrawn", action=Action.WITHDRAW, actor=user, reason=reason
    )


@transaction.atomic
def lot_recall(*, user: AbstractBaseUser, lot: Lot, reason: str = "") -> Lot:
    """The supplier takes a submitted lot back to draft to correct it, before any data have
    moved it; a person's earlier review flag goes with it."""
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    lot_transition(lot=lot, to="draft", action=Action.RECALL, actor=user, reason=reason)
    return lot_refresh(lot_id=lot.pk, reason="recalled to draft")


def _lot_fields_change(*, user: AbstractBaseUser, lot: Lot, changes: dict) -> tuple[Lot, bool]:
    """The draft's own fields changed and recorded in its trail; whether anything changed."""
    lot, before, after = lot_rows_update(user=user, lot=lot, **changes)
    if after:
        audit_record(
            actor=user,
            action="lot.update",
            object_type="lot",
            object_id=lot.pk,
            before=before,
            after=after,
            scope=lot_scope(lot.pk),
        )
    return lot, bool(after)


def _lot_packs_append(*, user: AbstractBaseUser, lot: Lot, packs: Iterable[PackInput]) -> None:
    created = pack_rows_add(user=user, lot=lot, packs=packs)
    audit_record(
        actor=user,
        action="lot.packs_add",
        object_type="lot",
        object_id=lot.pk,
        after={"packs": sorted(pack.serial for pack in created)},
        scope=lot_scope(lot.pk),
    )


@transaction.atomic
def lot_update(*, user: AbstractBaseUser, lot: Lot, **changes) -> Lot:
    """Change a draft lot's own fields, recorded in its trail; the provisional route follows
    the new claim."""
    lot, changed = _lot_fields_change(user=user, lot=lot, changes=changes)
    return lot_refresh(lot_id=lot.pk, reason="draft edited") if changed else lot


@transaction.atomic
def lot_packs_add(*, user: AbstractBaseUser, lot: Lot, packs: Iterable[PackInput]) -> Lot:
    _lot_packs_append(user=user, lot=lot, packs=packs)
    return lot_refresh(lot_id=lot.pk, reason="packs added")


@transaction.atomic
def lot_draft_save(
    *, user: AbstractBaseUser, lot: Lot, changes: dict, new_packs: list[PackInput]
) -> Lot:
    """The edit page's save: the field changes and the new packs together, or neither, and
    the provisional route worked out once for both."""
    changed = False
    if changes:
        lot, changed = _lot_fields_change(user=user, lot=lot, changes=changes)
    if new_packs:
        _lot_packs_append(user=user, lot=lot, packs=new_packs)
    if not (changed or new_packs):
        return lot
    return lot_refresh(lot_id=lot.pk, reason="draft edited")


@transaction.atomic
def lot_packs_remove(*, user: AbstractBaseUser, lot: Lot, pack_ids: Iterable[int]) -> Lot:
    """Remove packs from a draft. A pack carrying test data or documents stays: evidence is
    never deleted with a correction (suppliers.services.pack_rows_remove)."""
    removed = pack_rows_remove(user=user, lot=lot, pack_ids=pack_ids)
    audit_record(
        actor=user,
        action="lot.packs_remove",
        object_type="lot",
        object_id=lot.pk,
        before={"packs": removed},
        scope=lot_scope(lot.pk),
    )
    return lot_refresh(lot_id=lot.pk, reason="packs removed")


def test_data_upload(
    *,
    user: AbstractBaseUser,
    pack,
    uploaded_file: UploadedFile,
    data_format: str = TestDataFormat.CANONICAL_CSV,
    test_level: str = TestLevel.PACK,
) -> TestRecord:
    """Store an upload, show the lot as verifying, and queue the verification on commit.

    A failure after the file was written removes the file with the rolled-back row; a commit
    lost with the connection cannot tell, so its file is left to the orphan sweep (removing
    it here could lose a committed upload's evidence)."""
    with transaction.atomic():
        # The lot as it is now (not withdrawn meanwhile, the pack not split off), held until
        # commit.
        pack.lot = lock_lot_of_pack(pack.pk)
        record = test_record_create(
            user=user,
            pack=pack,
            uploaded_file=uploaded_file,
            data_format=data_format,
            test_level=test_level,
        )
        try:
            _upload_record(user=user, pack=pack, record=record)
        except BaseException:
            test_record_file_discard(record)
            raise
    return record


def _upload_record(*, user: AbstractBaseUser, pack, record: TestRecord) -> None:
    audit_record(
        actor=user,
        action="test_record.upload",
        object_type="test_record",
        object_id=record.pk,
        after={
            "pack": pack.serial,
            "file": record.original_name,
            "sha256": record.sha256,
            "size_bytes": record.size_bytes,
            "format": record.format,
            "test_level": record.test_level,
        },
        scope=lot_scope(pack.lot_id),
    )
    lot_refresh(lot_id=pack.lot_id, reason=f"test data uploaded: {record.original_name}")
    transaction.on_commit(lambda: verification_enqueue(record.pk))


@transaction.atomic
def test_record_rerun(
    *, user: AbstractBaseUser, test_record_id: int, reason: str = ""
) -> TestRecord:
    """An auditor sends an upload back to the workers, failed or finished (see verification's
    reset: a finished one is read again as a new record, the earlier staying as history);
    returns the record that will be verified."""
    if not is_auditor(user):
        raise ApplicationError("Only auditors re-run verification.")
    pack_id, before = TestRecord.objects.values_list("pack_id", "status").get(pk=test_record_id)
    lot_id = lock_lot_of_pack(pack_id).pk
    record = test_record_rerun_reset(
        user=user, test_record_id=test_record_id, rule_set_ref=rule_set_active().pk
    )
    audit_record(
        actor=user,
        action="test_record.rerun",
        object_type="test_record",
        object_id=record.pk,
        before={"status": before},
        after={
            "status": record.status,
            "file": record.original_name,
            "run_generation": record.run_generation,
            # A finished upload is read again as a new record; the earlier one stays.
            "rerun_of": test_record_id if record.pk != test_record_id else None,
        },
        reason=reason.strip(),
        scope=lot_scope(lot_id),
    )
    lot_refresh(lot_id=lot_id, reason=f"{record.original_name} re-run by an auditor")
    transaction.on_commit(lambda: verification_enqueue(record.pk))
    return record


@transaction.atomic
def rule_set_publish(
    *,
    user: AbstractBaseUser | None,
    name: str,
    thresholds: Thresholds,
    notes: str = "",
    sample_plan: list[list[int]] | None = None,
) -> RerouteJob:
    """Save thresholds as the next version, make it the active rule set, queue the re-route."""
    rule_set = rule_set_create_version(
        user=user, name=name, thresholds=thresholds, notes=notes, sample_plan=sample_plan
    )
    job = RerouteJob.objects.create(
        rule_set=rule_set, created_by=user, total_lots=lots_routable().count()
    )
    audit_record(
        actor=user,
        action="rule_set.publish",
        object_type="rule_set",
        object_id=rule_set.pk,
        after={
            "name": rule_set.name,
            "version": rule_set.version,
            "thresholds": rule_set.thresholds,
            "sample_plan": rule_set.sample_plan,
            "reroute_job": job.pk,
        },
        reason=notes,
        scope=f"rule_set:{rule_set.name}",
    )
    transaction.on_commit(lambda: reroute_lots.delay(job.pk))
    return job


ROUTE_SUFFIXES = {
    "reuse-ESS": "ESS",
    "small-application": "SMALL",
    "recycle": "RECYCLE",
    "hold": "HOLD",
}
ROUTE_PREFERENCE = ("reuse-ESS", "small-application", "hold", "recycle")
UNSPLITTABLE_STATUSES = ("rejected", "reserved", "sold", "withdrawn")


def _free_reference(lot: Lot, base: str) -> str:
    reference, n = base, 1
    while Lot.objects.filter(supplier=lot.supplier, reference=reference).exists():
        n += 1
        reference = f"{base}-{n}"
    return reference


@transaction.atomic
def lot_split_by_route(*, user: AbstractBaseUser, lot: Lot) -> list[Lot]:
    """Split a lot whose measured packs fall in several routes into one sub-lot per route.

    The lot keeps its largest route group (and any unmeasured packs); each other group moves,
    with its test data, decisions and pack history, to a sub-lot a buyer can take on its own.
    A sub-lot starts in its parent's status and keeps its review flag: a verdict stands.
    """
    if not (lot_can_manage(user=user, lot=lot) or is_auditor(user)):
        raise ApplicationError("Only the lot's supplier or an auditor can split it.")
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    if lot.status in UNSPLITTABLE_STATUSES:
        raise ApplicationError(f"A {lot.status} lot cannot be split.")
    if lot.route_override:
        # The auditor routed the whole lot; split by the rules' routes, its packs would leave it.
        raise ApplicationError(
            f"An auditor set this lot's route ({lot.route_override}: "
            f"{lot.route_override_reason}); it cannot be split by the rules' routes unless an "
            "auditor gives the route back to the rules."
        )
    groups: dict[str, list[int]] = {}
    for pack_id, route in pack_routes_latest(lot_id=lot.pk).items():
        groups.setdefault(route, []).append(pack_id)
    if len(groups) < 2:
        raise ApplicationError("All measured packs of this lot share one route; nothing to split.")
    keep = max(groups, key=lambda r: (len(groups[r]), -ROUTE_PREFERENCE.index(r)))
    lot_events = list(HistoryEvent.objects.filter(lot=lot, pack__isnull=True))
    sub_lots = []
    for route in sorted(groups, key=ROUTE_PREFERENCE.index):
        if route == keep:
            continue
        pack_ids = groups[route]
        sub_lot = Lot.objects.create(
            parent=lot,
            supplier=lot.supplier,
            reference=_free_reference(lot, f"{lot.reference}-{ROUTE_SUFFIXES[route]}"),
            pack_model=lot.pack_model,
            location=lot.location,
            quantity=len(pack_ids),
            claimed_soh_pct=lot.claimed_soh_pct,
            price_per_kwh=lot.price_per_kwh,
            created_by=user,
        )
        packs_move(pack_ids=pack_ids, to_lot=sub_lot, lot_events=lot_events)
        routing_decisions_move(pack_ids=pack_ids, to_lot=sub_lot)
        lot.quantity -= len(pack_ids)
        sub_lots.append(sub_lot)
    lot.quantity = max(lot.quantity, lot.packs.count(), 1)
    lot.save(update_fields=["quantity", "updated_at"])
    audit_record(
        actor=user,
        action="lot.split",
        object_type="lot",
        object_id=lot.pk,
        after={
            "kept": keep,
            "quantity": lot.quantity,
            "sub_lots": [
                {"id": s.pk, "reference": s.reference, "quantity": s.quantity} for s in sub_lots
            ],
        },
        reason="packs in several routes",
        scope=lot_scope(lot.pk),
    )
    for sub_lot in sub_lots:
        audit_record(
            actor=user,
            action="lot.create",
            object_type="lot",
            object_id=sub_lot.pk,
            after={"reference": sub_lot.reference, "parent": lot.reference,
                   "quantity": sub_lot.quantity, "status": sub_lot.status},
            reason=f"split from {lot.reference} by route",
            scope=lot_scope(sub_lot.pk),
        )  # fmt: skip
        if lot.status != sub_lot.status:
            lot_transition(
                lot=sub_lot,
                to=lot.status,
                action=Action.SPLIT,
                actor=user,
                reason=f"split from {lot.reference} by route",
                carry_review_required=lot.review_required,
            )
    for affected in (lot, *sub_lots):
        lot_refresh(lot_id=affected.pk, reason="split by route")
    for sub_lot in sub_lots:
        sub_lot.refresh_from_db()
    return sub_lots


@transaction.atomic
def pack_model_approve(*, user: AbstractBaseUser, pack_model: PackModel, note: str) -> PackModel:
    """An auditor approves a pack model's ratings; the measurements held back for it are then
    compared with their claims, and the lots on it follow their data."""
    pack_model = pack_model_approve_rows(user=user, pack_model=pack_model, note=note)
    audit_record(
        actor=user,
        action="pack_model.approve",
        object_type="pack_model",
        object_id=pack_model.pk,
        after={
            "pack_model": str(pack_model),
            "nominal_capacity_ah": str(pack_model.nominal_capacity_ah),
            "nominal_voltage_v": str(pack_model.nominal_voltage_v),
            "cells": f"{pack_model.cells_series}s{pack_model.cells_parallel}p",
        },
        reason=note,
        scope=f"pack_model:{pack_model.pk}",
    )
    lot_ids = sorted(Lot.objects.filter(pack_model=pack_model).values_list("pk", flat=True))
    for lot_id in lot_ids:
        Lot.objects.select_for_update(of=("self",)).get(pk=lot_id)
    runs = verifications_rejudge_for_model(pack_model_id=pack_model.pk)
    by_lot: dict[int, list] = {}
    for run in runs:
        by_lot.setdefault(run.pack.lot_id, []).append(run)
    for lot_id, lot_runs in by_lot.items():
        audit_record_many(
            entries=[
                AuditInput(
                    actor=user,
                    action="verification.rejudged",
                    object_type="verification",
                    object_id=run.pk,
                    before={"verdict": Verdict.UNAPPROVED_MODEL.value},
                    after={"verdict": run.verdict, "measured_soh_pct": run.measured_soh_pct},
                    reason=run.verdict_reason,
                    scope=lot_scope(lot_id),
                )
                for run in lot_runs
            ]
        )
        lot_refresh(
            lot_id=lot_id,
            reason=f"pack model {pack_model} approved",
            new_discrepancy=any(run.verdict == Verdict.DISCREPANCY for run in lot_runs),
        )
    return pack_model
