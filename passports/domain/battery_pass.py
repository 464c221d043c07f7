"""A pack's facts as a Catena-X BatteryPass 6.1.0 document, and a ReuseCertificate 3.0.0.

Plain values in, a JSON-ready dict out. What the document says is what our records hold: the
pack model's ratings, the figures a verification measured, the supplier's declared cycle count
and dates of its documented history. A required value we do not hold is left out (see
`schema.BATTERY_PASS_NOT_HELD`); where the schema asks for a list of documents we hold none of,
the list is empty, which says exactly that. Custody transfers and safety events by kind have no
place in the schema and stay out of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from .chemistry import chemistry_text

SPEC_VERSION = "urn:io.catenax.battery.battery_pass:6.1.0"
# The schema asks for a predecessor even for a first passport ("input a dummy value"): the nil
# UUID is the one value that cannot be mistaken for a real passport.
NO_PREDECESSOR = "urn:uuid:00000000-0000-0000-0000-000000000000"
REUSE_ROUTES = ("reuse-ESS", "small-application")
RECYCLE_ROUTE = "recycle"


@dataclass(frozen=True)
class RatedFacts:
    """A pack model's ratings (maker's data, as registered and approved here)."""

    manufacturer: str
    model: str
    chemistry: str
    nominal_voltage_v: float
    nominal_capacity_ah: float
    nominal_energy_kwh: float
    baseline_resistance_mohm: float | None = None
    calendar_life_years: int | None = None


@dataclass(frozen=True)
class MeasuredFacts:
    """What one verification measured from the pack's test data."""

    at: datetime  # when the platform determined the figures
    capacity_ah: float | None
    nominal_capacity_ah: float
    energy_kwh: float | None = None
    soh_energy_pct: float | None = None
    resistance_mohm: float | None = None
    resistance_ratio: float | None = None


@dataclass(frozen=True)
class PackFacts:
    serial: str
    rated: RatedFacts
    measured: MeasuredFacts | None = None
    cycle_count: int | None = None
    cycles_declared_at: datetime | None = None
    manufactured_on: date | None = None
    in_service_on: date | None = None
    sustainability_status: str = "original"
    report_url: str = ""


def sustainability_status(*, lot_status: str, route: str, route_decided: bool) -> str:
    """The schema's product status from a lot's status and route.

    Regulation 2023/1542 (Art. 2) calls using a battery again for the purpose it was made for
    're-use' and for another purpose 'repurposing': a retired EV pack in stationary storage or a
    telecom cabinet is repurposed. It is so once sold for it; until then it is the original
    battery on offer. A pack is waste once its recycling route is decided (by the rules on
    measured figures or by an auditor), not while the route is only provisional.
    """
    if route == RECYCLE_ROUTE and route_decided:
        return "waste"
    if lot_status == "sold" and route in REUSE_ROUTES:
        return "repurposed"
    return "original"


def _timestamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _figure(value: float, at: datetime, digits: int) -> dict:
    return {"value": round(value, digits), "time": _timestamp(at)}


def _rated(rated: RatedFacts) -> dict:
    section: dict = {
        "voltage": {"nominal": rated.nominal_voltage_v},
        "capacity": {"value": rated.nominal_capacity_ah},
        "energy": {"value": rated.nominal_energy_kwh},
        "performanceDocument": [],
        "testReport": [],
    }
    if rated.baseline_resistance_mohm is not None:
        # The schema's resistances are in ohms; the model's baseline is in milliohms.
        section["resistance"] = {"pack": round(rated.baseline_resistance_mohm / 1000, 6)}
    if rated.calendar_life_years is not None:
        section["lifetime"] = {"expectedYears": rated.calendar_life_years, "report": []}
    return section


def _dynamic(facts: PackFacts) -> dict:
    section: dict = {}
    if facts.cycle_count is not None and facts.cycles_declared_at is not None:
        section["fullCycles"] = {
            "value": facts.cycle_count,
            "time": _timestamp(facts.cycles_declared_at),
        }
    measured = facts.measured
    if measured is None:
        return section
    if measured.capacity_ah is not None:
        # Fade is the share of the rated capacity lost. A pack that delivered more than its
        # rating lost none: 0, with the capacity itself saying how much it delivered.
        fade = max(0.0, 100 * (1 - measured.capacity_ah / measured.nominal_capacity_ah))
        section["capacity"] = {
            "capacity": _figure(measured.capacity_ah, measured.at, 3),
            "fade": _figure(fade, measured.at, 2),
        }
    if measured.energy_kwh is not None or measured.soh_energy_pct is not None:
        energy = {}
        if measured.energy_kwh is not None:
            energy["remaining"] = _figure(measured.energy_kwh, measured.at, 4)
        if measured.soh_energy_pct is not None:
            # The state of certified energy: measured usable energy over the rated energy.
            energy["soce"] = _figure(measured.soh_energy_pct, measured.at, 2)
        section["energy"] = energy
    if measured.resistance_mohm is not None:
        resistance: dict = {
            "remaining": {"pack": _figure(measured.resistance_mohm / 1000, measured.at, 6)}
        }
        if measured.resistance_ratio is not None:
            increase = 100 * (measured.resistance_ratio - 1)
            resistance["increase"] = {"pack": _figure(increase, measured.at, 2)}
        section["resistance"] = resistance
    return section


def battery_pass_body(facts: PackFacts) -> dict:
    """Everything but the passport's own identity and dates (see `battery_pass_document`)."""
    rated = facts.rated
    operation: dict = {"manufacturer": {"facility": []}}
    if facts.manufactured_on is not None:
        operation["manufacturer"]["manufacturingDate"] = facts.manufactured_on.isoformat()
    if facts.in_service_on is not None:
        operation["intoServiceDate"] = facts.in_service_on.isoformat()
    body = {
        "specVersion": SPEC_VERSION,
        "identification": {
            # The platform trades retired electric-vehicle packs: the category they were made
            # in, which a second life does not change.
            "category": "EV",
            "chemistry": chemistry_text(rated.chemistry),
            "identification": {
                "serial": [{"key": "partInstanceId", "value": facts.serial}],
                # The schema has no field for the maker's name. The model designation is the
                # maker's part id; the name at the manufacturer is "<maker> <model>", which is
                # how the import finds the pack model again.
                "type": {
                    "manufacturerPartId": rated.model,
                    "nameAtManufacturer": f"{rated.manufacturer} {rated.model}",
                },
                "codes": [],
                "classification": [],
            },
        },
        "operation": operation,
        "characteristics": {"physicalDimension": {}},
        "sustainability": {
            "status": facts.sustainability_status,
            "documents": {"separateCollection": [], "wastePrevention": []},
            "carbonFootprint": [],
        },
        "materials": {"active": {}, "hazardous": {}, "composition": []},
        "performance": {"rated": _rated(rated), "dynamic": _dynamic(facts)},
        "conformity": {
            "declarationOfConformity": [],
            "resultOfTestReport": [],
            "thirdPartyAssurance": [],
            "dueDiligencePolicy": [],
        },
        "safety": {
            "usableExtinguishAgent": [],
            "safetyMeasures": [],
            "meaningOfLabels": [],
            "dismantling": [],
        },
        # Exchanged through Catena-X, a passport must name the automotive industry; the packs
        # were made for it.
        "commercial": {"purpose": ["automotive"]},
        # "If it is not applicable (false), dummy data can be delivered": we hold no spare-part
        # data, and empty lists state nothing about any.
        "handling": {"applicable": False, "content": {"producer": [], "sparePart": []}},
    }
    if facts.report_url:
        body["sources"] = [
            {
                "header": "Verification report (marketplace pack page)",
                "category": "Technical Documentation",
                "type": "URL",
                "content": facts.report_url,
            }
        ]
    return body


def battery_pass_document(
    body: dict, *, passport_identifier: str, predecessor: str, issued_on: date, version: int
) -> dict:
    return {
        **body,
        "metadata": {
            "passportIdentifier": passport_identifier,
            "predecessor": predecessor or NO_PREDECESSOR,
            "issueDate": issued_on.isoformat(),
            "lastModification": issued_on.isoformat(),
            "version": f"{version}.0.0",
            # A draft: the passport lacks the maker's required data (see schema.py), so no one
            # should take it as an approved, complete passport.
            "status": "draft",
        },
    }


def reuse_certificate_document(
    *,
    catena_x_id: str,
    serial: str,
    original_equipment_number: str,
    issued_at: datetime,
    previous_life_id: str = "",
) -> dict:
    """A ReuseCertificate 3.0.0 for a pack sold for a second life."""
    certificate = {
        "catenaXId": catena_x_id,
        "issueDate": _timestamp(issued_at),
        # The maker's designation of the pack: the number the original equipment carries.
        "originalEquipmentNumber": original_equipment_number,
    }
    if previous_life_id:
        certificate["catenaXIdPreviousLife"] = previous_life_id
    return {
        "certificate": certificate,
        "partInstanceId": [{"key": "partInstanceId", "value": serial}],
    }
