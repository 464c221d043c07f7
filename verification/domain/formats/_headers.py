"""Recognising headers: the light part of the vendor readers, which detect.py needs to tell formats
apart without importing pandas or the readers themselves.
"""

from __future__ import annotations

import csv
import re

HEAD_BYTES = 1 << 16
_UNIT = re.compile(r"^(.*?)[\s_]*[(\[](.*)[)\]]\s*$")


def head_lines(head: bytes, encoding: str) -> list[tuple[int, int, str]]:
    """(start, start of the next line, text) for each complete line in `head`, offsets in bytes;
    a last line cut off by the head's size is left out unless the head is the whole file."""
    lines = []
    start = 3 if head.startswith(b"\xef\xbb\xbf") else 0  # a UTF-8 byte order mark
    for match in re.finditer(rb"\r\n|\n|\r", head):
        lines.append((start, match.end(), head[start : match.start()].decode(encoding, "replace")))
        start = match.end()
    if start < len(head) and len(head) < HEAD_BYTES:
        lines.append((start, len(head), head[start:].decode(encoding, "replace")))
    return lines


def split_fields(line: str, sep: str) -> list[str]:
    return [f.strip().strip('"').strip() for f in next(csv.reader([line], delimiter=sep))]


def name_and_unit(header_name: str) -> tuple[str, str]:
    """'Test_Time(s)' -> ('testtime', 's'); 'Current [mA]' -> ('current', 'ma')."""
    match = _UNIT.match(header_name.strip())
    base, unit = (match.group(1), match.group(2)) if match else (header_name, "")
    return re.sub(r"[^a-z0-9#]", "", base.lower()), unit.strip().lower()


def arbin_header(names: list[str]) -> bool:
    keys = {name_and_unit(n)[0] for n in names}
    return {"testtime", "current", "voltage"} <= keys and bool({"cycleindex", "stepindex"} & keys)


def maccor_header(names: list[str]) -> bool:
    """Maccor's record and step columns plus a test-time column; current and voltage are checked
    afterwards, so that a missing one is named."""
    keys = {name_and_unit(n)[0] for n in names}
    return (
        bool(keys & {"rec#", "rec", "cyc#", "cyclec", "cyclep"})
        and "step" in keys
        and bool(keys & {"test", "testtime"})
    )


def neware_flat_header(names: list[str]) -> bool:
    keys = {name_and_unit(n)[0] for n in names}
    return (
        {"current", "voltage"} <= keys
        and bool({"cycleindex", "cycle"} & keys)
        and bool({"steptype", "stepname", "stepindex"} & keys)
    )


def neware_regular_header(lines: list[list[str]]) -> bool:
    return (
        len(lines) >= 3
        and bool(lines[0][:1])
        and name_and_unit(lines[0][0])[0] in ("cycleid", "cycleindex", "cycle")
        and lines[1][:1] == [""]
        and lines[2][:2] == ["", ""]
    )
