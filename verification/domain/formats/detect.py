"""Which format a file is in, from its first bytes; the file name's extension is only a hint,
used to explain why a file named like a known format is not recognised.
"""

from __future__ import annotations

import os

from ..errors import TestDataError
from . import _headers as h

FORMATS: tuple[tuple[str, str], ...] = (
    ("canonical_csv", "Canonical CSV"),
    ("arbin_csv", "Arbin CSV export"),
    ("arbin_xlsx", "Arbin Excel export"),
    ("maccor_txt", "Maccor text export"),
    ("neware_csv", "Neware CSV export"),
    ("neware_xlsx", "Neware Excel export"),
    ("neware_ndax", "Neware .ndax"),
    ("biologic_mpr", "BioLogic .mpr"),
    ("biologic_mpt", "BioLogic .mpt text"),
    ("bms_snapshot", "BMS snapshot (JSON or CSV)"),
)
LABELS = dict(FORMATS)
_EXTENSIONS = {
    ".mpr": "biologic_mpr",
    ".mpt": "biologic_mpt",
    ".ndax": "neware_ndax",
    ".xlsx": "arbin_xlsx",
    ".json": "bms_snapshot",
}
# Files we recognise but do not read: say what to do instead of "unknown format".
_UNSUPPORTED_MAGIC = (
    (b"\x00\x01\x00\x00Standard Jet DB", "an Arbin .res file (a Microsoft Access database)"),
    (b"\x00\x01\x00\x00Standard ACE DB", "an Arbin .res file (a Microsoft Access database)"),
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file (Indigo, BEEP or similar)"),
    (b"NEWARE", "an old Neware .nda file"),
)
_CANONICAL_TIME = {"time_s", "time_ms", "time_min", "time_h"}
_CANONICAL_CURRENT = {"current_a", "current_ma"}
_CANONICAL_VOLTAGE = {"voltage_v", "voltage_mv"}


def supported() -> str:
    return ", ".join(f"{label} ({slug})" for slug, label in FORMATS)


def detect_format(head: bytes, filename: str = "") -> str:
    """The format slug for a file starting with `head` (its first ~64 KB); TestDataError naming
    the supported formats when none fits."""
    extension = os.path.splitext(filename)[1].lower()
    if not head.strip():
        raise TestDataError("the file is empty")
    if head.startswith(b"BIO-LOGIC MODULAR FILE"):
        return "biologic_mpr"
    if head.startswith(b"PK\x03\x04"):
        return _zip_format(head, extension)
    for magic, what in _UNSUPPORTED_MAGIC:
        if head.startswith(magic):
            raise _unsupported(what)
    found = _text_format(h.head_lines(head[: h.HEAD_BYTES], "latin-1"), head)
    if found is not None:
        return found
    if extension in _EXTENSIONS:
        label = LABELS[_EXTENSIONS[extension]]
        raise TestDataError(
            f"the file is named '*{extension}' but does not look like a {label}: it may be "
            f"damaged or truncated. Supported formats: {supported()}"
        )
    raise TestDataError(f"unrecognised test-data format. Supported formats: {supported()}")


def _zip_format(head: bytes, extension: str) -> str:
    if extension == ".ndax" or any(
        name in head for name in (b"VersionInfo.xml", b"Step.xml", b"TestInfo.xml", b".ndc")
    ):
        return "neware_ndax"
    if extension in (".xlsx", ".xlsm") or b"[Content_Types].xml" in head or b"xl/" in head:
        return "arbin_xlsx"
    raise TestDataError(
        "a ZIP archive that is neither an Excel workbook nor a Neware .ndax. "
        f"Supported formats: {supported()}"
    )


def _text_format(lines: list[tuple[int, int, str]], head: bytes) -> str | None:
    texts = [text for _, _, text in lines]
    if not texts:
        return None
    first = texts[0].strip()
    if first.upper().startswith("EC-LAB ASCII FILE"):
        return "biologic_mpt"
    if first.startswith("{"):
        return "bms_snapshot" if b"cell_voltages_v" in head else None
    commas = [[f.lower() for f in h.split_fields(t, ",")] for t in texts[:20]]
    nonblank = next((f for f in commas if any(f)), [])
    if _is_canonical(set(nonblank)):
        return "canonical_csv"
    # The canonical CSV as a spreadsheet with decimal commas exports it (or, with a decimal
    # point, refused by its reader naming the semicolons).
    if len(nonblank) == 1:
        semicolons = next((h.split_fields(t, ";") for t in texts[:20] if t.strip()), [])
        if _is_canonical({name.lower() for name in semicolons}):
            return "canonical_csv"
    if any(f[:1] == ["cell"] and {"voltage_v", "voltage_mv"} & set(f) for f in commas):
        return "bms_snapshot"
    if any("\t" in t and h.maccor_header(t.split("\t")) for t in texts[:40]):
        return "maccor_txt"
    tabs = texts[0].split("\t")
    if "time/s" in tabs and {"Ewe/V", "<Ewe>/V", "Ecell/V"} & set(tabs):
        return "biologic_mpt"
    if any(h.arbin_header(f) for f in commas):
        return "arbin_csv"
    fields = [h.split_fields(t.replace("\t", ""), ",") for t in texts[:4]]
    if h.neware_flat_header(fields[0]) or h.neware_regular_header(fields):
        return "neware_csv"
    if first.startswith(("[Summary]", '"[Summary]"')) or "[Data]" in first:
        raise _unsupported("a Novonix export")
    if any(t.startswith(("#RESULTS CHECK", "TestRegime")) for t in texts[:60]):
        raise _unsupported("a PEC export")
    return None


def _is_canonical(names: set[str]) -> bool:
    return bool(
        names & _CANONICAL_TIME and names & _CANONICAL_CURRENT and names & _CANONICAL_VOLTAGE
    )


def _unsupported(what: str) -> TestDataError:
    return TestDataError(
        f"this looks like {what}, which cannot be read here; convert it to the canonical CSV "
        f"(time_s, current_a, voltage_v, cycle, step). Supported formats: {supported()}"
    )
