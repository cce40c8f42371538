"""Files attached to the bundle without holding them in memory: files on disk are embedded by
qpdf's job while it writes the merged pages (see :mod:`merge`: it reads them from disk as it
writes, and records their size and MD5 checksum); small generated content (the manifest) is
added in place afterwards. Hashes are taken in chunks."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from pikepdf import Dictionary, Name

from .merge import FileAttachment


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


def from_disk(items: list[Attachment]) -> list[FileAttachment]:
    """The attachments qpdf embeds from disk while merging."""
    return [FileAttachment(item.path, item.name, item.description, item.mime)
            for item in items if item.path is not None]


def attach_data(pdf: pikepdf.Pdf, items: list[Attachment], stamp: str) -> None:
    """Add the in-memory ``items`` to the document's EmbeddedFiles (beside those on disk)."""
    if "/Names" not in pdf.Root:
        pdf.Root.Names = Dictionary()
    names = pdf.Root.Names
    tree = pikepdf.NameTree(names.EmbeddedFiles) if "/EmbeddedFiles" in names else pikepdf.NameTree.new(pdf)
    for item in items:
        if item.path is not None:
            continue
        stream = pikepdf.Stream(pdf, item.data)
        stream.Type = Name.EmbeddedFile
        stream.Subtype = Name("/" + item.mime.replace("/", "#2F"))
        stream.Params = Dictionary(Size=len(item.data), ModDate=pikepdf.String(stamp),
                                   CreationDate=pikepdf.String(stamp),
                                   CheckSum=pikepdf.String(
                                       hashlib.md5(item.data, usedforsecurity=False).digest()))
        stream = pdf.make_indirect(stream)
        tree[item.name] = pdf.make_indirect(Dictionary(
            Type=Name.Filespec, F=pikepdf.String(item.name), UF=pikepdf.String(item.name),
            Desc=pikepdf.String(item.description), EF=Dictionary(F=stream, UF=stream)))
    names.EmbeddedFiles = tree.obj
