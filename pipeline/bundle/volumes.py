"""A bundle over ``--volume-size`` split into volumes, numbered as one bundle.

The bundle is laid out, merged, linked, stamped and finished as one PDF (so page numbers run on
across volumes: volume 2 starts at the page after volume 1's last, and every stamp says
"Page n of N" for the whole bundle), with a volume table at the start of each volume. Links
whose target lies in another volume become remote links (GoToR) to that volume's file before
the page digests are taken, so each page's digest is the same in the whole and in its volume.
The finished file is then cut: each volume keeps its own pages, the whole outline (entries in
other volumes as remote links), the attachments assigned to it and the manifest, and page
labels that start at its first page number.

Parts are never split: a volume ends before the part that would take it over the size, and a
part over the size alone gets a volume of its own (and a note saying so). A separator page
stays with the first document it introduces.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name

from .options import human

PAGE_BYTES = 3_000  # what a page drawn by isms-review adds (text, links): small beside evidence
NAME = re.compile(r"^(?P<stem>.+)-vol(?P<k>\d+)-of-(?P<n>\d+)$")


@dataclass
class Volume:
    number: int
    count: int
    file: str
    first: int = 0  # 0-based first page in the whole bundle
    pages: int = 0
    attachments: list[str] = field(default_factory=list)

    @property
    def last(self) -> int:
        return self.first + self.pages - 1


def file_name(out: Path, number: int, count: int) -> str:
    """``<ID>-bundle-vol2-of-3.pdf`` beside ``<ID>-bundle.pdf``."""
    return f"{out.stem}-vol{number}-of-{count}.pdf"


def base_stem(path: Path) -> str:
    """The bundle's own stem for a volume's file name (``…-bundle`` for ``…-bundle-vol2-of-3``)."""
    match = NAME.match(path.stem)
    return match.group("stem") if match else path.stem


def assign(sizes: Sequence[int], starts: Sequence[bool], limit: int,
           fixed: int = 0) -> tuple[list[int], list[int]]:
    """The volume (0-based) of each part, given each part's estimated ``sizes`` in bytes and
    whether a volume may start at it (``starts``); ``fixed`` bytes go in the first volume (the
    front matter). Returns the volumes and the parts that alone exceed ``limit``."""
    out: list[int] = []
    oversize: list[int] = []
    volume, used = 0, fixed
    n = 0
    while n < len(sizes):
        end = n + 1  # a unit: a part and those that may not start a volume after it
        while end < len(sizes) and not starts[end]:
            end += 1
        size = sum(sizes[n:end])
        if out and used + size > limit:  # volume 1 holds the front matter and a part at least
            volume, used = volume + 1, 0
        if size > limit:
            oversize.extend(i for i in range(n, end) if sizes[i] > limit)
        out += [volume] * (end - n)
        used += size
        if size > limit and end < len(sizes):  # its own volume: the next part starts another
            volume, used = volume + 1, 0
        n = end
    return out, oversize


def oversize_note(title: str, size: int, limit: int) -> str:
    return (f"{title} alone is {human(size)}, over the volume size of {human(limit)}: "
            "it has a volume of its own")


# ------------------------------------------------------------------------ in the whole file


def remote_links(objects: list[Any], volumes: list[Volume]) -> None:
    """Turn every link on a page whose target is in another volume into a remote link to the
    target's page in that volume's file (before the digests: they hash the page's links)."""
    where = _page_volumes(objects, volumes)
    for volume in volumes:
        for node in objects[volume.first:volume.last + 1]:
            for annot in node.get("/Annots", Array()):
                _remote(annot, volume, where)


def _remote(holder: Any, volume: Volume, where: dict[tuple[int, int], tuple[Volume, int]]) -> None:
    """A destination (of a link or an outline item) in another volume: a GoToR action to it."""
    dest = holder.get("/Dest")
    if isinstance(dest, Array) and len(dest) and isinstance(dest[0], Dictionary):
        target = where.get(dest[0].objgen)
        if target is not None and target[0] is not volume:
            del holder["/Dest"]
            holder.A = _go_to_r(target, dest)


def _page_volumes(objects: list[Any], volumes: list[Volume]) -> dict[tuple[int, int], tuple[Volume, int]]:
    """Page object → (its volume, its index in that volume)."""
    return {objects[page].objgen: (volume, page - volume.first)
            for volume in volumes for page in range(volume.first, volume.last + 1)}


def _go_to_r(target: tuple[Volume, int], dest: Array) -> Dictionary:
    volume, index = target
    return Dictionary(S=Name.GoToR, F=pikepdf.String(volume.file), NewWindow=False,
                      D=Array([index, *list(dest)[1:]]))


# --------------------------------------------------------------------------------- cutting


def cut(whole: Path, volumes: list[Volume], folder: Path) -> list[Path]:
    """Write each volume from the finished ``whole`` file into ``folder`` (temporary names:
    the caller publishes them); return their paths in order."""
    written = []
    for volume in volumes:
        target = folder / f".{volume.file}.part"
        with pikepdf.open(whole) as pdf:
            _keep(pdf, volume, volumes)
            pdf.save(target, deterministic_id=True, compress_streams=True, linearize=False,
                     object_stream_mode=pikepdf.ObjectStreamMode.generate,
                     fix_metadata_version=False)
        written.append(target)
    return written


def _keep(pdf: pikepdf.Pdf, volume: Volume, volumes: list[Volume]) -> None:
    """Reduce the whole bundle to one volume, in place."""
    objects = [page.obj for page in pdf.pages]
    where = _page_volumes(objects, volumes)
    _outline(pdf, volume, where)
    kept = {node.objgen for node in objects[volume.first:volume.last + 1]}
    _form_fields(pdf, kept)
    _attachments(pdf, set(volume.attachments) | {"manifest.json"})
    del pdf.pages[volume.last + 1:]
    del pdf.pages[:volume.first]
    pdf.Root.PageLabels = Dictionary(Nums=Array([0, Dictionary(S=Name.D, St=volume.first + 1)]))


def _outline(pdf: pikepdf.Pdf, volume: Volume, where: dict[tuple[int, int], tuple[Volume, int]]) -> None:
    """Outline entries pointing into another volume become remote links to it."""
    outlines = pdf.Root.get("/Outlines")
    stack = [outlines.get("/First")] if isinstance(outlines, Dictionary) else []
    seen: set[tuple[int, int]] = set()
    while stack:
        item = stack.pop()
        if not isinstance(item, Dictionary) or item.objgen in seen:
            continue
        seen.add(item.objgen)
        _remote(item, volume, where)
        stack += [item.get("/Next"), item.get("/First")]


def _form_fields(pdf: pikepdf.Pdf, kept: set[tuple[int, int]]) -> None:
    """Keep only the form fields with a widget on this volume's pages (a field elsewhere would
    carry its pages along)."""
    form = pdf.Root.get("/AcroForm")
    if not isinstance(form, Dictionary) or "/Fields" not in form:
        return
    form.Fields = Array([f for f in form.Fields if _on_pages(f, kept, 0)])


def _on_pages(node: Any, kept: set[tuple[int, int]], depth: int) -> bool:
    if not isinstance(node, Dictionary) or depth > 32:
        return False
    page = node.get("/P")
    if isinstance(page, Dictionary) and page.objgen in kept:
        return True
    kids = node.get("/Kids")
    if isinstance(kids, Array):
        inside = [k for k in kids if _on_pages(k, kept, depth + 1)]
        if len(inside) != len(kids):
            node.Kids = Array(inside)
        return bool(inside)
    return False


def _attachments(pdf: pikepdf.Pdf, keep: set[str]) -> None:
    names = pdf.Root.get("/Names")
    if not isinstance(names, Dictionary) or "/EmbeddedFiles" not in names:
        return
    tree = pikepdf.NameTree(names.EmbeddedFiles)
    gone = [name for name in tree if name not in keep]
    dropped = {tree[name].objgen for name in gone}
    for name in gone:
        del tree[name]
    if "/AF" in pdf.Root:
        pdf.Root.AF = Array([f for f in pdf.Root.AF if f.objgen not in dropped])


def publish(written: Iterable[Path], volumes: list[Volume], folder: Path) -> list[Path]:
    """Rename each written volume into place, durable first."""
    out = []
    for tmp, volume in zip(written, volumes, strict=True):
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        final = folder / volume.file
        os.replace(tmp, final)
        out.append(final)
    return out
