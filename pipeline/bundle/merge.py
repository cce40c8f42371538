"""The one pass that copies every page and attached file into the bundle: qpdf's own job
(``qpdf --empty --pages … --add-attachment …``, run in-process through :class:`pikepdf.Job`).

qpdf's job copies pages between files lazily — stream data is read from each source while the
output is written — so memory stays flat however large the evidence is (pikepdf's
``copy_foreign`` instead copies stream data into memory at once). Attached files are read from
disk in the same way. Everything else (links, bookmarks, stamps, labels) is then applied to the
merged file in place by :mod:`assemble`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pikepdf


@dataclass(frozen=True)
class Piece:
    """Pages ``first``…``last`` (1-based, inclusive) of the PDF at ``path``."""

    path: Path
    first: int
    last: int

    @property
    def range(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"


@dataclass(frozen=True)
class FileAttachment:
    """A file on disk attached under ``name`` (already made safe)."""

    path: Path
    name: str
    description: str
    mime: str


class MergeFailed(Exception):
    """qpdf could not copy the pages (or files) into one PDF."""


def _pages(pieces: list[Piece]) -> list[dict[str, str]]:
    """The --pages list, with runs of pieces of one file that follow on joined into one range."""
    out: list[dict[str, str]] = []
    last: Piece | None = None
    for piece in pieces:
        if last is not None and piece.path == last.path and piece.first == last.last + 1:
            last = Piece(last.path, last.first, piece.last)
            out[-1]["range"] = last.range
            continue
        last = piece
        out.append({"file": str(piece.path.resolve()), "password": "", "range": piece.range})
    return out


# qpdf's --static-id writes this as both halves of the /ID; :func:`merge` then puts the
# caller's identity in its place (a deterministic ID would cost an MD5 pass over the whole
# output: 2.2 s of CPU for 1.3 GB of scans)
STATIC_ID = b"31415926535897932384626433832795"


def merge(pieces: list[Piece], attachments: list[FileAttachment], out: Path, stamp: str,
          identity: bytes | None = None) -> None:
    """Write ``pieces`` in order, with ``attachments`` embedded, to ``out`` (``stamp``: the PDF
    date the attachments carry). The file's /ID is ``identity`` (16 bytes the caller derives
    from everything the file is made of), else a digest of the file qpdf computes. qpdf prints
    nothing: warnings are not shown, errors raise :class:`MergeFailed`."""
    job: dict[str, object] = {
        "empty": "", "outputFile": str(out), "noWarn": "", "warningExit0": "",
        "objectStreams": "disable", "pages": _pages(pieces),
        **({"staticId": ""} if identity is not None else {"deterministicId": ""})}
    if attachments:
        job["addAttachment"] = [{"file": str(a.path.resolve()), "key": a.name, "filename": a.name,
                                 "mimetype": a.mime, "description": a.description,
                                 "creationdate": stamp, "moddate": stamp, "replace": ""}
                                for a in attachments]
    try:
        run = pikepdf.Job(json.dumps(job))
        run.run()
    except Exception as exc:
        raise MergeFailed(str(exc)) from exc
    if run.exit_code not in (0, 3) or not out.is_file():
        raise MergeFailed(f"qpdf stopped with exit code {run.exit_code}")
    if identity is not None:
        try:
            set_id(out, identity)
        except MergeFailed:  # a qpdf that writes its static /ID otherwise: let it digest the file
            merge(pieces, attachments, out, stamp)


def set_id(path: Path, identity: bytes) -> None:
    """Replace the static /ID in the trailer qpdf wrote at the end of ``path`` (same length)."""
    if len(identity) != 16:
        raise ValueError("a PDF file identifier here is 16 bytes")
    old = b"/ID [<" + STATIC_ID + b"><" + STATIC_ID + b">]"
    new = b"/ID [<" + identity.hex().encode() + b"><" + identity.hex().encode() + b">]"
    with path.open("r+b") as fh:
        end = fh.seek(0, 2)
        start = fh.seek(max(0, end - 4096))
        tail = fh.read()
        at = tail.rfind(old)
        if at < 0:
            raise MergeFailed("qpdf wrote no file identifier where it always has")
        fh.seek(start + at)
        fh.write(new)


def check_alone(path: Path, scratch: Path) -> None:
    """Copy the pages of ``path`` alone (to find which source a failed merge cannot take)."""
    try:
        with pikepdf.open(path) as pdf:
            count = len(pdf.pages)
        merge([Piece(path, 1, count)], [], scratch, "D:20000101000000Z")
    finally:
        scratch.unlink(missing_ok=True)
