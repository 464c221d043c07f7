"""A buyer in Chromium: the lot page's report card and SOH chart, a pack's charts fetched by
htmx, two lots side by side from the browse page, and all of it at a phone's 390 px."""

import pytest

from tests.e2e.browsing import sign_in, signed_in, watch_policy
from tests.factories import measured_lot

PHONE = {"width": 390, "height": 844}


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.fixture
def two_lots(alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks):
    lots = []
    for reference, values in (("CARD-1", [90.0, 84.0, 87.0]), ("CARD-2", [72.0, 70.0])):
        lot = measured_lot(
            supplier=volta, pack_model=lfp_telecom_pack, soh_values=values, uploader=alice,
            callbacks=django_capture_on_commit_callbacks, reference=reference,
        )  # fmt: skip
        lots.append(lot)
    return lots


@pytest.mark.django_db(transaction=True)
def test_a_buyer_reads_the_report_loads_pack_charts_and_compares_two_lots(
    browser, live_server, bianca, two_lots
):
    first, second = two_lots
    violations: list[str] = []
    page = signed_in(browser, live_server.url, "bianca", violations)
    page.goto(f"{live_server.url}/lots/{first.pk}/")
    card = page.locator("#report-card")
    assert "3 of 3 packs measured" in card.inner_text()
    assert "median 87.0 %" in page.locator("#card-soh").inner_text()
    assert "residual capacity" in page.locator("#card-warranty").inner_text()
    chart = page.locator("#soh-chart svg[role=img]")
    assert chart.count() == 1
    assert "Measured SOH of 3 packs" in chart.locator("title").first.text_content()

    # The weakest pack's charts arrive by htmx once their section is scrolled into view.
    page.locator("#charts").scroll_into_view_if_needed()
    page.wait_for_selector("#pack-charts .capacity-chart svg", timeout=10_000)
    assert f"{first.reference}-2" in page.locator("#pack-charts h3").inner_text()
    # Another pack's link swaps its charts in, without leaving the page.
    other = page.locator("#packs a.pack-charts-link").first
    other.click()
    page.wait_for_selector(f"#pack-charts h3:has-text('{first.reference}-1')", timeout=10_000)
    assert page.url.endswith(f"/lots/{first.pk}/")

    # Two lots ticked on the browse page open side by side.
    page.goto(f"{live_server.url}/lots/")
    for lot in two_lots:
        page.check(f"input[name=lots][value='{lot.pk}']")
    page.click("#compare-button")
    page.wait_for_selector("#compare")
    assert "/lots/compare/" in page.url
    soh = page.locator("#row-soh").inner_text()
    assert "87.0 %" in soh and "71.0 %" in soh
    assert first.reference in page.locator("#compare thead").inner_text()
    assert second.reference in page.locator("#compare thead").inner_text()
    assert violations == []


@pytest.mark.django_db(transaction=True)
def test_the_lot_page_and_the_comparison_fit_a_phone(browser, live_server, bianca, two_lots):
    first, second = two_lots
    violations: list[str] = []
    page = browser.new_context(viewport=PHONE).new_page()
    watch_policy(page, violations)
    sign_in(page, live_server.url, "bianca")
    for path in (
        f"/lots/{first.pk}/",
        f"/packs/{first.packs.first().pk}/charts/",
        f"/lots/compare/?lots={first.pk},{second.pk}",
        "/lots/compare/?lots=1,2,3,4,5",
    ):
        page.goto(f"{live_server.url}{path}")
        assert page.locator("h1").count() >= 1, path
        assert overflow(page) <= 0, f"{path} is {overflow(page)} px too wide"
    page.goto(f"{live_server.url}/lots/{first.pk}/")
    page.locator("#charts").scroll_into_view_if_needed()
    page.wait_for_selector("#pack-charts .capacity-chart svg", timeout=10_000)
    assert overflow(page) <= 0, "with the pack charts loaded"
    assert violations == []
