"""Save edits to a large merged PDF as an incremental update (PDF 32000-1 §7.5.6): only the
objects that were changed or added are appended, with their own cross-reference section, after
the file qpdf wrote. A bundle of scans is then written once, not twice: rewriting the whole
file would copy every image again for the sake of a few kilobytes of stamps and links.

Changes are found by comparing each object with a snapshot taken before editing, so any edit
(pikepdf helpers included) is carried. Stream data of existing streams is never replaced by the
bundle's edits (new streams are made instead); a stream whose dictionary changed is rewritten
with its raw data all the same."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pikepdf

Snapshot = dict[tuple[int, int], bytes]
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")


def _signature(obj: pikepdf.Object) -> bytes:
    if isinstance(obj, pikepdf.Stream):
        return b"S" + obj.stream_dict.unparse()
    return obj.unparse(resolved=True)


def _indirect(pdf: pikepdf.Pdf) -> list[pikepdf.Object]:
    return [obj for obj in pdf.objects if obj.is_indirect and obj.objgen[0] > 0]


def snapshot(pdf: pikepdf.Pdf) -> Snapshot:
    """Every indirect object as it is now (call before editing)."""
    return {obj.objgen: _signature(obj) for obj in _indirect(pdf)}


def _serialized(obj: pikepdf.Object) -> bytes:
    number, generation = obj.objgen
    head = f"{number} {generation} obj\n".encode()
    if isinstance(obj, pikepdf.Stream):
        raw = obj.read_raw_bytes()
        obj.stream_dict.Length = len(raw)
        return head + obj.stream_dict.unparse() + b"\nstream\n" + raw + b"\nendstream\nendobj\n"
    return head + obj.unparse(resolved=True) + b"\nendobj\n"


def append(pdf: pikepdf.Pdf, path: Path, before: Snapshot) -> int:
    """Append to ``path`` (the file ``pdf`` was opened from, unencrypted) every object of
    ``pdf`` that differs from ``before``, a cross-reference section for them and a trailer;
    return how many objects were written."""
    changed = sorted((obj for obj in _indirect(pdf)
                      if before.get(obj.objgen) != _signature(obj)), key=lambda o: o.objgen)
    with path.open("rb") as fh:
        fh.seek(0, 2)
        end = fh.tell()
        fh.seek(max(0, end - 1024))
        tail = fh.read()
    found = _STARTXREF.search(tail)
    if found is None:
        raise ValueError(f"{path.name}: no startxref at the end of the file")
    previous = int(found.group(1))
    blobs = [_serialized(obj) for obj in changed]  # all read before the file grows
    size = max([n for n, _ in before] + [obj.objgen[0] for obj in changed]) + 1
    with path.open("r+b") as fh:
        fh.seek(0, 2)
        if not tail.endswith(b"\n"):
            fh.write(b"\n")
        digest = hashlib.md5(usedforsecurity=False)
        offsets: list[tuple[int, int, int]] = []
        for obj, blob in zip(changed, blobs, strict=True):
            offsets.append((obj.objgen[0], obj.objgen[1], fh.tell()))
            fh.write(blob)
            digest.update(blob)
        xref = fh.tell()
        fh.write(b"xref\n" + _sections(offsets))
        first = pdf.trailer.get("/ID")
        original = bytes(first[0]) if isinstance(first, pikepdf.Array) and len(first) else digest.digest()
        trailer = pikepdf.Dictionary(Size=size, Root=pdf.Root, Prev=previous,
                                     ID=pikepdf.Array([pikepdf.String(original),
                                                       pikepdf.String(digest.digest())]))
        if "/Info" in pdf.trailer:
            trailer.Info = pdf.trailer.Info
        fh.write(b"trailer\n" + trailer.unparse() + f"\nstartxref\n{xref}\n%%EOF\n".encode())
    return len(changed)


def _sections(offsets: list[tuple[int, int, int]]) -> bytes:
    """Cross-reference subsections for runs of consecutive object numbers (20-byte entries)."""
    out: list[bytes] = []
    run: list[tuple[int, int, int]] = []
    for entry in offsets:
        if run and entry[0] != run[-1][0] + 1:
            out.append(_subsection(run))
            run = []
        run.append(entry)
    if run:
        out.append(_subsection(run))
    return b"".join(out)


def _subsection(run: list[tuple[int, int, int]]) -> bytes:
    lines = [f"{run[0][0]} {len(run)}\n".encode()]
    lines += [f"{offset:010d} {generation:05d} n \n".encode() for _, generation, offset in run]
    return b"".join(lines)
