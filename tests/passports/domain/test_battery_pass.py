from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from passports.domain.battery_pass import (
    NO_PREDECESSOR,
    MeasuredFacts,
    PackFacts,
    RatedFacts,
    battery_pass_body,
    battery_pass_document,
    reuse_certificate_document,
    sustainability_status,
)
from passports.domain.reading import read_battery_pass
from passports.domain.schema import (
    REUSE_CERTIFICATE_NOT_HELD,
    reuse_certificate_validator,
    schema_problems,
)
from tests.passports.scenarios import assert_valid

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NOW = datetime(2026, 6, 1, tzinfo=UTC)
RATED = RatedFacts("CATL", "TB48100", "LFP", 51.2, 100.0, 5.12, 28.0, 15)
ID = "urn:uuid:550e8400-e29b-41d4-a716-446655440000"


def _document(facts: PackFacts, predecessor: str = "") -> dict:
    return battery_pass_document(
        battery_pass_body(facts),
        passport_identifier=ID,
        predecessor=predecessor,
        issued_on=date(2026, 6, 1),
        version=1,
    )


def test_an_unmeasured_pack_states_no_figure_of_use():
    document = _document(PackFacts(serial="SN-1", rated=RATED))
    missing = assert_valid(document)
    assert document["performance"]["dynamic"] == {}
    assert "performance.dynamic.capacity" in missing
    assert document["metadata"]["predecessor"] == NO_PREDECESSOR
    assert document["performance"]["rated"]["capacity"] == {"value": 100.0}
    assert document["performance"]["rated"]["resistance"] == {"pack": 0.028}


def test_measured_figures_and_their_time():
    measured = MeasuredFacts(
        at=AT,
        capacity_ah=82.5,
        nominal_capacity_ah=100.0,
        energy_kwh=4.1,
        soh_energy_pct=80.1,
        resistance_mohm=42.0,
        resistance_ratio=1.5,
    )
    facts = PackFacts(
        serial="SN-1",
        rated=RATED,
        measured=measured,
        cycle_count=1200,
        cycles_declared_at=AT,
        manufactured_on=date(2018, 1, 1),
    )
    document = _document(facts)
    assert_valid(document)
    dynamic = document["performance"]["dynamic"]
    assert dynamic["capacity"]["capacity"] == {"value": 82.5, "time": "2026-03-01T12:00:00+00:00"}
    assert dynamic["capacity"]["fade"]["value"] == 17.5
    assert dynamic["resistance"]["increase"]["pack"]["value"] == 50.0
    assert dynamic["resistance"]["remaining"]["pack"]["value"] == 0.042
    assert dynamic["energy"]["soce"]["value"] == 80.1
    assert dynamic["fullCycles"]["value"] == 1200
    assert document["operation"]["manufacturer"]["manufacturingDate"] == "2018-01-01"


def test_a_pack_above_its_rating_has_no_fade():
    measured = MeasuredFacts(at=AT, capacity_ah=101.0, nominal_capacity_ah=100.0)
    document = _document(PackFacts(serial="SN-1", rated=RATED, measured=measured))
    assert document["performance"]["dynamic"]["capacity"]["fade"]["value"] == 0


@given(
    capacity=st.floats(min_value=1, max_value=100),
    cycles=st.one_of(st.none(), st.integers(min_value=0, max_value=20_000)),
)
def test_what_is_exported_is_read_back(capacity, cycles):
    measured = MeasuredFacts(at=AT, capacity_ah=capacity, nominal_capacity_ah=100.0)
    facts = PackFacts(
        serial="SN-9",
        rated=RATED,
        measured=measured,
        cycle_count=cycles,
        cycles_declared_at=AT,
        manufactured_on=date(2019, 5, 4),
    )
    reading = read_battery_pass(_document(facts), now=NOW)
    assert reading.problems == []
    read = reading.facts
    assert (read.serial, read.manufacturer, read.model, read.chemistry) == (
        "SN-9",
        "CATL",
        "TB48100",
        "LFP",
    )
    assert abs(float(read.claimed_soh_pct) - round(capacity, 3)) <= 0.006
    assert read.cycle_count == cycles
    assert read.manufactured_on == date(2019, 5, 4)


@pytest.mark.parametrize(
    ("lot_status", "route", "decided", "status"),
    [
        ("listed", "reuse-ESS", True, "original"),
        ("sold", "reuse-ESS", True, "repurposed"),
        ("sold", "small-application", False, "repurposed"),
        ("verified", "recycle", True, "waste"),
        ("draft", "recycle", False, "original"),  # provisional, from the claim
        ("sold", "recycle", True, "waste"),
        ("withdrawn", "", False, "original"),
    ],
)
def test_sustainability_status(lot_status, route, decided, status):
    assert (
        sustainability_status(lot_status=lot_status, route=route, route_decided=decided) == status
    )


def test_reuse_certificate_is_valid_but_for_its_declared_gaps():
    document = reuse_certificate_document(
        catena_x_id=ID,
        serial="SN-1",
        original_equipment_number="TB48100",
        issued_at=AT,
        previous_life_id="urn:uuid:00000000-0000-4000-8000-000000000001",
    )
    validator = reuse_certificate_validator()
    assert schema_problems(document, validator=validator, not_held=REUSE_CERTIFICATE_NOT_HELD) == []
    assert {p.path for p in schema_problems(document, validator=validator)} == set(
        REUSE_CERTIFICATE_NOT_HELD
    )
