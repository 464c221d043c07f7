"""The buyers' lot list is shared between buyers through the cache, and every change to what
it shows drops it once the change commits: a buyer is never listed a lot that left."""

from decimal import Decimal

import pytest

from marketplace.services import lot_withdraw
from suppliers.choices import LotStatus
from tests.factories import LotFactory, MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def listed(volta, lfp_telecom_pack):
    def make(reference: str, soh: str = "86"):
        return LotFactory(
            supplier=volta, pack_model=lfp_telecom_pack, reference=reference,
            status=LotStatus.VERIFIED, summary__route="reuse-ESS",
            summary__route_provisional=False, summary__measured_soh_pct=Decimal(soh),
        )  # fmt: skip

    return make


@pytest.fixture
def dora(db):
    """Dora buys for another telecom operator: listed exactly what Bianca is."""
    operator = OrganisationFactory(name="Northwire", slug="northwire", kind="buyer")
    return MembershipFactory(user=UserFactory(username="dora"), organisation=operator).user


def references(api, user, query: str = "") -> list[str]:
    api.force_authenticate(user)
    response = api.get(f"/api/lots/{query}")
    assert response.status_code == 200, response.content
    return [row["reference"] for row in response.json()["results"]]


def test_a_second_buyer_asking_the_same_is_served_from_the_cache(
    api, bianca, dora, listed, django_assert_max_num_queries
):
    listed("LFP-1")
    first = references(api, bianca)
    api.force_authenticate(dora)
    # Authentication and the membership check; no lot, count or estimate query.
    with django_assert_max_num_queries(3) as captured:
        response = api.get("/api/lots/")
    assert not any("suppliers_lot" in q["sql"] for q in captured.captured_queries)
    assert [row["reference"] for row in response.json()["results"]] == first == ["LFP-1"]
    assert response["Content-Type"] == "application/json"
    # Another query is another entry.
    assert references(api, dora, "?chemistry=NMC") == []


def test_a_lot_withdrawn_leaves_the_cached_list_when_the_withdrawal_commits(
    api, alice, bianca, listed, django_capture_on_commit_callbacks
):
    kept, leaving = listed("LFP-KEPT"), listed("LFP-LEAVING")
    assert sorted(references(api, bianca)) == [kept.reference, leaving.reference]
    with django_capture_on_commit_callbacks(execute=True):
        lot_withdraw(user=alice, lot=leaving, reason="sold elsewhere")
    assert references(api, bianca) == [kept.reference]


def test_a_new_summary_figure_shows_at_once(
    api, bianca, listed, django_capture_on_commit_callbacks
):
    lot = listed("LFP-1", soh="86")
    assert references(api, bianca, "?soh_min=85") == ["LFP-1"]
    with django_capture_on_commit_callbacks(execute=True):
        lot.summary.measured_soh_pct = Decimal("80")
        lot.summary.save()
    assert references(api, bianca, "?soh_min=85") == []


def test_until_the_change_commits_the_list_is_the_committed_one(
    api, alice, bianca, listed, django_capture_on_commit_callbacks
):
    lot = listed("LFP-1")
    assert references(api, bianca) == ["LFP-1"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        lot_withdraw(user=alice, lot=lot, reason="sold elsewhere")
    # Not yet committed: other requests still read the list as it was.
    assert references(api, bianca) == ["LFP-1"]
    for callback in callbacks:
        callback()
    assert references(api, bianca) == []


def test_suppliers_and_auditors_get_their_own_list_never_the_shared_one(
    api, alice, audrey, bianca, listed, volta, lfp_telecom_pack
):
    listed("LFP-1")
    LotFactory(supplier=volta, pack_model=lfp_telecom_pack, reference="DRAFT-1")
    assert references(api, bianca) == ["LFP-1"]  # cached for buyers
    assert sorted(references(api, alice)) == ["DRAFT-1", "LFP-1"]
    assert sorted(references(api, audrey)) == ["DRAFT-1", "LFP-1"]
    assert references(api, bianca) == ["LFP-1"]  # the drafts never entered the shared entry


def test_a_refused_filter_is_not_cached(api, bianca, listed):
    listed("LFP-1")
    api.force_authenticate(bianca)
    for _ in range(2):
        response = api.get("/api/lots/?soh_min=abc")
        assert response.status_code == 400
        assert "soh_min" in response.json()


def test_with_the_cache_off_every_request_reads_the_lots(
    api, bianca, dora, listed, settings, django_assert_max_num_queries
):
    settings.LISTING_CACHE_SECONDS = 0
    listed("LFP-1")
    references(api, bianca)
    api.force_authenticate(dora)
    with django_assert_max_num_queries(6) as captured:
        api.get("/api/lots/")
    assert any("suppliers_lot" in q["sql"] for q in captured.captured_queries)
