import io
import zlib

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from tqdm import tqdm

from marketplace import demo
from marketplace.scorecards import scorecards_refresh_all
from marketplace.services import lot_create, lot_submit, pack_model_approve, test_data_upload
from routing.selectors import rule_set_active
from suppliers.choices import HistoryEventKind, MembershipRole
from suppliers.models import Lot, Membership, Organisation, PackModel
from suppliers.services import lot_service_history
from verification.domain import synthetic_cycling_csv

# Auditors read evidence in the admin; they decide through the app's services, never there.
AUDITOR_APPS = ("verification", "routing", "suppliers", "marketplace", "audit")


class Command(BaseCommand):
    help = "Load demo organisations, users, pack models and lots with test data (idempotent)."

    def handle(self, *args, **options):
        users = self._users_and_organisations()
        auditor = get_user_model().objects.get(username="auditor")
        models = {pm.key: self._pack_model(pm, auditor) for pm in demo.PACK_MODELS}
        created = 0
        for spec in tqdm(demo.LOTS, desc="demo lots", unit="lot", disable=options["verbosity"] < 1):
            supplier = Organisation.objects.get(slug=spec.supplier)
            if Lot.objects.filter(supplier=supplier, reference=spec.reference).exists():
                continue
            self._lot(spec, supplier, users[spec.supplier], models[spec.pack_model])
            created += 1
        # The pages would compute them on first view; stored now, the demo opens on scores.
        scorecards_refresh_all()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {created} new lots, {Lot.objects.count()} in all."
            )
        )

    def _users_and_organisations(self) -> dict:
        User = get_user_model()
        users = {}
        for org_spec in demo.ORGANISATIONS:
            org, _ = Organisation.objects.get_or_create(
                slug=org_spec.slug,
                defaults={
                    "name": org_spec.name,
                    "kind": org_spec.kind,
                    "country": org_spec.country,
                },
            )
            user = self._user(User, org_spec.username, email=f"{org_spec.username}@example.com")
            Membership.objects.get_or_create(
                user=user, organisation=org, defaults={"role": MembershipRole.ADMIN}
            )
            users[org_spec.slug] = user
        auditor = self._user(User, "auditor", email="auditor@example.com", staff=True)
        group, _ = Group.objects.get_or_create(name="Auditors")
        group.permissions.set(
            Permission.objects.filter(
                content_type__app_label__in=AUDITOR_APPS, codename__startswith="view_"
            )
        )
        auditor.groups.add(group)
        return users

    @staticmethod
    def _user(User, username: str, *, email: str, staff: bool = False):
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": email, "is_staff": staff}
        )
        if created:
            user.set_password(demo.DEMO_PASSWORD)
            user.save(update_fields=["password"])
        return user

    @staticmethod
    def _pack_model(spec: demo.DemoPackModel, auditor) -> PackModel:
        model, _ = PackModel.objects.get_or_create(
            manufacturer=spec.manufacturer,
            model=spec.model,
            defaults={
                "chemistry": spec.chemistry,
                "nominal_voltage_v": spec.nominal_voltage_v,
                "nominal_capacity_ah": spec.nominal_capacity_ah,
                "nominal_energy_kwh": spec.nominal_energy_kwh,
                "cells_series": spec.cells_series,
                "cells_parallel": spec.cells_parallel,
                "baseline_resistance_mohm": spec.baseline_resistance_mohm,
                "calendar_life_years": spec.calendar_life_years,
            },
        )
        if model.approved_at is None:
            # Measurements can confirm claims only against ratings an auditor approved.
            model = pack_model_approve(user=auditor, pack_model=model, note=demo.APPROVAL_NOTE)
        return model

    def _lot(self, spec: demo.DemoLot, supplier, user, pack_model: PackModel) -> None:
        # Enough packs tested for the sampling plan, each with its own measurement.
        sample = rule_set_active().sample_size_for(spec.quantity)
        soh_values = demo.sample_soh_pct(spec.measured_soh_pct, sample)
        pack_count = len(soh_values) or 1
        history = lot_service_history(
            manufactured_on=spec.manufactured_on, removed_on=spec.removed_on, actor=supplier.name
        )
        history += [
            {"kind": HistoryEventKind(kind), "occurred_on": occurred_on, "notes": notes}
            for kind, occurred_on, notes in spec.extra_events
        ]
        lot = lot_create(
            user=user,
            supplier=supplier,
            pack_model=pack_model,
            reference=spec.reference,
            location=spec.location,
            country=spec.site[0],
            latitude=spec.site[1],
            longitude=spec.site[2],
            quantity=spec.quantity,
            claimed_soh_pct=spec.claimed_soh_pct,
            price_per_kwh=spec.price_per_kwh,
            packs=[
                {"serial": f"{spec.reference}-P{i + 1:03d}", "cycle_count": 900 + 137 * i}
                for i in range(pack_count)
            ],
            history=history,
        )
        if spec.submit:
            lot_submit(user=user, lot=lot)
        for index, (pack, soh) in enumerate(
            zip(lot.packs.order_by("serial"), soh_values, strict=False)
        ):
            csv_text = synthetic_cycling_csv(
                chemistry=pack_model.chemistry,
                nominal_capacity_ah=float(pack_model.nominal_capacity_ah),
                cells_series=pack_model.cells_series,
                soh_pct=soh,
                cycles=3,
                sample_interval_s=30.0,
                seed=zlib.crc32(f"{spec.reference}-{index}".encode()),
                resistance_mohm=demo.aged_resistance_mohm(pack_model.baseline_resistance_mohm, soh),
                step_detail_s=demo.STEP_DETAIL_S if spec.resistance_logged else 0.0,
                cell_voltages=True,
            )
            upload = SimpleUploadedFile(
                f"{pack.serial}-capacity-test.csv",
                io.BytesIO(csv_text.encode()).getvalue(),
                content_type="text/csv",
            )
            test_data_upload(user=user, pack=pack, uploaded_file=upload)
