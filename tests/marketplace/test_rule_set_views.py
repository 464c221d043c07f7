import pytest

from routing.models import RuleSet
from routing.selectors import rule_set_active
from tests.factories import measured_lot


def form(**overrides):
    data = {
        "name": "default",
        "notes": "Telecom buyers want more headroom",
        "reuse_ess_min_soh_pct": "80",
        "small_application_min_soh_pct": "20",
        "weakest_cell_min_soh_pct": "20",
        "nmc_reuse_min_soh_pct": "80",
        "nmc_max_resistance_ratio": "1.5",
        "require_history": "on",
        "recycle_calendar_expired": "on",
        "warranty_lfp_reuse_ess": "2 years or 1,000 cycles to 70 % residual capacity",
        "warranty_nmc_reuse_ess": "1 year or 500 cycles to 70 % residual capacity",
        "warranty_small_application": "1 year or 500 cycles to 70 % residual capacity",
        "sample_plan": "8: 2, 15: 3, 25: 5, 50: 8, 90: 13, 150: 20, 280: 32, 500: 50, "
        "1200: 80, 3200: 125, 10000: 200",
    }
    data.update(overrides)
    return data


@pytest.fixture
def mid_lot(alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks):
    return measured_lot(
        supplier=volta, pack_model=lfp_telecom_pack, soh_values=[70.0], uploader=alice,
        callbacks=django_capture_on_commit_callbacks, reference="MID-70",
    )  # fmt: skip


def test_auditor_previews_then_publishes(
    client, audrey, mid_lot, django_capture_on_commit_callbacks
):
    client.force_login(audrey)
    assert client.get("/routing/rule-sets/edit/").status_code == 200
    preview = client.post("/routing/rule-sets/edit/", form(action="preview"))
    assert preview.status_code == 200
    assert b"MID-70" in preview.content
    assert RuleSet.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        published = client.post("/routing/rule-sets/edit/", form(action="publish"))
    assert published.status_code == 302
    assert rule_set_active().version == 2
    job_page = client.get(published["Location"])
    assert b"Done" in job_page.content
    mid_lot.refresh_from_db()
    assert mid_lot.summary.route == "small-application"


def test_bad_thresholds_are_a_400(client, audrey, mid_lot):
    client.force_login(audrey)
    response = client.post(
        "/routing/rule-sets/edit/",
        form(action="publish", reuse_ess_min_soh_pct="abc", small_application_min_soh_pct="150"),
    )
    assert response.status_code == 400
    assert RuleSet.objects.count() == 1


def test_band_order_is_checked(client, audrey, mid_lot):
    client.force_login(audrey)
    response = client.post(
        "/routing/rule-sets/edit/", form(action="preview", small_application_min_soh_pct="85")
    )
    assert response.status_code == 400
    assert b"must start below" in response.content


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ("8: 2, 15", b"missing &#x27;:&#x27;"),
        ("8: two", b"write each row as largest lot size"),
        ("15: 3, 8: 2", b"lot sizes must increase"),
    ],
)
def test_a_bad_sampling_plan_is_a_400_naming_the_row(client, audrey, mid_lot, plan, message):
    client.force_login(audrey)
    response = client.post("/routing/rule-sets/edit/", form(action="publish", sample_plan=plan))
    assert response.status_code == 400
    assert message in response.content
    assert RuleSet.objects.count() == 1


def test_a_published_sampling_plan_is_stored_with_the_rule_set(
    client, audrey, mid_lot, django_capture_on_commit_callbacks
):
    client.force_login(audrey)
    with django_capture_on_commit_callbacks(execute=True):
        published = client.post(
            "/routing/rule-sets/edit/", form(action="publish", sample_plan="5: 1, 100: 4")
        )
    assert published.status_code == 302
    assert rule_set_active().sample_plan == [[5, 1], [100, 4]]
    assert rule_set_active().sample_size_for(40) == 4


@pytest.mark.parametrize("persona", ["alice", "bianca"])
def test_only_auditors_edit_rules(client, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/routing/rule-sets/").status_code == 403
    assert client.post("/routing/rule-sets/edit/", form(action="publish")).status_code == 403
