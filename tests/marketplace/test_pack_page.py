"""The pack page: latest figures in full, how they were obtained, every earlier result, and
what each persona may see of it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace import services
from tests.factories import LotFactory, PackFactory, capacity_test_upload, measured_lot
from verification.choices import TestRecordStatus
from verification.models import TestRecord


@pytest.fixture
def listed(alice, volta, nmc_module, django_capture_on_commit_callbacks):
    return measured_lot(
        supplier=volta,
        pack_model=nmc_module,
        soh_values=[86.0],
        uploader=alice,
        callbacks=django_capture_on_commit_callbacks,
    )


def upload(user, pack, file, callbacks):
    with callbacks(execute=True):
        services.test_data_upload(user=user, pack=pack, uploaded_file=file)


def test_supplier_sees_figures_charts_history_and_uploads(
    client, alice, listed, nmc_module, django_capture_on_commit_callbacks
):
    pack = listed.packs.get()
    upload(
        alice,
        pack,
        capacity_test_upload(
            soh_pct=83.0, pack_model=nmc_module, name="retest.csv", seed=7, cell_voltages=True
        ),
        django_capture_on_commit_callbacks,
    )
    upload(
        alice,
        pack,
        SimpleUploadedFile("broken.csv", b"time_s,current_a\n1,2\n"),
        django_capture_on_commit_callbacks,
    )
    client.force_login(alice)
    page = client.get(f"/packs/{pack.pk}/").content.decode()
    # The newest measurement is shown; both measured runs and the failure stay in the history.
    assert "83." in page.split('id="pack-soh"')[1].split("</div>")[0]
    history = page.split('id="history"')[1].split("Uploads for this pack")[0]
    assert history.count('class="verdict verdict-') == 2
    assert "broken.csv" in history and "voltage_v" in history
    # Both SOH definitions, side by side and labelled.
    assert 'id="soh-energy"' in page and "Capacity-based" in page
    assert page.count("<svg") == 2
    assert 'id="dcir"' in page and "mΩ" in page
    cells = page.split('id="pack-resistance"')[1].split("</dl>")[0]
    assert "mV at the end of discharge" in cells and "cell " in cells
    assert "retest.csv" in page.split("Uploads for this pack")[1]


def test_buyer_sees_measured_figures_but_no_uploads_or_failures(
    client, alice, bianca, listed, django_capture_on_commit_callbacks
):
    pack = listed.packs.get()
    upload(
        alice,
        pack,
        SimpleUploadedFile("broken.csv", b"time_s,current_a\n1,2\n"),
        django_capture_on_commit_callbacks,
    )
    client.force_login(bianca)
    response = client.get(f"/packs/{pack.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "86." in page and "Uploads for this pack" not in page
    assert "broken.csv" not in page and "capacity-test.csv" not in page


def test_drafts_stay_with_their_supplier(client, rob, bianca, volta, nmc_module):
    pack = PackFactory(lot=LotFactory(supplier=volta, pack_model=nmc_module, status="draft"))
    for user in (rob, bianca):
        client.force_login(user)
        assert client.get(f"/packs/{pack.pk}/").status_code == 404


def test_progress_shows_while_the_worker_reads(client, alice, volta, nmc_module):
    pack = PackFactory(lot=LotFactory(supplier=volta, pack_model=nmc_module, status="draft"))
    other = PackFactory(lot=pack.lot, serial="OTHER-1")
    for target, name in ((pack, "mine.csv"), (other, "other.csv")):
        TestRecord.objects.create(
            pack=target,
            file=SimpleUploadedFile(name, b"x"),
            original_name=name,
            sha256=name,
            size_bytes=1,
            status=TestRecordStatus.PROCESSING,
            progress_pct=45,
        )
    client.force_login(alice)
    page = client.get(f"/packs/{pack.pk}/").content.decode()
    assert 'value="45"' in page and "45 % read" in page
    assert f"test-data/status/?pack={pack.pk}" in page
    partial = client.get(f"/lots/{pack.lot_id}/test-data/status/?pack={pack.pk}").content.decode()
    assert "mine.csv" in partial and "other.csv" not in partial
    assert "other.csv" in client.get(f"/lots/{pack.lot_id}/test-data/status/").content.decode()


def test_the_worker_records_progress_as_it_reads(
    alice, volta, nmc_module, django_capture_on_commit_callbacks, monkeypatch
):
    from verification.domain import progress

    seen: list[int] = []
    original = progress.ProgressReader.__init__

    def spy(self, stream, *, total_bytes, report, **kwargs):
        def recording(percent: int) -> None:
            report(percent)
            seen.append(TestRecord.objects.get().progress_pct)

        original(self, stream, total_bytes=total_bytes, report=recording, step_pct=20, interval_s=0)

    monkeypatch.setattr(progress.ProgressReader, "__init__", spy)
    pack = PackFactory(lot=LotFactory(supplier=volta, pack_model=nmc_module, status="draft"))
    upload(
        alice,
        pack,
        capacity_test_upload(soh_pct=85.0, pack_model=nmc_module),
        django_capture_on_commit_callbacks,
    )
    assert seen and seen == sorted(seen) and seen[-1] == 100
    record = TestRecord.objects.get()
    assert record.status == TestRecordStatus.DONE and record.progress_pct == 100


def test_the_api_gives_the_same_history_with_the_same_permissions(
    api, alice, bianca, rob, volta, nmc_module, listed, django_capture_on_commit_callbacks
):
    pack = listed.packs.get()
    upload(
        alice,
        pack,
        SimpleUploadedFile("broken.csv", b"time_s,current_a\n1,2\n"),
        django_capture_on_commit_callbacks,
    )
    url = f"/api/packs/{pack.pk}/verifications/"
    api.force_authenticate(alice)
    runs = api.get(url).json()["results"]
    assert [r["status"] for r in runs] == ["failed", "done"]
    assert "voltage_v" in runs[0]["error"]
    assert runs[1]["measurement"]["soh_by_definition"]["capacity"] == pytest.approx(86, abs=0.5)
    api.force_authenticate(bianca)
    assert [r["status"] for r in api.get(url).json()["results"]] == ["done"]
    draft = PackFactory(lot=LotFactory(supplier=volta, pack_model=nmc_module, status="draft"))
    api.force_authenticate(rob)
    assert api.get(f"/api/packs/{draft.pk}/verifications/").status_code == 404
