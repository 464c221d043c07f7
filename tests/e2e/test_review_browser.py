"""An auditor clears a demo queue in headless Chromium: the riskiest claim first, a question,
the supplier's answer, an approval with a reason, and the lot's trail showing each step."""

import os
from contextlib import nullcontext

import pytest
from django.core.management import call_command

from audit.selectors import audit_chain_verify
from marketplace.demo import DEMO_PASSWORD
from marketplace.selectors import lot_audit_trail
from suppliers.choices import LotStatus
from suppliers.models import Lot
from tests.e2e.browsing import signed_in
from tests.reviews.scenarios import claimed_lot


def no_capture(execute: bool):
    # Outside a test transaction each upload commits at once and its on-commit work runs then.
    return nullcontext()


@pytest.mark.django_db(transaction=True)
def test_an_auditor_clears_the_queue_with_a_question_answered(
    browser, live_server, alice, audrey, volta, lfp_telecom_pack, tmp_path
):
    from playwright.sync_api import expect

    for reference, packs in (("MILD-4", [(88, 84)]), ("RISKY-22", [(92, 70), (85, 85)])):
        claimed_lot(
            supplier=volta, pack_model=lfp_telecom_pack, uploader=alice, callbacks=no_capture,
            packs=packs, reference=reference,
        )  # fmt: skip
    risky = Lot.objects.get(reference="RISKY-22")
    assert risky.status == LotStatus.DISCREPANCY
    violations: list[str] = []

    auditor = signed_in(browser, live_server.url, "audrey", violations)
    auditor.click("text=Audit queue")
    expect(auditor.locator("h1")).to_have_text("Audit queue")
    rows = auditor.locator("#queue tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("RISKY-22")
    expect(rows.first).to_contain_text("measured 22.0 SOH points below the claim")
    rows.first.locator("a.claim-link").click()
    expect(auditor.locator("h1")).to_have_text("Review of lot RISKY-22")
    expect(auditor.locator("#claims")).to_contain_text("-22.0 points")
    expect(auditor.locator("#charts svg")).to_have_count(2)
    auditor.select_option("#id_kind", "question")
    auditor.select_option("#id_pack", label="RISKY-22-1")
    auditor.fill("#id_text", "Was pack 1 stored somewhere hot before the test?")
    auditor.click("#ask-button")
    expect(auditor.locator(".message")).to_contain_text("the lot waits for their answer")
    auditor.click("text=Audit queue")
    expect(auditor.locator("#queue tbody tr")).to_have_count(1)
    expect(auditor.locator("#waiting-for-supplier")).to_contain_text("1 lot waiting")

    supplier = signed_in(browser, live_server.url, "alice", violations)
    supplier.click("nav >> text=Questions")
    expect(supplier.locator("h1")).to_have_text("Questions from the auditors")
    supplier.click("text=Was pack 1 stored somewhere hot")
    supplier.fill("#id_text", "Yes: a summer in an unshaded yard, up to 45 °C.")
    supplier.set_input_files(
        "#id_files",
        files=[{"name": "yard-log.txt", "mimeType": "text/plain", "buffer": b"max 45 C\n"}],
    )
    supplier.click("text=Send answer")
    expect(supplier.locator(".message")).to_contain_text("back in their queue")

    auditor.reload()
    first = auditor.locator("#queue tbody tr").first
    expect(first).to_contain_text("Supplier answered")
    expect(first).to_contain_text("RISKY-22")
    first.locator("a.claim-link").click()
    expect(auditor.locator("#conversation")).to_contain_text("unshaded yard")
    expect(auditor.locator("#conversation")).to_contain_text("yard-log.txt")
    auditor.select_option("#id_decision", "approve")
    auditor.fill("#id_reason", "Heat explains the fade; the measured 70 % stands for buyers")
    auditor.click("#decide-button")
    expect(auditor.locator("#lot-status")).to_have_text("Verified")
    trail = auditor.locator("#audit-trail")
    expect(trail).to_contain_text("review.question")
    expect(trail).to_contain_text("review.answer")
    expect(trail.locator("tr.audit-lottransition").last).to_contain_text("verified")
    expect(trail.locator("tr.audit-lottransition").last).to_contain_text("Heat explains the fade")
    auditor.screenshot(
        path=os.environ.get("E2E_REVIEW_SCREENSHOT") or str(tmp_path / "review-lot.png"),
        full_page=True,
    )
    auditor.click("text=Audit queue")
    expect(auditor.locator("#queue tbody tr")).to_have_count(1)
    expect(auditor.locator("#queue tbody tr").first).to_contain_text("MILD-4")

    actions = [entry.action for entry in lot_audit_trail(lot=risky)]
    question = actions.index("review.question")
    assert actions[question:] == [
        "review.question",
        "review.answer",
        "lot.transition",
        "review.request_closed",
    ]
    assert audit_chain_verify().ok
    assert violations == []


@pytest.mark.django_db(transaction=True)
def test_the_demo_queue_is_cleared_to_the_last_item(browser, live_server):
    """`load_demo`'s queue: the over-claimed telecom lot (five packs measured below their claim)
    and an NMC lot held for a missing resistance figure. The auditor asks, the supplier answers,
    the auditor approves with a reason, then routes the held lot; nothing is left."""
    from playwright.sync_api import expect

    call_command("load_demo", verbosity=0)
    over_claimed = Lot.objects.get(reference="VFS-2026-004")
    held = Lot.objects.get(reference="REC-0111")
    assert over_claimed.status == LotStatus.DISCREPANCY and held.summary.route == "hold"
    violations: list[str] = []

    auditor = signed_in(browser, live_server.url, "auditor", violations, password=DEMO_PASSWORD)
    auditor.click("text=Audit queue")
    rows = auditor.locator("#queue tbody tr")
    expect(rows).to_have_count(6)
    expect(rows.first).to_contain_text("VFS-2026-004")
    rows.first.locator("a.claim-link").click()
    expect(auditor.locator("h1")).to_have_text("Review of lot VFS-2026-004")
    auditor.select_option("#id_kind", "question")
    auditor.fill("#id_text", "The lot claims 90 %; which test was that figure from?")
    auditor.click("#ask-button")

    supplier = signed_in(browser, live_server.url, "supplier", violations, password=DEMO_PASSWORD)
    supplier.click("nav >> text=Questions")
    supplier.click("text=which test was that figure from")
    supplier.fill("#id_text", "From the BMS at removal; we accept the cycler's 79 %.")
    supplier.click("text=Send answer")
    expect(supplier.locator(".message")).to_contain_text("back in their queue")

    auditor.click("text=Audit queue")
    expect(auditor.locator("#queue tbody tr").first).to_contain_text("Supplier answered")
    auditor.locator("#queue tbody tr").first.locator("a.claim-link").click()
    auditor.select_option("#id_decision", "approve")
    auditor.fill("#id_reason", "Claim came from the BMS; buyers see the measured 79 %")
    auditor.click("#decide-button")
    expect(auditor.locator("#lot-status")).to_have_text("Verified")

    auditor.click("text=Audit queue")
    rows = auditor.locator("#queue tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("REC-0111")
    rows.first.locator("a.claim-link").click()
    auditor.select_option("#override select[name=route]", "small-application")
    auditor.fill("#override textarea[name=reason]", "No resistance figure: keep it to small loads")
    auditor.click("#override-button")
    expect(auditor.locator("#override")).to_contain_text("Set by an auditor: small-application")

    auditor.click("text=Audit queue")
    expect(auditor.locator("#queue tbody")).to_contain_text("Nothing waits for an auditor")
    over_claimed.refresh_from_db()
    assert over_claimed.status == LotStatus.VERIFIED
    steps = [entry.action for entry in lot_audit_trail(lot=over_claimed)]
    assert steps[-4:] == ["review.question", "review.answer", "lot.transition",
                          "review.request_closed"]  # fmt: skip
    assert "review.route_override" in [e.action for e in lot_audit_trail(lot=held)]
    held.refresh_from_db()
    held.summary.refresh_from_db()
    assert (held.summary.route, held.route_override) == ("small-application",) * 2
    assert audit_chain_verify().ok
    assert violations == []
