"""The whole path in headless Chromium against a live server: supplier lists, buyer finds."""

import os
import re

import pytest

from tests.e2e.browsing import sign_in, watch_policy
from verification.domain import synthetic_cycling_csv


@pytest.mark.django_db(transaction=True)
def test_supplier_lists_and_buyer_finds_a_verified_lot(
    browser, live_server, alice, bianca, volta, lfp_telecom_pack, tmp_path
):
    from playwright.sync_api import expect

    test_file = tmp_path / "pack-1-capacity.csv"  # a canonical CSV, its format detected
    test_file.write_text(
        synthetic_cycling_csv(
            chemistry="LFP", nominal_capacity_ah=100.0, cells_series=16, soh_pct=78.0,
            sample_interval_s=60.0,
        )
    )  # fmt: skip

    violations: list[str] = []
    supplier = browser.new_context().new_page()
    watch_policy(supplier, violations)
    response = sign_in(supplier, live_server.url, "alice")
    # The live server runs the production settings: the policy is there to be broken.
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(supplier.locator("h1")).to_have_text("Dashboard")  # where suppliers land
    supplier.click("text=List a new lot")
    supplier.fill("#id_reference", "E2E-LOT-1")
    supplier.select_option("#id_pack_model", str(lfp_telecom_pack.pk))
    supplier.fill("#id_location", "Leeds, GB")
    supplier.fill("#id_quantity", "1")  # the sampling plan asks for its one pack
    supplier.fill("#id_claimed_soh_pct", "79")
    supplier.fill("#id_price_per_kwh", "88")
    supplier.fill("#id_manufactured_on", "2017-03-01")
    supplier.fill("#id_removed_on", "2025-09-30")
    supplier.fill("#id_packs-0-serial", "E2E-P1")
    # The pack table grows in place (htmx under the page's policy): a third row, no reload.
    supplier.click("#packs-add-row")
    expect(supplier.locator('input[name="packs-2-serial"]')).to_have_count(1)
    expect(supplier.locator("#id_packs-TOTAL_FORMS")).to_have_value("3")
    expect(supplier.locator("#id_packs-0-serial")).to_have_value("E2E-P1")
    supplier.click("text=Save draft lot")
    expect(supplier.locator("h1")).to_have_text("Lot E2E-LOT-1")
    expect(supplier.locator("#lot-status")).to_have_text("Draft")

    supplier.click("#submit-lot")
    expect(supplier.locator("#lot-status")).to_have_text("Submitted")
    supplier.set_input_files("#id_file", str(test_file))
    supplier.click("#upload-button")
    expect(supplier.locator("#lot-status")).to_have_text("Verified", timeout=30_000)
    expect(supplier.locator("#measured-soh")).to_contain_text("78.")
    # The trail shows each step, the last one the pipeline's move to verified.
    trail = supplier.locator("#audit-trail")
    expect(trail).to_contain_text("lot.create")
    expect(trail).to_contain_text("verification.result")
    expect(trail.locator("tr.audit-lottransition").last).to_contain_text("verified")
    supplier.screenshot(
        path=os.environ.get("E2E_SCREENSHOT") or str(tmp_path / "supplier-lot.png"), full_page=True
    )

    buyer = browser.new_context().new_page()
    watch_policy(buyer, violations)
    response = sign_in(buyer, live_server.url, "bianca")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    buyer.goto(f"{live_server.url}/lots/")
    buyer.check("#facet-lists input[name=chemistry][value=LFP]")
    buyer.check("#facet-lists input[name=route][value=reuse-ESS]")
    expect(buyer.locator("#facet-lists input[name=route][value=reuse-ESS]")).to_be_checked()
    # Each change shows its results first; the counts, not yet cached, arrive after them.
    lfp = buyer.locator("#facet-lists label", has=buyer.locator("input[value=LFP]"))
    expect(lfp.locator(".count")).to_have_text("(1)")
    expect(buyer.locator("#facet-lists[aria-busy]")).to_have_count(0)
    expect(buyer.locator("#facet-lists input[name=chemistry][value=LFP]")).to_be_checked()
    # The counts replaced only their own block, inside the form, and left the address alone.
    expect(buyer.locator("#lot-filters #facet-lists")).to_have_count(1)
    expect(buyer.locator("#lot-results #lots")).to_have_count(1)
    expect(buyer).to_have_url(re.compile(r"/lots/\?chemistry=LFP&route=reuse-ESS$"))
    buyer.fill("#id_soh_min", "70")
    buyer.click("text=Filter")
    row = buyer.locator("#lots tbody tr", has_text="E2E-LOT-1")
    expect(row).to_contain_text("reuse-ESS")
    buyer.fill("#id_soh_min", "80")
    buyer.click("text=Filter")
    expect(buyer.locator("#lots")).not_to_contain_text("E2E-LOT-1")
    buyer.fill("#id_soh_min", "")
    buyer.click("text=Filter")
    buyer.click("text=E2E-LOT-1")
    expect(buyer.locator("#routing")).to_contain_text("reuse-ESS")
    expect(buyer.locator("#routing")).to_contain_text("capacity-band")
    expect(buyer.locator("#packs")).to_contain_text("Claim confirmed")
    expect(buyer.locator("#supplier-tools")).to_have_count(0)
    expect(buyer.locator("#audit-trail")).to_have_count(0)
    buyer.screenshot(path=str(tmp_path / "buyer-lot.png"), full_page=True)
    # The pack's test charts are its own fragment, fetched once their section is in view.
    buyer.locator("#charts").scroll_into_view_if_needed()
    expect(buyer.locator("#charts svg")).to_have_count(2)
    buyer.click("#packs >> text=E2E-P1")
    expect(buyer.locator("h1")).to_have_text("Pack E2E-P1")
    expect(buyer.locator("#pack-soh")).to_contain_text("Capacity-based")
    expect(buyer.locator("#history")).to_contain_text("Claim confirmed")
    expect(buyer.locator("text=Uploads for this pack")).to_have_count(0)
    buyer.screenshot(path=str(tmp_path / "buyer-pack.png"), full_page=True)
    # Every page of the path (login, my lots, lot form, lot page with its charts and polling,
    # browse, pack page) ran under the policy without it blocking anything.
    assert violations == []


@pytest.mark.django_db(transaction=True)
def test_api_docs_and_admin_render_under_the_content_security_policy(browser, live_server, audrey):
    from playwright.sync_api import expect

    violations: list[str] = []
    page = browser.new_context().new_page()
    watch_policy(page, violations)
    response = sign_in(page, live_server.url, "audrey")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator("#swagger-ui .info .title")).to_contain_text("Second-life battery")
    expect(page.locator("#swagger-ui .opblock").first).to_be_visible()
    page.goto(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}/admin/suppliers/lot/")
    expect(page.locator("#changelist")).to_be_visible()
    page.goto(f"{live_server.url}/admin/auth/user/{audrey.pk}/change/")
    expect(page.locator("#user_form")).to_be_visible()
    assert violations == []
