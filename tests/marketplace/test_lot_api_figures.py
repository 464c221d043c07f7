"""The lot detail stays small however many packs a lot has: each pack's heavy figures
(per-cycle table, curves, DCIR steps) and its rules in words are at the pack's figures URL,
which shows them only to those who may open the lot."""

import json

import pytest

from marketplace import services
from suppliers.choices import LotStatus
from tests.factories import LotFactory, PackFactory, capacity_test_upload, measured_lot
from tests.many_packs import many_pack_lot

HEAVY_KEYS = {"figures", "cycles", "curves", "dcir", "rules"}


def keys_of(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_of(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_of(v)}
    return set()


@pytest.fixture
def listed(alice, volta, nmc_module, django_capture_on_commit_callbacks):
    """A verified lot of one measured pack, which buyers browse."""
    return measured_lot(
        supplier=volta,
        pack_model=nmc_module,
        soh_values=[86.0],
        uploader=alice,
        callbacks=django_capture_on_commit_callbacks,
    )


def measured_pack(*, lot, user, pack_model, callbacks):
    pack = PackFactory(lot=lot)
    with callbacks(execute=True):
        services.test_data_upload(
            user=user,
            pack=pack,
            uploaded_file=capacity_test_upload(soh_pct=82, pack_model=pack_model, seed=3),
        )
    return pack


def test_a_100_pack_lot_detail_takes_few_queries_and_carries_no_heavy_figures(
    api, alice, bianca, volta, nmc_module, django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):  # fmt: skip
    lot = many_pack_lot(
        supplier=volta, pack_model=nmc_module, uploader=alice,
        callbacks=django_capture_on_commit_callbacks, packs=100,
    )  # fmt: skip
    assert lot.status == LotStatus.VERIFIED
    api.force_authenticate(bianca)
    with django_assert_max_num_queries(8):
        response = api.get(f"/api/lots/{lot.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert len(body["packs"]) == 100
    # The heavy parts are gone from every pack, and the lot's own routing reasons stay.
    pack_keys = keys_of(body["packs"])
    assert not HEAVY_KEYS & pack_keys, HEAVY_KEYS & pack_keys
    assert body["decision"]["rules"] and "warranty" in body["decision"]
    assert len(response.content) < 200_000
    # What grows with the lot is a small row per pack, whatever the size of its test.
    per_pack = max(len(json.dumps(p)) for p in body["packs"])
    assert per_pack < 2_000
    first = body["packs"][0]
    assert first["figures_url"].endswith(f"/api/packs/{first['pack']['id']}/figures/")
    assert first["decision"]["fired_rules"] and first["decision"]["route"]
    measurement = first["verification"]["measurement"]
    assert measurement["cycle_count"] == 2 and measurement["soh_basis"]["cycle_used"] == 2
    assert measurement["soh_by_definition"]["capacity"] == pytest.approx(measurement["soh_pct"])


def test_the_query_count_does_not_grow_with_the_packs(
    api, alice, bianca, volta, nmc_module, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for packs in (3, 12):
        lot = many_pack_lot(
            supplier=volta, pack_model=nmc_module, uploader=alice,
            callbacks=django_capture_on_commit_callbacks, packs=packs,
        )  # fmt: skip
        api.force_authenticate(bianca)
        with CaptureQueriesContext(connection) as queries:
            assert api.get(f"/api/lots/{lot.pk}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_pack_s_figures_in_full_at_its_figures_url(api, bianca, listed):
    api.force_authenticate(bianca)
    [row] = api.get(f"/api/lots/{listed.pk}/").json()["packs"]
    body = api.get(row["figures_url"]).json()
    assert body["pack"]["id"] == row["pack"]["id"] and body["lot"] == listed.pk
    assert body["verification"]["id"] == row["verification"]["id"]
    figures = body["verification"]["measurement"]["figures"]
    assert len(figures["cycles"]) == 2
    assert figures["curves"]["voltage_vs_capacity"]
    assert {r["name"] for r in body["decision"]["rules"]} >= set(row["decision"]["fired_rules"])


def test_a_pack_without_a_measurement_has_no_figures_url(api, alice, volta, nmc_module):
    lot = LotFactory(supplier=volta, pack_model=nmc_module, status=LotStatus.DRAFT)
    pack = PackFactory(lot=lot)
    api.force_authenticate(alice)
    [row] = api.get(f"/api/lots/{lot.pk}/").json()["packs"]
    assert row["figures_url"] is None and row["verification"] is None
    assert api.get(f"/api/packs/{pack.pk}/figures/").status_code == 404


def test_figures_are_for_those_who_may_open_the_lot(
    api, alice, mia, rob, bianca, audrey, volta, nmc_module, listed,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    draft = LotFactory(supplier=volta, pack_model=nmc_module, status=LotStatus.DRAFT)
    draft_pack = measured_pack(
        lot=draft, user=mia, pack_model=nmc_module, callbacks=django_capture_on_commit_callbacks
    )
    # Submitted and measured, but below its sampling plan (10 packs: 3 to measure).
    verifying = LotFactory(supplier=volta, pack_model=nmc_module, quantity=10)
    verifying_pack = measured_pack(
        lot=verifying, user=mia, pack_model=nmc_module,
        callbacks=django_capture_on_commit_callbacks,
    )  # fmt: skip
    listed_pack = listed.packs.get()
    expected = {
        # Volta's own people see their drafts' and verifying lots' figures.
        alice: {draft_pack: 200, verifying_pack: 200, listed_pack: 200},
        mia: {draft_pack: 200, verifying_pack: 200, listed_pack: 200},
        # A competing supplier and a buyer see only what buyers browse.
        rob: {draft_pack: 404, verifying_pack: 404, listed_pack: 200},
        bianca: {draft_pack: 404, verifying_pack: 404, listed_pack: 200},
        audrey: {draft_pack: 200, verifying_pack: 200, listed_pack: 200},
    }
    for user, packs in expected.items():
        api.force_authenticate(user)
        for pack, status in packs.items():
            response = api.get(f"/api/packs/{pack.pk}/figures/")
            assert response.status_code == status, (user.username, pack.lot.status)
            if status == 404:
                assert "cycles" not in response.content.decode()
    api.force_authenticate(None)
    assert api.get(f"/api/packs/{listed_pack.pk}/figures/").status_code in (401, 403)
