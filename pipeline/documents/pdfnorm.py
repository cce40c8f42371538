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


def normalise_pdf(path: Path, when: dt.datetime, title: str, author: str,
                  seed: bytes = b"") -> pdfa.Conformance:
    """Rewrite ``path`` as PDF/A-2b so the same content and ``when`` give the same bytes;
    return what validation of the written bytes found. (``seed`` is kept for callers: the
    document ID is now derived from the content itself.)"""
    del seed
    with pikepdf.open(path) as pdf:
        pdf.docinfo = pdf.make_indirect(pikepdf.Dictionary(
            Title=pikepdf.String(title), Author=pikepdf.String(author),
            Creator=pikepdf.String("isms-review"),
            Producer=pikepdf.String("isms-review with LibreOffice")))
        pdfa.prepare(pdf, pdfa.DOCUMENTS, when)
        data = pdfa.to_bytes(pdf, pdfa.DOCUMENTS)
    conformance = pdfa.validate(data, pdfa.DOCUMENTS)
    if not conformance.passed:  # never claim PDF/A the check does not back
        data = _without_claim(data)
    atomic_write_bytes(path, data)
    return conformance


def _without_claim(data: bytes) -> bytes:
    """The same document with its PDF/A identification (XMP pdfaid) removed."""
    import io

    with pikepdf.open(io.BytesIO(data)) as pdf:
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            for key in ("pdfaid:part", "pdfaid:conformance"):
                if key in meta:
                    del meta[key]
        buffer = io.BytesIO()
        pdf.save(buffer, deterministic_id=True)
        return buffer.getvalue()
