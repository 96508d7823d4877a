"""§6.3 «электронные образы (скан-образы) документов»: the PDF check of messages/documents.py."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from messages.documents import format_size, process_answer_files, process_document
from tests.factories import image_bytes, pdf_bytes

HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def upload(name, data):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def refused(name, data):
    with pytest.raises(ValidationError) as caught:
        process_answer_files([upload(name, data)])
    return caught.value.error_list[0]


def test_a_real_pdf_is_accepted_as_uploaded():
    """§6.3: a scan in PDF is kept byte for byte, with its page count, under a generated name."""
    data = pdf_bytes(3)
    images, documents = process_answer_files([upload("Акт приёмки.pdf", data)])
    assert images == []
    [document] = documents
    assert document.data == data
    assert document.pages == 3
    assert document.size == len(data)
    assert document.original_name == "Акт приёмки.pdf"
    assert document.storage_name == f"documents/{document.token[:2]}/{document.token}.pdf"
    assert "Акт" not in document.storage_name


def test_photos_and_pdfs_together_up_to_four_files():
    """§6.3, §4.6: at most four files of both kinds together."""
    files = [upload("a.pdf", pdf_bytes()), SimpleUploadedFile("b.jpg", image_bytes())]
    images, documents = process_answer_files(files)
    assert (len(images), len(documents)) == (1, 1)
    five = [upload(f"{i}.pdf", pdf_bytes()) for i in range(3)] + [
        SimpleUploadedFile(f"{i}.jpg", image_bytes()) for i in range(2)
    ]
    with pytest.raises(ValidationError) as caught:
        process_answer_files(five)
    assert caught.value.error_list[0].code == "too_many"
    assert "не более 4 файлов" in caught.value.messages[0]


def test_html_renamed_pdf_is_refused():
    """§6.3: a page of HTML named «скан.pdf» is not a document; the error names the file."""
    error = refused("скан.pdf", HTML)
    assert error.code == "not_pdf"
    assert "«скан.pdf» не является документом PDF" in error.message % error.params


@pytest.mark.parametrize(
    "data,code",
    [
        (pdf_bytes() + HTML, "pdf_polyglot"),  # HTML glued after %%EOF
        (b"%PDF-1.4\n" + HTML + pdf_bytes()[9:], "pdf_polyglot"),  # markup where browsers sniff
        (HTML + pdf_bytes(), "not_pdf"),  # the header not at byte 0
        (pdf_bytes()[:200], "pdf_broken"),  # cut off
        (b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n", "pdf_broken"),  # no PDF structure
        (pdf_bytes(javascript=True), "pdf_active"),
        (pdf_bytes(password="secret"), "pdf_encrypted"),
    ],
    ids=["html-after-eof", "html-in-header", "html-before", "truncated", "junk", "javascript", "encrypted"],
)
def test_fake_polyglot_and_active_pdfs_are_refused(data, code):
    """§6.3: only a plain, complete PDF; polyglots, scripts and passwords are refused with a clear text."""
    assert refused("scan.pdf", data).code == code


def test_obfuscated_javascript_name_is_found():
    """A name written with #xx escapes (/J#61vaScript) is the same name to a PDF reader."""
    data = pdf_bytes(javascript=True).replace(b"/JavaScript", b"/J#61vaScript")
    assert refused("scan.pdf", data).code == "pdf_active"


def test_size_limit_is_a_setting(settings):
    """ANSWER_PDF_MAX_BYTES: the file is refused before it is parsed, with the limit in the text."""
    settings.ANSWER_PDF_MAX_BYTES = 1024
    data = pdf_bytes(12)
    assert len(data) > 1024
    error = refused("big.pdf", data)
    assert error.code == "pdf_too_large"
    assert "больше 1 КБ" in error.message % error.params


def test_page_limit_is_a_setting(settings):
    settings.ANSWER_PDF_MAX_PAGES = 2
    assert refused("long.pdf", pdf_bytes(3)).code == "pdf_too_many_pages"


def test_a_jpeg_named_pdf_is_a_photo_and_other_files_are_named_in_the_error():
    """The first bytes decide, never the name: a JPEG called «scan.pdf» goes through the photo pipeline."""
    images, documents = process_answer_files([upload("scan.pdf", image_bytes())])
    assert (len(images), len(documents)) == (1, 0)
    error = refused("notes.txt", b"just text")
    assert error.code == "not_answer_file"
    assert "ни фотографией" in error.message % error.params


def test_every_bad_file_gets_its_own_error():
    with pytest.raises(ValidationError) as caught:
        process_answer_files([upload("one.pdf", HTML), upload("two.pdf", pdf_bytes(javascript=True))])
    messages = caught.value.messages
    assert len(messages) == 2
    assert "one.pdf" in messages[0] and "two.pdf" in messages[1]


def test_process_document_alone():
    assert process_document(upload("x.pdf", pdf_bytes())).pages == 1


@pytest.mark.parametrize(
    "size,text", [(900, "900 Б"), (350 * 1024, "350 КБ"), (int(1.2 * 1024 * 1024), "1,2 МБ")]
)
def test_format_size(size, text):
    """«Документ, PDF, 1,2 МБ»: sizes as the pages show them."""
    assert format_size(size) == text
