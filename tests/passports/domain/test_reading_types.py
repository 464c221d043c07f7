"""A document may hold any JSON anywhere: reading it never fails, whatever type stands where
the schema wants another. Each wrong value is a problem named by its path."""

import copy
from datetime import UTC, datetime

import pytest

from passports.domain import reading as passport_reading
from passports.domain.reading import read_battery_pass
from tests.passports.scenarios import example

NOW = datetime(2026, 12, 1, tzinfo=UTC)
WRONG = [5, 1.5, "x", True, None, [], ["x"], {}, {"value": "x"}]


def paths(node, prefix=()):
    """Every path in the document, branches and leaves, list items included."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*prefix, index)
            yield from paths(value, (*prefix, index))


def replaced(document: dict, path: tuple, value) -> dict:
    changed = copy.deepcopy(document)
    node = changed
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return changed


DOCUMENT = example()
PATHS = list(paths(DOCUMENT))


@pytest.mark.parametrize("value", WRONG, ids=repr)
def test_any_value_anywhere_is_read_without_failing(value):
    """Our own checks and the reading of the facts, on every path (the schema's validator is
    jsonschema's, and slow to run 4,000 times)."""
    for path in PATHS:
        document = replaced(DOCUMENT, path, value)
        problems, warnings = passport_reading.value_problems(document, now=NOW)
        passport_reading._facts(document, problems, warnings)


def test_a_sample_of_wrong_values_is_refused_whole():
    for path in PATHS[::25]:
        reading = read_battery_pass(replaced(DOCUMENT, path, ["x"]), now=NOW)
        assert not reading.ok and reading.problems, path


@pytest.mark.parametrize(
    ("path", "value"),
    [(("identification", "chemistry"), 5),
     (("identification", "identification", "serial", 0, "value"), 123),
     (("identification", "identification", "type", "nameAtManufacturer"), ["x"]),
     (("identification", "identification", "serial"), "SN-1"),
     (("identification", "identification"), [])],
)  # fmt: skip
def test_the_wrong_type_is_named_by_its_path(path, value):
    reading = read_battery_pass(replaced(DOCUMENT, path, value), now=NOW)
    assert not reading.ok
    where = ".".join(str(p) for p in path[:2])
    assert any(p.path.startswith(where) for p in reading.problems), reading.problems
