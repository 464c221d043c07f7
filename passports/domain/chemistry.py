"""Chemistry names: ours (LFP, NMC, ...) and the passport's free text ("Nickel Cobalt
Manganese (NCM)"), which the schema asks to be "as detailed as possible"."""

import re

TEXT = {
    "LFP": "Lithium Iron Phosphate (LFP)",
    "NMC": "Nickel Manganese Cobalt (NMC)",
    "NCA": "Nickel Cobalt Aluminium (NCA)",
    "LMO": "Lithium Manganese Oxide (LMO)",
    "LTO": "Lithium Titanate (LTO)",
    "unknown": "unknown",
}
# Checked in this order: "lithium manganese oxide" must not be read as NMC's manganese.
_PATTERNS = (
    ("LFP", r"\blfp\b|lifepo|iron phosphate"),
    ("NCA", r"\bnca\b|alumin"),
    ("NMC", r"\bnmc\b|\bncm\b|nickel.*manganese.*cobalt|nickel.*cobalt.*manganese"),
    ("LTO", r"\blto\b|titanate"),
    ("LMO", r"\blmo\b|manganese oxide|\blimn2o4\b"),
)
# Typical nominal cell voltages, to count cells in series from a pack's nominal voltage.
NOMINAL_CELL_V = {"LFP": 3.2, "NMC": 3.7, "NCA": 3.6, "LMO": 3.7, "LTO": 2.4}


def chemistry_text(chemistry: str) -> str:
    return TEXT.get(chemistry, TEXT["unknown"])


def chemistry_from_text(text: str) -> str:
    """Our chemistry for a passport's text; "unknown" when it names none we know."""
    lowered = text.strip().lower()
    for chemistry, pattern in _PATTERNS:
        if re.search(pattern, lowered):
            return chemistry
    return "unknown"


def cells_in_series(*, chemistry: str, nominal_voltage_v: float) -> int | None:
    """The passport has no cell count: the nearest whole number of typical cells that makes
    the nominal voltage, or None for a chemistry without a typical cell voltage."""
    cell = NOMINAL_CELL_V.get(chemistry)
    if cell is None or nominal_voltage_v <= 0:
        return None
    return max(1, round(nominal_voltage_v / cell))
