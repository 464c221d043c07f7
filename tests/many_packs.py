"""A lot of many measured packs, for query-count and body-size tests.

The first pack goes through the real pipeline (upload, figures, verdict, routing decision);
the others get copies of its test record, measurement, verification and routing decision at
their own SOH, written in bulk, so a 100-pack lot takes seconds rather than 100 uploads. The
lot's summary and status are then refreshed by the pipeline as after the last upload.
"""

from django.db import transaction

from marketplace.pipeline import lot_refresh
from marketplace.services import test_data_upload
from routing.models import RoutingDecision
from tests.factories import LotFactory, PackFactory, capacity_test_upload
from verification.models import Measurement, TestRecord, Verification


def many_pack_lot(*, supplier, pack_model, uploader, callbacks, packs: int = 100, **fields):
    """A lot of `packs` packs, every one measured (SOH spread from 84 % down to about 70 %)."""
    lot = LotFactory(
        supplier=supplier, pack_model=pack_model, claimed_soh_pct=78, quantity=packs, **fields
    )
    first = PackFactory(lot=lot, serial=f"{lot.reference}-1", claimed_soh_pct=84)
    with callbacks(execute=True):
        test_data_upload(
            user=uploader,
            pack=first,
            # Its own figures (to 4 significant figures), so no two such lots share evidence.
            uploaded_file=capacity_test_upload(
                soh_pct=84 + (lot.pk % 20) / 10, pack_model=pack_model, seed=lot.pk
            ),
        )
    record = TestRecord.objects.get(pack=first)
    measurement = Measurement.objects.get(test_record=record)
    run = Verification.objects.get(pack=first)
    decision = RoutingDecision.objects.get(pack=first)
    with transaction.atomic():
        for index in range(2, packs + 1):
            soh = round(84 - (index % 15), 2)
            pack = PackFactory(lot=lot, serial=f"{lot.reference}-{index}", claimed_soh_pct=soh)
            copy = TestRecord.objects.get(pk=record.pk)
            copy.pk, copy.pack, copy.sha256 = None, pack, f"{index:064d}"
            copy.save()
            figures = Measurement.objects.get(pk=measurement.pk)
            figures.pk, figures.test_record = None, copy
            figures.soh_pct, figures.fingerprint = soh, f"{index:064d}"
            figures.save()
            clone = Verification.objects.get(pk=run.pk)
            clone.pk, clone.pack, clone.test_record, clone.measurement = None, pack, copy, figures
            clone.sha256, clone.measured_soh_pct, clone.claimed_soh_pct = copy.sha256, soh, soh
            clone.save()
            routed = RoutingDecision.objects.get(pk=decision.pk)
            routed.pk, routed.pack, routed.soh_pct_used = None, pack, soh
            routed.save()
    return lot_refresh(lot_id=lot.pk, reason="test data for every pack")
