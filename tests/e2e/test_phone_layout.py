"""At a phone's 390 px the pages fit the screen: wide tables scroll inside themselves, the
page itself never scrolls sideways."""

import pytest

from tests.e2e.browsing import sign_in, watch_policy
from tests.factories import LotFactory, PackFactory, measured_lot

PHONE = {"width": 390, "height": 844}


def overflow(page) -> int:
    """How many pixels the page is wider than the screen."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.django_db(transaction=True)
def test_the_main_pages_fit_a_phone(
    browser, live_server, alice, bianca, volta, lfp_telecom_pack, django_capture_on_commit_callbacks
):
    lot = measured_lot(
        supplier=volta, pack_model=lfp_telecom_pack, soh_values=[84.0, 81.0], uploader=alice,
        callbacks=django_capture_on_commit_callbacks, reference="PHONE-1",
    )  # fmt: skip
    draft = LotFactory(supplier=volta, pack_model=lfp_telecom_pack, status="draft",
                       reference="PHONE-DRAFT")  # fmt: skip
    PackFactory(lot=draft, serial="PHONE-DRAFT-1")
    violations: list[str] = []
    visitor = browser.new_context(viewport=PHONE).new_page()
    watch_policy(visitor, violations)
    visitor.goto(f"{live_server.url}/")
    assert overflow(visitor) <= 0, "start page"
    pages = {
        "bianca": ["/lots/", f"/lots/{lot.pk}/", f"/packs/{lot.packs.first().pk}/"],
        "alice": [
            "/supplier/",
            "/supplier/lots/",
            "/supplier/lots/new/",
            f"/lots/{lot.pk}/",
            f"/lots/{draft.pk}/",
            f"/lots/{draft.pk}/edit/",
            "/supplier/scorecard/",
            "/supplier/pack-models/",
            "/account/tokens/",
        ],
    }
    for username, paths in pages.items():
        page = browser.new_context(viewport=PHONE).new_page()
        watch_policy(page, violations)
        sign_in(page, live_server.url, username)
        for path in paths:
            page.goto(f"{live_server.url}{path}")
            assert page.locator("h1").count() >= 1, path
            assert overflow(page) <= 0, f"{username} {path} is {overflow(page)} px too wide"
    assert violations == []
