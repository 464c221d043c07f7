from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from passports.domain.reading import read_battery_pass
from tests.passports.scenarios import example, with_changes

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def test_the_published_example_is_read_with_its_impossible_date_named():
    reading = read_battery_pass(example(), now=NOW)
    assert reading.ok
    facts = reading.facts
    assert facts.serial == "SN12345678"
    assert facts.model == "123-0.740-3434-A" and facts.manufacturer == ""
    assert facts.chemistry == "NMC"
    assert facts.claimed_soh_pct == Decimal("100.00")  # 4.0 Ah of 4.0 Ah rated
    assert facts.cycle_count == 1500
    assert facts.manufactured_on == date(2000, 1, 31)
    assert reading.warnings == [
        "operation.intoServiceDate: 7172-75-08 is not a real date. (not imported)"
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "The file is not JSON"),
        (b"\xff\xfe", "not UTF-8"),
        ("[1, 2]", "A passport is a JSON object."),
    ],
)
def test_what_is_not_a_json_object_is_refused(raw, message):
    reading = read_battery_pass(raw, now=NOW)
    assert not reading.ok and reading.facts is None
    assert message in reading.problems[0].message


@pytest.mark.parametrize(
    ("changes", "path", "message"),
    [
        (
            {"operation__manufacturer__manufacturingDate": "2027-01-01"},
            "operation.manufacturer.manufacturingDate",
            "in the future",
        ),
        (
            {"operation__manufacturer__manufacturingDate": "2023-02-30"},
            "operation.manufacturer.manufacturingDate",
            "not a real date",
        ),
        (
            {
                "performance__dynamic__capacity__fade": {
                    "value": 140.0,
                    "time": "2025-01-01T00:00:00Z",
                }
            },
            "performance.dynamic.capacity.fade.value",
            "outside 0-100 %",
        ),
        (
            {
                "performance__dynamic__capacity__fade": {
                    "value": 10.0,
                    "time": "2026-07-01T00:00:00Z",
                }
            },
            "performance.dynamic.capacity.fade.time",
            "in the future",
        ),
        (
            {"performance__dynamic__fullCycles": {"value": -3, "time": "2025-01-01T00:00:00Z"}},
            "performance.dynamic.fullCycles.value",
            "cannot be negative",
        ),
        (
            {
                "performance__dynamic__capacity__capacity": {
                    "value": 5.0,
                    "time": "2025-01-01T00:00:00Z",
                }
            },
            "performance.dynamic.capacity.capacity.value",
            "not a state of health",
        ),
    ],
)
def test_our_own_checks_refuse_what_we_would_record(changes, path, message):
    reading = read_battery_pass(with_changes(example(), **changes), now=NOW)
    assert not reading.ok
    assert any(p.path == path and message in p.message for p in reading.problems), reading.problems


def test_an_impossible_value_we_do_not_import_is_a_warning():
    document = with_changes(
        example(),
        performance__dynamic__power__fade={"value": 140.0, "time": "2024-01-01T00:00:00Z"},
    )
    reading = read_battery_pass(document, now=NOW)
    assert reading.ok
    assert "performance.dynamic.power.fade.value: 140 % is outside 0-100 %. (not imported)" in (
        reading.warnings
    )


def test_soh_from_the_fade_when_no_remaining_capacity_is_stated():
    document = example()
    del document["performance"]["dynamic"]["capacity"]["capacity"]
    reading = read_battery_pass(document, now=NOW)
    # Absent capacity is a required value of the schema, tolerated as "not held".
    assert reading.ok
    assert reading.facts.claimed_soh_pct == Decimal("50.00")


def test_the_passport_id_stands_in_for_a_missing_serial():
    document = with_changes(example(), identification__identification__serial=[])
    reading = read_battery_pass(document, now=NOW)
    assert reading.facts.serial == "urn:uuid:550e8400-e29b-41d4-a716-446655440000"


def test_schema_errors_and_our_checks_come_together():
    document = with_changes(
        example(),
        sustainability__status="second-life",
        operation__manufacturer__manufacturingDate="2030-01-01",
    )
    paths = [p.path for p in read_battery_pass(document, now=NOW).problems]
    assert paths == ["operation.manufacturer.manufacturingDate", "sustainability.status"]
