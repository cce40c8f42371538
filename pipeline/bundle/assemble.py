"""Assemble the evidence bundle: cover, index, coverage matrix, documents, evidence by input,
manifest — one PDF with nested bookmarks, index links, page labels and a stamp on every page.

Merging uses pikepdf (qpdf): pages are copied without re-encoding. Each page gets one extra
content stream (the page's own content is wrapped in q … Q by one shared stream first, so its
graphics state cannot move the stamp) drawing a form XObject made once per bundle (the static
text, in an embedded Unicode font) and "Page n of N" in Helvetica. The stamp is placed on the
page *as displayed*: the visible box (CropBox within MediaBox, any origin) and /Rotate are
taken into account.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, OutlineItem

from ..errors import UserError
from ..workbook.inputs import RESULTS_CLAUSE, RESULTS_REF, RESULTS_TITLE, input_specs
from ..workbook.model import WorkbookData
from . import pages
from .sources import Source, collect

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
# Helvetica advance widths (1/1000 em) for the characters of "· Page n of N"
HELVETICA = {**{str(d): 556 for d in range(10)}, " ": 278, "P": 667, "a": 556, "g": 556,
             "e": 556, "o": 556, "f": 278, "\xb7": 278}


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

    @property
    def pages(self) -> int:
        """Page count, known before drawn parts are cut from their canvas."""
        return self.drawn.pages if self.drawn is not None and self.pdf is _EMPTY else len(self.pdf.pages)


@dataclass
class BundleResult:
    path: Path
    manifest_path: Path
    pages: int
    complete: bool
    problems: list[str]
    sha256: str


_EMPTY = pikepdf.new()


# ------------------------------------------------------------------------ source outlines


def _dest_page(pdf: pikepdf.Pdf, dest: Any, names: dict[str, Any]) -> int | None:
    """Page index a destination (explicit array or name) points to, in its own document."""
    if isinstance(dest, (pikepdf.String, str, pikepdf.Name)):
        dest = names.get(str(dest).lstrip("/"))
    if isinstance(dest, pikepdf.Dictionary) and "/D" in dest:
        dest = dest.D
    if isinstance(dest, pikepdf.Array) and len(dest) > 0:
        target = dest[0]
        if isinstance(target, int):
            return int(target)
        try:
            return int(pdf.pages.index(pikepdf.Page(target)))
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


def _read_outline(pdf: pikepdf.Pdf) -> list[tuple[str, int, list[Any]]]:
    names = _named_dests(pdf)

    def walk(items: list[OutlineItem]) -> list[tuple[str, int, list[Any]]]:
        out = []
        for item in items:
            dest: Any = item.destination
            if dest is None and item.action is not None and item.action.get("/S") == Name.GoTo:
                dest = item.action.get("/D")
            page = _dest_page(pdf, dest, names)
            if page is not None:
                out.append((str(item.title), page, walk(list(item.children))))
        return out

    try:
        with pdf.open_outline() as outline:
            return walk(list(outline.root))
    except Exception:
        return []


def _link_targets(pdf: pikepdf.Pdf) -> dict[int, list[int | None]]:
    """Per page that has annotations, per annotation: the page index an internal link goes to
    (None otherwise)."""
    names: dict[str, Any] | None = None
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
                target = _dest_page(pdf, dest, names) if dest is not None else None
            row.append(target)
        result[number] = row
    return result


# --------------------------------------------------------------------------------- layout


def _body(documents: dict[str, Path], sources: list[Source], canvas: pages.Canvas,
          groups: Groups) -> list[Part]:
    """Meeting documents, then evidence by input in clause order (separator pages, placeholders
    and image pages drawn on ``canvas``; their PDFs filled in by :func:`_cut`)."""
    parts: list[Part] = []
    for name, title in DOCUMENTS:
        path = documents.get(name)
        if path is not None and path.is_file():
            pdf = pikepdf.open(path)
            parts.append(Part(f"doc:{name}", title, pdf, "documents", outline=_read_outline(pdf)))
    for ref, (clause, title) in groups.items():
        own = [s for s in sources if s.group == ref]
        cited = [s for s in sources if ref in s.refs and s.group != ref]
        if not own and not cited:
            continue
        lines = [f"{', '.join(s.ids)}  {s.title}" for s in own]
        lines += [f"{', '.join(s.ids)}  {s.title} (filed under {groups[s.group][0]})" for s in cited]
        sep = canvas.separator(f"{clause} {title}",
                               f"Evidence for input {ref}: {len(own) + len(cited)} document(s).", lines)
        parts.append(Part(f"sep:{ref}", f"{clause} {title}", _EMPTY, "evidence", drawn=sep))
        for source in own:
            part = Part(f"ev:{source.id}", f"{source.id} {source.title}", _EMPTY, f"sep:{ref}", source)
            if source.problem:
                part.drawn = canvas.placeholder(f"{', '.join(source.ids)} {source.title}", source.problem)
            elif source.kind == "image":
                assert source.path is not None
                part.drawn = canvas.image(source.path, f"{source.id} {source.title}")
            elif source.pdf is None:  # an attachment
                part.drawn = canvas.separator(
                    f"{source.id} {source.title}",
                    f"The file '{source.rel}' is embedded in this PDF as an attachment (open the "
                    "attachments panel of your PDF reader).", [f"SHA-256 {source.sha256}"])
            else:
                part.pdf, part.outline = source.pdf, _read_outline(source.pdf)
            parts.append(part)
    return parts


def _cut(parts: list[Part], canvas: pages.Canvas) -> None:
    for part in parts:
        if part.drawn is not None:
            part.pdf = canvas.part(part.drawn)


def _index_rows(front: dict[str, int], parts: list[Part], sources: list[Source],
                manifest_start: int, groups: Groups) -> list[pages.Row]:
    row = pages.Row
    rows = [row(("Cover and document control", "1"), ("cover", "cover"), True),
            row(("Index", str(front["index"] + 1)), ("index", "index"), True),
            row(("Clause coverage matrix", str(front["matrix"] + 1)), ("matrix", "matrix"), True)]
    docs = [p for p in parts if p.key.startswith("doc:")]
    if docs:
        rows.append(row(("Meeting documents", str(docs[0].start + 1)), (docs[0].key,) * 2, True))
        rows += [row((f"    {p.title}", f"{p.start + 1}–{p.start + len(p.pdf.pages)}"), (p.key,) * 2)
                 for p in docs]
    starts = {p.key: p for p in parts}
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
                             f"{part.start + 1}–{part.start + part.pages}"), (part.key,) * 2))
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


def _matrix_rows(parts: list[Part], sources: list[Source], agenda_items: dict[str, int],
                 doc_pages: dict[str, int], groups: Groups) -> list[pages.Row]:
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
            rows.append(row(cells, links, first))
            first = False
    return rows


def _manifest_rows(sources: list[Source], parts: list[Part]) -> list[pages.Row]:
    by_key = {p.key: p for p in parts}
    rows = []
    for s in sources:
        part = by_key[f"ev:{s.id}"]
        status = s.problem or "; ".join(s.notes) or "included"
        rows.append(pages.Row((", ".join(s.ids), s.title, ", ".join(s.refs), s.owner,
                               s.date.isoformat() if s.date else "",
                               f"{part.start + 1}–{part.start + part.pages}",
                               f"{len(s.data):,}" if s.data else "—"),
                              ("", "", "", "", "", f"ev:{s.id}", ""),
                              sub=f"SHA-256 {s.sha256 or '—'} · {status}"))
    return rows


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


def _inherited(page: pikepdf.Page, key: str) -> Any:
    """A page attribute, from the page or the nearest /Pages node above it."""
    node: Any = page.obj
    while node is not None:
        if key in node:
            return node[key]
        node = node.get("/Parent")
    return None


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
                 margin: float = STAMP_MARGIN) -> tuple[float, ...]:
    """The cm matrix that puts a stamp ``width`` wide, upright and centred at the foot of the
    page as displayed (box = visible box in user space, rotate = /Rotate clockwise)."""
    x0, y0, x1, y1 = box
    rotate %= 360
    shown_width = (y1 - y0) if rotate in (90, 270) else (x1 - x0)
    u0, v0 = (shown_width - width) / 2, margin
    if rotate == 90:
        return (0, 1, -1, 0, x1 - v0, y0 + u0)
    if rotate == 180:
        return (-1, 0, 0, -1, x1 - u0, y1 - v0)
    if rotate == 270:
        return (0, -1, 1, 0, x0 + v0, y1 - u0)
    return (1, 0, 0, 1, x0 + u0, y0 + v0)


def _helvetica_width(text: str, size: float) -> float:
    return sum(HELVETICA.get(ch, 556) for ch in text) * size / 1000


def _stamp_pages(pdf: pikepdf.Pdf, label: pikepdf.Pdf, label_w: float, label_h: float) -> None:
    """Stamp every page. Pages carry their own boxes, /Rotate and /Resources after _merge, so
    this touches each page dictionary directly (pikepdf's helpers cost ~4x more per page)."""
    xobject = pdf.copy_foreign(label.pages[0].as_form_xobject())
    font = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1,
                                        BaseFont=Name.Helvetica, Encoding=Name.WinAnsiEncoding))
    opener = pdf.make_stream(b"q\n")
    total = len(pdf.pages)
    baseline = label_h / 2 - STAMP_SIZE * 0.3
    stamped: set[tuple[int, int]] = set()
    prefixes: dict[tuple[Any, ...], bytes] = {}  # most pages share a geometry: format it once
    for number, page in enumerate(pdf.pages, start=1):
        node = page.obj
        box, rotate, digits = _visible_box(node), int(node.get("/Rotate", 0)), len(str(number))
        key = (box, rotate, digits)
        prefix = prefixes.get(key)
        if prefix is None:
            width = label_w + _helvetica_width(f" \xb7 Page {'0' * digits} of {total}", STAMP_SIZE)
            a, b, c, d, e, f = stamp_matrix(box, rotate, width)
            prefix = prefixes[key] = (
                f"Q q {a:g} {b:g} {c:g} {d:g} {e:.2f} {f:.2f} cm 1 g -2 -1.5 {width + 4:.2f} "
                f"{label_h + 2:.2f} re f 0 g 0 G /IsrStamp Do BT /IsrStampF {STAMP_SIZE:g} Tf 0 g "
                f"{label_w:.2f} {baseline:.2f} Td ( \xb7 Page ").encode("cp1252")
        resources = node.get("/Resources")
        if resources is None:
            node.Resources = resources = Dictionary()
        shared = resources.objgen
        if shared == (0, 0) or shared not in stamped:  # a resources dict shared by pages: once
            stamped.add(shared)
            for kind, name, value in (("/XObject", "/IsrStamp", xobject), ("/Font", "/IsrStampF", font)):
                if kind not in resources:
                    resources[kind] = Dictionary()
                resources[kind][name] = value
        content = prefix + f"{number} of {total}) Tj ET Q\n".encode()
        existing = node.get("/Contents")
        if isinstance(existing, Array):
            original = list(existing)
        else:
            original = [existing] if existing is not None else []
        node.Contents = Array([opener, *original, pdf.make_stream(content)])


INHERITABLE = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")


def _merge(parts: list[Part]) -> pikepdf.Pdf:
    """Copy every part's pages into one new PDF, building the page tree directly: pikepdf's
    pages.extend() re-reads the whole page list on each insert (quadratic: 1.4 s for 5,000
    pages against 0.05 s for the copies themselves)."""
    out = pikepdf.new()
    kids = []
    for part in parts:
        for page in part.pdf.pages:
            node = page.obj
            for key in INHERITABLE:  # what a page inherits must travel with it
                if key not in node:
                    value = _inherited(page, key)
                    if value is not None:
                        node[key] = value
            kids.append(out.copy_foreign(node))
    tree = out.Root.Pages
    for kid in kids:
        kid.Parent = tree
    tree.Kids = Array(kids)
    tree.Count = len(kids)
    return out


def _fix_links(pdf: pikepdf.Pdf, part: Part, targets: dict[int, list[int | None]]) -> None:
    """Point the part's internal links at its pages in the bundle (names would collide)."""
    for offset, row in targets.items():
        page = pdf.pages[part.start + offset]
        annots = page.obj.get("/Annots")
        if annots is None:
            continue
        for annot, target in zip(annots, row, strict=False):
            if target is None or target >= part.pages:
                continue
            if "/A" in annot:
                del annot["/A"]
            annot.Dest = Array([pdf.pages[part.start + target].obj, Name.Fit])


def _prefix_fields(pdf: pikepdf.Pdf, part: Part, source_form: Any) -> None:
    """Give this part's form fields a parent named after it, so names never collide."""
    tops: list[Any] = []
    seen: set[tuple[int, int]] = set()
    for offset in range(part.pages):
        for annot in pdf.pages[part.start + offset].obj.get("/Annots", Array()):
            if annot.get("/Subtype") != Name.Widget:
                continue
            node = annot
            while node.get("/Parent") is not None:
                node = node.Parent
            if node.objgen not in seen and "/T" in node:
                seen.add(node.objgen)
                tops.append(node)
    if not tops:
        return
    parent = pdf.make_indirect(Dictionary(T=pikepdf.String(part.key.replace(":", "_")), Kids=Array(tops)))
    for top in tops:
        top.Parent = parent
    if "/AcroForm" not in pdf.Root:
        pdf.Root.AcroForm = pdf.make_indirect(Dictionary(Fields=Array()))
    form = pdf.Root.AcroForm
    form.Fields.append(parent)
    for key in ("/DA", "/DR", "/NeedAppearances"):
        if source_form is not None and key in source_form and key not in form:
            form[key] = pdf.copy_foreign(source_form[key]) if isinstance(source_form[key], pikepdf.Object) \
                and source_form[key].is_indirect else source_form[key]


Entries = list[tuple[str, int, list[Any]]]


def _outline_items(pdf: pikepdf.Pdf, part: Part, entries: Entries) -> Iterator[OutlineItem]:
    for title, page, children in entries:
        if page < part.pages:
            item = OutlineItem(title, part.start + page)
            item.children.extend(_outline_items(pdf, part, children))
            yield item


def _write_outline(pdf: pikepdf.Pdf, parts: list[Part]) -> None:
    with pdf.open_outline() as outline:
        groups: dict[str, OutlineItem] = {}
        for part in parts:
            item = OutlineItem(part.title, part.start)
            item.children.extend(_outline_items(pdf, part, part.outline))
            if part.parent == "documents":
                if "documents" not in groups:
                    groups["documents"] = OutlineItem("Meeting documents", part.start)
                    outline.root.append(groups["documents"])
                groups["documents"].children.append(item)
            elif part.parent == "evidence":
                if "evidence" not in groups:
                    groups["evidence"] = OutlineItem("Evidence by input", part.start)
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
                          Border=Array([0, 0, 0]), Dest=Array([objects[target], Name.Fit]))
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
                converted: dict[Path, Path | str] | None = None) -> BundleResult:
    """Write the bundle to ``out`` (atomically) and its manifest JSON beside it."""
    from ..files import atomic_write_bytes

    sources = collect(data, evidence_dir, converted)
    problems = [f"{', '.join(s.ids)} ({s.rel}): {s.problem}" for s in sources if s.problem]
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
    version = str(review.get("Version") or "")
    complete = not problems
    status = "COMPLETE" if complete else f"INCOMPLETE ({len(problems)} item(s) missing)"
    workbook_bytes = workbook.read_bytes()
    workbook_sha = hashlib.sha256(workbook_bytes).hexdigest()
    cover_rows = [("Organisation", str(review.get("Organisation") or "")), ("Review", rid),
                  ("Document", title), ("Version", version), ("Classification", classification),
                  ("Owner", str(review.get("Document owner") or "")),
                  ("Approval", f"Approved by {review.get('Approved by')} on {review.get('Approved on')}"
                   if review.get("Approved on") else "Not yet approved"),
                  ("Period reviewed", f"{review.get('Period start')} to {review.get('Period end')}"),
                  ("Data cut-off", str(review.get("Data cut-off") or "")),
                  ("Generated", when.strftime("%Y-%m-%d %H:%M UTC")),
                  ("Source workbook",
                   f"{workbook.name}\nSHA-256 {workbook_sha}"),
                  ("Evidence files", f"{len(sources)} ({len(problems)} missing)"
                   if problems else str(len(sources)))]
    fallback = bool(unshowable)
    canvas = pages.Canvas(when, fallback)
    cover_drawn = canvas.cover(title, cover_rows, status)
    groups_ = groups(data)
    body = _body(documents or {}, sources, canvas, groups_)
    label_drawn, label_w, label_h = canvas.label(
        f"{rid} \xb7 {classification} \xb7 Controlled copy v{version}", STAMP_SIZE)
    sizes = {"index": 1, "matrix": 1, "manifest": 1}
    for _ in range(6):  # lay out until the front matter's length no longer moves the pages
        parts = _sequence(cover_drawn, pages.Drawn(-1, sizes["index"]),
                          pages.Drawn(-1, sizes["matrix"]), body, pages.Drawn(-1, sizes["manifest"]))
        total = parts[-1].start + sizes["manifest"]
        front = {p.key: p.start for p in parts[:3]}
        index_rows = _index_rows(front, parts, sources, parts[-1].start, groups_)
        matrix_rows = _matrix_rows(parts, sources, agenda_items or {}, _doc_anchors(parts, groups_),
                                   groups_)
        manifest_rows = _manifest_rows(sources, parts)
        new = {"index": canvas.table_pages(_index_intro(total), len(index_rows)),
               "matrix": canvas.table_pages(MATRIX_INTRO, len(matrix_rows)),
               "manifest": canvas.table_pages(MANIFEST_INTRO, len(manifest_rows), "L", 7, True)}
        if new == sizes:
            break
        sizes = new
    index = canvas.table("Index", _index_intro(total), *INDEX_COLUMNS, index_rows)
    matrix = canvas.table("Clause coverage matrix", MATRIX_INTRO, *MATRIX_COLUMNS, matrix_rows)
    manifest = canvas.table("Manifest of source files", MANIFEST_INTRO, *MANIFEST_COLUMNS,
                            manifest_rows, "L", 7, True)
    drawn_sizes = {"index": index.pages, "matrix": matrix.pages, "manifest": manifest.pages}
    if drawn_sizes != sizes:  # the arithmetic layout must match the drawing, or numbers are wrong
        raise RuntimeError(f"bundle layout mismatch: drawn {drawn_sizes}, planned {sizes}")
    parts = _sequence(cover_drawn, index, matrix, body, manifest)
    _cut(parts, canvas)
    label = canvas.part(label_drawn)
    links = {part.key: _link_targets(part.pdf) for part in parts
             if part.source is not None or part.key.startswith("doc:")}
    pdf = _merge(parts)
    targets: dict[str, int] = {}
    for part in parts:
        targets[part.key] = part.start
        if links.get(part.key):
            _fix_links(pdf, part, links[part.key])
        form = part.pdf.Root.get("/AcroForm")
        if form is not None:
            _prefix_fields(pdf, part, form)
    for source in sources:
        for other in source.ids[1:]:
            targets[f"ev:{other}"] = targets[f"ev:{source.id}"]
    targets.update(_doc_anchors(parts, groups_))
    objects = [page.obj for page in pdf.pages]
    for part, drawn in ((parts[1], index), (parts[2], matrix), (parts[-1], manifest)):
        _add_links(pdf, objects, part, drawn, targets)
    _write_outline(pdf, parts)
    pdf.Root.PageLabels = Dictionary(Nums=Array([0, Dictionary(S=Name.D)]))
    pdf.Root.PageMode = Name.UseOutlines
    _stamp_pages(pdf, label, label_w, label_h)
    manifest_json = _manifest_json(data, workbook.name, workbook_sha, sources, parts, status,
                                   len(pdf.pages))
    _attach(pdf, sources, workbook, workbook_bytes, manifest_json, when)
    stamp = when.strftime("D:%Y%m%d%H%M%SZ")
    pdf.docinfo = pdf.make_indirect(Dictionary(
        Title=pikepdf.String(f"{title} — {rid}"), Subject=pikepdf.String(
            f"ISO/IEC 27001:2022 clause 9.3 management review {rid}; {classification}"),
        Keywords=pikepdf.String(f"ISMS; management review; {rid}; {status}"),
        Author=pikepdf.String(str(review.get("Document owner") or "")),
        Creator=pikepdf.String("isms-review"), Producer=pikepdf.String("isms-review (pikepdf)"),
        CreationDate=pikepdf.String(stamp), ModDate=pikepdf.String(stamp)))
    buffer = io.BytesIO()
    pdf.save(buffer, deterministic_id=True, compress_streams=True,
             object_stream_mode=pikepdf.ObjectStreamMode.generate, fix_metadata_version=False)
    data_out = buffer.getvalue()
    atomic_write_bytes(out, data_out)
    digest = hashlib.sha256(data_out).hexdigest()
    manifest_path = out.with_name(out.stem + "-manifest.json")
    sidecar = {**json.loads(manifest_json), "bundle": {"file": out.name, "sha256": digest,
                                                         "bytes": len(data_out)}}
    atomic_write_bytes(manifest_path, json.dumps(sidecar, indent=2, ensure_ascii=False).encode())
    return BundleResult(out, manifest_path, len(pdf.pages), complete, problems, digest)


def _blank(count: int) -> pikepdf.Pdf:
    pdf = pikepdf.new()
    for _ in range(count):
        pdf.add_blank_page(page_size=pages.A4)
    return pdf


def _manifest_json(data: WorkbookData, workbook_name: str, workbook_sha: str, sources: list[Source],
                   parts: list[Part],
                   status: str, total: int) -> str:
    by_key = {p.key: p for p in parts}
    return json.dumps({
        "review_id": data.review.get("Review ID"), "status": status, "pages": total,
        "workbook": {"file": workbook_name, "sha256": workbook_sha},
        "parts": [{"key": p.key, "title": p.title, "first_page": p.start + 1,
                   "pages": len(p.pdf.pages)} for p in parts],
        "files": [{"evidence_ids": s.ids, "title": s.title, "inputs": s.refs, "owner": s.owner,
                   "date": s.date.isoformat() if s.date else None, "file": s.rel,
                   "kind": s.kind, "bytes": len(s.data), "sha256": s.sha256 or None,
                   "first_page": by_key[f"ev:{s.id}"].start + 1,
                   "pages": len(by_key[f"ev:{s.id}"].pdf.pages),
                   "status": s.problem or "included", "notes": s.notes} for s in sources],
    }, indent=2, ensure_ascii=False)


def _attach(pdf: pikepdf.Pdf, sources: list[Source], workbook: Path, workbook_bytes: bytes,
            manifest_json: str, when: dt.datetime) -> None:
    def add(name: str, data: bytes, description: str, mime: str) -> None:
        spec = pikepdf.AttachedFileSpec(pdf, data, description=description, filename=name,
                                        mime_type=mime, creation_date=when.strftime("D:%Y%m%d%H%M%SZ"),
                                        mod_date=when.strftime("D:%Y%m%d%H%M%SZ"))
        pdf.attachments[name] = spec

    add("manifest.json", manifest_json.encode(), "Manifest of the bundle (JSON)", "application/json")
    add(workbook.name, workbook_bytes, "The source workbook",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    for source in sources:
        if source.data and (source.signed or source.kind == "attachment"):
            add(f"{source.id}-{Path(source.rel).name}", source.data,
                f"{source.id} {source.title} (original file)", "application/octet-stream")
