"""Reading a BatteryPass document for import: the schema, then our own checks, then the facts.

The schema checks shapes and patterns, not meaning: a date like 2023-02-30 or one in the
future, a fade of 140 % pass it. Our checks refuse those among the values we take into our
records (serial, capacity figures, cycles, manufacture date). Values we do not take are stored
with the document as they came; when one of them is impossible too, the import names it as a
warning rather than refusing the document for a value it does not use. (The schema's own
example payload has an into-service date of 7172-75-08.)
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from .chemistry import chemistry_from_text
from .schema import BATTERY_PASS_NOT_HELD, Problem, battery_pass_validator, dotted, schema_problems

# Date-only fields of the schema; `time` keys hold timestamps.
DATE_KEYS = (
    "manufacturingDate",
    "intoServiceDate",
    "placedOnMarket",
    "issueDate",
    "lastModification",
    "expirationDate",
)
# Dates that are naturally ahead (the end of the passport's availability).
FUTURE_ALLOWED = ("expirationDate",)
# Keys holding a share in per cent (fades, states of charge and energy, efficiencies).
PERCENT_KEYS = (
    "fade",
    "soce",
    "stateOfCharge",
    "initial",
    "50PercentLife",
    "depthOfDischarge",
    "thresholdExhaustion",
)
PERCENT_PARENTS = ("roundTripEfficiency",)  # its `remaining` is a percentage too

MANUFACTURED_PATH = "operation.manufacturer.manufacturingDate"
CAPACITY_PATH = "performance.dynamic.capacity"
CYCLES_PATH = "performance.dynamic.fullCycles"
RATED_PATH = "performance.rated"
IMPORTED_PREFIXES = (
    MANUFACTURED_PATH,
    f"{CAPACITY_PATH}.capacity",
    f"{CAPACITY_PATH}.fade",
    CYCLES_PATH,
    f"{RATED_PATH}.capacity",
    f"{RATED_PATH}.voltage",
    f"{RATED_PATH}.energy",
)


@dataclass
class PassportFacts:
    passport_identifier: str
    serial: str
    manufacturer: str  # "" when the passport does not name the maker (see battery_pass.py)
    model: str
    chemistry: str
    nominal_voltage_v: Decimal | None = None
    nominal_capacity_ah: Decimal | None = None
    nominal_energy_kwh: Decimal | None = None
    baseline_resistance_mohm: Decimal | None = None
    calendar_life_years: int | None = None
    claimed_soh_pct: Decimal | None = None
    cycle_count: int | None = None
    manufactured_on: date | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class Reading:
    document: object
    facts: PassportFacts | None
    problems: list[Problem]
    warnings: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def parse_json(raw: bytes | str) -> tuple[object, list[Problem]]:
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        return json.loads(text), []
    except UnicodeDecodeError:
        return None, [Problem("", "The file is not UTF-8 text, so not a JSON passport.")]
    except json.JSONDecodeError as exc:
        return None, [
            Problem("", f"The file is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).")
        ]


def _imported(path: str) -> bool:
    return any(path == p or path.startswith(p + ".") for p in IMPORTED_PREFIXES)


def _real_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _real_time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _walk(node: object, path: list):
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, [*path, key])
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, [*path, index])


def value_problems(document: object, *, now: datetime) -> tuple[list[Problem], list[str]]:
    """Dates that are not real or lie ahead, shares outside 0-100 %, non-finite numbers.
    Problems for values we import, warnings for the rest."""
    problems, warnings = [], []

    def report(path: str, message: str) -> None:
        if _imported(path):
            problems.append(Problem(path, message))
        else:
            warnings.append(f"{path}: {message} (not imported)")

    today = now.date()
    for parts, value in _walk(document, []):
        if not parts:
            continue
        key, path = parts[-1], dotted(parts)
        if isinstance(value, str) and key in DATE_KEYS:
            day = _real_date(value)
            if day is None:
                report(path, f"{value} is not a real date.")
            elif day > today and key not in FUTURE_ALLOWED:
                report(path, f"{value} is in the future.")
        elif isinstance(value, str) and key == "time":
            moment = _real_time(value)
            if moment is None:
                report(path, f"{value} is not a real date and time.")
            elif moment > now:
                report(path, f"{value} is in the future.")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(value):
                report(path, "is not a finite number.")
                continue
            owner = parts[-2] if len(parts) > 1 else None
            grand = parts[-3] if len(parts) > 2 else None
            share = (key == "value" and owner in PERCENT_KEYS) or key in PERCENT_KEYS
            share = share or (key == "value" and owner == "remaining" and grand in PERCENT_PARENTS)
            if share and not 0 <= value <= 100:
                report(path, f"{value:g} % is outside 0-100 %.")
    return problems, warnings


def _get(document: dict, path: str):
    node = document
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _text(value) -> str:
    """A string the document holds, or "" when it holds something else there (the schema
    check names the wrong type; reading never trips over it)."""
    return value.strip() if isinstance(value, str) else ""


def _objects(value) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _decimal(value) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return Decimal(str(value))


def _facts(document: dict, problems: list[Problem], warnings: list[str]) -> PassportFacts:
    identification = _get(document, "identification.identification")
    identification = identification if isinstance(identification, dict) else {}
    serials = [
        _text(s.get("value"))
        for s in _objects(identification.get("serial"))
        if s.get("key") == "partInstanceId"
    ]
    passport_identifier = _text(_get(document, "metadata.passportIdentifier"))
    # A pack's serial is its serial number or, where the passport gives none, its passport id.
    serial = next((s for s in serials if s), "") or passport_identifier
    if len(serial) > 100:
        problems.append(
            Problem(
                "identification.identification.serial",
                "is longer than our 100 characters for a serial.",
            )
        )
    part_type = identification.get("type")
    part_type = part_type if isinstance(part_type, dict) else {}
    model = _text(part_type.get("manufacturerPartId"))
    name = _text(part_type.get("nameAtManufacturer"))
    manufacturer = name[: -len(model)].strip() if model and name.endswith(" " + model) else ""
    facts = PassportFacts(
        passport_identifier=passport_identifier,
        serial=serial,
        manufacturer=manufacturer,
        model=model,
        chemistry=chemistry_from_text(_text(_get(document, "identification.chemistry"))),
        nominal_voltage_v=_decimal(_get(document, f"{RATED_PATH}.voltage.nominal")),
        nominal_capacity_ah=_decimal(_get(document, f"{RATED_PATH}.capacity.value")),
        nominal_energy_kwh=_decimal(_get(document, f"{RATED_PATH}.energy.value")),
        warnings=warnings,
    )
    pack_ohm = _decimal(_get(document, f"{RATED_PATH}.resistance.pack"))
    if pack_ohm is not None:
        facts.baseline_resistance_mohm = pack_ohm * 1000
    years = _get(document, f"{RATED_PATH}.lifetime.expectedYears")
    if isinstance(years, int | float) and not isinstance(years, bool) and years > 0:
        facts.calendar_life_years = round(years)
    made = _get(document, MANUFACTURED_PATH)
    facts.manufactured_on = _real_date(made) if isinstance(made, str) else None
    facts.claimed_soh_pct = _claimed_soh(document, facts, problems)
    facts.cycle_count = _cycles(document, problems, warnings)
    return facts


def _claimed_soh(document: dict, facts: PassportFacts, problems: list[Problem]) -> Decimal | None:
    """SOH as this platform defines it (remaining capacity over rated capacity), from the
    passport's own figures; from its capacity fade when it states no remaining capacity."""
    remaining = _decimal(_get(document, f"{CAPACITY_PATH}.capacity.value"))
    rated = facts.nominal_capacity_ah
    fade = _decimal(_get(document, f"{CAPACITY_PATH}.fade.value"))
    if remaining is not None and rated:
        soh = remaining / rated * 100
        if remaining < 0 or soh > 100:
            problems.append(
                Problem(
                    f"{CAPACITY_PATH}.capacity.value",
                    f"{remaining} Ah "
                    f"remaining against {rated} Ah rated is not a state of health "
                    "within 0-100 %.",
                )
            )
            return None
    elif fade is not None and 0 <= fade <= 100:
        soh = 100 - fade
    else:
        return None
    return soh.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _cycles(document: dict, problems: list[Problem], warnings: list[str]) -> int | None:
    value = _get(document, f"{CYCLES_PATH}.value")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    if value < 0:
        problems.append(
            Problem(
                f"{CYCLES_PATH}.value", f"{value:g} cycles: a count of cycles cannot be negative."
            )
        )
        return None
    if value != int(value):
        warnings.append(
            f"{CYCLES_PATH}.value: {value:g} equivalent cycles recorded as "
            f"{round(value)} (our records count whole cycles)."
        )
    return round(value)


def read_battery_pass(raw: bytes | str | object, *, now: datetime) -> Reading:
    """Parse (when given text) and check a BatteryPass document; the facts when it passes."""
    document, problems = parse_json(raw) if isinstance(raw, bytes | str) else (raw, [])
    if problems:
        return Reading(None, None, problems, [])
    if not isinstance(document, dict):
        return Reading(document, None, [Problem("", "A passport is a JSON object.")], [])
    problems = schema_problems(
        document, validator=battery_pass_validator(), not_held=BATTERY_PASS_NOT_HELD
    )
    checks, warnings = value_problems(document, now=now)
    problems += checks
    facts = _facts(document, problems, warnings)
    if not facts.serial:
        problems.append(
            Problem(
                "identification.identification.serial",
                "names no serial (partInstanceId) and the passport no id.",
            )
        )
    if not facts.model:
        problems.append(
            Problem(
                "identification.identification.type.manufacturerPartId",
                "is empty: the pack model cannot be found.",
            )
        )
    problems.sort(key=lambda p: (p.path, p.message))
    return Reading(document, None if problems else facts, problems, warnings)
