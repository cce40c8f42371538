"""Make LibreOffice's PDFs archival and reproducible: PDF/A-2b (XMP metadata, sRGB output
intent, no open action or checksum), fixed dates, producer and a content-derived document ID.

LibreOffice embeds every font it uses, so its output needs only document-level repairs; the
result is validated with pikepdf.pdfa and the level reached is returned."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pikepdf

from .. import archival as pdfa
from ..files import atomic_write_bytes


def pdf_date(when: dt.datetime) -> str:
    return pdfa.pdf_date(when)


def prepare_document(path: Path, when: dt.datetime, title: str, author: str) -> None:
    """Rewrite ``path`` as a PDF/A-2b candidate so the same content and ``when`` give the same
    bytes. Not yet validated: see :func:`normalise_pdf` and :mod:`.pdfcheck`."""
    with pikepdf.open(path) as pdf:
        pdf.docinfo = pdf.make_indirect(pikepdf.Dictionary(
            Title=pikepdf.String(title), Author=pikepdf.String(author),
            Creator=pikepdf.String("isms-review"),
            Producer=pikepdf.String("isms-review with LibreOffice")))
        pdfa.prepare(pdf, pdfa.DOCUMENTS, when)
        data = pdfa.to_bytes(pdf, pdfa.DOCUMENTS)
    atomic_write_bytes(path, data)


def normalise_pdf(path: Path, when: dt.datetime, title: str, author: str,
                  seed: bytes = b"") -> pdfa.Conformance:
    """:func:`prepare_document`, validated at once; a file that fails loses its claim.
    (``seed`` is kept for callers: the document ID is derived from the content itself.)"""
    del seed
    prepare_document(path, when, title, author)
    conformance = pdfa.validate(path, pdfa.DOCUMENTS)
    if not conformance.passed:  # never claim PDF/A the check does not back
        withdraw_claim(path)
    return conformance


def withdraw_claim(path: Path) -> None:
    """Rewrite ``path`` without its PDF/A identification (XMP pdfaid)."""
    import io

    with pikepdf.open(path) as pdf:
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            for key in ("pdfaid:part", "pdfaid:conformance"):
                if key in meta:
                    del meta[key]
        buffer = io.BytesIO()
        pdf.save(buffer, deterministic_id=True)
    atomic_write_bytes(path, buffer.getvalue())
