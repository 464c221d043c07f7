"""The lot page: its verification report card and SOH chart, a pack table cut to its first
rows, and a number of queries that does not grow with the packs, for each reader."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace import charts, services
from suppliers.choices import LotStatus
from tests.factories import LotFactory, PackFactory, capacity_test_upload, measured_lot
from tests.many_packs import many_pack_lot
from verification.models import Measurement

BUYER_CAP = 9  # session, user, the lot (summary, supplier, score, roles), packs, runs,
# decisions, history, documents, the navigation's roles
SUPPLIER_CAP = 20  # 17: and the uploads with their runs, the audit trail, the upload form
AUDITOR_CAP = 15  # 12: and the uploads and the audit trail
# A heavy column, read whole or by entry: a row's entries are in the measurement's brief.
HEAVY_COLUMN = re.compile(r'"verification_measurement"\."(figures|cycles)"')


def lot_of(packs, volta, alice, nmc_module, callbacks):
    return many_pack_lot(
        supplier=volta, pack_model=nmc_module, uploader=alice, callbacks=callbacks, packs=packs
    )


def queries_of(client, url) -> list[str]:
    client.get(url)  # the first reader stores the supplier's score; later ones read it
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize(
    ("persona", "cap"), [("bianca", BUYER_CAP), ("alice", SUPPLIER_CAP), ("audrey", AUDITOR_CAP)]
)
def test_the_lot_page_reads_the_same_few_queries_for_5_and_100_packs(
    request, client, alice, volta, nmc_module, django_capture_on_commit_callbacks, persona, cap
):
    client.force_login(request.getfixturevalue(persona))
    counts = []
    for packs in (5, 100):
        lot = lot_of(packs, volta, alice, nmc_module, django_capture_on_commit_callbacks)
        assert lot.status == LotStatus.VERIFIED
        sql = queries_of(client, f"/lots/{lot.pk}/")
        counts.append(len(sql))
        # No pack's whole measurement is read: its charts are its own fragment.
        assert not [q for q in sql if HEAVY_COLUMN.search(q)]
    assert counts[0] == counts[1] <= cap, counts


def test_showing_every_pack_costs_no_more_queries(
    client, alice, bianca, volta, nmc_module, django_capture_on_commit_callbacks
):
    lot = lot_of(40, volta, alice, nmc_module, django_capture_on_commit_callbacks)
    client.force_login(bianca)
    url = f"/lots/{lot.pk}/"
    first = queries_of(client, url)
    body = client.get(url).content.decode()
    assert body.count('class="pack-charts-link"') == 25
    assert 'href="?packs=all#packs">Show all 40 packs</a>' in body
    every = queries_of(client, url + "?packs=all")
    assert len(every) == len(first)
    body = client.get(url + "?packs=all").content.decode()
    assert body.count('class="pack-charts-link"') == 40
    assert "Show all 40 packs" not in body


@pytest.fixture
def listed(alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks):
    """A verified LFP lot of three measured packs (the plan for three packs needs two)."""
    return measured_lot(
        supplier=volta, pack_model=lfp_telecom_pack, soh_values=[90.0, 80.0, 86.0],
        uploader=alice, callbacks=django_capture_on_commit_callbacks,
    )  # fmt: skip


def test_the_report_card_states_figures_method_rules_coverage_and_warranty(client, bianca, listed):
    client.force_login(bianca)
    body = client.get(f"/lots/{listed.pk}/").content.decode()
    card = body[
        body.index('id="report-card"') : body.index("</section>", body.index("report-card"))
    ]
    assert "3 of 3 packs measured" in card
    assert "meets the sampling plan (2 packs)" in card
    soh = re.search(r'id="card-soh">(.*?)</dd>', card, re.S).group(1)
    assert "median <strong>86." in soh and "lowest 80." in soh and "highest 90." in soh
    assert f"{listed.reference}-2" in re.search(r'id="card-weakest">(.*?)</dd>', card).group(1)
    assert "full capacity discharge" in card and "Capacity-based" in card
    assert re.search(r'id="card-dates">uploaded \d{4}-\d\d-\d\d', card)
    assert listed.summary.rule_set.name in card
    warranty = re.search(r'id="card-warranty">(.*?)</dd>', card).group(1)
    assert "residual capacity" in warranty
    assert 'id="card-reasons"' in card


def test_an_absent_figure_is_shown_absent_with_the_reason_never_as_zero(client, bianca, listed):
    # Tests without a current step or a recorded discharge energy.
    Measurement.objects.filter(test_record__pack__lot=listed).update(
        resistance_mohm=None, resistance_ratio=None, resistance_pulse_s=None
    )
    listed.summary.usable_energy_kwh = None
    listed.summary.save(update_fields=["usable_energy_kwh"])
    client.force_login(bianca)
    body = client.get(f"/lots/{listed.pk}/").content.decode()
    resistance = re.search(r'id="card-resistance">(.*?)</dd>', body, re.S).group(1)
    assert "not measured: no test of a measured pack had a current step" in resistance
    assert "0.0 mΩ" not in resistance
    energy = re.search(r'id="card-energy">(.*?)</dd>', body, re.S).group(1)
    assert "not recorded: the tests of the measured packs recorded no discharge energy" in energy
    assert "0.00 kWh" not in energy


def test_an_unrouted_lot_says_why_it_has_no_warranty(client, alice, volta, lfp_telecom_pack):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, status=LotStatus.DRAFT)
    PackFactory(lot=lot)
    client.force_login(alice)
    body = client.get(f"/lots/{lot.pk}/").content.decode()
    assert "0 of 10 packs measured" in body
    warranty = re.search(r'id="card-warranty">(.*?)</dd>', body).group(1)
    assert "No warranty yet: the lot is not routed" in warranty
    assert "not measured: no pack has a complete capacity test" in body
    assert 'id="soh-chart"' not in body and 'id="charts"' not in body


def test_the_soh_chart_is_named_for_screen_readers_and_its_numbers_are_in_a_table(
    client, bianca, listed
):
    client.force_login(bianca)
    body = client.get(f"/lots/{listed.pk}/").content.decode()
    chart = body[body.index('id="soh-chart"') : body.index("</figure>", body.index("soh-chart"))]
    assert 'role="img"' in chart and "aria-labelledby=" in chart
    assert "<title" in chart and "Measured SOH of 3 packs" in chart
    assert "<desc" in chart and "Packs per SOH band" in chart
    rows = re.findall(r"<tr><td>(.*?)</td><td>(\d+)</td></tr>", chart)
    assert sum(int(n) for _, n in rows) == 3
    assert "<script" not in chart


def test_the_soh_chart_is_drawn_once_for_the_same_measurements(client, bianca, listed, monkeypatch):
    drawn = []
    draw = charts._soh_histogram_svg
    monkeypatch.setattr(
        charts, "_soh_histogram_svg", lambda *a, **k: drawn.append(1) or draw(*a, **k)
    )
    client.force_login(bianca)
    for _ in range(3):
        assert "Measured SOH of 3 packs" in client.get(f"/lots/{listed.pk}/").content.decode()
    assert len(drawn) == 1


def test_the_charts_section_loads_the_weakest_pack_s_fragment_when_revealed(client, bianca, listed):
    client.force_login(bianca)
    body = client.get(f"/lots/{listed.pk}/").content.decode()
    weakest = listed.packs.get(serial=f"{listed.reference}-2")
    url = f"/packs/{weakest.pk}/charts/"
    assert f'hx-get="{url}" hx-trigger="revealed"' in body
    assert f'<a href="{url}" id="pack-charts-link">' in body  # without JavaScript
    # The lot page draws no pack chart itself.
    assert "Discharge capacity per cycle" not in body
    other = listed.packs.get(serial=f"{listed.reference}-1")
    chosen = client.get(f"/lots/{listed.pk}/?pack={other.pk}").content.decode()
    assert f'hx-get="/packs/{other.pk}/charts/" hx-trigger="revealed"' in chosen


@pytest.mark.parametrize("persona", ["bianca", "alice"])
def test_another_supplier_s_draft_is_not_found(request, client, recell, lfp_telecom_pack, persona):
    draft = LotFactory(supplier=recell, pack_model=lfp_telecom_pack, status=LotStatus.DRAFT)
    client.force_login(request.getfixturevalue(persona))
    assert client.get(f"/lots/{draft.pk}/").status_code == 404


def test_a_buyer_never_opens_a_lot_below_its_sampling_plan(
    client, alice, bianca, volta, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, quantity=30, claimed_soh_pct=88)
    pack = PackFactory(lot=lot, claimed_soh_pct=88)
    with django_capture_on_commit_callbacks(execute=True):
        services.test_data_upload(
            user=alice, pack=pack,
            uploaded_file=capacity_test_upload(soh_pct=88, pack_model=lfp_telecom_pack),
        )  # fmt: skip
    lot.refresh_from_db()
    assert lot.summary.packs_measured < lot.summary.sample_size_required
    client.force_login(bianca)
    assert client.get(f"/lots/{lot.pk}/").status_code == 404
    client.force_login(alice)
    body = client.get(f"/lots/{lot.pk}/").content.decode()
    assert "1 of 30 packs measured" in body and "the sampling plan needs 8" in body
