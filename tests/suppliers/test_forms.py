"""The lot page's history and document forms pick a pack from a list on a small lot and by
its serial on a large one."""

import pytest

from suppliers.forms import PACK_SELECT_LIMIT, DocumentForm, HistoryEventForm, LotForm
from tests.factories import LotFactory, PackFactory, PackModelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def large(volta, lfp_telecom_pack):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, status="draft",
                     quantity=PACK_SELECT_LIMIT + 1, reference="BIG")  # fmt: skip
    PackFactory(lot=lot, serial="BIG-0001")
    return lot


def history_data(**fields):
    return {"kind": "storage", "occurred_on": "2025-07-01", **fields}


@pytest.mark.parametrize("form_class", [HistoryEventForm, DocumentForm])
def test_a_small_lot_lists_its_packs(volta, lfp_telecom_pack, form_class):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, quantity=PACK_SELECT_LIMIT)
    PackFactory(lot=lot, serial="S-2")
    PackFactory(lot=lot, serial="S-1")
    html = form_class(lot=lot).as_p()
    assert "<select" in html and html.index(">S-1<") < html.index(">S-2<")


@pytest.mark.parametrize("form_class", [HistoryEventForm, DocumentForm])
def test_a_large_lot_takes_a_serial(large, form_class):
    html = form_class(lot=large, initial={"pack": large.packs.get().pk}).as_p()
    assert 'value="BIG-0001"' in html and "BIG-0001</option>" not in html


def test_the_serial_is_found_whatever_its_case_and_a_wrong_one_is_named(large):
    form = HistoryEventForm(history_data(pack=" big-0001 "), lot=large)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["pack"] == large.packs.get()
    form = HistoryEventForm(history_data(pack="BIG-9999"), lot=large)
    assert not form.is_valid()
    assert form.errors["pack"] == ["Lot BIG has no pack BIG-9999."]
    form = HistoryEventForm(history_data(pack=""), lot=large)
    assert form.is_valid() and form.cleaned_data["pack"] is None


def test_the_fields_keep_their_order(large):
    assert list(HistoryEventForm(lot=large).fields)[:2] == ["pack", "kind"]
    assert list(DocumentForm(lot=large).fields)[:3] == ["kind", "file", "pack"]


def test_a_proposed_model_says_it_awaits_approval_in_the_lot_forms(alice, volta):
    proposed = PackModelFactory(manufacturer="Volta Cells", model="VC-1", approved_at=None,
                                proposed_by=volta)  # fmt: skip
    html = LotForm(user=alice).as_p()
    assert f"{proposed} (proposed, awaiting an auditor&#x27;s approval)" in html
