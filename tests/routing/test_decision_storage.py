"""Decisions stored compactly show exactly the words the eager engine stored before: on the
model, through the API, in the admin and the review queue, and after the migration that
converts rows stored as words."""

import dataclasses

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from marketplace.pipeline import lots_reroute_chunk
from routing import services
from routing.domain import PackFacts, Thresholds, decide
from routing.models import RoutingDecision
from routing.selectors import rule_set_active
from routing.services import routing_decision_record, rule_set_create_version
from tests.factories import LotFactory, PackFactory, measured_lot
from tests.routing.domain.engine_before import decide as decide_before

BEFORE = ("routing", "0002_rule_set_sample_plan")
COMPACT = ("routing", "0003_routing_decision_compact")


def words_before(facts: PackFacts, thresholds: Thresholds) -> list[dict]:
    return [dataclasses.asdict(check) for check in decide_before(facts, thresholds).checks]


@pytest.fixture
def spied(monkeypatch):
    """Every (facts, thresholds) the routing services decide on, in order."""
    seen = []

    def spy(facts, thresholds):
        seen.append((facts, thresholds))
        return decide(facts, thresholds)

    monkeypatch.setattr(services, "decide", spy)
    return seen


@pytest.mark.parametrize(
    "figures",
    [
        {"soh_pct": 72.345, "verified": True, "soh_source": "measured on pack P-1"},
        {
            "soh_pct": 15.0,
            "weakest_cell_soh_pct": 12.25,
            "weakest_cell_source": "in pack P-1",
            "verified": False,
        },
        {"soh_pct": 91.0, "resistance_ratio": 1.62, "verified": True},
        {"soh_pct": 88.0, "resistance_ratio": None, "verified": False},
    ],
)
def test_a_stored_decision_shows_the_words_the_eager_engine_gave(
    volta, lfp_telecom_pack, nmc_module, spied, figures
):
    model = nmc_module if "resistance_ratio" in figures else lfp_telecom_pack
    lot = LotFactory(supplier=volta, pack_model=model)
    pack = PackFactory(lot=lot, serial="P-1")
    rule_set = rule_set_active()
    recorded = routing_decision_record(lot=lot, pack=pack, rule_set=rule_set, **figures)
    stored = RoutingDecision.objects.select_related("rule_set").get(pk=recorded.decision.pk)
    [(facts, thresholds)] = spied
    assert stored.rules == words_before(facts, thresholds)
    assert len(stored.outcomes) == 8 and stored.words_kept is None
    assert stored.fired_rules == [r for r in stored.rules if r["outcome"] == "fired"]
    assert stored.fired_rule_names == [r["name"] for r in stored.fired_rules]


def test_a_repeat_of_the_same_words_is_not_appended(volta, lfp_telecom_pack):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack)
    rule_set = rule_set_active()
    first = routing_decision_record(lot=lot, pack=None, rule_set=rule_set, soh_pct=70.0,
                                    verified=True)  # fmt: skip
    # 70.01 shows as "70.0 %", as 70.0 does: the same words, so no new decision.
    again = routing_decision_record(lot=lot, pack=None, rule_set=rule_set, soh_pct=70.01,
                                    verified=True)  # fmt: skip
    assert first.created and not again.created
    moved = routing_decision_record(lot=lot, pack=None, rule_set=rule_set, soh_pct=70.2,
                                    verified=True)  # fmt: skip
    assert moved.created


def test_the_api_shows_the_lot_decision_in_the_same_shape_and_words(
    api, alice, bianca, volta, nmc_module, spied, django_capture_on_commit_callbacks
):
    lot = measured_lot(
        supplier=volta,
        pack_model=nmc_module,
        soh_values=[86.0],
        uploader=alice,
        callbacks=django_capture_on_commit_callbacks,
    )
    api.force_authenticate(bianca)
    decision = api.get(f"/api/lots/{lot.pk}/").json()["decision"]
    assert set(decision) == {"route", "provisional", "warranty", "rule_set", "rules", "created_at"}
    assert decision["rules"] == words_before(*spied[-1])  # the lot's decision is the last
    assert all(
        set(rule) == {"name", "threshold", "value", "outcome", "explanation"}
        for rule in decision["rules"]
    )


def test_the_admin_shows_the_rules_in_words(client, audrey, volta, lfp_telecom_pack):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack)
    recorded = routing_decision_record(lot=lot, pack=None, rule_set=rule_set_active(),
                                       soh_pct=45.0, verified=True)  # fmt: skip
    client.force_login(audrey)
    page = client.get(f"/admin/routing/routingdecision/{recorded.decision.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    for rule in recorded.decision.rules:
        assert rule["name"] in text
    assert "between 20.0 % and 60.0 %, the pack suits smaller applications" in text


def test_decisions_under_an_older_rule_set_keep_its_words(volta, lfp_telecom_pack, spied):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack)
    old = rule_set_active()
    kept = routing_decision_record(lot=lot, pack=None, rule_set=old, soh_pct=65.0, verified=True)
    rule_set_create_version(
        user=None, name="default", thresholds=Thresholds(reuse_ess_min_soh_pct=70.0)
    )
    stored = RoutingDecision.objects.select_related("rule_set").get(pk=kept.decision.pk)
    assert stored.rules == words_before(*spied[0])
    assert "SOH >= 60.0 % reuse-ESS" in stored.rules[7]["threshold"]


def _old_words_rows(old_apps, lot_id: int) -> dict[str, tuple[int, list[dict]]]:
    """Decisions stored as words, as the schema before the compact form held them."""
    RuleSet = old_apps.get_model("routing", "RuleSet")
    Decision = old_apps.get_model("routing", "RoutingDecision")
    strict = Thresholds(reuse_ess_min_soh_pct=75.0, require_history=False)
    default_set = RuleSet.objects.create(name="old", version=1, thresholds=Thresholds().to_dict())
    strict_set = RuleSet.objects.create(name="old", version=2, thresholds=strict.to_dict())
    edited = words_before(PackFacts("LFP", 50.0), Thresholds())
    edited[7]["explanation"] = "Worded as an earlier engine worded it."
    cases = {
        "lfp": (default_set, words_before(PackFacts("LFP", 72.3456, verified=True), Thresholds())),
        "nmc": (
            default_set,
            words_before(
                PackFacts(
                    "NMC",
                    91.0,
                    resistance_ratio=1.7,
                    soh_source="in pack P-1, pack SOH 3.0 % (odd)",
                ),
                Thresholds(),
            ),
        ),
        "safety": (
            strict_set,
            words_before(PackFacts("LFP", 99.0, events=frozenset({"flood", "leak"})), strict),
        ),
        "off": (strict_set, words_before(PackFacts("LFP", 70.0, has_history=False), strict)),
        "edited": (default_set, edited),
    }
    rows = {}
    for key, (rule_set, words) in cases.items():
        row = Decision.objects.create(
            lot_id=lot_id, rule_set=rule_set, route="recycle", provisional=True, rules=words
        )
        rows[key] = (row.pk, words)
    return rows


@pytest.mark.django_db(transaction=True)
def test_the_migration_converts_decisions_stored_as_words_and_back(volta, lfp_telecom_pack):
    lot = LotFactory(supplier=volta, pack_model=lfp_telecom_pack)
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([BEFORE])
        old_apps = executor.loader.project_state([BEFORE]).apps
        rows = _old_words_rows(old_apps, lot.pk)

        executor = MigrationExecutor(connection)
        executor.migrate([COMPACT])
        for key, (pk, words) in rows.items():
            stored = RoutingDecision.objects.select_related("rule_set").get(pk=pk)
            assert stored.rules == words, key
            assert stored.fired_rule_names == [r["name"] for r in stored.fired_rules], key
            if key == "edited":
                assert stored.words_kept == words and stored.outcomes == ""
            else:
                assert stored.words_kept is None and len(stored.outcomes) == 8, key
        assert RoutingDecision.objects.get(pk=rows["lfp"][0]).outcomes == "PPPPPPPE"

        executor = MigrationExecutor(connection)
        executor.migrate([BEFORE])
        old = executor.loader.project_state([BEFORE]).apps.get_model("routing", "RoutingDecision")
        for key, (pk, words) in rows.items():
            assert old.objects.get(pk=pk).rules == words, key
    finally:
        call_command("migrate", verbosity=0)


def test_a_bulk_re_route_stores_the_same_words(
    alice, volta, lfp_telecom_pack, django_capture_on_commit_callbacks, monkeypatch
):
    lots = [
        measured_lot(supplier=volta, pack_model=lfp_telecom_pack, soh_values=[75.0, 58.5],
                     uploader=alice, callbacks=django_capture_on_commit_callbacks,
                     reference=f"B-{i}")
        for i in range(2)
    ]  # fmt: skip
    rule_set = rule_set_create_version(
        user=None, name="default", thresholds=Thresholds(reuse_ess_min_soh_pct=70.0)
    )
    seen = []

    def spy(facts, thresholds):
        seen.append((facts, thresholds))
        return decide(facts, thresholds)

    monkeypatch.setattr(services, "decide", spy)
    before = RoutingDecision.objects.order_by("-pk").values_list("pk", flat=True).first()
    lots_reroute_chunk(lot_ids=[lot.pk for lot in lots], rule_set=rule_set)
    rows = RoutingDecision.objects.filter(pk__gt=before).select_related("rule_set").order_by("pk")
    # lots_decide decides each lot's packs, then the lot; the rows go in in that order.
    by_lot: dict[int, list] = {}
    for row in rows:
        by_lot.setdefault(row.lot_id, []).append(row)
    stored = [row for lot in lots for row in by_lot[lot.pk]]
    decided = seen  # each lot's packs, then the lot, lot by lot
    assert len(stored) == len(decided) == 6
    for row, (facts, thresholds) in zip(stored, decided, strict=True):
        assert row.rules == words_before(facts, thresholds)
        assert row.rule_set_id == rule_set.pk
