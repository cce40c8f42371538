"""PDF/A for the bundle's sources: what can be changed in an evidence PDF without changing
what it shows, so that its pages can be part of the PDF/A-3b bundle. The rest of PDF/A
(preparation, saving, validation) is :mod:`pipeline.archival`."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pikepdf
from pikepdf import Array, Name

from ..archival import (
    BUNDLE,
    LEVELS,
    Conformance,
    associate,
    pdf_date,
    prepare,
    save_kwargs,
    strip_for_pdfa,
    to_bytes,
    validate,
)
from .fonts import embed_standard_fonts

__all__ = ["BUNDLE", "LEVELS", "Conformance", "associate", "fit_source", "pdf_date", "prepare",
           "save_kwargs", "strip_for_pdfa", "to_bytes", "validate"]


# annotation types PDF/A-2 and -3 permit (3D, Sound, Screen, Movie, RichMedia and unknown
# types are not); a FileAttachment's file must itself conform in PDF/A-2, not in PDF/A-3
PERMITTED_ANNOTATIONS = frozenset(
    "/" + t for t in ("Text", "Link", "FreeText", "Line", "Square", "Circle", "Polygon", "PolyLine",
                      "Highlight", "Underline", "Squiggly", "StrikeOut", "Stamp", "Caret", "Ink",
                      "Popup", "FileAttachment", "Widget", "PrinterMark", "TrapNet", "Watermark",
                      "Redact"))
TAB_ORDERS = frozenset({"/R", "/C", "/S"})


def fit_source(pdf: pikepdf.Pdf, dry_run: bool = False,
               resources: list[Any] | None = None) -> tuple[list[str], list[str]]:
    """Fit a source PDF's pages for a PDF/A bundle where that changes nothing they show:
    embed substitutes for non-embedded core fonts (same widths, so no text moves), drop page
    transitions (slide-show effects), repair a tab order given as text, remove annotations of
    types PDF/A forbids. Returns (notes on what was done, obstacles that remain); ``dry_run``:
    what would be done and what would remain, changing nothing (the bundle does it on the
    merged pages; ``resources``: its pages' resource dictionaries, when already listed)."""
    substituted, impossible = embed_standard_fonts(pdf, dry_run, resources)
    notes = [f"fonts embedded for PDF/A (metric-compatible): {', '.join(substituted)}"] if substituted else []
    removed: Counter[str] = Counter()
    for page in pdf.pages:
        removed.update(_forbidden(page.obj.get("/Annots")))
        if not dry_run:
            _fit_page(page.obj)
    if removed:
        notes.append("annotations PDF/A does not permit removed: "
                     + ", ".join(f"{count} {kind}" for kind, count in sorted(removed.items())))
    obstacles = [f"a font cannot be embedded: {name}" for name in impossible]
    if hidden_layers(pdf):
        obstacles.append("it has layers hidden until a reader turns them on (optional content), "
                         "which the bundle's pages would show")
    return notes, obstacles


def hidden_layers(pdf: pikepdf.Pdf) -> bool:
    """Whether the file's default view hides any of its layers (optional content groups): its
    pages copied into the bundle would lose that view and show them."""
    properties = pdf.Root.get("/OCProperties")
    if not isinstance(properties, pikepdf.Dictionary):
        return False
    default = properties.get("/D")
    if not isinstance(default, pikepdf.Dictionary):
        return False
    off = default.get("/OFF")
    return default.get("/BaseState") == Name.OFF or (isinstance(off, Array) and len(off) > 0)


def _forbidden(annots: object) -> Counter[str]:
    """How many annotations of each type PDF/A forbids are in ``annots``."""
    found: Counter[str] = Counter()
    for annot in annots if isinstance(annots, Array) else []:
        subtype = annot.get("/Subtype") if isinstance(annot, pikepdf.Dictionary) else None
        if subtype is not None and str(subtype) not in PERMITTED_ANNOTATIONS:
            found[str(subtype).lstrip("/")] += 1
    return found


def _fit_page(node: pikepdf.Dictionary) -> None:
    """No page transitions, a tab order PDF/A knows, no annotation of a type it forbids."""
    for key in ("/Trans", "/Dur", "/PresSteps"):
        if key in node:
            del node[key]
    tabs = node.get("/Tabs")
    if tabs is not None and not (isinstance(tabs, Name) and str(tabs) in TAB_ORDERS):
        fixed = "/" + str(tabs).lstrip("/")
        if fixed in TAB_ORDERS:
            node.Tabs = Name(fixed)
        else:
            del node["/Tabs"]
    annots = node.get("/Annots")
    if isinstance(annots, Array) and _forbidden(annots):
        node.Annots = Array([a for a in annots if not (
            isinstance(a, pikepdf.Dictionary) and a.get("/Subtype") is not None
            and str(a.get("/Subtype")) not in PERMITTED_ANNOTATIONS)])
