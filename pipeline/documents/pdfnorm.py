"""Make LibreOffice's PDFs reproducible: fixed dates, producer and document ID, no checksum."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, ByteStringObject

from ..files import atomic_write_bytes


def pdf_date(when: dt.datetime) -> str:
    return when.strftime("D:%Y%m%d%H%M%S+00'00'")


def normalise_pdf(path: Path, when: dt.datetime, title: str, author: str, seed: bytes) -> None:
    """Rewrite ``path`` so the same content, ``when`` and ``seed`` give the same bytes."""
    writer = PdfWriter(clone_from=PdfReader(path))
    stamp = pdf_date(when)
    writer.metadata = {"/Title": title, "/Author": author, "/Creator": "isms-review",
                       "/Producer": "isms-review with LibreOffice", "/CreationDate": stamp,
                       "/ModDate": stamp}
    digest = hashlib.md5(seed + title.encode(), usedforsecurity=False).digest()
    writer._ID = ArrayObject([ByteStringObject(digest), ByteStringObject(digest)])
    buffer = io.BytesIO()
    writer.write(buffer)
    atomic_write_bytes(path, buffer.getvalue())
