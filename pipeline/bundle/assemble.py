"""Assemble the evidence bundle: cover, index, coverage matrix, documents, evidence by input,
manifest — one PDF with nested bookmarks, index links, page labels and a stamp on every page.

Merging is one pass of qpdf's own job (:mod:`merge`): pages and attached files are copied
from disk without re-encoding and without holding their data in memory. The merged file is then
opened and edited in place (links, bookmarks, form names, page labels, stamps, PDF/A-3b
preparation, per-page digests, the manifest) and saved straight to the output. Each page gets
one extra content stream (the page's own content is wrapped in q … Q by one shared stream first,
so its graphics state cannot move the stamp) drawing a form XObject made once per bundle (the
static text, in an embedded Unicode font) and the evidence ID and "Page n of N" in an embedded
font (see :func:`.fonts.number_font`). The stamp is placed on the
page *as displayed*: the visible box (CropBox within MediaBox, any origin) and /Rotate are
taken into account.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, OutlineItem

from .. import office
from ..errors import UserError
from ..files import atomic_write_bytes
from ..workbook.inputs import RESULTS_CLAUSE, RESULTS_REF, RESULTS_TITLE, input_specs
from ..workbook.model import WorkbookData
from . import archive, fonts, margins, pages, pdfa, update, volumes
from .attach import Attachment, attach_data, from_disk, sha256_file
from .control import Control, default_control, signature_page
from .control import cover_rows as control_rows
from .errortext import describe_error
from .isolation import PartFailed, blame
from .merge import FileAttachment, MergeFailed, Piece, check_alone, merge, set_id
from .names import safe_name, unique
from .options import BundleOptions, human
from .sources import Source, collect
from .textlayer import ranges

Groups = dict[str, tuple[str, str]]  # input ref → (clause, title), in contract order


def groups(data: WorkbookData) -> Groups:
    """The evidence groups: every input of the contract, then the results of the review."""
    out = {spec.ref: (spec.clause, spec.title) for spec in input_specs(data.contract)}
    out[RESULTS_REF] = (RESULTS_CLAUSE, RESULTS_TITLE)
    return out


DOCUMENTS = (("agenda", "Agenda"), ("pre-read", "Pre-read pack"), ("minutes", "Minutes"),
             ("minutes-form", "Minutes form"))
STAMP_SIZE = 7.0
STAMP_MARGIN = 8.0


class BundleProblems(UserError):
    def __init__(self, lines: list[str]) -> None:
        super().__init__("the evidence bundle cannot be made:\n" + "\n".join(f"  - {x}" for x in lines)
                         + "\nFix these, or build with --allow-incomplete to mark them missing.")
        self.lines = lines


@dataclass
class Part:
    key: str
    title: str
    pdf: pikepdf.Pdf
    parent: str = ""  # outline parent key ("" = top level)
    source: Source | None = None
    start: int = 0
    outline: list[tuple[str, int, list[Any]]] = field(default_factory=list)
    drawn: pages.Drawn | None = None
    views: dict[tuple[str, int], Any] = field(default_factory=dict)  # outline entry → view
    link_views: dict[tuple[int, int], Any] = field(default_factory=dict)  # (page, annot) → view
    label: str = ""  # the stamp's text before "· Page n of N" (evidence parts carry their ID)
    banded: bool = False  # a margin band is added for the stamp (pages not drawn by us)
    file: Path | None = None  # where the merge copies the pages from (drawn parts: the canvas)

    @property
    def pages(self) -> int:
        return self.drawn.pages if self.drawn is not None else len(self.pdf.pages)


@dataclass
class BundleResult:
    path: Path
    manifest_path: Path
    pages: int
    complete: bool
    problems: list[str]
    sha256: str
    warnings: list[str] = field(default_factory=list)  # files included, with something to check
    pdfa: str = ""  # the PDF/A level the written file was validated at ("none" if not)
    pdfa_detail: str = ""
    blocked: dict[str, list[str]] = field(default_factory=dict)  # parts that break PDF/A: why
    volumes: list[Path] = field(default_factory=list)  # with --volume-size: every volume, in order


_EMPTY = pikepdf.new()


# ------------------------------------------------------------------------ source outlines


def _dest_page(pdf: pikepdf.Pdf, dest: Any, names: dict[str, Any]) -> int | None:
    """Page index a destination (explicit array or name) points to, in its own document."""
    found = _dest(pdf, dest, names)
    return found[0] if found is not None else None


def _dest_view(dest: Any, names: dict[str, Any]) -> list[Any] | None:
    """The view part of a destination (/XYZ left top zoom, /FitH top …), to keep it."""
    if isinstance(dest, (pikepdf.String, str, pikepdf.Name)):
        dest = names.get(str(dest).lstrip("/"))
    if isinstance(dest, pikepdf.Dictionary) and "/D" in dest:
        dest = dest.D
    if isinstance(dest, pikepdf.Array) and len(dest) > 1:
        return list(dest)[1:]
    return None


def _dest(pdf: pikepdf.Pdf, dest: Any, names: dict[str, Any]) -> tuple[int, list[Any] | None] | None:
    view = _dest_view(dest, names)
    if isinstance(dest, (pikepdf.String, str, pikepdf.Name)):
        dest = names.get(str(dest).lstrip("/"))
    if isinstance(dest, pikepdf.Dictionary) and "/D" in dest:
        dest = dest.D
    if isinstance(dest, pikepdf.Array) and len(dest) > 0:
        target = dest[0]
        if isinstance(target, int):
            return int(target), view
        try:
            return int(pdf.pages.index(pikepdf.Page(target))), view
        except Exception:
            return None
    return None


def _named_dests(pdf: pikepdf.Pdf) -> dict[str, Any]:
    names: dict[str, Any] = {}
    root_names = pdf.Root.get("/Names")
    if root_names is not None and "/Dests" in root_names:
        # a damaged name tree only means its links are left as they are
        with contextlib.suppress(Exception):
            for key, value in pikepdf.NameTree(root_names.Dests).items():
                names[str(key)] = value
    if "/Dests" in pdf.Root:
        for key, value in pdf.Root.Dests.items():
            names[str(key).lstrip("/")] = value
    return names


def _read_outline(pdf: pikepdf.Pdf, views: dict[tuple[str, int], Any] | None = None
                  ) -> list[tuple[str, int, list[Any]]]:
    """The outline as (title, page, children); ``views`` gets each entry's view (XYZ …)."""
    names = _named_dests(pdf)
    views = {} if views is None else views

    def walk(items: list[OutlineItem]) -> list[tuple[str, int, list[Any]]]:
        out = []
        for item in items:
            dest: Any = item.destination
            if dest is None and item.action is not None and item.action.get("/S") == Name.GoTo:
                dest = item.action.get("/D")
            found = _dest(pdf, dest, names)
            if found is not None:
                views[str(item.title), found[0]] = found[1]
                out.append((str(item.title), found[0], walk(list(item.children))))
        return out

    try:
        with pdf.open_outline() as outline:
            return walk(list(outline.root))
    except Exception:
        return []


def _link_targets(pdf: pikepdf.Pdf, views: dict[tuple[int, int], Any] | None = None
                  ) -> dict[int, list[int | None]]:
    """Per page that has annotations, per annotation: the page index an internal link goes to
    (None otherwise); ``views`` gets each link's view (XYZ …)."""
    names: dict[str, Any] | None = None
    views = {} if views is None else views
    result: dict[int, list[int | None]] = {}
    for number, page in enumerate(pdf.pages):
        annots = page.obj.get("/Annots")
        if annots is None:
            continue
        if names is None:
            names = _named_dests(pdf)
        row: list[int | None] = []
        for annot in annots:
            target = None
            if annot.get("/Subtype") == Name.Link:
                dest = annot.get("/Dest")
                action = annot.get("/A")
                if dest is None and action is not None and action.get("/S") == Name.GoTo:
                    dest = action.get("/D")
                found = _dest(pdf, dest, names) if dest is not None else None
                if found is not None:
                    target = found[0]
                    views[number, len(row)] = found[1]
            row.append(target)
        result[number] = row
    return result


# --------------------------------------------------------------------------------- layout


def _body(documents: dict[str, Path], sources: list[Source], canvas: pages.Canvas,
          groups: Groups, blocked: dict[str, list[str]], work: Path) -> list[Part]:
    """Meeting documents, then evidence by input in clause order (separator pages, placeholders
    and image pages drawn on ``canvas``; their PDFs filled in by :func:`_cut`)."""
    parts: list[Part] = []
    for name, title in DOCUMENTS:
        path = documents.get(name)
        if path is not None and path.is_file():
            pdf = pikepdf.open(path, access_mode=pikepdf.AccessMode.stream)
            reason = archive.document_obstacle(pdf, blocked.get(f"doc:{name}"))
            if reason:  # its pages would break PDF/A: attached (as every document is) instead
                parts.append(Part(f"doc:{name}", title, _EMPTY, "documents", drawn=canvas.separator(
                    f"{title}: {path.name}", f"The {title.lower()} is {reason}.", [])))
                continue
            part = Part(f"doc:{name}", title, pdf, "documents", banded=True, file=path)
            part.outline = _read_outline(pdf, part.views)
            parts.append(part)
    for ref, (clause, title) in groups.items():
        own = [s for s in sources if s.group == ref]
        cited = [s for s in sources if ref in s.refs and s.group != ref]
        if not own and not cited:
            continue
        lines = [f"{', '.join(s.ids)}  {s.title}" for s in own]
        lines += [f"{', '.join(s.ids)}  {s.title} (filed under {groups[s.group][0]})" for s in cited]
        sep = canvas.separator(f"{clause} {title}",
                               f"Evidence for input {ref}: {len(own) + len(cited)} document(s).", lines)
        parts.append(Part(f"sep:{ref}", f"{clause} {title}", _EMPTY, "evidence",
                          drawn=sep))
        for source in own:
            # PDF/A: embed core fonts, or attach the file instead when it cannot conform
            if archive.conform_source(source, blocked.get(f"ev:{source.id}")):
                source.fitted = True  # done again on the merged pages (see _edit), not saved here
            part = Part(f"ev:{source.id}", f"{source.id} {source.title}", _EMPTY, f"sep:{ref}", source)
            if source.problem:
                part.drawn = canvas.placeholder(f"{', '.join(source.ids)} {source.title}", source.problem)
            elif source.pdf is None:  # an attachment
                part.drawn = canvas.separator(
                    f"{source.id} {source.title}",
                    f"The file '{source.rel}' is embedded in this PDF as the attachment "
                    f"'{source.attachment_name}' (open the attachments panel of your PDF reader)."
                    + "".join(f" It is {n}." for n in source.notes if n.startswith("attached")),
                    [f"SHA-256 {source.sha256}"])
            else:
                part.pdf, part.banded, part.file = source.pdf, True, source.pdf_path
                part.outline = _read_outline(source.pdf, part.views)
            part.label = source.id
            parts.append(part)
    return parts


def _index_rows(front: dict[str, int], parts: list[Part], sources: list[Source], groups: Groups,
                manifest_start: int) -> list[pages.Row]:
    row = pages.Row
    rows = [row(("Cover and document control", "1"), ("cover", "cover"), True),
            row(("Index", str(front["index"] + 1)), ("index", "index"), True),
            row(("Clause coverage matrix", str(front["matrix"] + 1)), ("matrix", "matrix"), True)]
    starts = {p.key: p for p in parts}
    if "vol:1" in starts:
        rows.append(row(("Volumes", str(starts["vol:1"].start + 1)), ("vol:1", "vol:1"), True))
    docs = [p for p in parts if p.key.startswith("doc:")]
    if docs:
        rows.append(row(("Meeting documents", str(docs[0].start + 1)), (docs[0].key,) * 2, True))
        rows += [row((f"    {p.title}", span(p.start, p.pages)), (p.key,) * 2) for p in docs]
    for ref in groups:
        sep = starts.get(f"sep:{ref}")
        if sep is None:
            continue
        rows.append(row((f"Evidence {sep.title}", str(sep.start + 1)), (sep.key,) * 2, True))
        for source in sources:
            if ref not in source.refs and source.group != ref:
                continue
            part = starts[f"ev:{source.id}"]
            mark = "" if source.group == ref else f" (see {groups[source.group][0]})"
            missing = "  [MISSING]" if source.problem else ""
            rows.append(row((f"    {', '.join(source.ids)}  {source.title}{mark}{missing}",
                             span(part.start, part.pages)), (part.key,) * 2))
    if "signature" in starts:
        rows.append(row(("Approval and signature", str(starts["signature"].start + 1)),
                        ("signature",) * 2, True))
    rows.append(row(("Manifest of source files", str(manifest_start + 1)), ("manifest",) * 2, True))
    return rows


def _index_intro(total: int) -> str:
    return (f"{total} pages. Every entry links to its page; the page numbers are those stamped at "
            "the foot of each page.")


MATRIX_INTRO = ("Each input of ISO/IEC 27001:2022 clause 9.3.2 and the results of 9.3.3, with where "
                "it was put on the agenda, analysed in the pre-read, minuted, and evidenced. Page "
                "references link to the page.")
MANIFEST_INTRO = ("Every evidence file as received: its SHA-256 is of the original bytes, before any "
                  "conversion. The same list is attached to this PDF as JSON.")


def _matrix_rows(parts: list[Part], sources: list[Source], groups: Groups, agenda_items: dict[str, int],
                 doc_pages: dict[str, int], outcomes: Mapping[str, str]) -> list[pages.Row]:
    row = pages.Row
    rows = []
    by_key = {p.key: p for p in parts}
    for ref, (clause, title) in groups.items():
        item = agenda_items.get(ref)
        agenda = f"Item {item}" if item else "—"
        pre = doc_pages.get(f"pre:{ref}")
        minutes = doc_pages.get(f"min:{ref}")
        evidence: list[Source | None] = [s for s in sources if ref in s.refs]
        first = True
        for source in evidence or [None]:
            cells = (f"{clause} {title}" if first else "",
                     agenda if first else "", (f"p. {pre + 1}" if pre is not None else "—") if first else "",
                     (f"p. {minutes + 1}" if minutes is not None else "—") if first else "",
                     "none" if source is None else
                     f"{source.id} p. {by_key[f'ev:{source.id}'].start + 1}")
            links = ("", "doc:agenda" if first and item and "doc:agenda" in by_key else "",
                     f"pre:{ref}" if first and pre is not None else "",
                     f"min:{ref}" if first and minutes is not None else "",
                     f"ev:{source.id}" if source is not None else "")
            outcome = f"Outcome: {outcomes.get(ref) or 'none recorded'}" if first and outcomes else ""
            rows.append(row(cells, links, first, outcome))
            first = False
    return rows


def span(start: int, count: int) -> str:
    """Bundle pages of a part: "12–14", or "12" for a single page."""
    return str(start + 1) if count <= 1 else f"{start + 1}–{start + count}"


def _status(s: Source) -> str:
    notes = [*s.notes, *s.warnings]
    if s.no_text:
        notes.append(f"no text layer on {len(s.no_text)} page(s): {ranges(s.no_text)} of the file")
    return s.problem or "; ".join(notes) or "included"


def _manifest_rows(sources: list[Source], parts: list[Part]) -> list[pages.Row]:
    by_key = {p.key: p for p in parts}
    rows = []
    for s in sources:
        part = by_key[f"ev:{s.id}"]
        rows.append(pages.Row((", ".join(s.ids), s.title, ", ".join(s.refs), s.owner,
                               s.date.isoformat() if s.date else "", span(part.start, part.pages),
                               f"{s.size:,}" if s.size else "—"),
                              ("", "", "", "", "", f"ev:{s.id}", ""),
                              sub=f"SHA-256 {s.sha256 or '—'} · {_status(s)}"))
        for removal in s.removed:  # every removal, with the page it was on
            page = "" if removal.page is None else str(part.start + removal.page)
            rows.append(pages.Row((s.id, "  active content removed", "", "", "", page, ""),
                                  ("", "", "", "", "", f"ev:{s.id}" if page else "", ""),
                                  sub=f"    {removal}"))
    return rows


VOLUME_COLUMNS = (("Volume and what it holds", "Pages"), (85, 15))


def _volume_intro(count: int) -> str:
    return (f"The bundle is in {count} volumes, numbered as one: each volume starts at the page after "
            "the last page of the one before. Keep the volume files together in one folder: a link "
            "to a page in another volume opens that volume's file.")


def _part_bytes(part: Part) -> int:
    """What a part is expected to add to a volume: its file's size (drawn pages: a little per
    page), plus the original when it travels as an attachment."""
    if part.file is not None and part.drawn is None:
        size = part.file.stat().st_size
    else:
        size = volumes.PAGE_BYTES * max(part.pages, 1)
    if part.source is not None and part.source.attach_original and not part.source.problem:
        attached = part.source.attach_path
        size += attached.stat().st_size if attached is not None else part.source.size
    return size


def _plan_volumes(body: list[Part], limit: int, out: Path, fixed: int
                  ) -> tuple[list[Part], list[volumes.Volume], dict[str, str]]:
    """Which volume each part of the body goes in: the body with a volume table before the
    first part of each volume, the volumes, and a note for each part alone over the size.
    One volume is no split: the body comes back as it was."""
    sizes = [_part_bytes(p) for p in body]
    starts = [n == 0 or not body[n - 1].key.startswith("sep:") for n in range(len(body))]
    which, oversize = volumes.assign(sizes, starts, limit, fixed)
    count = max(which, default=0) + 1
    if count == 1:
        return body, [], {}
    vols = [volumes.Volume(k + 1, count, volumes.file_name(out, k + 1, count)) for k in range(count)]
    placed: list[Part] = []
    for n, part in enumerate(body):
        if n == 0 or which[n] != which[n - 1]:
            placed.append(Part(f"vol:{which[n] + 1}", f"Volume {which[n] + 1} of {count}", _EMPTY,
                               drawn=pages.Drawn(-1, 1)))
        placed.append(part)
    notes = {body[i].key: volumes.oversize_note(body[i].title, sizes[i], limit) for i in oversize}
    return placed, vols, notes


def _volume_spans(parts: list[Part], vols: list[volumes.Volume], total: int) -> None:
    firsts = [0, *[p.start for p in parts if p.key.startswith("vol:")][1:]]
    for n, volume in enumerate(vols):
        volume.first = firsts[n]
        volume.pages = (firsts[n + 1] if n + 1 < len(firsts) else total) - firsts[n]


def _volume_rows(parts: list[Part], vols: list[volumes.Volume], notes: dict[str, str]) -> list[pages.Row]:
    """Every volume (file, pages) and, under it, the documents and evidence it holds."""
    rows: list[pages.Row] = []
    for part in parts:
        if part.key.startswith("vol:"):
            volume = vols[int(part.key[4:]) - 1]
            rows.append(pages.Row((f"{part.title}: {volume.file}", span(volume.first, volume.pages)),
                                  (part.key,) * 2, True))
        elif part.key.startswith(("doc:", "ev:")) and rows:
            mark = "  (alone over the volume size: a volume of its own)" if part.key in notes else ""
            rows.append(pages.Row((f"    {part.title}{mark}", span(part.start, part.pages)),
                                  (part.key,) * 2))
    return rows


def _volume_attachments(vols: list[volumes.Volume], parts: list[Part], items: list[Attachment],
                        sources: list[Source]) -> None:
    """Each evidence file's original travels in the volume of its pages; every other attached
    file (workbooks, meeting documents) in volume 1, and the manifest in every volume."""
    starts = {p.key: p.start for p in parts}
    names = _attachment_names(sources)
    home = {name: next(v for v in vols if v.first <= starts[f"ev:{sid}"] <= v.last)
            for sid, name in names.items()}
    for item in items:
        home.get(item.name, vols[0]).attachments.append(item.name)


MANIFEST_COLUMNS = (("Evidence", "Title", "Inputs", "Owner", "Date", "Bundle pages", "Bytes"),
                    (12, 38, 8, 16, 10, 10, 8))
INDEX_COLUMNS = (("Part", "Pages"), (85, 15))
MATRIX_COLUMNS = (("Input", "Agenda", "Pre-read", "Minutes", "Evidence"), (34, 11, 11, 11, 33))


# ------------------------------------------------------------------------------ assembly


def _sequence(cover: pages.Drawn, index: pages.Drawn, matrix: pages.Drawn, body: list[Part],
              manifest: pages.Drawn) -> list[Part]:
    parts = [Part("cover", "Cover and document control", _EMPTY, drawn=cover),
             Part("index", "Index", _EMPTY, drawn=index),
             Part("matrix", "Clause coverage matrix", _EMPTY, drawn=matrix), *body,
             Part("manifest", "Manifest of source files", _EMPTY, drawn=manifest)]
    start = 0
    for part in parts:
        part.start = start
        start += part.pages
    return parts


def _visible_box(node: Any) -> tuple[float, float, float, float]:
    media = [float(v) for v in (node.get("/MediaBox") or [0, 0, 612, 792])]
    crop = node.get("/CropBox")
    box = [float(v) for v in crop] if crop is not None else media
    mx0, my0, mx1, my1 = _normal_box(media)
    x0, y0, x1, y1 = _normal_box(box)
    return max(x0, mx0), max(y0, my0), min(x1, mx1), min(y1, my1)


def _normal_box(box: list[float]) -> tuple[float, float, float, float]:
    return min(box[0], box[2]), min(box[1], box[3]), max(box[0], box[2]), max(box[1], box[3])


def stamp_matrix(box: tuple[float, float, float, float], rotate: int, width: float,
                 margin: float = STAMP_MARGIN, scale: float = 1.0) -> tuple[float, ...]:
    """The cm matrix that puts a stamp ``width`` wide, upright and centred at the foot of the
    page as displayed (box = visible box in user space, rotate = /Rotate clockwise; ``scale``:
    user-space units per point, below 1 on a page with a /UserUnit)."""
    x0, y0, x1, y1 = box
    rotate %= 360
    shown_width = (y1 - y0) if rotate in (90, 270) else (x1 - x0)
    u0, v0 = (shown_width - width * scale) / 2, margin * scale
    s = scale
    if rotate == 90:
        return (0, s, -s, 0, x1 - v0, y0 + u0)
    if rotate == 180:
        return (-s, 0, 0, -s, x1 - u0, y1 - v0)
    if rotate == 270:
        return (0, -s, s, 0, x0 + v0, y1 - u0)
    return (s, 0, 0, s, x0 + u0, y0 + v0)


def _shown_width(box: Box, rotate: int) -> float:
    return (box[3] - box[1]) if rotate % 360 in (90, 270) else (box[2] - box[0])


def _widened(node: Any, box: Box, rotate: int, need: float) -> Box:
    """Grow a page too narrow for its stamp sideways (as displayed), evenly on both sides, so
    the stamp is shown whole and at its size; the page's content stays where it was."""
    grow = (need - _shown_width(box, rotate)) / 2
    for key in margins.BOXES:
        value = node.get(key)
        if value is None:
            continue
        x0, y0, x1, y1 = (float(v) for v in value)
        x0, x1, y0, y1 = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
        if rotate % 360 in (90, 270):
            node[key] = Array([x0, y0 - grow, x1, y1 + grow])
        else:
            node[key] = Array([x0 - grow, y0, x1 + grow, y1])
    if rotate % 360 in (90, 270):
        return (box[0], box[1] - grow, box[2], box[3] + grow)
    return (box[0] - grow, box[1], box[2] + grow, box[3])


def _in_numbers(text: str) -> bool:
    """Whether ``text`` can be set in the stamp's embedded number font (WinAnsi, glyph known)."""
    try:
        codes = text.encode(fonts.WINANSI)
    except UnicodeEncodeError:
        return False
    widths = fonts.number_widths()
    return all(code in widths for code in codes)


def _literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


Label = tuple[Any, float, float]  # the label's form XObject, its width and height


def _stamp_pages(pdf: pikepdf.Pdf, objects: list[Any], labels: list[Label],
                 plan: list[tuple[int, bool, str]]) -> None:
    """Stamp every page: ``plan[i]`` = (which label, whether to add a margin band first, text
    set in the number font before the label: the evidence ID, when that font can show it). Pages
    carry their own boxes, /Rotate and /Resources after the merge (qpdf pushes inherited ones
    down), so this touches each page dictionary directly (pikepdf's helpers cost ~4x more)."""
    xobjects = [xobject for xobject, _, _ in labels]
    numbers = archive.number_font(pdf)  # embedded, so the bundle can be PDF/A
    font = numbers.obj
    opener, closer = pdf.make_stream(b"q\n"), pdf.make_stream(b"Q\n")
    clips: dict[Box, Any] = {}
    total = len(objects)
    stamped: set[tuple[int, int, int]] = set()
    prefixes: dict[tuple[Any, ...], bytes] = {}  # most pages share a geometry: format it once
    shapes: dict[tuple[bytes, bytes, int, bool, float], Shape] = {}
    widths: dict[tuple[str, int, int], float] = {}
    for number, node in enumerate(objects, start=1):
        which, banded, lead = plan[number - 1]
        _, label_w, label_h = labels[which]
        before, box, rotate, grown, unit = _shape(node, banded, shapes)
        if grown is not None:
            for name, value in zip(("/MediaBox", "/CropBox"), grown, strict=True):
                if value is not None:
                    node[name] = value
        digits = len(str(number))
        if banded:  # a page narrower than its stamp (a label, a ticket) is widened for it
            size = widths.get((lead, which, digits))
            if size is None:
                size = widths[(lead, which, digits)] = _stamp_width(numbers, lead, label_w, digits, total)
            need = (size + 8) / unit
            if _shown_width(box, rotate) < need:
                box = _widened(node, box, rotate, need)
        key = (box, rotate, digits, which, before, lead, unit)
        prefix = prefixes.get(key)
        if prefix is None:
            lead_w = numbers.width(lead, STAMP_SIZE)
            width = _stamp_width(numbers, lead, label_w, digits, total)
            margin = (margins.BAND - label_h) / 2 + 1 if banded else STAMP_MARGIN
            a, b, c, d, e, f = stamp_matrix(box, rotate, width, margin, 1 / unit)
            band = _band_fill(before, box) if before is not None else ""
            baseline = label_h / 2 - STAMP_SIZE * 0.3
            text = f"BT /IsrStampF {STAMP_SIZE:g} Tf 0 g"
            first = f"{text} 0 {baseline:.2f} Td ({_literal(lead)}) Tj ET " if lead else ""
            prefix = prefixes[key] = ("" if before is not None else "Q ").encode() + (
                f"{band}q {a:g} {b:g} {c:g} {d:g} {e:.2f} {f:.2f} cm 1 g -2 -1.5 {width + 4:.2f} "
                f"{label_h + 2:.2f} re f 0 g 0 G {first}q 1 0 0 1 {lead_w:.2f} 0 cm /IsrStamp{which} Do Q "
                f"{text} {lead_w + label_w:.2f} {baseline:.2f} Td ( \xb7 Page ").encode("cp1252")
        resources = node.get("/Resources")
        if resources is None:
            node.Resources = resources = Dictionary()
        shared = (*resources.objgen, which)
        if resources.objgen == (0, 0) or shared not in stamped:  # a shared resources dict: once
            stamped.add(shared)
            for kind, name, value in (("/XObject", f"/IsrStamp{which}", xobjects[which]),
                                      ("/Font", "/IsrStampF", font)):
                if kind not in resources:
                    resources[kind] = Dictionary()
                resources[kind][name] = value
        content = pdf.make_stream(prefix + f"{number} of {total}) Tj ET Q\n".encode())
        existing = node.get("/Contents")
        if isinstance(existing, Array):
            original = list(existing)
        else:
            original = [existing] if existing is not None else []
        if before is None:  # our own page: its content is balanced, the stamp goes on top
            node.Contents = Array([opener, *original, content])
            continue
        # a source's page: the stamp is drawn first, in the band, so nothing the page's content
        # does (an unmatched Q, a transform or clip left in force) can move or hide it; the
        # content is clipped to the box it showed before the band was added
        clip = clips.get(before)
        if clip is None:
            x0, y0, x1, y1 = before
            clip = clips[before] = pdf.make_stream(
                f"q {x0:g} {y0:g} {x1 - x0:g} {y1 - y0:g} re W n\n".encode())
        node.Contents = Array([content, clip, *original, closer])


Box = tuple[float, float, float, float]
# visible box before the band (None: no band), after it, /Rotate, grown (MediaBox, CropBox),
# user-space units per point (/UserUnit)
Shape = tuple[Box | None, Box, int, tuple[Any, Any] | None, float]


def _stamp_width(numbers: Any, lead: str, label_w: float, digits: int, total: int) -> float:
    return float(numbers.width(lead, STAMP_SIZE) + label_w
                 + numbers.width(f" \xb7 Page {'0' * digits} of {total}", STAMP_SIZE))


def _user_unit(node: Any) -> float:
    """A page's /UserUnit (points per user-space unit), 1 when absent or unusable."""
    unit = node.get("/UserUnit")
    try:
        value = float(unit) if unit is not None else 1.0
    except (TypeError, ValueError):
        return 1.0
    return value if 0.01 <= value <= 75000 else 1.0


def _shape(node: Any, banded: bool, shapes: dict[tuple[bytes, bytes, int, bool, float], Shape]) -> Shape:
    """A page's geometry for its stamp, worked out once per distinct set of boxes (reading and
    writing a page's boxes through pikepdf costs more than the rest of the stamp)."""
    media, crop, rotate = node.get("/MediaBox"), node.get("/CropBox"), node.get("/Rotate")
    unit = _user_unit(node) if "/UserUnit" in node else 1.0
    key = (media.unparse() if media is not None else b"", crop.unparse() if crop is not None else b"",
           int(rotate) if rotate is not None else 0, banded, unit)
    shape = shapes.get(key)
    if shape is None:
        probe = Dictionary(Rotate=key[2])
        if media is not None:
            probe.MediaBox = media
        if crop is not None:
            probe.CropBox = crop
        before = _visible_box(probe) if banded else None
        grown = None
        if banded:
            margins.add_band(probe, margins.BAND / unit)
            grown = (probe.get("/MediaBox"), probe.get("/CropBox"))
        shape = shapes[key] = (before, _visible_box(probe), key[2], grown, unit)
    return shape


def _band_fill(before: tuple[float, float, float, float], after: tuple[float, float, float, float]) -> str:
    """Paint the added band white (it may show media-box content the crop box hid)."""
    x0, y0, x1, y1 = after
    bx0, by0, bx1, by1 = before
    rects = []
    if by0 > y0:
        rects.append((x0, y0, x1 - x0, by0 - y0))
    if y1 > by1:
        rects.append((x0, by1, x1 - x0, y1 - by1))
    if bx0 > x0:
        rects.append((x0, y0, bx0 - x0, y1 - y0))
    if x1 > bx1:
        rects.append((bx1, y0, x1 - bx1, y1 - y0))
    return "".join(f"q 1 g {x:.2f} {y:.2f} {w:.2f} {h:.2f} re f Q " for x, y, w, h in rects)


def _fix_links(objects: list[Any], part: Part, targets: dict[int, list[int | None]]) -> None:
    """Point the part's internal links at its pages in the bundle (names would collide)."""
    for offset, row in targets.items():
        annots = objects[part.start + offset].get("/Annots")
        if annots is None:
            continue
        for n, (annot, target) in enumerate(zip(annots, row, strict=False)):
            if target is None or target >= part.pages:
                continue
            if "/A" in annot:
                del annot["/A"]
            annot.Dest = margins.view(objects[part.start + target], part.link_views.get((offset, n)))


def _prefix_fields(pdf: pikepdf.Pdf, objects: list[Any], parts: list[Part]) -> None:
    """Give each part's form fields (the merge keeps those of the meeting documents; evidence
    forms are flattened) a parent named after the part, so names never collide."""
    form = pdf.Root.get("/AcroForm")
    if not isinstance(form, Dictionary):
        return
    moved: set[tuple[int, int]] = set()
    parents = []
    for part in parts:
        tops: list[Any] = []
        for node in objects[part.start:part.start + part.pages]:
            for annot in node.get("/Annots", Array()):
                if annot.get("/Subtype") != Name.Widget:
                    continue
                top = annot
                for _ in range(64):
                    if top.get("/Parent") is None:
                        break
                    top = top.Parent
                if top.objgen not in moved and "/T" in top:
                    moved.add(top.objgen)
                    tops.append(top)
        if tops:
            parent = pdf.make_indirect(Dictionary(T=pikepdf.String(part.key.replace(":", "_")),
                                                  Kids=Array(tops)))
            for top in tops:
                top.Parent = parent
            parents.append(parent)
    kept = [f for f in form.get("/Fields", Array()) if f.objgen not in moved]
    form.Fields = Array([*kept, *parents])


Entries = list[tuple[str, int, list[Any]]]


def _outline_items(objects: list[Any], part: Part, entries: Entries) -> Iterator[OutlineItem]:
    for title, page, children in entries:
        if page < part.pages:
            item = OutlineItem(title, margins.view(objects[part.start + page],
                                                   part.views.get((title, page))))
            item.children.extend(_outline_items(objects, part, children))
            yield item


def _write_outline(pdf: pikepdf.Pdf, objects: list[Any], parts: list[Part]) -> None:
    with pdf.open_outline() as outline:
        groups: dict[str, OutlineItem] = {}
        for part in parts:
            item = OutlineItem(part.title, margins.view(objects[part.start]))
            item.children.extend(_outline_items(objects, part, part.outline))
            if part.parent == "documents":
                if "documents" not in groups:
                    groups["documents"] = OutlineItem("Meeting documents", item.destination)
                    outline.root.append(groups["documents"])
                groups["documents"].children.append(item)
            elif part.parent == "evidence":
                if "evidence" not in groups:
                    groups["evidence"] = OutlineItem("Evidence by input", item.destination)
                    outline.root.append(groups["evidence"])
                groups["evidence"].children.append(item)
                groups[part.key] = item
            elif part.parent:
                groups[part.parent].children.append(item)
            else:
                outline.root.append(item)


def _add_links(pdf: pikepdf.Pdf, objects: list[Any], part: Part, drawn: pages.Drawn,
               targets: dict[str, int]) -> None:
    for spot in drawn.links:
        target = targets.get(spot.key)
        if target is None:
            continue
        page = objects[part.start + spot.page]
        link = Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=Array(list(spot.rect)),
                          Border=Array([0, 0, 0]), Dest=margins.view(objects[target]))
        if "/Annots" not in page:
            page.Annots = Array()
        page.Annots.append(pdf.make_indirect(link))


def _flatten(entries: Entries) -> Iterator[tuple[str, int]]:
    for title, page, children in entries:
        yield title, page
        yield from _flatten(children)


def _doc_anchors(parts: list[Part], groups: Groups) -> dict[str, int]:
    """Pages of each input's pre-read section and minutes item, from the documents' bookmarks."""
    anchors: dict[str, int] = {}
    for part in parts:
        prefix = {"doc:pre-read": "pre", "doc:minutes": "min", "doc:minutes-form": "min"}.get(part.key)
        if prefix is None:
            continue
        flat = list(_flatten(part.outline))
        for ref, (clause, _) in groups.items():
            for title, page in flat:
                if clause in title and f"{prefix}:{ref}" not in anchors:
                    anchors[f"{prefix}:{ref}"] = part.start + page
    return anchors


def make_bundle(data: WorkbookData, workbook: Path, evidence_dir: Path, out: Path,
                documents: dict[str, Path] | None = None, *, allow_incomplete: bool = False,
                when: dt.datetime, agenda_items: dict[str, int] | None = None,
                title: str = "Management review evidence bundle",
                options: BundleOptions | None = None,
                control: Control | None = None,
                outcomes: Mapping[str, str] | None = None) -> BundleResult:
    """Write the bundle to ``out`` (atomically, as PDF/A-3b) and its manifest JSON beside it.
    Each evidence file is prepared on its own; one that fails while being assembled is set
    aside with its problem and the bundle is made again without it. A file whose pages break
    PDF/A is attached instead, and the bundle made again; if PDF/A is still not reached the
    cover says so. ``control`` (from the issue register) gives the status stamp; without it
    the bundle is a draft, or the record when the workbook records its approval."""
    options = options or BundleOptions()
    control = control or default_control(data)
    blocked: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="isms-review-bundle-") as tmp, \
            contextlib.ExitStack() as stack, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # library warnings never reach the terminal (notes instead)
        work = Path(tmp)
        sources = collect(data, evidence_dir, work, options)
        stack.callback(_close_all, sources)
        _check_bundle_size(sources, options)
        planned = archive.planned_pages(sources, documents or {})
        check = planned <= archive.VALIDATE_PAGES
        archival = archive.TARGET if check else archive.unchecked(planned)
        for _ in range(len(sources) + 3):
            try:
                result = _assemble(data, workbook, sources, out, documents or {}, work,
                                   allow_incomplete=allow_incomplete, when=when,
                                   agenda_items=agenda_items or {}, title=title, control=control,
                                   archival=archival, blocked=blocked,
                                   outcomes=outcomes or {}, check=check,
                                   volume_bytes=options.volume_bytes)
                if result.pdfa != "none":
                    return result
                if result.blocked and not set(result.blocked) <= set(blocked):
                    blocked = {**blocked, **result.blocked}  # attach those, and make it again
                elif archival == archive.TARGET:
                    archival = result.pdfa_detail  # the cover must not claim PDF/A
                else:
                    return result
            except PartFailed as failed:
                source = failed.source
                if source.pdf is not None:
                    source.pdf.close()
                source.pdf = None
                source.problem = (f"'{source.rel}' could not be put into the bundle "
                                  f"({describe_error(failed.cause)}); open it and save or export it "
                                  "to PDF again. If it keeps failing, report this file as a bug.")
        raise RuntimeError("bundle assembly kept failing")


def _close_all(sources: list[Source]) -> None:
    for source in sources:
        if source.pdf is not None:
            source.pdf.close()


def _check_bundle_size(sources: list[Source], options: BundleOptions) -> None:
    total = sum(s.size for s in sources if not s.problem)
    if total > options.max_bundle_bytes:
        biggest = sorted((s for s in sources if not s.problem), key=lambda s: -s.size)[:3]
        raise UserError(f"the evidence adds up to {human(total)}, over the limit of "
                        f"{human(options.max_bundle_bytes)} per bundle (--max-bundle-size); the "
                        "largest files are " + ", ".join(f"{s.rel} ({human(s.size)})" for s in biggest)
                        + ". Leave some out, or raise the limit.")


Labels = tuple[list[pages.Drawn], list[tuple[float, float]], dict[str, tuple[int, str]]]


def _labels(canvas: pages.Canvas, sources: list[Source], base: str) -> Labels:
    """The stamp labels, drawn in the bundle's Unicode font: the bundle's own (index 0), and
    for each evidence file with pages, which label its stamp draws and the text set before it
    in the embedded number font — its ID, or "" when that font cannot show the ID (then it gets a label of its
    own, ID included: drawing one label per file costs more than the rest of the stamping)."""
    label, width, height = canvas.label(base, STAMP_SIZE)
    drawn, sizes = [label], [(width, height)]
    index: dict[str, tuple[int, str]] = {"": (0, "")}
    for source in sources:
        if source.pdf is None:
            continue
        lead = f"{source.id} \xb7 "
        if _in_numbers(lead):
            index[source.id] = (0, lead)
            continue
        label, width, height = canvas.label(lead + base, STAMP_SIZE)
        index[source.id] = (len(drawn), "")
        drawn.append(label)
        sizes.append((width, height))
    return drawn, sizes, index


def _cover_extra(sources: list[Source]) -> list[tuple[str, str]]:
    rows = []
    blind = [s for s in sources if s.no_text]
    if blind:
        count = sum(len(s.no_text) for s in blind)
        ids = ", ".join(s.id for s in blind[:8]) + (f" and {len(blind) - 8} more" if len(blind) > 8 else "")
        rows.append(("Searchable text", f"{count} page(s) in {len(blind)} file(s) have no text layer "
                     f"(scans or pictures): {ids}; listed in the manifest"))
    else:
        rows.append(("Searchable text", "every evidence page has a text layer"))
    removed = [s for s in sources if s.removed]
    rows.append(("Active content", f"{sum(len(s.removed) for s in removed)} item(s) removed from "
                 f"{len(removed)} file(s), listed in the manifest" if removed
                 else "none found in the evidence"))
    if any(s.kind == "office" for s in sources):
        rows.append(("Office conversion", office.protection().describe()))
    return rows


def _assemble(data: WorkbookData, workbook: Path, sources: list[Source], out: Path,
              documents: dict[str, Path], work: Path, *, allow_incomplete: bool, when: dt.datetime,
              agenda_items: dict[str, int], title: str, control: Control, archival: str,
              blocked: dict[str, list[str]], outcomes: Mapping[str, str],
              check: bool = True, volume_bytes: int | None = None) -> BundleResult:
    problems = [f"{', '.join(s.ids)} ({s.rel}): {s.problem}" for s in sources if s.problem]
    problems += control.missing
    review = data.review
    texts = [str(v) for v in review.fields.values() if v is not None]
    texts += [t for s in sources for t in (s.title, s.owner, s.rel, *s.ids)]
    unshowable = pages.uncovered(texts)
    if unshowable and pages.cjk_font() is None:
        problems.append("no installed font can show " + "".join(unshowable[:20])
                        + "; install fonts-wqy-microhei (make setup does)")
    if problems and not allow_incomplete:
        raise BundleProblems(problems)
    rid = str(review.get("Review ID") or "")
    classification = str(review.get("Classification") or "")
    complete = not problems
    status = "COMPLETE" if complete else f"INCOMPLETE ({len(problems)} item(s) missing)"
    workbook_sha = sha256_file(workbook)
    workbooks = "\n".join(f"{w.file} ({w.role})\nSHA-256 {w.sha256}" for w in control.workbooks) \
        or f"{workbook.name}\nSHA-256 {workbook_sha}"
    cover_rows = [("Organisation", str(review.get("Organisation") or "")), ("Review", rid),
                  ("Document", title), ("Version", control.version),
                  ("Classification", classification),
                  ("Approval", f"Recorded in the workbook: approved by {review.get('Approved by')} on "
                   f"{review.get('Approved on')}" if review.get("Approved on") else "Not yet approved"),
                  ("Period reviewed", f"{review.get('Period start')} to {review.get('Period end')}"),
                  ("Data cut-off", str(review.get("Data cut-off") or "")),
                  ("Generated", when.strftime("%Y-%m-%d %H:%M UTC")),
                  ("Source workbook(s)", workbooks),
                  ("Evidence files", f"{len(sources)} ({len(problems)} missing)"
                   if problems else str(len(sources))), *_cover_extra(sources),
                  ("Archival format", archival), *control_rows(control, data)]
    fallback = bool(unshowable)
    boxes = pages.unshowable(unshowable)
    glyphs = [f"the bundle's own pages (cover, index, stamps) show {''.join(boxes[:20])} as empty "
              "boxes: their fonts (DejaVu Sans, and WenQuanYi and Symbola as fallbacks) do not "
              "have them (a script such as Devanagari); write those titles or names in Latin "
              "letters too"] if boxes else []
    canvas = pages.Canvas(when, fallback)
    cover_drawn = canvas.cover(title, cover_rows, status)
    groups_ = groups(data)
    body = _body(documents, sources, canvas, groups_, blocked, work)
    body.append(Part("signature", "Approval and signature", _EMPTY,
                     drawn=signature_page(canvas, control, data)))
    vols: list[volumes.Volume] = []
    oversize: dict[str, str] = {}
    if volume_bytes is not None:
        fixed = workbook.stat().st_size + sum(p.stat().st_size for p in documents.values() if p.is_file())
        body, vols, oversize = _plan_volumes(body, volume_bytes, out, fixed)
        if vols:  # the cover says so (drawn again: the first one's page is left unused)
            at = next(n for n, (label, _) in enumerate(cover_rows) if label == "Evidence files") + 1
            cover_rows.insert(at, ("Volumes", f"{len(vols)} volumes of at most {human(volume_bytes)}, "
                                   f"numbered as one: this is volume 1 of {len(vols)}; each volume "
                                   "starts with the list of what every volume holds"))
            cover_drawn = canvas.cover(title, cover_rows, status)
    label_drawn, label_sizes, label_index = _labels(
        canvas, sources, f"{rid} \xb7 {classification} \xb7 {control.stamp}")
    sizes = {"index": 1, "matrix": 1, "manifest": 1, **({"volumes": 1} if vols else {})}
    volume_rows: list[pages.Row] = []
    for _ in range(6):  # lay out until the front matter's length no longer moves the pages
        for part in body:
            if part.key.startswith("vol:"):
                part.drawn = pages.Drawn(-1, sizes["volumes"])
        parts = _sequence(cover_drawn, pages.Drawn(-1, sizes["index"]),
                          pages.Drawn(-1, sizes["matrix"]), body, pages.Drawn(-1, sizes["manifest"]))
        total = parts[-1].start + sizes["manifest"]
        front = {p.key: p.start for p in parts[:3]}
        index_rows = _index_rows(front, parts, sources, groups_, parts[-1].start)
        matrix_rows = _matrix_rows(parts, sources, groups_, agenda_items, _doc_anchors(parts, groups_),
                                   outcomes)
        manifest_rows = _manifest_rows(sources, parts)
        new = {"index": canvas.table_pages(_index_intro(total), len(index_rows)),
               "matrix": canvas.table_pages(MATRIX_INTRO, len(matrix_rows), sub=bool(outcomes)),
               "manifest": canvas.table_pages(MANIFEST_INTRO, len(manifest_rows), "L", 7, True)}
        if vols:
            _volume_spans(parts, vols, total)
            volume_rows = _volume_rows(parts, vols, oversize)
            new["volumes"] = canvas.table_pages(_volume_intro(len(vols)), len(volume_rows))
        if new == sizes:
            break
        sizes = new
    index = canvas.table("Index", _index_intro(total), *INDEX_COLUMNS, index_rows)
    matrix = canvas.table("Clause coverage matrix", MATRIX_INTRO, *MATRIX_COLUMNS, matrix_rows,
                          sub=bool(outcomes))
    manifest = canvas.table("Manifest of source files", MANIFEST_INTRO, *MANIFEST_COLUMNS,
                            manifest_rows, "L", 7, True)
    drawn_sizes = {"index": index.pages, "matrix": matrix.pages, "manifest": manifest.pages}
    for part in body:
        if part.key.startswith("vol:"):
            part.drawn = canvas.table(part.title, _volume_intro(len(vols)), *VOLUME_COLUMNS, volume_rows)
            drawn_sizes["volumes"] = part.drawn.pages
    if drawn_sizes != sizes:  # the arithmetic layout must match the drawing, or numbers are wrong
        raise RuntimeError(f"bundle layout mismatch: drawn {drawn_sizes}, planned {sizes}")
    parts = _sequence(cover_drawn, index, matrix, body, manifest)
    canvas_path = canvas.save(work / "canvas.pdf")
    total = parts[-1].start + parts[-1].pages
    links: dict[str, dict[int, list[int | None]]] = {}
    for part in parts:
        if part.source is not None or part.key.startswith("doc:"):
            with blame(part.source):
                links[part.key] = _link_targets(part.pdf, part.link_views)
    items = [*_attachments(sources, workbook), *archive.control_attachments(control, documents)]
    if vols:
        _volume_spans(parts, vols, total)
        _volume_attachments(vols, parts, items, sources)
    stamp = when.strftime("D:%Y%m%d%H%M%SZ")
    signature = next(p for p in parts if p.key == "signature")
    manifest_json = ""

    def finish(pdf: pikepdf.Pdf, revisions: int) -> None:
        """After stamping: PDF/A-3b preparation, then the manifest (with per-page digests and
        the number of revisions the bundle is written with, so verify counts them as its own)."""
        nonlocal manifest_json
        archive.prepare(pdf, when, declare=check)  # PDF/A-3b: output intent, XMP, print flags
        extra = archive.manifest_fields(pdf, control, documents, items,
                                        signature.start + signature.pages - 1, archival)
        extra["revisions"] = revisions
        if vols:
            extra["volumes"] = [{"volume": v.number, "file": v.file, "first_page": v.first + 1,
                                 "last_page": v.last + 1, "attachments": sorted(v.attachments)}
                                for v in vols]
        manifest_json = _manifest_json(data, workbook.name, workbook_sha, sources, parts, status,
                                       total, extra)
        attach_data(pdf, [Attachment("manifest.json", "Manifest of the bundle (JSON)",
                                     "application/json", data=manifest_json.encode())], stamp)
        archive.associate(pdf)

    with _temporary(out) as merged:
        _merge(parts, [Piece(canvas_path, d.first + 1, d.first + d.pages) for d in label_drawn],
               canvas_path, items, merged, stamp, work)
        written = _edit(merged, out, parts, sources, total, label_sizes, label_index, links,
                        (index, matrix, manifest), groups_, finish, vols, Dictionary(
            Title=pikepdf.String(f"{title} — {rid}"), Subject=pikepdf.String(
                f"ISO/IEC 27001:2022 clause 9.3 management review {rid}; {classification}"),
            Keywords=pikepdf.String(f"ISMS; management review; {rid}; {status}"),
            Author=pikepdf.String(str(review.get("Document owner") or "")),
            Creator=pikepdf.String("isms-review"), Producer=pikepdf.String("isms-review (pikepdf)"),
            CreationDate=pikepdf.String(stamp), ModDate=pikepdf.String(stamp)))
    manifest_path = out.with_name(out.stem + "-manifest.json")
    notes = [f"{key[3:]}: {note}" for key, note in oversize.items()]
    if vols:
        return _volume_result(written, vols, manifest_path, manifest_json, total, complete, problems,
                              [*_warnings(sources), *notes, *glyphs], check)
    (digest,), (conformance,) = _hashed_while_validated(written, check)
    size = out.stat().st_size
    sidecar = {**json.loads(manifest_json), "bundle": {
        "file": out.name, "sha256": digest, "unsigned_sha256": digest, "bytes": size,
        "pdfa": conformance.level, "pdfa_findings": conformance.findings}}
    atomic_write_bytes(manifest_path, json.dumps(sidecar, indent=2, ensure_ascii=False).encode())
    offenders = {} if conformance.passed or not check else archive.offenders(
        out, conformance, [(p.key, p.start, p.pages) for p in parts if p.key.startswith(("ev:", "doc:"))])
    return BundleResult(out, manifest_path, total, complete, problems, digest, [*_warnings(sources), *glyphs],
                        conformance.level, conformance.summary(),
                        {k: v for k, v in offenders.items() if k not in blocked})


def _warnings(sources: list[Source]) -> list[str]:
    return [f"{', '.join(s.ids)} ({s.rel}): {w}" for s in sources for w in s.warnings]


def _hashed_while_validated(paths: list[Path], check: bool) -> tuple[list[str], list[pdfa.Conformance]]:
    """The SHA-256 of each written file, computed in a thread while the files' PDF/A is
    validated here (hashing lets other threads run: a few GB of scans hash in the time the
    validation takes instead of after it)."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="isms-hash")
    try:
        hashes = [pool.submit(sha256_file, path) for path in paths]
        results = [pdfa.validate(path, pdfa.BUNDLE) if check else
                   pdfa.Conformance(pdfa.BUNDLE, False, checked=False) for path in paths]
        return [h.result() for h in hashes], results
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _volume_result(written: list[Path], vols: list[volumes.Volume],
                   manifest_path: Path, manifest_json: str, total: int, complete: bool,
                   problems: list[str], warned: list[str], check: bool) -> BundleResult:
    """The sidecar of a bundle in volumes records each volume's file, SHA-256 and pages; the
    PDF/A level is the lowest any volume reaches."""
    hashes, results = _hashed_while_validated(written, check)
    conformance = next((c for c in results if not c.passed), results[0])
    entries = [{"volume": v.number, "file": v.file, "sha256": digest, "bytes": path.stat().st_size,
                "first_page": v.first + 1, "last_page": v.last + 1}
               for v, path, digest in zip(vols, written, hashes, strict=True)]
    sidecar = {**json.loads(manifest_json), "bundle": {
        "volumes": entries, "pdfa": conformance.level, "pdfa_findings": conformance.findings}}
    atomic_write_bytes(manifest_path, json.dumps(sidecar, indent=2, ensure_ascii=False).encode())
    return BundleResult(written[0], manifest_path, total, complete, problems, hashes[0],
                        warned, conformance.level, conformance.summary(), volumes=list(written))


# A merged file this big gets the edits appended as an incremental update instead of being
# rewritten: its pages (scans, large attachments) are written once, not twice. The manifest then
# says the bundle has 2 revisions of its own, which verify accepts (anything after them is
# appended after the fact); appended runs are byte-identical (test_bundle_update). Smaller
# bundles are rewritten, compactly (object streams): there the rewrite costs little.
APPEND_ABOVE = 64 * 2**20
# ... but not at or above 2 GiB: the appended trailer's /Prev (where the merged file's own
# cross-reference section starts) would be an integer beyond what PDF/A allows, so such a file
# is rewritten (without object streams, so its /ID is patched in place, not digested)
APPEND_BELOW = archive.PDFA_LARGEST_INTEGER


def _edit(merged: Path, out: Path, parts: list[Part], sources: list[Source], total: int,
          label_sizes: list[tuple[float, float]], label_index: dict[str, tuple[int, str]],
          links: dict[str, dict[int, list[int | None]]],
          tables: tuple[pages.Drawn, pages.Drawn, pages.Drawn], groups_: Groups,
          finish: Callable[[pikepdf.Pdf, int], None], vols: list[volumes.Volume],
          info: Dictionary) -> list[Path]:
    """Open the merged file, add links, form names, bookmarks, page labels, stamps and the
    document info, then ``finish`` it (PDF/A, digests, manifest), and write the bundle to
    ``out``: a large merged file gets
    the edits appended as an incremental update (its pages are not copied a second time), a
    small one is rewritten compactly (object streams)."""
    index, matrix, manifest = tables
    size = merged.stat().st_size
    append = APPEND_ABOVE <= size < APPEND_BELOW
    with pikepdf.open(merged, access_mode=pikepdf.AccessMode.stream) as pdf:
        before = update.snapshot(pdf) if append else None
        objects = [page.obj for page in pdf.pages]
        labels = [(pdf.make_indirect(pikepdf.Page(objects[total + n]).as_form_xobject()), w, h)
                  for n, (w, h) in enumerate(label_sizes)]
        del pdf.pages[total:]  # the labels' pages: only their form XObjects stay
        objects = objects[:total]
        targets: dict[str, int] = {}
        for part in parts:
            targets[part.key] = part.start
            if links.get(part.key):
                with blame(part.source):
                    _fix_links(objects, part, links[part.key])
        _prefix_fields(pdf, objects, parts)
        for source in sources:
            for other in source.ids[1:]:
                targets[f"ev:{other}"] = targets[f"ev:{source.id}"]
        targets.update(_doc_anchors(parts, groups_))
        for part, drawn in ((parts[1], index), (parts[2], matrix), (parts[-1], manifest)):
            _add_links(pdf, objects, part, drawn, targets)
        for part in parts:
            if part.key.startswith("vol:") and part.drawn is not None:
                _add_links(pdf, objects, part, part.drawn, targets)
        if vols:
            volumes.remote_links(objects, vols)
        _write_outline(pdf, objects, parts)
        pdf.Root.PageLabels = Dictionary(Nums=Array([0, Dictionary(S=Name.D)]))
        pdf.Root.PageMode = Name.UseOutlines
        plan: list[tuple[int, bool, str]] = []
        for part in parts:
            which, lead = label_index.get(part.label, (0, "")) if part.source is not None else (0, "")
            plan += [(which, part.banded, lead)] * part.pages
        _stamp_pages(pdf, objects, labels, plan)
        archive.share_fonts(pdf, any(s.fitted and s.pdf is not None for s in sources) or
                            any(p.key.startswith("doc:") and p.drawn is None for p in parts))
        pdf.docinfo = pdf.make_indirect(info)
        finish(pdf, 1 if before is None else 2)
        if before is not None:
            update.append(pdf, merged, before)
        else:
            with _temporary(out) as tmp:
                _rewrite(pdf, tmp, huge=size >= APPEND_BELOW)
                os.replace(tmp, merged)
    if vols:
        return _publish_volumes(merged, out, vols)
    _publish(merged, out)
    for stale in out.parent.glob(f"{out.stem}-vol*-of-*.pdf"):  # volumes of an earlier split
        stale.unlink(missing_ok=True)
    return [out]


def _rewrite(pdf: pikepdf.Pdf, target: Path, huge: bool) -> None:
    """Write the edited bundle to ``target`` whole: compactly (object streams, a digest of the
    output as its /ID), or for a file of gigabytes without object streams and with the merged
    file's /ID kept (it is already a digest of what the file is made of; digesting gigabytes of
    output again would cost a pass over them)."""
    common: dict[str, Any] = {"compress_streams": True, "linearize": False,
                              "fix_metadata_version": False}
    ids = pdf.trailer.get("/ID")
    identity = bytes(ids[0]) if huge and isinstance(ids, Array) and len(ids) and len(bytes(ids[0])) == 16 \
        else None
    if identity is not None:
        pdf.save(target, static_id=True, object_stream_mode=pikepdf.ObjectStreamMode.disable, **common)
        with contextlib.suppress(MergeFailed):  # a qpdf writing its static /ID otherwise: digested below
            set_id(target, identity)
            return
    mode = pikepdf.ObjectStreamMode.disable if huge else pikepdf.ObjectStreamMode.generate
    pdf.save(target, deterministic_id=True, object_stream_mode=mode, **common)


def _publish_volumes(whole: Path, out: Path, vols: list[volumes.Volume]) -> list[Path]:
    """Cut the finished bundle into its volumes and put them in place (with no single bundle,
    and no volumes of an earlier split, left beside them)."""
    written = volumes.cut(whole, vols, out.parent)
    try:
        paths = volumes.publish(written, vols, out.parent)
    finally:
        for tmp in written:
            tmp.unlink(missing_ok=True)
    names = {v.file for v in vols}
    for stale in [out, *out.parent.glob(f"{out.stem}-vol*-of-*.pdf")]:
        if stale.name not in names:
            stale.unlink(missing_ok=True)
    return paths


def _merge(parts: list[Part], labels: list[Piece], canvas: Path, attachments: list[Attachment],
           out: Path, stamp: str, work: Path) -> None:
    """Copy every part's pages (then the stamp labels' pages) and the attached files into
    ``out``. A failure is blamed on the first source qpdf cannot copy on its own."""
    pieces = [Piece(canvas, p.drawn.first + 1, p.drawn.first + p.drawn.pages) if p.drawn is not None
              else Piece(_file_of(p), 1, p.pages) for p in parts]
    files = from_disk(attachments)
    known: dict[Path, str] = {}
    for source in (p.source for p in parts):
        if source is not None and source.path is not None and source.sha256:
            known[source.path.resolve()] = source.sha256
            if source.pdf_path is not None:  # made from the original (converted, prepared)
                known.setdefault(source.pdf_path.resolve(), f"made from {source.sha256}")
    try:
        merge([*pieces, *labels], files, out, stamp,
              identity=_identity([*pieces, *labels], files, stamp, known))
    except MergeFailed as exc:
        for part in parts:
            if part.source is not None and part.drawn is None:
                try:
                    check_alone(_file_of(part), work / "trial.pdf")
                except MergeFailed as alone:
                    raise PartFailed(part.source, alone) from exc
        raise


def _identity(pieces: list[Piece], files: list[FileAttachment], stamp: str,
              known: dict[Path, str]) -> bytes:
    """The merged file's /ID: a digest of what it is made of — each piece's file and page
    range, each attached file's name, description, type and content, the date stamp — so the
    same inputs give the same ID, and other inputs another. A file is known by ``known``: the
    SHA-256 already taken of each original, which also stands for the PDF made from it (a
    conversion or prepared copy: the same original gives the same pages, though not the same
    bytes, as LibreOffice and qpdf write random IDs); else by its SHA-256, taken here (the
    canvas and the meeting documents: small files)."""
    taken: dict[Path, str] = {}

    def content(path: Path) -> str:
        key = path.resolve()
        if key not in taken:
            taken[key] = known.get(key) or sha256_file(path)
        return taken[key]

    digest = hashlib.sha256(b"isms-review merged bundle 1\0" + stamp.encode())
    for piece in pieces:
        digest.update(f"{content(piece.path)} {piece.first} {piece.last}\n".encode())
    for item in files:
        digest.update(f"{item.name}\0{item.description}\0{item.mime}\0{content(item.path)}\n".encode())
    return digest.digest()[:16]


def _file_of(part: Part) -> Path:
    if part.file is None:
        raise RuntimeError(f"bundle part {part.key} has no file to copy its pages from")
    return part.file


@contextlib.contextmanager
def _temporary(out: Path) -> Iterator[Path]:
    """A temporary file beside ``out`` (so it can be renamed into place), removed unless it was."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def _publish(done: Path, out: Path) -> None:
    """Make the finished file durable and rename it to ``out``."""
    with done.open("rb") as fh:
        os.fsync(fh.fileno())
    os.chmod(done, 0o644)
    os.replace(done, out)


def _manifest_json(data: WorkbookData, workbook_name: str, workbook_sha: str, sources: list[Source],
                   parts: list[Part], status: str, total: int, extra: dict[str, Any]) -> str:
    by_key = {p.key: p for p in parts}
    names = _attachment_names(sources)

    def pages_of(s: Source) -> list[int]:
        start = by_key[f"ev:{s.id}"].start
        return [start + n for n in s.no_text]

    return json.dumps({
        "review_id": data.review.get("Review ID"), "status": status, "pages": total,
        "workbook": {"file": workbook_name, "sha256": workbook_sha},
        "office_conversion": office.protection().describe()
        if any(s.kind == "office" for s in sources) else None,
        "parts": [{"key": p.key, "title": p.title, "first_page": p.start + 1,
                   "pages": p.pages} for p in parts],
        "files": [{"evidence_ids": s.ids, "title": s.title, "inputs": s.refs, "owner": s.owner,
                   "date": s.date.isoformat() if s.date else None, "file": s.rel,
                   "kind": s.kind, "bytes": s.size, "sha256": s.sha256 or None,
                   "first_page": by_key[f"ev:{s.id}"].start + 1,
                   "pages": by_key[f"ev:{s.id}"].pages,
                   "status": s.problem or "included", "notes": s.notes,
                   "warnings": s.warnings,
                   "attachment": names.get(s.id),
                   "removed": [{"page": None if r.page is None else by_key[f"ev:{s.id}"].start + r.page,
                                "source_page": r.page, "what": r.what} for r in s.removed],
                   "pages_without_text": pages_of(s),
                   "outside_references": s.references} for s in sources],
        **extra,
    }, indent=2, ensure_ascii=False)


def _attachment_names(sources: list[Source]) -> dict[str, str]:
    carried = [s for s in sources if s.attach_original and s.path is not None and not s.problem]
    return dict(zip((s.id for s in carried), unique([s.attachment_name for s in carried]), strict=True))


def _attachments(sources: list[Source], workbook: Path) -> list[Attachment]:
    items = [Attachment(safe_name(workbook.name), "The source workbook",
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", path=workbook)]
    names = _attachment_names(sources)
    for source in sources:
        if source.id in names:
            assert source.path is not None
            if source.attach_path is not None:
                items.append(Attachment(names[source.id], f"{source.id} {source.title} (the original "
                                        "with its active content removed)", "application/octet-stream",
                                        path=source.attach_path))
            else:
                items.append(Attachment(names[source.id], f"{source.id} {source.title} (original file)",
                                        "application/octet-stream", path=source.path))
    return items
