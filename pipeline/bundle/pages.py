"""The bundle's own pages, drawn with fpdf2 in embedded Unicode fonts (DejaVu Sans for Latin,
Greek and Cyrillic; WenQuanYi Micro Hei as a fallback for CJK when installed), so names in any
script are real, extractable text.

Pages that need links (index, coverage matrix) return where each entry was drawn; the links are
added after the merge, when the final page numbers are known.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import matplotlib
from fpdf import FPDF

DEJAVU = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
CJK_CANDIDATES = (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
                  Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
                  Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"))
A4 = (595.28, 841.89)
MARGIN = 56.0
NAVY = (31, 56, 100)


@dataclass
class LinkSpot:
    """Where an entry was drawn: page index within this part, rectangle in PDF points
    (origin bottom-left), and the bundle page it must link to (filled in later)."""

    page: int
    rect: tuple[float, float, float, float]
    key: str


@dataclass
class Drawn:
    pdf: bytes
    pages: int
    links: list[LinkSpot] = field(default_factory=list)


def new_pdf(when: dt.datetime, orientation: str = "P") -> FPDF:
    pdf = FPDF(orientation=orientation, unit="pt", format="A4")
    pdf.set_creation_date(when.replace(tzinfo=dt.UTC))
    pdf.set_creator("isms-review")
    pdf.set_producer("isms-review")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, MARGIN)
    pdf.add_font("DejaVu", "", DEJAVU / "DejaVuSans.ttf")
    pdf.add_font("DejaVu", "B", DEJAVU / "DejaVuSans-Bold.ttf")
    cjk = cjk_font() if _NEEDS_FALLBACK[0] else None
    if cjk is not None:  # loading it costs ~1 s: only when some text needs it
        pdf.add_font("CJK", "", cjk)
        pdf.set_fallback_fonts(["CJK"])
    pdf.set_font("DejaVu", size=10)
    return pdf


_NEEDS_FALLBACK = [False]


@cache
def _dejavu_chars() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(DEJAVU / "DejaVuSans.ttf", lazy=True) as font:
        return frozenset(font.getBestCmap())


@cache
def cjk_font() -> Path | None:
    return next((p for p in CJK_CANDIDATES if p.is_file()), None)


def prepare_fonts(texts: list[str]) -> list[str]:
    """Decide whether the fallback font is needed for these texts; return the characters no
    installed font can show (the caller reports them)."""
    covered = _dejavu_chars()
    outside = sorted({ch for text in texts for ch in text if ord(ch) > 126 and ord(ch) not in covered})
    _NEEDS_FALLBACK[0] = bool(outside)
    if outside and cjk_font() is None:
        return outside
    return []


def output(pdf: FPDF, links: list[LinkSpot] | None = None) -> Drawn:
    return Drawn(bytes(pdf.output()), pdf.page_no(), links or [])


def heading(pdf: FPDF, text: str, size: float = 18) -> None:
    pdf.set_font("DejaVu", "B", size)
    pdf.set_text_color(*NAVY)
    pdf.multi_cell(0, size * 1.3, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("DejaVu", size=10)
    pdf.ln(4)


def key_values(pdf: FPDF, rows: list[tuple[str, str]], label_width: float = 150) -> None:
    for label, value in rows:
        pdf.set_font("DejaVu", "B", 9.5)
        y = pdf.get_y()
        pdf.multi_cell(label_width, 14, label, new_x="RIGHT", new_y="TOP")
        pdf.set_font("DejaVu", size=9.5)
        pdf.multi_cell(0, 14, value, new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(max(pdf.get_y(), y + 14) + 2)


def cover(title: str, rows: list[tuple[str, str]], status: str, when: dt.datetime) -> Drawn:
    pdf = new_pdf(when)
    pdf.add_page()
    pdf.ln(80)
    heading(pdf, title, 24)
    pdf.ln(10)
    key_values(pdf, rows)
    pdf.ln(16)
    complete = status == "COMPLETE"
    pdf.set_font("DejaVu", "B", 14)
    pdf.set_text_color(*((46, 125, 50) if complete else (198, 40, 40)))
    pdf.multi_cell(0, 20, f"Completeness: {status}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    return output(pdf)


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]
    links: tuple[str, ...] = ()  # per cell: the link target's key, or "" for none
    bold: bool = False


def table(title: str, intro: str, headers: tuple[str, ...], widths: tuple[float, ...],
          rows: list[Row], when: dt.datetime, orientation: str = "P", size: float = 8.5) -> Drawn:
    """A titled table over as many pages as needed; cells with a link key become links."""
    pdf = new_pdf(when, orientation)
    pdf.add_page()
    heading(pdf, title)
    if intro:
        pdf.set_font("DejaVu", size=9)
        pdf.multi_cell(0, 12, intro, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(6)
    scale = (pdf.w - 2 * MARGIN) / sum(widths)
    cols = [w * scale for w in widths]
    line = size * 1.35
    links: list[LinkSpot] = []

    def header() -> None:
        pdf.set_font("DejaVu", "B", size)
        pdf.set_fill_color(*NAVY)
        pdf.set_text_color(255, 255, 255)
        for text, width in zip(headers, cols, strict=True):
            pdf.cell(width, line + 4, text, border=0, fill=True)
        pdf.ln(line + 4)
        pdf.set_text_color(0, 0, 0)

    header()
    for row in rows:
        style = "B" if row.bold else ""
        pdf.set_font("DejaVu", style, size)
        lines = max(len(pdf.multi_cell(w, line, t, dry_run=True, output="LINES") or [""])
                    for t, w in zip(row.cells, cols, strict=True))
        height = lines * line + 3
        if pdf.get_y() + height > pdf.h - MARGIN:
            pdf.add_page()
            header()
            pdf.set_font("DejaVu", style, size)
        top, x = pdf.get_y(), pdf.l_margin
        keys = row.links or ("",) * len(row.cells)
        for text, width, key in zip(row.cells, cols, keys, strict=True):
            pdf.set_text_color(*((21, 101, 192) if key else (0, 0, 0)))
            pdf.set_xy(x, top + 1.5)
            pdf.multi_cell(width, line, text)
            if key:
                links.append(LinkSpot(pdf.page_no() - 1,
                                      (x, pdf.h - top - height, x + width, pdf.h - top), key))
            x += width
        pdf.set_text_color(0, 0, 0)
        pdf.set_draw_color(200, 200, 200)
        pdf.line(pdf.l_margin, top + height, pdf.w - pdf.r_margin, top + height)
        pdf.set_xy(pdf.l_margin, top + height)
    return output(pdf, links)


def separator(title: str, subtitle: str, lines: list[str], when: dt.datetime) -> Drawn:
    pdf = new_pdf(when)
    pdf.add_page()
    pdf.ln(220)
    heading(pdf, title, 22)
    pdf.set_font("DejaVu", size=11)
    pdf.multi_cell(0, 15, subtitle, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("DejaVu", size=9.5)
    for line in lines:
        pdf.multi_cell(0, 13, line, new_x="LMARGIN", new_y="NEXT")
    return output(pdf)


def placeholder(title: str, reason: str, when: dt.datetime) -> Drawn:
    pdf = new_pdf(when)
    pdf.add_page()
    pdf.ln(200)
    pdf.set_text_color(198, 40, 40)
    heading(pdf, "MISSING FROM THIS BUNDLE", 20)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("DejaVu", "B", 12)
    pdf.multi_cell(0, 16, title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("DejaVu", size=10.5)
    pdf.multi_cell(0, 14, reason, new_x="LMARGIN", new_y="NEXT")
    return output(pdf)


def image_page(path: Path, title: str, when: dt.datetime) -> Drawn:
    """An image as a page: fitted within the margins, the page turned landscape for wide ones."""
    from PIL import Image

    with Image.open(path) as image:
        width, height = image.size
    pdf = new_pdf(when, "L" if width > height else "P")
    pdf.add_page()
    pdf.set_font("DejaVu", size=8)
    pdf.cell(0, 12, title, new_x="LMARGIN", new_y="NEXT")
    box_w, box_h = pdf.w - 2 * MARGIN, pdf.h - 2 * MARGIN - 16
    scale = min(box_w / width, box_h / height)
    w, h = width * scale, height * scale
    pdf.image(str(path), x=(pdf.w - w) / 2, y=MARGIN + 16, w=w, h=h)
    return output(pdf)


def stamp_label(text: str, when: dt.datetime, size: float = 7.0) -> tuple[bytes, float, float]:
    """A one-page PDF holding ``text`` (the static part of every stamp), its width and height
    in points. Made once per bundle and reused on every page as a form XObject."""
    pdf = new_pdf(when)
    pdf.set_font("DejaVu", size=size)
    width = pdf.get_string_width(text) + 2
    height = size * 1.4
    pdf.set_margins(0, 0, 0)
    pdf.set_auto_page_break(False)
    pdf.add_page(format=(width, height))
    pdf.set_xy(1, 0)
    pdf.cell(width - 2, height, text)
    return bytes(pdf.output()), width, height
