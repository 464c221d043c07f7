"""Packs and documents for the passport tests, and the checks every exported passport gets."""

import copy
import json
import uuid
from pathlib import Path

from audit.models import AuditEntry
from marketplace.services import test_data_upload
from passports.domain.schema import (
    BATTERY_PASS_NOT_HELD,
    battery_pass_validator,
    schema_problems,
)
from passports.models import PassportDocument
from suppliers.models import HistoryEvent, Lot, Pack, PackModel
from tests.factories import capacity_test_upload

SCHEMAS = Path(__file__).resolve().parents[2] / "passports" / "schemas"
EXAMPLE = SCHEMAS / "BatteryPass.json"


def example() -> dict:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def assert_valid(document: dict) -> set[str]:
    """The document breaks the published schema in no value it carries, and misses only
    required values we hold no data for. Returns the paths of those it misses."""
    validator = battery_pass_validator()
    assert schema_problems(document, validator=validator, not_held=BATTERY_PASS_NOT_HELD) == []
    strict = schema_problems(document, validator=validator)
    assert all(p.message == "is required by the schema and missing" for p in strict)
    missing = {p.path for p in strict}
    assert missing <= BATTERY_PASS_NOT_HELD
    return missing


def measure(*, user, pack, soh: float, callbacks, resistance_mohm: float | None = None, seed=1):
    with callbacks(execute=True):
        test_data_upload(
            user=user,
            pack=pack,
            uploaded_file=capacity_test_upload(
                soh_pct=soh,
                pack_model=pack.lot.pack_model,
                resistance_mohm=resistance_mohm,
                seed=seed,
            ),
        )


def row_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Lot, Pack, HistoryEvent, PackModel, PassportDocument, AuditEntry)
    }


def with_changes(document: dict, **paths) -> dict:
    """A copy of the document with dotted paths set (`a__b__c=1` sets a.b.c)."""
    changed = copy.deepcopy(document)
    for dotted, value in paths.items():
        *parents, last = dotted.split("__")
        node = changed
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return changed


def for_another_pack(document: dict, serial: str) -> dict:
    """The document as another pack's passport: its serial and its own identifier."""
    document = copy.deepcopy(document)
    document["identification"]["identification"]["serial"][0]["value"] = serial
    document["metadata"]["passportIdentifier"] = f"urn:uuid:{uuid.uuid4()}"
    return document
