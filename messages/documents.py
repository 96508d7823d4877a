"""Scanned documents attached to answers (§6.3 «электронные образы (скан-образы) документов»): PDF only.

A PDF is never re-rendered: it is stored as uploaded, under a generated name, and served only as a
download (`Content-Disposition: attachment`, `nosniff`), so a browser never runs it as a page. Before
that it must be a real PDF:

* it starts with the `%PDF-1.x` / `%PDF-2.0` header at byte 0 and ends with `%%EOF` (only white space
  after it): a file with another format's bytes before or after the PDF (an HTML/PDF or ZIP/PDF
  polyglot) is refused, and so is a file whose first kilobyte holds HTML or SVG markup;
* pypdf parses it and finds at least one page and at most ``ANSWER_PDF_MAX_PAGES``;
* it is not encrypted (nobody could open it without a password) and carries no active content: no
  JavaScript, no launch actions, no embedded files, no XFA forms, no rich media;
* it is at most ``settings.ANSWER_PDF_MAX_BYTES``.

`process_answer_files` takes all the uploads of one answer: each file goes to this check or to the
photo pipeline (messages/photos.py) by its first bytes, never by its name (a JPEG named «скан.pdf» is a
photo; an HTML page named so is refused).
"""

from __future__ import annotations

import io
import logging
import os
import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject

from .photos import MAX_FILES, ProcessedImage, process_image

PDF_EXTENSION = ".pdf"
PDF_CONTENT_TYPE = "application/pdf"
# The upload input of an answer: photos as before, and PDF scans.
ANSWER_ACCEPT = "image/jpeg,image/png,image/tiff,application/pdf,.pdf"

_HEADER = re.compile(rb"%PDF-(1\.[0-7]|2\.0)")
_EOF_TAIL = re.compile(rb"%%EOF[\x00\t\n\f\r ]*\Z")
_TAIL_WINDOW = 1024
# Markup a browser would sniff as a page, in the part of the file sniffers read.
_MARKUP = re.compile(rb"<\s*(!doctype|html|head|body|script|svg|iframe|object|embed|meta|a\s)", re.IGNORECASE)
_SNIFF_WINDOW = 1024
# Keys that make a PDF act instead of being read (ISO 32000-1 §12.6 actions, §7.11 embedded files,
# §12.7.8 XFA, Adobe's RichMedia). pypdf decodes #xx escapes in names, so /J#61vaScript is /JavaScript.
_ACTIVE_KEYS = frozenset(
    {"/JS", "/JavaScript", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/XFA", "/RichMedia", "/AA"}
)
_ACTIVE_ACTIONS = frozenset({"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/Rendition", "/Sound"})
# A bound on the object walk: a scan has a few objects per page; this keeps a crafted file cheap.
_MAX_OBJECTS = 50_000

_MESSAGES = {
    "pdf_too_large": "Файл «%(name)s» больше %(limit)s: уменьшите разрешение сканирования или разделите документ.",
    "not_pdf": (
        "Файл «%(name)s» не является документом PDF, хотя назван так. Приложите сам скан-образ в формате "
        "PDF или фотографию в формате JPEG, PNG или TIFF."
    ),
    "pdf_polyglot": (
        "Файл «%(name)s» содержит, кроме документа PDF, данные другого формата. Сохраните документ "
        "заново как обычный PDF («Печать → Сохранить как PDF» или из программы сканирования)."
    ),
    "pdf_broken": "Файл «%(name)s» повреждён или не дочитан: документ PDF не открывается.",
    "pdf_encrypted": "Файл «%(name)s» защищён паролем: приложите документ PDF без пароля и шифрования.",
    "pdf_active": (
        "Файл «%(name)s» содержит сценарии, вложенные файлы или интерактивные формы. Приложите обычный "
        "скан-образ документа в формате PDF."
    ),
    "pdf_no_pages": "В файле «%(name)s» нет ни одной страницы.",
    "pdf_too_many_pages": "В файле «%(name)s» больше %(limit)s страниц: разделите документ.",
    "not_answer_file": (
        "Файл «%(name)s» не является ни фотографией в формате JPEG, PNG или TIFF, ни документом PDF."
    ),
    "too_many": "Можно приложить не более %(max)s файлов (фотографий и документов PDF вместе, §6.3).",
}

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProcessedDocument:
    original_name: str  # the client's file name, for staff display and error messages only
    data: bytes  # the PDF as uploaded
    pages: int
    token: str  # uuid4 hex

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def storage_name(self) -> str:
        return f"documents/{self.token[:2]}/{self.token}{PDF_EXTENSION}"


def format_size(size: int) -> str:
    """«1,2 МБ», «350 КБ», «900 Б»: the size of a download as the pages show it."""
    kib, mib = 1024, 1024 * 1024
    if size >= mib:
        return f"{size / mib:.1f}".replace(".", ",") + " МБ"
    if size >= kib:
        return f"{max(1, round(size / kib))} КБ"
    return f"{size} Б"


def looks_like_pdf(data: bytes) -> bool:
    """Whether the bytes claim to be a PDF (the header at byte 0): such a file is checked as a PDF."""
    return data.startswith(b"%PDF-")


def process_document(upload: Any, *, name: str | None = None) -> ProcessedDocument:
    """Check one PDF upload; raises ValidationError (a Russian text naming the file) if it is refused."""
    original_name = _client_name(upload, name)
    shown = _display_name(original_name)
    data = _read(upload, shown)
    return _check_pdf(data, original_name, shown)


def process_answer_files(uploads: Iterable[Any]) -> tuple[list[ProcessedImage], list[ProcessedDocument]]:
    """All the files of one answer, or none: photos through messages.photos, PDFs through the checks above.

    At most MAX_FILES in all (§6.3). Every bad file gets its own error; one ValidationError carries them.
    """
    uploads = list(uploads)
    if len(uploads) > MAX_FILES:
        raise ValidationError(_MESSAGES["too_many"], code="too_many", params={"max": MAX_FILES})
    images: list[ProcessedImage] = []
    documents: list[ProcessedDocument] = []
    errors: list[ValidationError] = []
    for upload in uploads:
        original_name = _client_name(upload, None)
        shown = _display_name(original_name)
        try:
            head = _peek(upload)
            if looks_like_pdf(head):
                documents.append(_check_pdf(_read(upload, shown), original_name, shown))
            else:
                try:
                    images.append(process_image(upload))
                except ValidationError as exc:
                    if any(e.code == "not_image" for e in exc.error_list):
                        # Neither a photo nor a PDF: an HTML page renamed «скан.pdf» is told so plainly.
                        named_pdf = original_name.lower().endswith(PDF_EXTENSION)
                        raise _error("not_pdf" if named_pdf else "not_answer_file", shown) from exc
                    raise
        except ValidationError as exc:
            errors.extend(exc.error_list)
    if errors:
        raise ValidationError(errors)
    return images, documents


# Reading ---------------------------------------------------------------------------------------

_MAX_DISPLAY_NAME = 80


def _client_name(upload: Any, name: str | None) -> str:
    """The last component of the client's file name, without control characters (as for photos)."""
    if name is None:
        name = getattr(upload, "name", None)
    if not isinstance(name, str):
        return ""
    name = os.path.basename(name.replace("\\", "/"))
    return "".join(ch for ch in name if unicodedata.category(ch) != "Cc").strip()


def _display_name(name: str) -> str:
    if not name:
        return "без имени"
    if len(name) > _MAX_DISPLAY_NAME:
        half = (_MAX_DISPLAY_NAME - 1) // 2
        return f"{name[:half]}…{name[-half:]}"
    return name


def _peek(upload: Any) -> bytes:
    if isinstance(upload, bytes | bytearray | memoryview):
        return bytes(upload[:8])
    seek = getattr(upload, "seek", None)
    if seek is not None:
        seek(0)
    head = upload.read(8)
    if seek is not None:
        seek(0)
    return bytes(head)


def _read(upload: Any, shown: str) -> bytes:
    limit = settings.ANSWER_PDF_MAX_BYTES
    if isinstance(upload, bytes | bytearray | memoryview):
        data = bytes(upload)
    else:
        size = getattr(upload, "size", None)
        if isinstance(size, int) and size > limit:
            raise _error("pdf_too_large", shown, limit=format_size(limit))
        seek = getattr(upload, "seek", None)
        if seek is not None:
            seek(0)
        data = bytes(upload.read(limit + 1))
    if len(data) > limit:
        raise _error("pdf_too_large", shown, limit=format_size(limit))
    return data


# Checking --------------------------------------------------------------------------------------


def _check_pdf(data: bytes, original_name: str, shown: str) -> ProcessedDocument:
    if not _HEADER.match(data):
        raise _error("not_pdf", shown)
    if data.rfind(b"%%EOF") == -1:
        raise _error("pdf_broken", shown)  # cut off before its end
    if _MARKUP.search(data[:_SNIFF_WINDOW]) or not _EOF_TAIL.search(data[-_TAIL_WINDOW:]):
        # Markup where a browser sniffs, or another file glued after the end of the PDF.
        raise _error("pdf_polyglot", shown)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise _error("pdf_encrypted", shown)
        pages = len(reader.pages)
        if pages < 1:
            raise _error("pdf_no_pages", shown)
        if pages > settings.ANSWER_PDF_MAX_PAGES:
            raise _error("pdf_too_many_pages", shown, limit=str(settings.ANSWER_PDF_MAX_PAGES))
        if _has_active_content(reader):
            raise _error("pdf_active", shown)
    except ValidationError:
        raise
    except (
        PyPdfError,
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
        RecursionError,
        OSError,
    ) as exc:
        logger.info("PDF refused as broken: %s", exc.__class__.__name__)
        raise _error("pdf_broken", shown) from exc
    return ProcessedDocument(original_name=original_name, data=data, pages=pages, token=uuid.uuid4().hex)


def _has_active_content(reader: PdfReader) -> bool:
    """Walk every object reachable from the trailer (bounded) and look for active content."""
    stack: list[PdfObject] = [reader.trailer]
    seen: set[tuple[int, int]] = set()
    visited = 0
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            key = (node.idnum, node.generation)
            if key in seen:
                continue
            seen.add(key)
            resolved = node.get_object()
            if resolved is None:
                continue
            node = resolved
        visited += 1
        if visited > _MAX_OBJECTS:
            raise ValueError("too many objects")
        if isinstance(node, DictionaryObject):
            for name, value in node.items():
                if name in _ACTIVE_KEYS:
                    return True
                if name == "/S" and value in _ACTIVE_ACTIONS:
                    return True
                stack.append(value)
        elif isinstance(node, ArrayObject):
            stack.extend(node)
    return False


def _error(code: str, shown: str, **params: str) -> ValidationError:
    return ValidationError(_MESSAGES[code], code=code, params={"name": shown, **params})
