import json

from passports.domain.schema import (
    BATTERY_PASS_NOT_HELD,
    REUSE_CERTIFICATE_NOT_HELD,
    SCHEMA_DIR,
    Problem,
    battery_pass_validator,
    dotted,
    reuse_certificate_validator,
    schema_problems,
)


def _load(name: str) -> dict:
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


def test_the_published_examples_validate_strictly():
    assert schema_problems(_load("BatteryPass.json"), validator=battery_pass_validator()) == []
    certificate = _load("ReuseCertificate.json")
    assert schema_problems(certificate, validator=reuse_certificate_validator()) == []


def test_a_missing_value_we_do_not_hold_is_tolerated_and_nothing_else():
    document = _load("BatteryPass.json")
    del document["performance"]["dynamic"]["power"]
    del document["identification"]["chemistry"]
    problems = schema_problems(
        document, validator=battery_pass_validator(), not_held=BATTERY_PASS_NOT_HELD
    )
    assert problems == [
        Problem("identification.chemistry", "is required by the schema and missing")
    ]


def test_wrong_values_are_named_by_path_even_where_absence_is_tolerated():
    document = _load("BatteryPass.json")
    document["performance"]["dynamic"]["capacity"]["fade"]["value"] = "half"
    document["identification"]["identification"]["serial"][0]["key"] = "serialNumber"
    document["sustainability"]["status"] = "second-life"
    paths = {
        p.path
        for p in schema_problems(
            document, validator=battery_pass_validator(), not_held=BATTERY_PASS_NOT_HELD
        )
    }
    assert paths == {
        "performance.dynamic.capacity.fade.value",
        "identification.identification.serial[0].key",
        "sustainability.status",
    }


def test_long_messages_are_cut():
    document = _load("BatteryPass.json")
    document["materials"] = ["x" * 1000]
    (problem,) = schema_problems(document, validator=battery_pass_validator())
    assert problem.path == "materials" and len(problem.message) <= 300


def test_the_reuse_certificate_tolerates_only_its_own_gaps():
    certificate = _load("ReuseCertificate.json")
    del certificate["certificate"]["supplier"]
    del certificate["certificate"]["revocationDate"]
    validator = reuse_certificate_validator()
    assert (
        schema_problems(certificate, validator=validator, not_held=REUSE_CERTIFICATE_NOT_HELD) == []
    )
    del certificate["certificate"]["catenaXId"]
    assert [
        p.path
        for p in schema_problems(
            certificate, validator=validator, not_held=REUSE_CERTIFICATE_NOT_HELD
        )
    ] == ["certificate.catenaXId"]


def test_paths_are_dotted_with_list_indexes():
    assert dotted(["a", "b", 0, "c"]) == "a.b[0].c"
    assert dotted([]) == ""
    assert (
        str(Problem("", "A passport is a JSON object."))
        == "(document): A passport is a JSON object."
    )
