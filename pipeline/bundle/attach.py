"""Files attached to the bundle without holding them in memory: each file becomes the one
stream of a small PDF written by streaming (see :mod:`rawpdf`), whose stream is copied into the
bundle; qpdf reads the data from disk while it writes the bundle. Hashes are taken in chunks."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from pikepdf import Dictionary, Name

from .rawpdf import RawPdf, deflated, file_chunks

# already-compressed formats are stored as they are; everything else is deflated while copied
STORED = {".pdf", ".zip", ".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp", ".jpg", ".jpeg",
          ".png", ".gif", ".gz", ".xz", ".bz2", ".7z", ".mp4", ".mp3", ".docm", ".xlsm", ".pptm"}


def sha256_file(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


@dataclass(frozen=True)
class Attachment:
    name: str  # the name shown and extracted (already made safe)
    description: str
    mime: str
    path: Path | None = None  # streamed from disk, or
    data: bytes = b""  # small generated content (the manifest)


class Attacher:
    """Collects attachments for one bundle; keeps the carrier PDFs open until the bundle is
    written (call :meth:`close` afterwards)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._open: list[pikepdf.Pdf] = []

    def stream_of(self, pdf: pikepdf.Pdf, item: Attachment) -> pikepdf.Stream:
        if item.path is None:
            stream = pikepdf.Stream(pdf, item.data)
            size = len(item.data)
        else:
            carrier_path = self.workdir / f"attachment-{len(self._open):05d}.pdf"
            carrier = RawPdf()
            carrier.add(b"<< /Type /Catalog /Pages 2 0 R >>")
            carrier.add(b"<< /Type /Pages /Kids [] /Count 0 >>")
            stored = item.path.suffix.lower() in STORED
            chunks = file_chunks(item.path)
            carrier.add(b"<< >>" if stored else b"<< /Filter /FlateDecode >>",
                        chunks if stored else deflated(chunks))
            carrier.write(carrier_path)
            opened = pikepdf.open(carrier_path)
            self._open.append(opened)
            copied = pdf.copy_foreign(opened.get_object(3, 0))
            assert isinstance(copied, pikepdf.Stream)
            stream = copied
            size = item.path.stat().st_size
        stream.Type = Name.EmbeddedFile
        stream.Subtype = Name("/" + item.mime.replace("/", "#2F"))
        stream.Params = Dictionary(Size=size)
        return stream

    def attach(self, pdf: pikepdf.Pdf, items: list[Attachment], stamp: str) -> None:
        """Add ``items`` to the document's EmbeddedFiles (replacing any there)."""
        tree = pikepdf.NameTree.new(pdf)
        for item in items:
            stream = self.stream_of(pdf, item)
            stream.Params.ModDate = pikepdf.String(stamp)
            stream.Params.CreationDate = pikepdf.String(stamp)
            spec = pdf.make_indirect(Dictionary(
                Type=Name.Filespec, F=pikepdf.String(item.name), UF=pikepdf.String(item.name),
                Desc=pikepdf.String(item.description),
                EF=Dictionary(F=pdf.make_indirect(stream), UF=pdf.make_indirect(stream))))
            tree[item.name] = spec
        if "/Names" not in pdf.Root:
            pdf.Root.Names = Dictionary()
        pdf.Root.Names.EmbeddedFiles = tree.obj

    def close(self) -> None:
        for opened in self._open:
            opened.close()
        self._open.clear()
