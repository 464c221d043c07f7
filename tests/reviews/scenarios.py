"""Lots for the review tests, made through the real pipeline (upload, verify, route)."""

from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.services import test_data_upload
from suppliers.models import Lot
from tests.factories import LotFactory, PackFactory, capacity_test_upload
from verification.domain import synthetic_cycling_csv


def upload(*, user, pack, soh: float, callbacks, seed: int = 1, name: str = "capacity-test.csv"):
    with callbacks(execute=True):
        return test_data_upload(
            user=user,
            pack=pack,
            uploaded_file=capacity_test_upload(
                soh_pct=soh, pack_model=pack.lot.pack_model, seed=seed, name=name
            ),
        )


def claimed_lot(*, supplier, pack_model, uploader, callbacks, packs, **fields) -> Lot:
    """A submitted lot with one pack per (claimed SOH, measured SOH) pair, each measured."""
    lot = LotFactory(
        supplier=supplier,
        pack_model=pack_model,
        claimed_soh_pct=packs[0][0],
        quantity=len(packs),
        **fields,
    )
    for index, (claimed, measured) in enumerate(packs):
        pack = PackFactory(lot=lot, serial=f"{lot.reference}-{index + 1}", claimed_soh_pct=claimed)
        upload(user=uploader, pack=pack, soh=measured, callbacks=callbacks, seed=index + 1)
    return Lot.objects.select_related("summary").get(pk=lot.pk)


def upload_text(*, user, pack, text: str, callbacks, name: str = "test.csv"):
    with callbacks(execute=True):
        return test_data_upload(
            user=user, pack=pack, uploaded_file=SimpleUploadedFile(name, text.encode())
        )


def partial_discharge_csv(pack_model) -> str:
    """A capacity test cut off before the discharge reached the lower cutoff: inconclusive."""
    lines = synthetic_cycling_csv(
        chemistry=pack_model.chemistry,
        nominal_capacity_ah=float(pack_model.nominal_capacity_ah),
        cells_series=pack_model.cells_series,
        soh_pct=84,
        cycles=1,
        sample_interval_s=60,
    ).splitlines(keepends=True)
    return "".join(lines[: int(len(lines) * 0.8)])


def wrong_pack_csv(pack_model) -> str:
    """A test of a pack with half the cells in series: not evidence for this pack."""
    return synthetic_cycling_csv(
        chemistry=pack_model.chemistry,
        nominal_capacity_ah=float(pack_model.nominal_capacity_ah),
        cells_series=pack_model.cells_series // 2,
        soh_pct=84,
        sample_interval_s=60,
    )
