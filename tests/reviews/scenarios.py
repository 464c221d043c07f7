"""Lots for the review tests, made through the real pipeline (upload, verify, route)."""

from marketplace.services import test_data_upload
from suppliers.models import Lot
from tests.factories import LotFactory, PackFactory, capacity_test_upload


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
