"""Zip containers (.xlsx, .ndax) are checked before any library inflates them: a 3 MB workbook
whose shared strings expand to over a gigabyte would otherwise hold a worker for minutes."""

from __future__ import annotations

import zipfile
from typing import BinaryIO

from ..errors import TestDataError

# What the largest real exports need, with room: 1 GiB in all, and no member inflating more
# than 200 times its compressed size (XML compresses 10-30 times; a bomb, thousands of times).
MAX_EXPANDED_BYTES = 1 << 30
MAX_RATIO = 200
_SMALL = 1 << 20  # members below 1 MiB expanded are never a danger, whatever their ratio


def check_expansion(stream: BinaryIO, vendor: str, *, limit: int = MAX_EXPANDED_BYTES) -> None:
    """TestDataError when the archive would expand beyond `limit` or a member beyond
    MAX_RATIO; a stream that is not a zip is left to the reader's own message."""
    origin = stream.tell()
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    finally:
        stream.seek(origin)
    total = sum(m.file_size for m in members)
    if total > limit:
        raise TestDataError(
            f"{vendor}: the file expands to {total / 1e6:,.0f} MB when unpacked, above the "
            f"{limit / 1e6:,.0f} MB limit for one test file; export fewer cycles per file"
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > _SMALL and ratio > MAX_RATIO:
            raise TestDataError(
                f"{vendor}: '{member.filename}' inside the file expands {ratio:,.0f} times "
                f"({member.compress_size:,} to {member.file_size:,} bytes), far beyond any "
                "real export: the file is refused rather than unpacked"
            )
