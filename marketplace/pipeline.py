"""The lot pipeline: test data verified → the pack's facts → routing decides → the lot's read
model and status recomputed → audit entries, each step's writes in one transaction.

Celery tasks (`marketplace.tasks`) are thin wrappers around `test_record_verify` and
`reroute_job_run`. Locks are taken lot row first, audit chain head last (see `audit.services`).
"""

import gc
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from statistics import fmean

from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from audit.services import AuditInput, audit_record_many
from routing.choices import RerouteJobStatus
from routing.facts import lot_routing_inputs
from routing.models import RerouteJob, RoutingDecision, RuleSet
from routing.selectors import lots_routable, rule_set_active
from routing.services import (
    DecisionWritten,
    lots_decide,
    routing_decision_record,
    routing_decisions_record_bulk,
)
from suppliers.domain.custody import HistoryFlags
from suppliers.history import lot_history_flags
from suppliers.models import Lot, Pack
from verification.choices import AUDIT_VERDICTS, MEASURED_VERDICTS, STANDING_VERDICTS, Verdict
from verification.domain import TestDataError
from verification.models import TestRecord, Verification
from verification.selectors import test_record_unsettled_exists, verification_latest_per_pack
from verification.services import (
    ClaimState,
    test_record_fail,
    verification_claim,
    verification_duplicates_find,
    verification_judge,
    verification_measure,
    verification_release,
    verification_settle_duplicate,
    verification_store,
    verification_store_failure,
    verifications_mark_duplicate,
)

from .domain.lifecycle import Action, PackEvidence, pipeline_target
from .lifecycle import lot_scope, lot_transition
from .listing_cache import listing_changed
from .models import LotSummary
from .search import search_fields
from .selectors import pack_measure, pack_measures
from .signals import lot_offer_route_changed

logger = logging.getLogger(__name__)

KWH = Decimal("0.001")
CENTS = Decimal("0.01")


def _decision_audit(decision: RoutingDecision | DecisionWritten, rule_set: RuleSet) -> AuditInput:
    return AuditInput(
        actor=None,
        action="routing.decision",
        object_type="pack" if decision.pack_id else "lot",
        object_id=decision.pack_id or decision.lot_id,
        after={
            "decision": decision.pk,
            "route": decision.route,
            "provisional": decision.provisional,
            "rule_set": str(rule_set),
            "soh_pct_used": decision.soh_pct_used,
            "fired": decision.fired_rule_names,
        },
        scope=lot_scope(decision.lot_id),
    )


def _summary_route(lot: Lot, route: str, provisional: bool) -> tuple[str, bool]:
    """The route buyers see: an auditor's override, when there is one, stands over the rules'
    route (and is no provisional figure: a person decided it); the rules' decision is still
    recorded beside it."""
    if lot.route_override:
        return lot.route_override, False
    return route, provisional


def _summary_fields(
    *,
    lot: Lot,
    measured: dict[str, float],
    energies_wh: list[float],
    flags: HistoryFlags,
    decision: RoutingDecision,
    sample_size: int,
) -> dict:
    """`measured`: pack serial -> measured SOH, for packs with a complete, consistent test;
    `energies_wh`: the measured discharge energy of those of them that recorded one."""
    lowest = min(measured, key=measured.__getitem__) if measured else ""
    values = list(measured.values())
    route, provisional = _summary_route(lot, decision.route, decision.provisional)
    return {
        "route": route,
        "route_provisional": provisional,
        "rule_set_id": decision.rule_set_id,
        "measured_soh_pct": round(fmean(values), 2) if values else None,
        "lowest_pack_soh_pct": round(measured[lowest], 2) if values else None,
        "lowest_pack_serial": lowest,
        "highest_pack_soh_pct": round(max(values), 2) if values else None,
        "packs_measured": len(values),
        "sample_size_required": sample_size,
        **_energy_fields(lot, energies_wh),
        "safety_events": flags.safety_events,
        "custody_complete": flags.custody_complete,
        **search_fields(lot),
    }


def _energy_fields(lot: Lot, energies_wh: list[float]) -> dict:
    if not energies_wh:
        return {"usable_energy_kwh": None, "packs_energy_measured": 0,
                "usable_energy_total_kwh": None, "price_per_usable_kwh": None}  # fmt: skip
    per_pack = Decimal(str(fmean(energies_wh) / 1000)).quantize(KWH)
    nominal = lot.pack_model.nominal_energy_kwh
    return {
        "usable_energy_kwh": per_pack,
        "packs_energy_measured": len(energies_wh),
        "usable_energy_total_kwh": (per_pack * lot.quantity).quantize(KWH),
        # The buyer pays price_per_kwh for each nominal kWh; per measured kWh that is more
        # (or less) by the ratio of the two.
        "price_per_usable_kwh": (lot.price_per_kwh * nominal / per_pack).quantize(CENTS),
    }


def lot_refresh(*, lot_id: int, reason: str, new_discrepancy: bool = False) -> Lot:
    """Bring a lot's status, route and buyers' figures in line with its packs' evidence.

    The lot is routed on its weakest pack: a buyer takes every pack of the lot, so the lot can
    only be promised at the grade of its lowest measured (or, where unmeasured, claimed) SOH.
    The lot counts as measured, and its route stops being provisional, once the rule set's
    sampling plan is met: enough distinct packs (of the lot's quantity) carry a complete,
    consistent measurement and every one confirms its claim. The status follows the
    lifecycle's rule for data (`pipeline_target`): a claim the measurements contradict, or
    evidence offered for two packs, sends the lot to the auditors, and data never take it back
    out by themselves.
    """
    with transaction.atomic():
        lot = (
            Lot.objects.select_for_update(of=("self",)).select_related("pack_model").get(pk=lot_id)
        )
        packs = list(lot.packs.all())
        latest = verification_latest_per_pack(lot=lot)
        verdicts = [run.verdict for run in latest.values()]
        rule_set = rule_set_active()
        sample_size = rule_set.sample_size_for(lot.quantity)
        inputs = lot_routing_inputs(
            lot=lot,
            packs=packs,
            measured={pk: pack_measure(run) for pk, run in latest.items()},
            sample_size=sample_size,
        )
        evidence = PackEvidence(
            unsettled=test_record_unsettled_exists(lot=lot),
            any_discrepancy=any(v in AUDIT_VERDICTS for v in verdicts),
            sample_confirmed=inputs.verified,
            new_discrepancy=new_discrepancy,
            any_measured=any(v in MEASURED_VERDICTS for v in verdicts),
        )
        recorded = routing_decision_record(
            lot=lot,
            pack=None,
            rule_set=rule_set,
            soh_pct=inputs.soh_pct,
            verified=inputs.sample_measured,
            resistance_ratio=inputs.resistance_ratio,
            weakest_cell_soh_pct=inputs.weakest_cell_soh_pct,
            soh_source=inputs.soh_source,
            weakest_cell_source=inputs.weakest_cell_source,
        )
        serials = {p.pk: p.serial for p in packs}
        # Only the packs' own evidence against an approved model counts as measured (and
        # towards the plan); a measurement waiting for its model's approval does not yet.
        standing = [run for run in latest.values() if run.verdict in STANDING_VERDICTS]
        measured = {serials[run.pack_id]: run.measured_soh_pct for run in standing}
        energies_wh = [
            run.measurement.discharge_energy_wh
            for run in standing
            if run.measurement is not None and run.measurement.discharge_energy_wh is not None
        ]
        fields = _summary_fields(
            lot=lot,
            measured=measured,
            energies_wh=energies_wh,
            flags=lot_history_flags(lot=lot),
            decision=recorded.decision,
            sample_size=sample_size,
        )
        # One read of the summary gives the route before (for saved searches) and the row to
        # update; the lot's lock, held, keeps it ours.
        summary = LotSummary.objects.filter(lot=lot).first()
        route_before = summary.route if summary is not None else None
        if summary is None:
            LotSummary.objects.create(lot=lot, **fields)
        else:
            for name, value in fields.items():
                setattr(summary, name, value)
            summary.save(update_fields=[*fields, "updated_at"])
        if recorded.created:
            audit_record_many(entries=[_decision_audit(recorded.decision, rule_set)])
        status_before = lot.status
        target = pipeline_target(
            current=lot.status, review_required=lot.review_required, evidence=evidence
        )
        if target != lot.status:
            lot_transition(lot=lot, to=target, action=Action.PIPELINE, actor=None, reason=reason)
        lot_offer_route_changed(
            lot_id=lot.pk, status_before=status_before, status_after=target,
            route_before=route_before, route_after=fields["route"],
        )  # fmt: skip
    return lot


def _result_audit(record: TestRecord, run: Verification, lot_id: int) -> AuditInput:
    return AuditInput(
        actor=None,
        action="verification.result",
        object_type="verification",
        object_id=run.pk,
        after={
            "pack": record.pack.serial,
            "test_record": record.pk,
            "file": record.original_name,
            "sha256": record.sha256,
            "status": run.status,
            "verdict": run.verdict,
            "verdict_reason": run.verdict_reason,
            "duplicate_of": run.duplicate_of_id,
            "claimed_soh_pct": run.claimed_soh_pct,
            "measured_soh_pct": run.measured_soh_pct,
            "tolerance_pct_points": run.tolerance_pct_points,
            "rule_set": run.rule_set_label,
            "error": run.error,
        },
        scope=lot_scope(lot_id),
    )


def lock_lot_of_pack(pack_id: int) -> Lot:
    """Lock the lot a pack belongs to now (inside the caller's transaction).

    A split may move the pack to a sub-lot while a worker measures it, so the pack's lot is
    read again once its row is locked, until the two agree.
    """
    while True:
        lot_id = Pack.objects.values_list("lot_id", flat=True).get(pk=pack_id)
        lot = (
            Lot.objects.select_for_update(of=("self",)).select_related("pack_model").get(pk=lot_id)
        )
        if Pack.objects.filter(pk=pack_id, lot_id=lot_id).exists():
            return lot


def _settle(record: TestRecord, run: Verification, *, reason: str, store) -> None:
    """Store an outcome that measured nothing new, with its audit entry, and refresh the lot."""
    with transaction.atomic():
        lot = lock_lot_of_pack(record.pack_id)
        store()
        run.refresh_from_db()
        record.refresh_from_db()
        audit_record_many(entries=[_result_audit(record, run, lot.pk)])
        lot_refresh(lot_id=lot.pk, reason=reason)


# A file that has stopped this many workers mid-run (memory, time limit, crash) is failed.
MAX_TAKEOVERS = 2


def test_record_verify(
    *, test_record_id: int, claim_token: str = "", attempt: int = 0
) -> Verification:
    """Verify one upload and carry the result through routing to its lot. Safe to run twice:
    the run row (pack, file hash, rule set) is claimed by compare-and-set, as a lease held by
    `claim_token` (the task's id), so the same task redelivered after its worker died takes
    the run over at once; `attempt` (the task's retry count) tells a retry from a redelivery."""
    rule_set = rule_set_active()
    claim = verification_claim(
        test_record_id=test_record_id,
        rule_set_ref=rule_set.pk,
        rule_set_label=str(rule_set),
        claim_token=claim_token,
        attempt=attempt,
    )
    record, run = claim.record, claim.run
    if claim.state is ClaimState.BUSY:
        return run
    if claim.state is ClaimState.CLAIMED and run.takeovers >= MAX_TAKEOVERS:
        message = (
            f"Reading this file stopped the worker {run.takeovers} times (out of memory, a time "
            "limit or a crash), so it was not tried again. Check the file, or ask an auditor "
            "to re-run it (admin: Test records, Re-run verification)."
        )
        _settle(
            record, run, reason=f"{record.original_name} stopped the workers",
            store=lambda: verification_store_failure(record=record, run=run, message=message),
        )  # fmt: skip
        return run
    if claim.state is ClaimState.SETTLED:
        if run.test_record_id != record.pk:
            _settle(
                record, run, reason=f"{record.original_name}: identical data verified earlier",
                store=lambda: verification_settle_duplicate(record=record, run=run),
            )  # fmt: skip
        return run
    try:
        figures = verification_measure(record=record)
    except TestDataError as exc:
        message = str(exc)
        try:
            _settle(
                record, run, reason=f"{record.original_name} could not be used",
                store=lambda: verification_store_failure(record=record, run=run, message=message),
            )  # fmt: skip
        except Exception:
            verification_release(run=run)
            raise
        return run
    except Exception:
        verification_release(run=run)
        raise
    try:
        return _store_measured(record=record, run=run, figures=figures)
    except Exception:
        # Transient trouble while storing (a dropped connection, a deadlock): give the run
        # back, so the task's retry claims it instead of finding it busy.
        verification_release(run=run)
        raise


def _lock_evidence(*keys: str) -> None:
    """Serialise the duplicate check of runs carrying the same file or measurement: two
    workers storing the same evidence for two packs at once would each miss the other."""
    if connection.vendor != "postgresql":
        return  # SQLite runs one writing transaction at a time anyway
    with connection.cursor() as cursor:
        for key in sorted(k for k in keys if k):
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])


def _duplicate_audit(run: Verification, of_run: Verification) -> AuditInput:
    return AuditInput(
        actor=None,
        action="verification.duplicate",
        object_type="verification",
        object_id=run.pk,
        before={"verdict": "confirmed or earlier verdict"},
        after={"verdict": run.verdict, "duplicate_of": of_run.pk, "pack": run.pack.serial},
        reason=run.verdict_reason,
        scope=lot_scope(run.pack.lot_id),
    )


@transaction.atomic
def _store_measured(*, record: TestRecord, run: Verification, figures) -> Verification:
    # Lock order, the same for every worker: the evidence keys first, then every lot involved
    # (this pack's and those of the packs it duplicates) by primary key. Locking this lot first
    # and the others after would deadlock two workers storing each other's evidence.
    _lock_evidence(
        record.sha256 and f"sha256:{record.sha256}",
        figures.fingerprint and f"fingerprint:{figures.fingerprint}",
    )
    found = verification_duplicates_find(record=record, fingerprint=figures.fingerprint)
    own_lot_id = Pack.objects.values_list("lot_id", flat=True).get(pk=record.pack_id)
    involved = {own_lot_id, *(other.pack.lot_id for other in found.others)}
    list(Lot.objects.select_for_update(of=("self",)).filter(pk__in=involved).order_by("pk"))
    lot = lock_lot_of_pack(record.pack_id)  # held already, unless a split moved the pack
    other_lot_ids = sorted({other.pack.lot_id for other in found.others} - {lot.pk})
    # A rule set published while the file was read decides the route.
    rule_set = rule_set_active()
    judgement = verification_judge(record=record, figures=figures, duplicate_reason=found.reason)
    duplicate = judgement.verdict == Verdict.DUPLICATE
    run = verification_store(
        record=record,
        run=run,
        figures=figures,
        judgement=judgement,
        duplicate_of=found.others[0] if duplicate else None,
    )
    pack = record.pack
    pack.lot = lot
    entries = [_result_audit(record, run, lot.pk)]
    if not duplicate:
        # A file that is no evidence for this pack (a declared cell test, a misfit, a BMS
        # snapshot) takes nothing from the pack it was first offered for.
        other_lot_ids = []
    else:
        verifications_mark_duplicate(runs=found.others, of_run=run)
        entries.extend(_duplicate_audit(other, run) for other in found.others)
    if run.measured_soh_pct is not None:
        measurement = run.measurement
        recorded = routing_decision_record(
            lot=lot,
            pack=pack,
            rule_set=rule_set,
            soh_pct=run.measured_soh_pct,
            # Provisional when the figure is not this pack's own evidence against an approved
            # model (a duplicate, an unapproved model): shown, but not promised.
            verified=run.verdict in STANDING_VERDICTS,
            soh_source=f"measured on pack {pack.serial}",
            resistance_ratio=measurement.resistance_ratio,
            weakest_cell_soh_pct=measurement.weakest_cell_soh_pct,
            force=True,
        )
        entries.append(_decision_audit(recorded.decision, rule_set))
    audit_record_many(entries=entries)
    lot_refresh(
        lot_id=lot.pk,
        reason=f"{record.original_name} verified for pack {pack.serial}",
        new_discrepancy=run.verdict in AUDIT_VERDICTS and not _verdict_seen_before(run),
    )
    for other_lot_id in other_lot_ids:
        lot_refresh(
            lot_id=other_lot_id,
            reason="evidence of one of its packs was also offered for another pack",
            new_discrepancy=True,
        )
    return run


def _verdict_seen_before(run: Verification) -> bool:
    """An auditor's re-run that finds what the earlier generation found is no new discrepancy:
    the decision already taken on it stands."""
    if run.generation == 0:
        return False
    earlier = (
        Verification.objects.filter(
            pack_id=run.pack_id, sha256=run.sha256, generation__lt=run.generation
        )
        .order_by("-generation")
        .values_list("verdict", flat=True)
        .first()
    )
    return earlier == run.verdict


def test_record_give_up(*, test_record_id: int, message: str) -> None:
    """A record that cannot be verified now (repeated outages, an internal error) fails with a
    message, so neither the upload nor its lot waits forever."""
    record = TestRecord.objects.select_related("pack").get(pk=test_record_id)
    with transaction.atomic():
        lot = lock_lot_of_pack(record.pack_id)
        test_record_fail(test_record_id=test_record_id, message=message)
        record.refresh_from_db()
        run = record.verifications.order_by("-pk").first()
        if run is not None:
            audit_record_many(entries=[_result_audit(record, run, lot.pk)])
        lot_refresh(lot_id=lot.pk, reason=f"{record.original_name}: {message}")


@transaction.atomic
def lots_reroute_chunk(*, lot_ids: Iterable[int], rule_set: RuleSet) -> int:
    """Re-route one chunk of lots under a rule set; returns how many lots changed route."""
    locked = list(
        Lot.objects.select_for_update(of=("self",))
        .filter(pk__in=list(lot_ids))
        .select_related("pack_model", "supplier")
        .order_by("pk")
    )
    ids = [lot.pk for lot in locked]
    overrides = {lot.pk: lot.route_override for lot in locked if lot.route_override}
    statuses = {lot.pk: lot.status for lot in locked}
    outcomes = lots_decide(
        lot_ids=ids,
        thresholds=rule_set.as_thresholds(),
        measured=pack_measures(lot_ids=ids),
        sample_plan=rule_set.sample_plan,
        lots=locked,
    )
    rows = routing_decisions_record_bulk(outcomes=outcomes, rule_set=rule_set)
    current, samples = {}, {}
    for lot_id, route, provisional, sample in LotSummary.objects.filter(lot_id__in=ids).values_list(
        "lot_id", "route", "route_provisional", "sample_size_required"
    ):
        current[lot_id], samples[lot_id] = (route, provisional), sample
    replanned = [
        o.lot.pk for o in outcomes if o.lot.pk in samples and samples[o.lot.pk] != o.sample_size
    ]
    changed, missing = 0, []
    # Few distinct outcomes per chunk: one UPDATE for each, rather than a CASE per row.
    groups: dict[tuple[str, bool, int], list[int]] = {}
    for outcome in outcomes:
        decision = outcome.lot_decision
        new = (decision.route, decision.provisional)
        if outcome.lot.pk in overrides:
            new = (overrides[outcome.lot.pk], False)  # an auditor's route stands
        if outcome.lot.pk not in current:
            missing.append(outcome.lot.pk)
            continue
        changed += current[outcome.lot.pk] != new
        status = statuses[outcome.lot.pk]
        lot_offer_route_changed(
            lot_id=outcome.lot.pk, status_before=status, status_after=status,
            route_before=current[outcome.lot.pk][0], route_after=new[0],
        )  # fmt: skip
        groups.setdefault((*new, outcome.sample_size), []).append(outcome.lot.pk)
    now = timezone.now()
    if groups:
        listing_changed()
    for (route, provisional, sample_size), group in groups.items():
        LotSummary.objects.filter(lot_id__in=group).update(
            route=route,
            route_provisional=provisional,
            rule_set=rule_set,
            sample_size_required=sample_size,
            updated_at=now,
        )
    for lot_id in missing:
        # A lot that never had a summary gets its whole read model, not only a route.
        lot_refresh(lot_id=lot_id, reason=f"re-routed under {rule_set}")
        changed += 1
    audit_record_many(entries=_chunk_audit(rows, rule_set))
    for lot_id in replanned:
        # A new sampling plan asks for more (or fewer) measured packs: the status follows now,
        # through the lifecycle, not at some later upload.
        lot_refresh(lot_id=lot_id, reason=f"sampling plan of {rule_set}")
    return changed


def _chunk_audit(rows: list[DecisionWritten], rule_set: RuleSet) -> list[AuditInput]:
    """One entry per lot for a bulk re-route: the lot's decision, with its packs' decisions
    inside it, so a chunk of 1,000 lots writes 1,000 entries, not one per pack."""
    packs: dict[int, list[dict]] = {}
    entries = []
    for row in rows:
        if row.pack_id is not None:
            packs.setdefault(row.lot_id, []).append(
                {"pack": row.pack_id, "decision": row.pk, "route": row.route,
                 "soh_pct_used": row.soh_pct_used}
            )  # fmt: skip
            continue
        entry = _decision_audit(row, rule_set)
        entry.after["packs"] = packs.pop(row.lot_id, [])
        entries.append(entry)
    return entries


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A chunk builds some 200,000 short-lived objects (rows, facts, decisions) and frees them
    by reference counting; the cyclic collector's passes over them cost about a quarter of the
    chunk. Pause it for the chunk; whatever cycles remain are collected after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def reroute_job_run(*, job_id: int, chunk_size: int = 1000) -> RerouteJob:
    """Re-route every routable lot under the job's rule set, chunk by chunk, with progress.

    Resumable and safe to run twice: a lot already routed under this rule set is skipped, so a
    redelivered task continues where the last one stopped.
    """
    claimed = RerouteJob.objects.filter(
        pk=job_id, status__in=[RerouteJobStatus.PENDING, RerouteJobStatus.RUNNING]
    ).update(status=RerouteJobStatus.RUNNING, started_at=timezone.now())
    job = RerouteJob.objects.select_related("rule_set").get(pk=job_id)
    if not claimed:
        return job
    rule_set = job.rule_set
    pending = lots_routable().exclude(summary__rule_set=rule_set).order_by("pk")
    last_pk = 0
    while True:
        if not RuleSet.objects.filter(pk=rule_set.pk, is_active=True).exists():
            # A newer rule set was published; its own job routes every lot.
            job.error = "Stopped: a newer rule set was published before this re-route finished."
            break
        ids = list(pending.filter(pk__gt=last_pk).values_list("pk", flat=True)[:chunk_size])
        if not ids:
            break
        with _collector_paused():
            changed = lots_reroute_chunk(lot_ids=ids, rule_set=rule_set)
        last_pk = ids[-1]
        # Lots listed after the job counted them are routed too; the total grows to match.
        RerouteJob.objects.filter(pk=job.pk).update(
            total_lots=Greatest("total_lots", F("processed_lots") + len(ids)),
            processed_lots=F("processed_lots") + len(ids),
            changed_lots=F("changed_lots") + changed,
            chunks=F("chunks") + 1,
        )
    RerouteJob.objects.filter(pk=job.pk).update(
        status=RerouteJobStatus.DONE, finished_at=timezone.now(), error=job.error
    )
    job.refresh_from_db()
    return job
