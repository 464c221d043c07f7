"""Demo data: a few suppliers and buyers, LFP and NMC pack models, lots across every route.

Each pack gets generated test data whose capacity curve is physically plausible, and goes
through the same services and pipeline as a real upload.
"""

from dataclasses import dataclass, field
from datetime import date

DEMO_PASSWORD = "secondlife-demo"
# Test files log each step's first seconds every second, so DC resistance is measured.
STEP_DETAIL_S = 12.0


def aged_resistance_mohm(baseline_mohm, soh_pct: float) -> float | None:
    """Resistance grows as capacity fades; a rough rule of thumb, enough for plausible demo data."""
    if baseline_mohm is None:
        return None
    return float(baseline_mohm) * (1 + (100 - soh_pct) / 100)


def sample_soh_pct(measured_soh_pct: tuple[float, ...], count: int) -> tuple[float, ...]:
    """`count` packs' SOH values spread around the lot's listed ones, so a demo lot meets its
    sampling plan with distinct measurements (a few tenths apart, never crossing a route)."""
    if not measured_soh_pct:
        return ()
    width = len(measured_soh_pct)
    return tuple(round(measured_soh_pct[i % width] - 0.15 * (i // width), 2) for i in range(count))


# What the demo auditor checked the demo pack models' ratings against.
APPROVAL_NOTE = "Ratings checked against the maker's published datasheet (demo data)."


@dataclass(frozen=True)
class DemoOrg:
    slug: str
    name: str
    kind: str
    country: str
    username: str


@dataclass(frozen=True)
class DemoPackModel:
    key: str
    manufacturer: str
    model: str
    chemistry: str
    nominal_voltage_v: str
    nominal_capacity_ah: str
    nominal_energy_kwh: str
    cells_series: int
    cells_parallel: int
    baseline_resistance_mohm: str | None
    calendar_life_years: int | None


@dataclass(frozen=True)
class DemoLot:
    supplier: str
    reference: str
    pack_model: str
    location: str
    quantity: int
    claimed_soh_pct: str
    price_per_kwh: str
    measured_soh_pct: tuple[float, ...]  # one per pack with test data
    manufactured_on: date
    removed_on: date
    extra_events: tuple[tuple[str, date, str], ...] = field(default=())
    submit: bool = True
    # False: the test logged only every 30 s, too coarse for a DC resistance figure.
    resistance_logged: bool = True

    @property
    def site(self) -> tuple[str, float, float]:
        """(country, latitude, longitude) of the demo's warehouses, for distance searches."""
        return SITES[self.location]


SITES = {
    "Leeds, GB": ("GB", 53.8008, -1.5491),
    "Bristol, GB": ("GB", 51.4545, -2.5879),
    "Hamburg, DE": ("DE", 53.5511, 9.9937),
}

ORGANISATIONS = (
    DemoOrg("volta-fleet", "Volta Fleet Services", "supplier", "GB", "supplier"),
    DemoOrg("recell", "ReCell Dismantling GmbH", "supplier", "DE", "supplier2"),
    DemoOrg("towergrid", "TowerGrid Backup Power", "buyer", "GB", "buyer"),
    DemoOrg("second-grid", "Second Grid Storage", "buyer", "NL", "buyer2"),
)

PACK_MODELS = (
    DemoPackModel(
        "telecom48", "CATL", "TB48100 48 V telecom backup pack", "LFP",
        "51.20", "100.00", "5.120", 16, 1, "28.000", 15,
    ),
    DemoPackModel(
        "blade", "BYD", "Blade module 12S", "LFP",
        "38.40", "138.00", "5.299", 12, 1, "21.000", 15,
    ),
    DemoPackModel(
        "e63", "LG Energy Solution", "E63 module 12S", "NMC",
        "44.40", "63.00", "2.797", 12, 1, "35.000", 10,
    ),
    DemoPackModel(
        "sdi94", "Samsung SDI", "94 Ah module 12S", "NMC",
        "44.40", "94.00", "4.174", 12, 1, "24.000", 10,
    ),
)  # fmt: skip

LOTS = (
    DemoLot("volta-fleet", "VFS-2026-001", "telecom48", "Leeds, GB", 40, "88", "95",
            (88.4, 87.1, 89.0), date(2016, 3, 1), date(2025, 10, 14)),
    DemoLot("volta-fleet", "VFS-2026-002", "telecom48", "Leeds, GB", 25, "46", "38",
            (46.2, 44.9), date(2014, 6, 1), date(2025, 9, 2)),
    DemoLot("recell", "REC-0107", "blade", "Hamburg, DE", 60, "72", "70",
            (72.5, 71.3), date(2019, 2, 1), date(2026, 1, 20)),
    DemoLot("recell", "REC-0108", "e63", "Hamburg, DE", 30, "74", "22",
            (73.8, 74.9), date(2017, 5, 1), date(2025, 12, 1)),
    DemoLot("recell", "REC-0109", "blade", "Hamburg, DE", 12, "16", "9",
            (15.6,), date(2013, 1, 1), date(2025, 8, 1)),
    DemoLot("volta-fleet", "VFS-2026-003", "sdi94", "Bristol, GB", 18, "86", "60",
            (86.3, 85.2), date(2020, 4, 1), date(2026, 2, 11)),
    DemoLot("volta-fleet", "VFS-2026-004", "telecom48", "Bristol, GB", 20, "90", "92",
            (79.2, 78.5), date(2017, 9, 1), date(2026, 3, 5)),
    DemoLot("recell", "REC-0110", "blade", "Hamburg, DE", 8, "68", "40",
            (67.9,), date(2019, 6, 1), date(2026, 4, 2),
            extra_events=(("thermal_event", date(2025, 11, 3), "Venting in one module"),)),
    DemoLot("volta-fleet", "VFS-2026-005", "telecom48", "Leeds, GB", 10, "80", "85",
            (), date(2018, 1, 1), date(2026, 6, 1), submit=False),
    DemoLot("recell", "REC-0111", "e63", "Hamburg, DE", 16, "84", "55",
            (84.1, 83.6), date(2021, 3, 1), date(2026, 5, 12), resistance_logged=False),
)  # fmt: skip
