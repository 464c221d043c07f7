from io import StringIO

import pytest
from django.core.management import call_command

from audit.models import AuditEntry
from marketplace.selectors import lot_list_browsable
from routing.models import RoutingDecision
from suppliers.choices import LotStatus
from suppliers.models import Lot, PackModel
from verification.models import TestRecord, Verification


@pytest.mark.django_db
def test_load_demo_covers_every_route_and_is_idempotent(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", stdout=StringIO(), verbosity=0)
    routes = {lot.reference: lot.summary.route for lot in Lot.objects.select_related("summary")}
    assert routes["VFS-2026-001"] == "reuse-ESS"
    assert routes["VFS-2026-002"] == "small-application"
    assert routes["REC-0108"] == "recycle"  # NMC below 80 %: the earlier exit
    assert routes["REC-0109"] == "recycle"  # below the 20 % floor
    assert routes["REC-0110"] == "recycle"  # thermal event in its history
    assert routes["VFS-2026-003"] == "reuse-ESS"  # NMC above 80 %, resistance under 1.5x
    assert routes["REC-0111"] == "hold"  # NMC above 80 % without a resistance figure
    assert Lot.objects.get(reference="VFS-2026-004").status == LotStatus.DISCREPANCY
    assert Lot.objects.get(reference="VFS-2026-005").status == LotStatus.DRAFT
    assert not TestRecord.objects.exclude(status="done").exists()
    # Every submitted lot meets its sampling plan, on approved pack models.
    assert not PackModel.objects.filter(approved_at__isnull=True).exists()
    for lot in Lot.objects.exclude(status=LotStatus.DRAFT).select_related("summary"):
        summary = lot.summary
        assert summary.packs_measured >= summary.sample_size_required > 0, lot.reference
    browsable = set(lot_list_browsable().values_list("reference", flat=True))
    assert {"VFS-2026-001", "VFS-2026-003"} <= browsable
    assert "VFS-2026-004" not in browsable
    counts = (Lot.objects.count(), Verification.objects.count(), RoutingDecision.objects.count())
    # Created through the services: every lot has its trail, and the whole chain verifies.
    assert AuditEntry.objects.filter(action="lot.create").count() == Lot.objects.count()
    out = StringIO()
    call_command("verify_audit_chain", stdout=out, verbosity=0)
    assert f"intact: {AuditEntry.objects.count()} entries" in out.getvalue()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", stdout=StringIO(), verbosity=0)
    assert (
        Lot.objects.count(),
        Verification.objects.count(),
        RoutingDecision.objects.count(),
    ) == counts
