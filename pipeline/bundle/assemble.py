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

import datetime as dt
import hashlib
import io
import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, OutlineItem

from ..errors import UserError
from ..workbook.model import WorkbookData
from . import pages
from .sources import INPUT_ORDER, Source, collect

CLAUSES = {"a": "9.3.2 a)", "b": "9.3.2 b)", "c": "9.3.2 c)", "d1": "9.3.2 d) 1)",
           "d2": "9.3.2 d) 2)", "d3": "9.3.2 d) 3)", "d4": "9.3.2 d) 4)", "e": "9.3.2 e)",
           "f": "9.3.2 f)", "g": "9.3.2 g)", "minutes": "9.3.3"}
GROUP_TITLES = {"a": "Status of actions from previous reviews", "b": "Changes in issues",
                "c": "Interested parties' needs", "d1": "Nonconformities and corrective actions",
                "d2": "Monitoring and measurement", "d3": "Audit results",
                "d4": "Information security objectives", "e": "Interested-party feedback",
                "f": "Risk assessment and treatment", "g": "Continual improvement",
                "minutes": "Results of the review (minutes)"}
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
        try:
            for key, value in pikepdf.NameTree(root_names.Dests).items():
                names[str(key)] = value
        except Exception:
            pass
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


def _link_targets(pdf: pikepdf.Pdf) -> list[list[int | None]]:
    """Per page, per annotation: the page index an internal link goes to (None otherwise)."""
    names = _named_dests(pdf)
    result = []
    for page in pdf.pages:
        row: list[int | None] = []
        for annot in page.obj.get("/Annots", Array()):
            target = None
            if annot.get("/Subtype") == Name.Link:
                dest = annot.get("/Dest")
                action = annot.get("/A")
                if dest is None and action is not None and action.get("/S") == Name.GoTo:
                    dest = action.get("/D")
                target = _dest_page(pdf, dest, names) if dest is not None else None
            row.append(target)
        result.append(row)
    return result


# --------------------------------------------------------------------------------- layout


def _body(documents: dict[str, Path], sources: list[Source], canvas: pages.Canvas) -> list[Part]:
    """Meeting documents, then evidence by input in clause order (separator pages, placeholders
    and image pages drawn on ``canvas``; their PDFs filled in by :func:`_cut`)."""
    parts: list[Part] = []
    for name, title in DOCUMENTS:
        path = documents.get(name)
        if path is not None and path.is_file():
            pdf = pikepdf.open(path)
            parts.append(Part(f"doc:{name}", title, pdf, "documents", outline=_read_outline(pdf)))
    for ref in INPUT_ORDER:
        own = [s for s in sources if s.group == ref]
        cited = [s for s in sources if ref in s.refs and s.group != ref]
        if not own and not cited:
            continue
        lines = [f"{', '.join(s.ids)}  {s.title}" for s in own]
        lines += [f"{', '.join(s.ids)}  {s.title} (filed under {CLAUSES[s.group]})" for s in cited]
        sep = canvas.separator(f"{CLAUSES[ref]} {GROUP_TITLES[ref]}",
                               f"Evidence for input {ref}: {len(own) + len(cited)} document(s).", lines)
        parts.append(Part(f"sep:{ref}", f"{CLAUSES[ref]} {GROUP_TITLES[ref]}", _EMPTY, "evidence",
                          drawn=sep))
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


def _index(front: dict[str, int], parts: list[Part], sources: list[Source], total: int,
           manifest_start: int, canvas: pages.Canvas) -> pages.Drawn:
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
    for ref in INPUT_ORDER:
        sep = starts.get(f"sep:{ref}")
        if sep is None:
            continue
        rows.append(row((f"Evidence {sep.title}", str(sep.start + 1)), (sep.key,) * 2, True))
        for source in sources:
            if ref not in source.refs and source.group != ref:
                continue
            part = starts[f"ev:{source.id}"]
            mark = "" if source.group == ref else f" (see {CLAUSES[source.group]})"
            missing = "  [MISSING]" if source.problem else ""
            rows.append(row((f"    {', '.join(source.ids)}  {source.title}{mark}{missing}",
                             f"{part.start + 1}–{part.start + len(part.pdf.pages)}"), (part.key,) * 2))
    rows.append(row(("Manifest of source files", str(manifest_start + 1)), ("manifest",) * 2, True))
    return canvas.table("Index", f"{total} pages. Every entry links to its page; the page numbers "
                        "are those stamped at the foot of each page.", ("Part", "Pages"), (85, 15), rows)


def _matrix(parts: list[Part], sources: list[Source], agenda_items: dict[str, int],
            doc_pages: dict[str, int], canvas: pages.Canvas) -> pages.Drawn:
    row = pages.Row
    rows = []
    by_key = {p.key: p for p in parts}
    for ref in [*INPUT_ORDER[:-1], "minutes"]:
        clause = CLAUSES[ref]
        item = agenda_items.get(ref)
        agenda = f"Item {item}" if item else "—"
        pre = doc_pages.get(f"pre:{ref}")
        minutes = doc_pages.get(f"min:{ref}")
        evidence: list[Source | None] = [s for s in sources if ref in s.refs]
        first = True
        for source in evidence or [None]:
            cells = (f"{clause} {GROUP_TITLES[ref]}" if first else "",
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
    return canvas.table("Clause coverage matrix",
                       "Each input of ISO/IEC 27001:2022 clause 9.3.2 and the results of 9.3.3, with "
                       "where it was put on the agenda, analysed in the pre-read, minuted, and "
                       "evidenced. Page references link to the page.",
                        ("Input", "Agenda", "Pre-read", "Minutes", "Evidence"), (34, 11, 11, 11, 33),
                        rows)


def _manifest(sources: list[Source], parts: list[Part], canvas: pages.Canvas) -> pages.Drawn:
    by_key = {p.key: p for p in parts}
    rows = []
    for s in sources:
        part = by_key[f"ev:{s.id}"]
        status = s.problem or "; ".join(s.notes) or "included"
        rows.append(pages.Row((", ".join(s.ids), s.title, ", ".join(s.refs), s.owner,
                               s.date.isoformat() if s.date else "",
                               f"{part.start + 1}–{part.start + len(part.pdf.pages)}",
                               f"{len(s.data):,}" if s.data else "—", s.sha256 or "—", status),
                              ("", "", "", "", "", f"ev:{s.id}", "", "", "")))
    return canvas.table("Manifest of source files",
                       "Every evidence file as received: its SHA-256 is of the original bytes, "
                       "before any conversion. The same list is attached to this PDF as JSON.",
                       ("Evidence", "Title", "Inputs", "Owner", "Date", "Bundle pages", "Bytes",
                        "SHA-256", "Status"), (9, 17, 5, 9, 8, 7, 6, 24, 15), rows, "L", 6.5)


# ------------------------------------------------------------------------------ assembly


def _sequence(cover: pikepdf.Pdf, index: pikepdf.Pdf, matrix: pikepdf.Pdf, body: list[Part],
              manifest: pikepdf.Pdf) -> list[Part]:
    parts = [Part("cover", "Cover and document control", cover), Part("index", "Index", index),
             Part("matrix", "Clause coverage matrix", matrix), *body,
             Part("manifest", "Manifest of source files", manifest)]
    start = 0
    for part in parts:
        part.start = start
        start += len(part.pdf.pages)
    return parts


def _inherited(page: pikepdf.Page, key: str) -> Any:
    node: Any = page.obj
    while node is not None:
        if key in node:
            return node[key]
        node = node.get("/Parent")
    return None


def _visible_box(page: pikepdf.Page) -> tuple[float, float, float, float]:
    media = [float(v) for v in (_inherited(page, "/MediaBox") or [0, 0, 612, 792])]
    crop = _inherited(page, "/CropBox")
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
    xobject = pdf.copy_foreign(label.pages[0].as_form_xobject())
    font = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1,
                                        BaseFont=Name.Helvetica, Encoding=Name.WinAnsiEncoding))
    opener = pdf.make_stream(b"q\n")
    total = len(pdf.pages)
    baseline = label_h / 2 - STAMP_SIZE * 0.3
    for number, page in enumerate(pdf.pages, start=1):
        dynamic = f" \xb7 Page {number} of {total}"
        width = label_w + _helvetica_width(dynamic, STAMP_SIZE)
        rotate = int(_inherited(page, "/Rotate") or 0)
        a, b, c, d, e, f = stamp_matrix(_visible_box(page), rotate, width)
        page.add_resource(xobject, Name.XObject, Name("/IsrStamp"))
        page.add_resource(font, Name.Font, Name("/IsrStampF"))
        text = dynamic.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
        content = (f"Q q {a:g} {b:g} {c:g} {d:g} {e:.2f} {f:.2f} cm 1 g -2 -1.5 {width + 4:.2f} "
                   f"{label_h + 2:.2f} re f 0 g 0 G /IsrStamp Do BT /IsrStampF {STAMP_SIZE:g} Tf 0 g "
                   f"{label_w:.2f} {baseline:.2f} Td (").encode() + text + b") Tj ET Q\n"
        page.contents_add(opener, prepend=True)
        page.contents_add(pdf.make_stream(content), prepend=False)


def _fix_links(pdf: pikepdf.Pdf, part: Part, targets: list[list[int | None]]) -> None:
    """Point the part's internal links at its pages in the bundle (names would collide)."""
    for offset, row in enumerate(targets):
        page = pdf.pages[part.start + offset]
        annots = page.obj.get("/Annots")
        if annots is None:
            continue
        for annot, target in zip(annots, row, strict=False):
            if target is None or target >= len(part.pdf.pages):
                continue
            if "/A" in annot:
                del annot["/A"]
            annot.Dest = Array([pdf.pages[part.start + target].obj, Name.Fit])


def _prefix_fields(pdf: pikepdf.Pdf, part: Part, source_form: Any) -> None:
    """Give this part's form fields a parent named after it, so names never collide."""
    tops: list[Any] = []
    seen: set[tuple[int, int]] = set()
    for offset in range(len(part.pdf.pages)):
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
        if page < len(part.pdf.pages):
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


def _add_links(pdf: pikepdf.Pdf, part: Part, drawn: pages.Drawn, targets: dict[str, int]) -> None:
    for spot in drawn.links:
        target = targets.get(spot.key)
        if target is None:
            continue
        page = pdf.pages[part.start + spot.page]
        link = Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=Array(list(spot.rect)),
                          Border=Array([0, 0, 0]), Dest=Array([pdf.pages[target].obj, Name.Fit]))
        if "/Annots" not in page.obj:
            page.obj.Annots = Array()
        page.obj.Annots.append(pdf.make_indirect(link))


def _flatten(entries: Entries) -> Iterator[tuple[str, int]]:
    for title, page, children in entries:
        yield title, page
        yield from _flatten(children)


def _doc_anchors(parts: list[Part]) -> dict[str, int]:
    """Pages of each input's pre-read section and minutes item, from the documents' bookmarks."""
    anchors: dict[str, int] = {}
    for part in parts:
        prefix = {"doc:pre-read": "pre", "doc:minutes": "min", "doc:minutes-form": "min"}.get(part.key)
        if prefix is None:
            continue
        flat = list(_flatten(part.outline))
        for ref, clause in CLAUSES.items():
            key = "minutes" if ref == "minutes" else ref
            for title, page in flat:
                if clause in title and f"{prefix}:{key}" not in anchors:
                    anchors[f"{prefix}:{key}"] = part.start + page
    return anchors


def make_bundle(data: WorkbookData, workbook: Path, evidence_dir: Path, out: Path,
                documents: dict[str, Path] | None = None, *, allow_incomplete: bool = False,
                when: dt.datetime, agenda_items: dict[str, int] | None = None,
                title: str = "Management review evidence bundle") -> BundleResult:
    """Write the bundle to ``out`` (atomically) and its manifest JSON beside it."""
    from ..files import atomic_write_bytes

    sources = collect(data, evidence_dir)
    problems = [f"{', '.join(s.ids)} ({s.rel}): {s.problem}" for s in sources if s.problem]
    review = data.review
    texts = [str(v) for v in review.values() if v is not None]
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
    cover_rows = [("Organisation", str(review.get("Organisation") or "")), ("Review", rid),
                  ("Document", title), ("Version", version), ("Classification", classification),
                  ("Owner", str(review.get("Document owner") or "")),
                  ("Approval", f"Approved by {review.get('Approved by')} on {review.get('Approved on')}"
                   if review.get("Approved on") else "Not yet approved"),
                  ("Period reviewed", f"{review.get('Period start')} to {review.get('Period end')}"),
                  ("Data cut-off", str(review.get("Data cut-off") or "")),
                  ("Generated", when.strftime("%Y-%m-%d %H:%M UTC")),
                  ("Source workbook",
                   f"{workbook.name}\nSHA-256 {hashlib.sha256(workbook_bytes).hexdigest()}"),
                  ("Evidence files", f"{len(sources)} ({len(problems)} missing)"
                   if problems else str(len(sources)))]
    fallback = bool(unshowable)
    canvas = pages.Canvas(when, fallback)
    cover_drawn = canvas.cover(title, cover_rows, status)
    body = _body(documents or {}, sources, canvas)
    label_drawn, label_w, label_h = canvas.label(
        f"{rid} \xb7 {classification} \xb7 Controlled copy v{version}", STAMP_SIZE)
    _cut(body, canvas)
    cover = canvas.part(cover_drawn)
    label = canvas.part(label_drawn)
    sizes = {"index": 1, "matrix": 1, "manifest": 1}
    for _ in range(6):  # lay out until the front matter's length no longer moves the pages
        parts = _sequence(cover, _blank(sizes["index"]), _blank(sizes["matrix"]), body,
                          _blank(sizes["manifest"]))
        total = parts[-1].start + sizes["manifest"]
        front = {p.key: p.start for p in parts[:3]}
        anchors = _doc_anchors(parts)
        front_canvas = pages.Canvas(when, fallback)
        index = _index(front, parts, sources, total, parts[-1].start, front_canvas)
        matrix = _matrix(parts, sources, agenda_items or {}, anchors, front_canvas)
        manifest = _manifest(sources, parts, front_canvas)
        new = {"index": index.pages, "matrix": matrix.pages, "manifest": manifest.pages}
        if new == sizes:
            break
        sizes = new
    parts = _sequence(cover, front_canvas.part(index), front_canvas.part(matrix), body,
                      front_canvas.part(manifest))
    pdf = pikepdf.new()
    targets: dict[str, int] = {}
    for part in parts:
        links = _link_targets(part.pdf) if part.source is not None or part.key.startswith("doc:") else []
        with warnings.catch_warnings():  # links, names and fields are handled below
            warnings.filterwarnings("ignore", message="Copying pages from another Pdf")
            pdf.pages.extend(part.pdf.pages)
        targets[part.key] = part.start
        if links:
            _fix_links(pdf, part, links)
        form = part.pdf.Root.get("/AcroForm")
        if form is not None:
            _prefix_fields(pdf, part, form)
    for source in sources:
        for other in source.ids[1:]:
            targets[f"ev:{other}"] = targets[f"ev:{source.id}"]
    targets.update(_doc_anchors(parts))
    for part, drawn in ((parts[1], index), (parts[2], matrix), (parts[-1], manifest)):
        _add_links(pdf, part, drawn, targets)
    _write_outline(pdf, parts)
    pdf.Root.PageLabels = Dictionary(Nums=Array([0, Dictionary(S=Name.D)]))
    pdf.Root.PageMode = Name.UseOutlines
    _stamp_pages(pdf, label, label_w, label_h)
    manifest_json = _manifest_json(data, workbook, sources, parts, status, len(pdf.pages))
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


def _manifest_json(data: WorkbookData, workbook: Path, sources: list[Source], parts: list[Part],
                   status: str, total: int) -> str:
    by_key = {p.key: p for p in parts}
    return json.dumps({
        "review_id": data.review.get("Review ID"), "status": status, "pages": total,
        "workbook": {"file": workbook.name, "sha256": hashlib.sha256(workbook.read_bytes()).hexdigest()},
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
