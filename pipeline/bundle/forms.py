"""Forms from any producer, shown the same in every viewer: appearances generated where they
are missing, then every widget — including widgets no /AcroForm field reaches (pikepdf's
flatten_annotations leaves those) — drawn into the page content and removed. The fillable
original is attached to the bundle by the caller."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name

HIDDEN, NO_VIEW = 2, 32


@dataclass
class Flattened:
    widgets: int = 0  # drawn into the page
    orphans: int = 0  # of which were not reachable from /AcroForm
    blank: int = 0  # had no appearance at all (nothing to draw)
    signatures: int = 0  # signature fields among them

    def note(self, cleaned: bool = False) -> str:
        parts = [f"form: {self.widgets} field(s) flattened into the page"]
        if self.orphans:
            parts.append(f"{self.orphans} of them not listed in the form's field list")
        if self.blank:
            parts.append(f"{self.blank} without any appearance left out")
        return "; ".join(parts) + "; the fillable original is attached" + (
            ", with its active content removed" if cleaned else "")


def _top(field: Any) -> Any:
    seen = 0
    while isinstance(field.get("/Parent"), Dictionary) and seen < 100:
        field, seen = field.Parent, seen + 1
    return field


def _reachable(form: Any) -> set[tuple[int, int]]:
    found: set[tuple[int, int]] = set()
    stack = list(form.get("/Fields", Array())) if isinstance(form, Dictionary) else []
    while stack:
        node = stack.pop()
        if not isinstance(node, Dictionary) or not node.is_indirect or node.objgen in found:
            continue
        found.add(node.objgen)
        stack.extend(node.get("/Kids", Array()))
    return found


def _field_type(widget: Any) -> str:
    node, depth = widget, 0
    while isinstance(node, Dictionary) and depth < 100:
        if "/FT" in node:
            return str(node.FT)
        node, depth = node.get("/Parent"), depth + 1
    return ""


def _inherited_resources(page: pikepdf.Page) -> Any:
    node: Any = page.obj
    while isinstance(node, Dictionary):
        if "/Resources" in node:
            return node.Resources
        node = node.get("/Parent")
    return None


def _clone(pdf: pikepdf.Pdf, stream: Any) -> pikepdf.Stream | None:
    if not isinstance(stream, pikepdf.Stream):
        return None
    copy = pdf.make_stream(stream.read_raw_bytes())
    for key in stream.keys():  # noqa: SIM118 (pikepdf dictionaries)
        if key != "/Length":
            copy[key] = stream[key]
    return copy


CORE_FONTS = {"Helv": "Helvetica", "HeBo": "Helvetica-Bold", "Cour": "Courier",
              "TiRo": "Times-Roman", "ZaDb": "ZapfDingbats", "Symb": "Symbol"}
_TF = re.compile(r"/([^\s/\[\]()<>{}%]+)\s+[-+\d.]+\s+Tf")


def _default_fonts(pdf: pikepdf.Pdf, form: Any, widgets: list[Any]) -> None:
    """Give the form's /DR every font its /DA strings name (forms often say "/Helv 10 Tf"
    without defining /Helv): generated appearances take their fonts from /DR, and a font
    missing there leaves text drawn in no font at all (and the bundle not PDF/A)."""
    wanted = set(_TF.findall(str(form.get("/DA", ""))))
    for widget in widgets:
        node, hops = widget, 0
        while isinstance(node, Dictionary) and hops < 32:
            wanted |= set(_TF.findall(str(node.get("/DA", ""))))
            node, hops = node.get("/Parent"), hops + 1
    if not wanted:
        return
    resources = form.get("/DR")
    if not isinstance(resources, Dictionary):
        resources = form.DR = Dictionary()
    fonts = resources.get("/Font")
    if not isinstance(fonts, Dictionary):
        fonts = resources.Font = Dictionary()
    for name in sorted(wanted):
        if "/" + name not in fonts:
            fonts["/" + name] = pdf.make_indirect(Dictionary(
                Type=Name.Font, Subtype=Name.Type1, BaseFont=Name("/" + CORE_FONTS.get(name, "Helvetica")),
                Encoding=Name.WinAnsiEncoding))


def flatten_forms(pdf: pikepdf.Pdf) -> Flattened:
    """Flatten every widget of ``pdf`` in place."""
    result = Flattened()
    widgets = [(page, annot) for page in pdf.pages
               for annot in (page.obj.get("/Annots") or Array())
               if isinstance(annot, Dictionary) and annot.get("/Subtype") == Name.Widget]
    if not widgets:
        if "/AcroForm" in pdf.Root:
            del pdf.Root["/AcroForm"]
        return result
    form = pdf.Root.get("/AcroForm")
    if not isinstance(form, Dictionary):
        form = pdf.Root.AcroForm = pdf.make_indirect(Dictionary(Fields=Array()))
    if not isinstance(form.get("/Fields"), Array):
        form.Fields = Array()
    reachable = _reachable(form)
    for _, widget in widgets:  # adopt orphans, so appearances are generated for them too
        top = _top(widget)
        if top.is_indirect and top.objgen not in reachable:
            result.orphans += 1
            form.Fields.append(top)
            reachable |= _reachable(Dictionary(Fields=Array([top])))
    # Appearances: all regenerated when the form asks viewers to (NeedAppearances); otherwise
    # only the missing ones are made, and the producer's own appearances are kept as drawn.
    # (qpdf edits existing appearance streams in place, so the kept ones are cloned first)
    drawn_already = [w for _, w in widgets if "/AP" in w and w.is_indirect]
    kept_as_drawn = {} if form.get("/NeedAppearances") else \
        {w.objgen: _clone(pdf, w.AP.get("/N")) for w in drawn_already}
    if len(drawn_already) < len(widgets) or form.get("/NeedAppearances"):
        form.NeedAppearances = True
        _default_fonts(pdf, form, [w for _, w in widgets])
        with contextlib.suppress(pikepdf.PdfError):  # fields qpdf cannot draw keep what they have
            pdf.generate_appearance_streams()
        for _, widget in widgets:
            clone = kept_as_drawn.get(widget.objgen) if widget.is_indirect else None
            if clone is not None:
                widget.AP.N = clone
    for number, page in enumerate(pdf.pages):
        annots = page.obj.get("/Annots")
        if not isinstance(annots, Array):
            continue
        drawing: list[bytes] = []
        kept: list[Any] = []
        rotate = int(page.obj.get("/Rotate", 0) or 0)
        for annot in annots:
            if not isinstance(annot, Dictionary) or annot.get("/Subtype") != Name.Widget:
                kept.append(annot)
                continue
            result.widgets += 1
            result.signatures += _field_type(annot) == "/Sig"
            flags = int(annot.get("/F", 0) or 0)
            if flags & (HIDDEN | NO_VIEW):
                continue
            helper = pikepdf.Annotation(annot)
            appearance = helper.get_appearance_stream(Name.N)
            if not isinstance(appearance, pikepdf.Stream):
                result.blank += 1
                continue
            if "/Resources" not in page.obj:
                inherited = _inherited_resources(page)
                page.obj.Resources = inherited if inherited is not None else Dictionary()
            name = page.add_resource(appearance, Name.XObject, Name(f"/IsrFx{number}_{len(drawing)}"))
            content = helper.get_page_content_for_appearance(name, rotate, 0, HIDDEN)
            if content:
                drawing.append(content)
        if drawing:
            page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
            page.contents_add(pdf.make_stream(b"Q\n" + b"\n".join(drawing) + b"\n"))
        if kept:
            page.obj.Annots = Array(kept)
        else:
            del page.obj["/Annots"]
    del pdf.Root["/AcroForm"]
    return result
