"""Reads for passports: who may have a pack's passport, and the facts it is made of."""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q
from django.urls import reverse

from marketplace.selectors import lots_visible
from suppliers.choices import HistoryEventKind
from suppliers.models import HistoryEvent, Lot, Pack
from suppliers.selectors import is_auditor, lot_can_manage
from verification.choices import STANDING_VERDICTS, VerificationStatus
from verification.models import Verification

from .choices import PassportKind
from .domain.battery_pass import MeasuredFacts, PackFacts, RatedFacts, sustainability_status
from .models import PassportDocument

User = AbstractBaseUser | AnonymousUser


def pack_for_passport(*, user: User, pk: int) -> Pack:
    """The pack, when the user may open its lot (its supplier, auditors, buyers of a browsable
    lot that met its sampling plan); Pack.DoesNotExist otherwise, so no one learns of others'
    drafts."""
    pack = Pack.objects.select_related("lot__pack_model", "lot__supplier", "lot__summary").get(
        pk=pk
    )
    if not lots_visible(user=user).filter(pk=pack.lot_id).exists():
        raise Pack.DoesNotExist
    return pack


def pack_for_serial(*, serial: str) -> Pack:
    """The live pack with this serial, whatever its case (an operator's command)."""
    return Pack.objects.select_related("lot__pack_model", "lot__supplier", "lot__summary").get(
        live=True, serial__iexact=serial.strip()
    )


def sees_all_figures(*, user: User | None, lot: Lot) -> bool:
    """Its supplier, auditors and operators' commands get every figure; a buyer only those a
    verification stands by (see `_latest_measurement`)."""
    return user is None or is_auditor(user) or lot_can_manage(user=user, lot=lot)


def _latest_measurement(*, pack: Pack, full: bool) -> Verification | None:
    """The newest finished verification that measured an SOH, as the pack page shows it. A
    buyer gets it only when its verdict stands (the pack's own evidence against an approved
    model): figures measured against a model awaiting approval rest on the seller's nominal."""
    runs = Verification.objects.filter(
        pack=pack,
        status=VerificationStatus.DONE,
        measured_soh_pct__isnull=False,
        measurement__isnull=False,
    )
    if not full:
        runs = runs.filter(verdict__in=STANDING_VERDICTS)
    return runs.select_related("measurement").order_by("-finished_at", "-pk").first()


def _measured(run: Verification | None) -> MeasuredFacts | None:
    if run is None:
        return None
    m = run.measurement
    energy_wh = next(
        (c.get("discharge_energy_wh") for c in m.cycles if c.get("cycle") == m.cycle_used), None
    )
    return MeasuredFacts(
        at=run.finished_at,
        capacity_ah=m.discharge_capacity_ah,
        nominal_capacity_ah=m.nominal_capacity_ah,
        energy_kwh=energy_wh / 1000 if energy_wh is not None else None,
        soh_energy_pct=m.soh_energy_pct,
        resistance_mohm=m.resistance_mohm,
        resistance_ratio=m.resistance_ratio,
    )


def _history_dates(pack: Pack) -> dict[str, object]:
    """The earliest manufacture and entry into service: the pack's own events before the
    lot-wide ones."""
    own: dict[str, object] = {}
    shared: dict[str, object] = {}
    events = (
        HistoryEvent.objects.filter(
            Q(pack=pack) | Q(pack__isnull=True),
            lot_id=pack.lot_id,
            kind__in=[HistoryEventKind.MANUFACTURED, HistoryEventKind.IN_SERVICE],
        )
        .order_by("occurred_on", "pk")
        .values_list("kind", "pack_id", "occurred_on")
    )
    for kind, pack_id, occurred_on in events:
        (own if pack_id is not None else shared).setdefault(kind, occurred_on)
    return {**shared, **own}


def pack_facts(*, pack: Pack, full: bool) -> PackFacts:
    lot, model = pack.lot, pack.lot.pack_model
    summary = getattr(lot, "summary", None)
    route = lot_route(lot)
    decided = bool(lot.route_override) or bool(summary and not summary.route_provisional)
    run = _latest_measurement(pack=pack, full=full)
    dates = _history_dates(pack)
    return PackFacts(
        serial=pack.serial,
        rated=RatedFacts(
            manufacturer=model.manufacturer,
            model=model.model,
            chemistry=model.chemistry,
            nominal_voltage_v=float(model.nominal_voltage_v),
            nominal_capacity_ah=float(model.nominal_capacity_ah),
            nominal_energy_kwh=float(model.nominal_energy_kwh),
            baseline_resistance_mohm=(
                float(model.baseline_resistance_mohm)
                if model.baseline_resistance_mohm is not None
                else None
            ),
            calendar_life_years=model.calendar_life_years,
        ),
        measured=_measured(run),
        # The supplier's declaration, not a measurement: for those who see the claims'
        # details; declared when the lot was listed.
        cycle_count=pack.cycle_count if full else None,
        cycles_declared_at=lot.created_at,
        manufactured_on=dates.get(HistoryEventKind.MANUFACTURED),
        in_service_on=dates.get(HistoryEventKind.IN_SERVICE),
        sustainability_status=sustainability_status(
            lot_status=lot.status, route=route, route_decided=decided
        ),
        report_url=(
            settings.SITE_URL.rstrip("/") + reverse("pack-detail", args=[pack.pk]) if run else ""
        ),
    )


def lot_route(lot: Lot) -> str:
    summary = getattr(lot, "summary", None)
    return lot.route_override or (summary.route if summary else "")


def passport_latest(
    *, pack: Pack, kind: str = PassportKind.BATTERY_PASS
) -> PassportDocument | None:
    return (
        PassportDocument.objects.filter(pack=pack, kind=kind).order_by("-created_at", "-pk").first()
    )
