"""Which files may be documents, judged from their content."""

import pytest

from suppliers.domain.documents import (
    ALLOWED,
    Detected,
    document_accept,
    document_file_problem,
    stored_name,
)

MB = 1024 * 1024
KINDS = ["safety_data_sheet", "un38_3_summary", "declaration_of_conformity", "photo",
         "test_report", "other"]  # fmt: skip
PDF = Detected("application/pdf", "pdf")
PNG = Detected("image/png", "png")


def problem(kind="safety_data_sheet", name="sds.pdf", size=1000, detected=PDF):
    return document_file_problem(
        kind=kind, name=name, size_bytes=size, limit_bytes=20 * MB, detected=detected
    )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("mime", list(ALLOWED))
def test_pdf_and_images_are_documents_and_only_images_are_photos(kind, mime):
    detected = Detected(mime, ALLOWED[mime])
    refused = problem(kind=kind, detected=detected)
    assert (refused is None) == (kind != "photo" or mime != "application/pdf")
    if refused is None:
        assert document_accept(kind, detected).content_type == mime


def test_a_pdf_sent_as_a_photo_is_refused_naming_what_it_is():
    assert problem(kind="photo", name="crash.png") == (
        "crash.png is really a PDF; a photo must be a PNG, JPEG or WebP image."
    )


def test_a_program_renamed_pdf_is_refused_naming_what_it_really_is():
    assert problem(detected=Detected("application/x-msdownload", "exe")) == (
        "sds.pdf is really a Windows program (EXE), not a PDF, PNG, JPEG or WebP file: "
        "it is refused."
    )


def test_office_files_are_refused_with_the_way_out():
    message = problem(
        kind="test_report",
        name="report.xlsx",
        detected=Detected("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          "xlsx"),
    )  # fmt: skip
    assert message.startswith("report.xlsx is really an Excel workbook (XLSX)")
    assert "Export it as PDF" in message


def test_unrecognised_and_unnamed_types():
    assert problem(detected=Detected()) == (
        "sds.pdf is not a PDF, PNG, JPEG or WebP file: its content matches none of them."
    )
    assert "is really a FLAC file" in problem(detected=Detected("audio/x-flac", "flac"))


def test_empty_and_oversized_files_are_refused_with_the_limit():
    assert problem(size=0) == "sds.pdf is empty."
    assert problem(size=20 * MB) is None
    assert problem(size=21 * MB + 1) == "sds.pdf is 21.0 MB; documents are limited to 20 MB."


def test_accepting_a_refused_type_is_a_programming_error():
    with pytest.raises(ValueError, match="check it first"):
        document_accept("photo", PDF)


@pytest.mark.parametrize(
    ("original", "extension", "stored"),
    [
        ("report.pdf", "pdf", "report.pdf"),
        ("report.PNG", "pdf", "report.pdf"),
        ("crash.jpeg", "jpg", "crash.jpeg"),
        ("crash", "jpg", "crash.jpg"),
        ("C:\\scans\\doc.pdf", "pdf", "doc.pdf"),
        ("../../etc/passwd", "pdf", "passwd.pdf"),
        (".pdf", "pdf", ".pdf.pdf"),
        ("", "png", "document.png"),
    ],
)
def test_stored_names_keep_the_stem_and_take_the_real_extension(original, extension, stored):
    assert stored_name(original, extension) == stored
