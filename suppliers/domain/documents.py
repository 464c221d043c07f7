"""Which files a document may be, judged from what its content is, never from its name.

PDF and three image formats only. Office files (XLSX, DOCX) are refused: they can carry
macros, render differently from one reader to the next, and a buyer downloads them; a test
report or certificate kept in one is exported as PDF, and raw test data go to the test-data
upload, which reads them. A photo must be an image; any other kind may be a PDF or a scan."""

from dataclasses import dataclass

PHOTO = "photo"
PDF = "application/pdf"
IMAGES = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
ALLOWED = {PDF: "pdf", **IMAGES}
NAMES = {
    PDF: "a PDF",
    "image/png": "a PNG image",
    "image/jpeg": "a JPEG image",
    "image/webp": "a WebP image",
}
# What a refused file really is, in words a supplier recognises (by filetype's extension).
FOREIGN_NAMES = {
    "exe": "a Windows program (EXE)",
    "elf": "a Linux program (ELF)",
    "mach": "a macOS program (Mach-O)",
    "dmg": "a macOS disk image",
    "zip": "a ZIP archive",
    "rar": "a RAR archive",
    "7z": "a 7-Zip archive",
    "gz": "a gzip archive",
    "tar": "a tar archive",
    "xlsx": "an Excel workbook (XLSX)",
    "xls": "an Excel workbook (XLS)",
    "docx": "a Word document (DOCX)",
    "doc": "a Word document (DOC)",
    "pptx": "a PowerPoint presentation (PPTX)",
    "gif": "a GIF image",
    "tif": "a TIFF image",
    "heic": "a HEIC image",
    "bmp": "a BMP image",
    "mp4": "an MP4 video",
    "mov": "a QuickTime video",
}
OFFICE = frozenset({"xlsx", "xls", "docx", "doc", "pptx"})
MEGABYTE = 1024 * 1024


@dataclass(frozen=True)
class Detected:
    """What a file's first bytes say it is (None where nothing was recognised)."""

    mime: str | None = None
    extension: str | None = None


@dataclass(frozen=True)
class Accepted:
    content_type: str
    extension: str  # the one the stored file is named with, whatever the upload was called


def allowed_for(kind: str) -> tuple[str, ...]:
    return tuple(IMAGES) if kind == PHOTO else tuple(ALLOWED)


def _listing(mimes: tuple[str, ...]) -> str:
    names = [NAMES[m].removeprefix("a ").removesuffix(" image") for m in mimes]
    return ", ".join(names[:-1]) + " or " + names[-1]


def document_file_problem(
    *, kind: str, name: str, size_bytes: int, limit_bytes: int, detected: Detected
) -> str | None:
    """Why this upload cannot be a document of `kind`, or None if it can."""
    if size_bytes <= 0:
        return f"{name} is empty."
    if size_bytes > limit_bytes:
        return (
            f"{name} is {size_bytes / MEGABYTE:.1f} MB; documents are limited to "
            f"{limit_bytes / MEGABYTE:.0f} MB."
        )
    allowed = allowed_for(kind)
    if detected.mime in allowed:
        return None
    what = (
        NAMES.get(detected.mime or "")
        or FOREIGN_NAMES.get(detected.extension or "")
        or (f"a {detected.extension.upper()} file" if detected.extension else None)
    )
    wanted = _listing(allowed)
    if what is None:
        return f"{name} is not a {wanted} file: its content matches none of them."
    if kind == PHOTO and detected.mime in ALLOWED:
        return f"{name} is really {what}; a photo must be a {wanted} image."
    advice = ""
    if detected.extension in OFFICE:
        advice = " Export it as PDF (raw test data go to the test-data upload instead)."
    return f"{name} is really {what}, not a {wanted} file: it is refused.{advice}"


def document_accept(kind: str, detected: Detected) -> Accepted:
    """The type a file found acceptable is stored and served as (call after the check)."""
    if detected.mime not in allowed_for(kind):
        raise ValueError(f"{detected} is not allowed for a {kind}; check it first")
    return Accepted(content_type=detected.mime, extension=ALLOWED[detected.mime])


def stored_name(original: str, extension: str) -> str:
    """The name a document is stored and downloaded under: the upload's own stem, with the
    extension of what it really is (a PDF sent as report.png downloads as report.pdf)."""
    base = original.replace("\\", "/").rsplit("/", 1)[-1].strip() or "document"
    stem, dot, own = base.rpartition(".")
    if not dot or not stem:
        stem = base
    elif own.lower() == extension or (own.lower() == "jpeg" and extension == "jpg"):
        return base
    return f"{stem}.{extension}"
