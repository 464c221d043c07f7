"""Validation against the published Catena-X schemas (JSON Schema draft-04, in `schemas/`).

The BatteryPass 6.1.0 schema makes about sixty values mandatory that are the maker's data
(materials, carbon footprint, round-trip efficiency, power, temperature limits, BPN numbers)
or measurements nobody on this platform takes (state of charge, power fade, throughput). The
schema has no way to say "not known": a required number must be a number. A passport that
filled them would state figures nobody measured, which is what this marketplace exists to
stop. So a document here is checked against the schema as published, in full, with one
tolerance: a required value listed in `BATTERY_PASS_NOT_HELD` (or `REUSE_CERTIFICATE_NOT_HELD`)
may be absent. Every value a document does carry must match the schema exactly, and every
other required value must be there.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jsonschema import Draft4Validator

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
BATTERY_PASS_SCHEMA = SCHEMA_DIR / "BatteryPass-schema.json"
REUSE_CERTIFICATE_SCHEMA = SCHEMA_DIR / "ReuseCertificate-schema.json"
MESSAGE_LIMIT = 300

# Required by the schema, held by no record of ours (see the module note). Grouped by why.
BATTERY_PASS_NOT_HELD = frozenset(
    {
        # Business partner numbers (BPNL) are issued by Catena-X; no organisation or pack
        # model here has one, and a made-up one would name a company that may not exist.
        "operation.manufacturer.manufacturer",
        "metadata.economicOperatorId",
        # Passport hosting facts we do not promise: a backup copy, an end of availability.
        "metadata.backupReference",
        "metadata.expirationDate",
        # The maker's product data, which a second-life listing does not carry.
        "identification.idDmc",
        "identification.identification.dataCarrier",
        "characteristics.warranty",
        "characteristics.physicalDimension.weight",
        "materials.active.nickel",
        "materials.active.lithium",
        "materials.active.cobalt",
        "materials.active.lead",
        "materials.hazardous.cadmium",
        "materials.hazardous.mercury",
        "materials.hazardous.lead",
        "performance.rated.voltage.min",
        "performance.rated.voltage.max",
        "performance.rated.roundTripEfficiency",
        "performance.rated.resistance",  # a pack model without a baseline resistance
        "performance.rated.resistance.cell",
        "performance.rated.power",
        "performance.rated.capacity.thresholdExhaustion",
        "performance.rated.temperature",
        "performance.rated.selfDischargingRate",
        "performance.rated.lifetime",  # a pack model without a calendar life
        "performance.rated.lifetime.cycleLifeTesting",
        # Figures of use. Those verification measures are given when a test measured them
        # (capacity, its fade, energy, DC resistance and its increase); the supplier's cycle
        # count when it declared one. The rest nobody here measures.
        "performance.dynamic.stateOfCharge",
        "performance.dynamic.fullCycles",
        "performance.dynamic.selfDischargingRate",
        "performance.dynamic.power",
        "performance.dynamic.roundTripEfficiency",
        "performance.dynamic.resistance",
        "performance.dynamic.resistance.increase",
        "performance.dynamic.resistance.increase.pack",
        "performance.dynamic.resistance.increase.cell",
        "performance.dynamic.resistance.remaining",
        "performance.dynamic.resistance.remaining.pack",
        "performance.dynamic.resistance.remaining.cell",
        "performance.dynamic.energy",
        "performance.dynamic.energy.soce",
        "performance.dynamic.energy.remaining",
        "performance.dynamic.capacity",
        "performance.dynamic.capacity.fade",
        "performance.dynamic.capacity.capacity",
        "performance.dynamic.capacity.throughput",
    }
)
REUSE_CERTIFICATE_NOT_HELD = frozenset(
    {
        "certificate.supplier",  # a BPNL, as above
        # Required, though the model says a certificate is revoked only by exception: any
        # date here would state a revocation that has not happened.
        "certificate.revocationDate",
    }
)

_REQUIRED = re.compile(r"^'(?P<name>.+)' is a required property$")


@dataclass(frozen=True)
class Problem:
    path: str  # dotted, with [n] for list items; "" is the document itself
    message: str

    def __str__(self) -> str:
        return f"{self.path or '(document)'}: {self.message}"


def dotted(parts) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@cache
def _validator(path: Path) -> Draft4Validator:
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema)


def battery_pass_validator() -> Draft4Validator:
    return _validator(BATTERY_PASS_SCHEMA)


def reuse_certificate_validator() -> Draft4Validator:
    return _validator(REUSE_CERTIFICATE_SCHEMA)


def schema_problems(
    document: object, *, validator: Draft4Validator, not_held: frozenset[str] = frozenset()
) -> list[Problem]:
    """Every way `document` breaks the schema, by path, except the absence of a `not_held`
    value. An empty list: the document is valid in all it carries."""
    problems = []
    for error in validator.iter_errors(document):
        path = dotted(error.absolute_path)
        message = error.message
        if error.validator == "required":
            match = _REQUIRED.match(message)
            if match:
                path = dotted([*error.absolute_path, match["name"]])
                if path in not_held:
                    continue
                message = "is required by the schema and missing"
        if len(message) > MESSAGE_LIMIT:
            message = message[: MESSAGE_LIMIT - 1] + "…"
        problems.append(Problem(path, message))
    return sorted(problems, key=lambda p: (p.path, p.message))
