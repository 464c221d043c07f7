from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace import services
from suppliers.choices import LotStatus
from suppliers.models import Lot
from tests.factories import LotFactory, PackFactory


def form_data(pack_model, **overrides):
    data = {
        "supplier": "",
        "reference": "WEB-1",
        "pack_model": pack_model.pk,
        "location": "Leeds",
        "quantity": "5",
        "claimed_soh_pct": "80",
        "price_per_kwh": "70",
        "manufactured_on": "2018-01-01",
        "removed_on": "2025-05-01",
        "vin": "",
        "packs-TOTAL_FORMS": "3",
        "packs-INITIAL_FORMS": "0",
        "packs-MIN_NUM_FORMS": "1",
        "packs-MAX_NUM_FORMS": "500",
        "packs-0-serial": "W-1",
        "packs-0-claimed_soh_pct": "",
        "packs-0-cycle_count": "800",
        "packs-1-serial": "W-2",
        "packs-2-serial": "",
    }
    data.update(overrides)
    return data


def test_supplier_lists_a_lot_through_the_form(client, alice, volta, lfp_telecom_pack):
    client.force_login(alice)
    response = client.post("/supplier/lots/new/", form_data(lfp_telecom_pack, supplier=volta.pk))
    assert response.status_code == 302
    lot = Lot.objects.get()
    assert lot.status == LotStatus.DRAFT
    assert lot.packs.count() == 2
    assert lot.history.count() == 2
    page = client.get(response["Location"])
    assert b"W-1" in page.content


def test_form_errors_are_shown_not_500(client, alice, volta, lfp_telecom_pack):
    client.force_login(alice)
    response = client.post(
        "/supplier/lots/new/",
        form_data(
            lfp_telecom_pack,
            supplier=volta.pk,
            claimed_soh_pct="150",
            **{"packs-0-serial": "", "packs-1-serial": ""},
        ),
    )
    assert response.status_code == 400
    assert b"less than or equal to 100" in response.content
    assert not Lot.objects.exists()


def test_buyer_cannot_open_the_lot_form(client, bianca):
    client.force_login(bianca)
    assert client.get("/supplier/lots/new/").status_code == 403


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        ({"removed_on": "2017-05-01"}, "is before the packs were made (2018-01-01)"),
        ({"manufactured_on": "2999-01-01", "removed_on": ""}, "is in the future"),
    ],
)
def test_the_form_refuses_the_dates_the_api_refuses(
    client, alice, volta, lfp_telecom_pack, dates, message
):
    client.force_login(alice)
    response = client.post(
        "/supplier/lots/new/", form_data(lfp_telecom_pack, supplier=volta.pk, **dates)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Lot.objects.exists()


def test_a_file_that_is_not_the_packs_evidence_shows_no_soh(
    client, alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    """One A123 cell's test uploaded for a 16-cell telecom pack is read, and is no evidence:
    its capacity over the pack's is no SOH of anything."""
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack)
    pack = PackFactory(lot=lot, serial="CELL-AS-PACK")
    data = (Path(__file__).parents[1] / "data" / "cycler" / "arbin_example.csv").read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        services.test_data_upload(user=alice, pack=pack,
                                  uploaded_file=SimpleUploadedFile("arbin_example.csv", data),
                                  data_format="arbin_csv")  # fmt: skip
    client.force_login(alice)
    page = client.get(f"/lots/{lot.pk}/").content.decode()
    records = page[page.index('id="test-records"') :].split("</table>")[0]
    assert "Not evidence for this pack" in records
    assert (
        "no SOH: not this pack&#x27;s evidence" in records or "no SOH: not this pack's" in records
    )
    assert "Ah, SOH" not in records
