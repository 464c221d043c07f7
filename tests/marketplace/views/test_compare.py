"""Lots side by side at /lots/compare/: the lots a user may open, in a few queries whatever
their number; bad input answers 400 with the reason, a lot not theirs to see 404."""

import pytest

from marketplace.scorecards import scorecard_current
from suppliers.choices import LotStatus
from tests.factories import LotFactory, measured_lot

COMPARE_CAP = 6  # session, user, the lots, their packs' runs, their decisions; the roles


@pytest.fixture
def four(alice, volta, lfp_telecom_pack, nmc_module, django_capture_on_commit_callbacks):
    """Four verified lots of the same supplier, measured at different SOH."""
    lots = []
    for values, model in (
        ([90.0, 86.0], lfp_telecom_pack),
        ([70.0, 76.0, 74.0], lfp_telecom_pack),
        ([88.0, 84.0], nmc_module),
        ([66.0, 64.0], lfp_telecom_pack),
    ):
        lots.append(
            measured_lot(
                supplier=volta,
                pack_model=model,
                soh_values=values,
                uploader=alice,
                callbacks=django_capture_on_commit_callbacks,
                country="DE",
            )
        )
    assert {lot.status for lot in lots} == {LotStatus.VERIFIED}
    return lots


def row(body: str, name: str) -> str:
    start = body.index(f'id="row-{name}"')
    return body[start : body.index("</tr>", start)]


def test_two_lots_side_by_side_with_every_row(client, bianca, four):
    a, b = four[:2]
    scorecard_current(supplier_id=a.supplier_id)
    client.force_login(bianca)
    response = client.get(f"/lots/compare/?lots={a.pk},{b.pk}")
    assert response.status_code == 200
    body = response.content.decode()
    for name in ("chemistry", "model", "quantity", "soh", "weakest", "energy", "price",
                 "route", "warranty", "score", "coverage", "history", "country"):  # fmt: skip
        assert f'id="row-{name}"' in body
    assert "88.0 %" in row(body, "soh") and "lowest 86.0 %" in row(body, "soh")
    assert "74.0 %" in row(body, "soh") and "lowest 70.0 %" in row(body, "soh")
    assert f"{b.reference}-1" in row(body, "weakest")
    assert "2 of 2 measured" in row(body, "coverage") and "3 of 3 measured" in row(body, "coverage")
    assert "residual capacity" in row(body, "warranty")
    assert "Germany" in row(body, "country")
    assert "/100" in row(body, "score") or "not scored yet" in row(body, "score")
    assert body.index(a.reference) < body.index(b.reference)  # the order asked for


@pytest.mark.parametrize("count", [2, 4])
def test_the_comparison_reads_the_same_few_queries_for_two_or_four_lots(
    client, bianca, four, count, django_assert_max_num_queries
):
    client.force_login(bianca)
    ids = ",".join(str(lot.pk) for lot in four[:count])
    with django_assert_max_num_queries(COMPARE_CAP):
        assert client.get(f"/lots/compare/?lots={ids}").status_code == 200


def test_repeated_lots_parameters_are_accepted_as_the_browse_checkboxes_send_them(
    client, bianca, four
):
    client.force_login(bianca)
    query = "&".join(f"lots={lot.pk}" for lot in four[1:])
    body = client.get(f"/lots/compare/?{query}").content.decode()
    assert all(lot.reference in body for lot in four[1:]) and four[0].reference not in body


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("lots=1,2,3,4,5", "compare at most 4 lots"),
        ("lots=1&lots=2&lots=3&lots=4&lots=5", "compare at most 4 lots"),
        ("lots=1,abc", "is not a lot number"),
        ("lots=", "Choose at least 2 lots"),
        ("", "Choose at least 2 lots"),
    ],
)
def test_malformed_input_answers_400_on_a_styled_page(client, bianca, query, reason):
    client.force_login(bianca)
    response = client.get(f"/lots/compare/?{query}")
    assert response.status_code == 400
    body = response.content.decode()
    assert reason in body and 'role="alert"' in body
    assert "app.css" in body  # the site's page, not a bare error


@pytest.mark.parametrize("persona", ["bianca", "alice"])
def test_another_supplier_s_draft_is_not_found(request, client, recell, four, persona):
    draft = LotFactory(supplier=recell, status=LotStatus.DRAFT)
    client.force_login(request.getfixturevalue(persona))
    assert client.get(f"/lots/compare/?lots={four[0].pk},{draft.pk}").status_code == 404


def test_a_buyer_never_compares_an_unverified_lot_but_its_supplier_does(
    client, alice, bianca, volta, four
):
    submitted = LotFactory(supplier=volta, status=LotStatus.SUBMITTED)
    url = f"/lots/compare/?lots={four[0].pk},{submitted.pk}"
    client.force_login(bianca)
    assert client.get(url).status_code == 404
    client.force_login(alice)
    body = client.get(url).content.decode()
    assert "not measured yet" in row(body, "soh") and "0 of 10 measured" in row(body, "coverage")


def test_a_lot_that_does_not_exist_is_not_found(client, bianca, four):
    client.force_login(bianca)
    assert client.get(f"/lots/compare/?lots={four[0].pk},999999").status_code == 404


def test_the_browse_results_tick_lots_into_the_comparison_form(client, bianca, four):
    client.force_login(bianca)
    body = client.get("/lots/").content.decode()
    assert 'id="compare-form"' in body and 'action="/lots/compare/"' in body
    for lot in four:
        assert f'name="lots" value="{lot.pk}" form="compare-form"' in body
