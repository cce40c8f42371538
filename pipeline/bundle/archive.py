"""The bundle's archival and integrity hooks, called from :mod:`.assemble`: PDF/A-3b
preparation, sources that cannot conform, associated files, per-page digests, and the
manifest fields that let ``verify`` check every page.

Kept apart from the assembly so the layout code stays about layout.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pikepdf

from . import pdfa
from .attach import Attachment, sha256_file
from .control import SIGNATURE_RECT, Control
from .digests import SCHEME as DIGEST_SCHEME
from .digests import page_digests
from .document_digests import document_digests
from .fonts import NumberFont, resource_dicts, share_font_files
from .fonts import number_font as _number_font
from .sources import Source

TARGET = "PDF/A-3b, validated with pikepdf.pdfa when made (a signature is added after)"
# validating costs ~4-15 ms a page (pikepdf.pdfa parses every content stream in Python):
# above this many pages the bundle is prepared as PDF/A-3b and says it was not validated
VALIDATE_PAGES = 1500


def unchecked(pages: int) -> str:
    return (f"PDF/A-3b not claimed: {pages:,} pages is over the {VALIDATE_PAGES:,} validated at "
            "build time, so the file is prepared for it (sRGB output intent, every font "
            "embedded) but does not declare it; isms-review verify --pdfa says how far it conforms")


def planned_pages(sources: list[Source], documents: dict[str, Path]) -> int:
    """Pages the bundle will at least have: the evidence and the meeting documents."""
    total = sum(s.pages for s in sources)
    for path in documents.values():
        if path.is_file():
            with pikepdf.open(path) as pdf:
                total += len(pdf.pages)
    return total
PDF_MIME = "application/pdf"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def number_font(pdf: pikepdf.Pdf) -> NumberFont:
    """The font the stamp's "Page n of N" is drawn in (embedded; PDF/A needs every font)."""
    return _number_font(pdf)


def conform_source(source: Source, blocked: list[str] | None = None) -> bool:
    """Fit a source PDF for a PDF/A bundle (embed its core fonts), or — when it cannot be
    (``blocked`` holds the reasons a first validation found) — make it an attachment that
    says why. True when its pages need fitting (done on the bundle's merged pages)."""
    if source.pdf is None:
        return False
    notes, obstacles = pdfa.fit_source(source.pdf, dry_run=True)  # done on the merged pages
    source.notes.extend(n for n in notes if n not in source.notes)
    obstacles += blocked or []
    if obstacles:
        source.pdf.close()
        source.pdf = None
        source.kind = "attachment"
        source.attach_original = True
        source.notes.append(attached_reason(obstacles, cleaned=source.attach_path is not None))
        return False
    return bool(notes)


def document_obstacle(pdf: pikepdf.Pdf, blocked: list[str] | None = None) -> str:
    """Why a meeting document's pages cannot be in a PDF/A bundle ('' when they can)."""
    _, obstacles = pdfa.fit_source(pdf, dry_run=True)
    obstacles += blocked or []
    return attached_reason(obstacles) if obstacles else ""


def attached_reason(obstacles: list[str], cleaned: bool = False) -> str:
    unique = list(dict.fromkeys(obstacles))
    what = "the original with its active content removed" if cleaned else "its original file"
    return (f"attached as {what}, not shown as pages: it cannot be part of a PDF/A "
            f"file ({'; '.join(unique[:3])}{' …' if len(unique) > 3 else ''})")


def offenders(path: Path, conformance: pdfa.Conformance,
              parts: list[tuple[str, int, int]]) -> dict[str, list[str]]:
    """Which parts (key, first page index, page count) a failed validation's findings are on:
    each finding's object is traced to the pages that use it."""
    owner: dict[tuple[int, int], set[int]] = {}
    with pikepdf.open(path) as pdf:
        for number, page in enumerate(pdf.pages):
            for ref in reachable(page.obj):
                owner.setdefault(ref, set()).add(number)
    found: dict[str, list[str]] = {}
    for located, reason in conformance.located:
        for number in owner.get(located, set()) if located is not None else set():
            key = next((k for k, start, count in parts if start <= number < start + count), None)
            if key is not None and reason not in found.setdefault(key, []):
                found[key].append(reason)
    return found


def reachable(node: Any, limit: int = 20000) -> set[tuple[int, int]]:
    """Indirect objects a page uses (not other pages, not its parents)."""
    seen: set[tuple[int, int]] = set()
    stack = [node]
    while stack and len(seen) < limit:
        item = stack.pop()
        if not isinstance(item, (pikepdf.Dictionary, pikepdf.Stream, pikepdf.Array)):
            continue
        if item.is_indirect:
            if item.objgen in seen:
                continue
            seen.add(item.objgen)
        if isinstance(item, pikepdf.Array):
            stack.extend(item)
            continue
        mapping = item.stream_dict if isinstance(item, pikepdf.Stream) else item
        for key, value in mapping.items():
            if key in ("/Parent", "/P", "/Dest", "/A"):
                continue
            if isinstance(value, pikepdf.Dictionary) and value.get("/Type") == pikepdf.Name.Page:
                continue
            stack.append(value)
    return seen


def control_attachments(control: Control, documents: dict[str, Path]) -> list[Attachment]:
    """The meeting documents as included (the agenda and pre-read as circulated) and the
    earlier workbook(s) involved, streamed from disk."""
    items = [Attachment(f"document-{path.name}", f"The {key} as included in this bundle (original file)",
                        PDF_MIME, path=path) for key, path in sorted(documents.items()) if path.is_file()]
    items += [Attachment(name, "A workbook an included document was made from", XLSX_MIME, path=path)
              for name, path in sorted(control.extra_workbooks.items())]
    return items


def prepare(pdf: pikepdf.Pdf, when: dt.datetime, declare: bool = True) -> None:
    """PDF/A-3b preparation (call after :func:`share_fonts`); ``declare``: the XMP says the file
    is PDF/A-3b (only when it is validated: a bundle too large to validate claims nothing)."""
    with _associations_in_catalog(pdf):
        pdfa.prepare(pdf, pdfa.BUNDLE, when)
    if not declare:
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            for key in ("pdfaid:part", "pdfaid:conformance", "pdfaid:amd", "pdfaid:rev"):
                if key in meta:
                    del meta[key]


def share_fonts(pdf: pikepdf.Pdf, fit: bool) -> None:
    """One copy of each distinct font for the whole bundle, then (``fit``: some source needs
    it) the sources' core fonts embedded — once per distinct font, as each source was fitted
    in memory (same notes, same obstacles). Call after stamping: the stamps' fonts are folded too."""
    resources = resource_dicts(pdf)
    share_font_files(pdf, resources)
    if fit:
        pdfa.fit_source(pdf, resources=resources)


@contextlib.contextmanager
def _associations_in_catalog(pdf: pikepdf.Pdf) -> Iterator[None]:
    """pikepdf's PDF/A-3 repair looks through every object of the file for /AF arrays (0.8 s
    of a 5,000-page bundle) to find embedded files that no /AF lists. The bundle's embedded
    files are all its own (copying pages brings no source's name tree), listed by no /AF but
    the catalog's: looking there finds the same (a pikepdf without this function: the full search)."""
    from pikepdf.pdfa import _repair

    everywhere = getattr(_repair, "associated_file_objgens", None)
    if everywhere is None:
        yield
        return
    def in_catalog(_objects: object) -> set[tuple[int, int]]:
        return set(everywhere([pdf.Root]))

    setattr(_repair, "associated_file_objgens", in_catalog)  # noqa: B010 (not exported)
    try:
        yield
    finally:
        setattr(_repair, "associated_file_objgens", everywhere)  # noqa: B010


def associate(pdf: pikepdf.Pdf) -> None:
    """Every embedded file an associated file of the bundle (PDF/A-3): the manifest is its
    data, the rest are sources of what it shows."""
    for name in list(pdf.attachments.keys()):
        pdfa.associate(pdf, name, "Data" if name == "manifest.json" else "Source")
        _mime_subtype(pdf.attachments[name].obj)
        _sizes_within_limit(pdf.attachments[name].obj)


# the largest integer a PDF/A file may hold (ISO 19005-2 6.1.13, table 1: 2^31 - 1)
PDFA_LARGEST_INTEGER = 2**31 - 1


def _sizes_within_limit(spec: Any) -> None:
    """An embedded file of 2 GiB or more records its size (/Params /Size, /DL) as an integer
    PDF/A does not allow: drop it (the entry is optional; the manifest records every file's
    bytes and SHA-256). Its stream, deflated, is usually far smaller; one that is not stays
    over the limit, and the validation says so."""
    for key in ("/F", "/UF"):
        stream = spec.get("/EF", pikepdf.Dictionary()).get(key)
        if not isinstance(stream, pikepdf.Stream):
            continue
        params = stream.get("/Params")
        holders = [stream.stream_dict, *([params] if isinstance(params, pikepdf.Dictionary) else [])]
        for holder, entry in ((h, e) for h in holders for e in ("/Size", "/DL")):
            value = holder.get(entry)
            if isinstance(value, int) and not isinstance(value, bool) and value > PDFA_LARGEST_INTEGER:
                del holder[entry]


def _mime_subtype(spec: Any) -> None:
    """PDF/A-3 wants each embedded file's /Subtype to be its MIME type as a name. A name
    holding a literal "#2F" (an escaped "/" written twice) is not one: unescape it."""
    for key in ("/F", "/UF"):
        stream = spec.get("/EF", pikepdf.Dictionary()).get(key)
        subtype = stream.get("/Subtype") if isinstance(stream, pikepdf.Stream) else None
        if subtype is not None and "#2F" in str(subtype):
            stream.Subtype = pikepdf.Name(str(subtype).replace("#2F", "/"))


def manifest_fields(pdf: pikepdf.Pdf, control: Control, documents: dict[str, Path],
                    attachments: list[Attachment], signature_page: int | None,
                    archival: str) -> dict[str, Any]:
    """What verify needs beyond the parts and files: a digest per page, the hash of every
    embedded file, every meeting document and workbook, the control status and where the
    signature goes. Call after :func:`prepare` (it may touch annotations)."""
    hashes = {item.name: sha256_file(item.path) if item.path is not None
              else hashlib.sha256(item.data).hexdigest() for item in attachments}
    meeting = []
    for key, path in sorted(documents.items()):
        info = control.documents.get(key)
        meeting.append({"document": key, "file": path.name, "sha256": sha256_file(path),
                        "version": info.version if info else control.version,
                        "status": info.status if info else control.status,
                        "workbook_sha256": info.workbook_sha256 if info else ""})
    return {
        "control": control.manifest(), "documents": meeting,
        "workbooks": [w.__dict__ for w in control.workbooks],
        "archival": archival, "attachments": dict(sorted(hashes.items())),
        "signature_box": ({"page": signature_page + 1, "rect": list(SIGNATURE_RECT)}
                          if signature_page is not None else None),
        "page_digest_scheme": DIGEST_SCHEME,
        "page_digests": page_digests(pdf),
        "document_digests": document_digests(pdf),
    }
