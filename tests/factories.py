import itertools
from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.services import token_create
from marketplace.models import LotSummary
from marketplace.search import search_fields
from marketplace.services import test_data_upload
from suppliers.choices import (
    BROWSABLE_LOT_STATUSES,
    Chemistry,
    HistoryEventKind,
    LotStatus,
    OrganisationKind,
)
from suppliers.models import HistoryEvent, Lot, Membership, Organisation, Pack, PackModel
from verification.domain import synthetic_cycling_csv

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    kind = OrganisationKind.SUPPLIER
    country = "GB"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)


_token_numbers = itertools.count(1)


def personal_token(user, *, organisation=None, name: str = "", **fields) -> str:
    """A personal API token's secret for `Authorization: Token <secret>`, made the way the
    tokens page makes one; for the user's first organisation unless one is named."""
    organisation = organisation or user.memberships.order_by("pk").first().organisation
    name = name or f"test token {next(_token_numbers)}"
    return token_create(user=user, name=name, organisation=organisation, **fields).secret


class PackModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PackModel
        django_get_or_create = ("manufacturer", "model")

    manufacturer = "CATL"
    model = factory.Sequence(lambda n: f"TB48-{n}")
    chemistry = Chemistry.LFP
    nominal_voltage_v = Decimal("51.2")
    nominal_capacity_ah = Decimal("100")
    nominal_energy_kwh = Decimal("5.12")
    cells_series = 16
    cells_parallel = 1
    baseline_resistance_mohm = Decimal("28")
    calendar_life_years = 15
    # Approved by an auditor, as every model a claim can be confirmed against; pass
    # approved_at=None for one a supplier has only registered.
    approved_at = factory.LazyFunction(timezone.now)
    approval_note = "Ratings checked against the maker's datasheet"


class LotSummaryFactory(factory.django.DjangoModelFactory):
    """The pipeline's read model of a lot, for tests that set a lot's figures directly."""

    class Meta:
        model = LotSummary
        skip_postgeneration_save = True

    lot = None
    # A lot shown to buyers has met its sampling plan (10 packs: 3); others have not.
    sample_size_required = 3
    packs_measured = factory.LazyAttribute(
        lambda o: 3 if o.lot is not None and o.lot.status in BROWSABLE_LOT_STATUSES else 0
    )

    @factory.post_generation
    def searchable(obj, create, extracted, **kwargs):
        # Found by buyers' words as the pipeline's summaries are.
        if create and obj.lot is not None:
            fields = search_fields(obj.lot)
            LotSummary.objects.filter(pk=obj.pk).update(**fields)
            obj.search_text = fields["search_text"]


class LotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lot
        skip_postgeneration_save = True

    supplier = factory.SubFactory(OrganisationFactory)
    reference = factory.Sequence(lambda n: f"LOT-{n:04d}")
    pack_model = factory.SubFactory(PackModelFactory)
    location = "Leeds, GB"
    quantity = 10
    claimed_soh_pct = Decimal("85")
    price_per_kwh = Decimal("90")
    status = LotStatus.SUBMITTED
    # Set its fields with summary__route="reuse-ESS", summary__measured_soh_pct=... .
    summary = factory.RelatedFactory(LotSummaryFactory, factory_related_name="lot")

    @factory.post_generation
    def with_history(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            HistoryEvent.objects.create(
                lot=obj, kind=HistoryEventKind.MANUFACTURED, occurred_on=date(2018, 1, 1)
            )
            HistoryEvent.objects.create(
                lot=obj, kind=HistoryEventKind.REMOVED, occurred_on=date(2025, 6, 1)
            )


class PackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pack

    lot = factory.SubFactory(LotFactory)
    serial = factory.Sequence(lambda n: f"SN-{n:06d}")


def capacity_test_upload(
    *,
    soh_pct: float,
    pack_model: PackModel,
    name: str = "capacity-test.csv",
    seed: int = 1,
    resistance_mohm: float | None = None,
    cell_voltages: bool = False,
) -> SimpleUploadedFile:
    """A canonical CSV of a full capacity test whose measured SOH is soh_pct and whose DC
    resistance (measured from the step changes, logged every second) is resistance_mohm."""
    text = synthetic_cycling_csv(
        resistance_mohm=resistance_mohm,
        step_detail_s=12.0,
        cell_voltages=cell_voltages,
        chemistry=pack_model.chemistry,
        nominal_capacity_ah=float(pack_model.nominal_capacity_ah),
        cells_series=pack_model.cells_series,
        soh_pct=soh_pct,
        cycles=2,
        sample_interval_s=60.0,
        seed=seed,
    )
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def measured_lot(*, supplier, pack_model, soh_values, uploader, callbacks, claimed=None, **fields):
    """A submitted lot whose packs were measured at soh_values through the real pipeline."""

    claimed = claimed if claimed is not None else round(sum(soh_values) / len(soh_values))
    lot = LotFactory(
        supplier=supplier, pack_model=pack_model, claimed_soh_pct=claimed,
        quantity=max(len(soh_values), 1), **fields,
    )  # fmt: skip
    for index, soh in enumerate(soh_values):
        pack = PackFactory(lot=lot, serial=f"{lot.reference}-{index + 1}", claimed_soh_pct=soh)
        with callbacks(execute=True):
            test_data_upload(
                user=uploader,
                pack=pack,
                uploaded_file=capacity_test_upload(soh_pct=soh, pack_model=pack_model, seed=index),
            )
    lot.refresh_from_db()
    return lot
