"""The bundle's own pages, drawn with fpdf2 in embedded Unicode fonts (DejaVu Sans for Latin,
Greek and Cyrillic; WenQuanYi Micro Hei as a fallback for CJK when some text needs it), so
names in any script are real, extractable text.

All generated pages of one layout pass are drawn on one :class:`Canvas` (loading fonts is the
expensive part) and cut into parts afterwards. Pages that need links (index, coverage matrix,
manifest) record where each linked cell was drawn; links are added after the merge, when the
final page numbers are known.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import matplotlib
import pikepdf
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
    """A linked cell: page within its part, rectangle in PDF points (origin bottom-left)."""

    page: int
    rect: tuple[float, float, float, float]
    key: str


@dataclass
class Drawn:
    """A part drawn on the canvas: its first page on the canvas, page count and links."""

    first: int
    pages: int = 0
    links: list[LinkSpot] = field(default_factory=list)


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]
    links: tuple[str, ...] = ()  # per cell: the link target's key, or "" for none
    bold: bool = False


@cache
def _dejavu_chars() -> frozenset[int]:
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    with TTFont(DEJAVU / "DejaVuSans.ttf", lazy=True) as font:
        return frozenset(font.getBestCmap())


@cache
def cjk_font() -> Path | None:
    return next((p for p in CJK_CANDIDATES if p.is_file()), None)


def uncovered(texts: list[str]) -> list[str]:
    """Characters DejaVu Sans cannot show (so the CJK fallback font is needed)."""
    covered = _dejavu_chars()
    return sorted({ch for text in texts for ch in text if ord(ch) > 126 and ord(ch) not in covered})


class Canvas:
    def __init__(self, when: dt.datetime, fallback: bool = False) -> None:
        pdf = FPDF(unit="pt", format="A4")
        pdf.set_creation_date(when.replace(tzinfo=dt.UTC))
        pdf.set_creator("isms-review")
        pdf.set_producer("isms-review")
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.set_auto_page_break(True, MARGIN)
        pdf.add_font("DejaVu", "", DEJAVU / "DejaVuSans.ttf")
        pdf.add_font("DejaVu", "B", DEJAVU / "DejaVuSans-Bold.ttf")
        cjk = cjk_font() if fallback else None
        if cjk is not None:  # costs about a second to load: only when some text needs it
            pdf.add_font("CJK", "", cjk)
            pdf.set_fallback_fonts(["CJK"])
        pdf.set_font("DejaVu", size=10)
        self.pdf = pdf
        self._parts: list[Drawn] = []
        self._result: pikepdf.Pdf | None = None

    # -------------------------------------------------------------------- bookkeeping
    def _begin(self, orientation: str = "P") -> Drawn:
        drawn = Drawn(self.pdf.page_no())
        self.pdf.add_page(orientation=orientation)
        self._parts.append(drawn)
        return drawn

    def _end(self, drawn: Drawn) -> Drawn:
        drawn.pages = self.pdf.page_no() - drawn.first
        return drawn

    def finish(self) -> pikepdf.Pdf:
        if self._result is None:
            self._result = pikepdf.open(io.BytesIO(bytes(self.pdf.output())))
        return self._result

    def part(self, drawn: Drawn) -> pikepdf.Pdf:
        """The pages of one drawn part as a PDF of their own."""
        source = self.finish()
        out = pikepdf.new()
        out.pages.extend(source.pages[drawn.first:drawn.first + drawn.pages])
        return out

    # --------------------------------------------------------------------- primitives
    def heading(self, text: str, size: float = 18) -> None:
        pdf = self.pdf
        pdf.set_font("DejaVu", "B", size)
        pdf.set_text_color(*NAVY)
        pdf.multi_cell(0, size * 1.3, text, new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.set_text_color(0, 0, 0)
        pdf.set_font("DejaVu", size=10)
        pdf.ln(4)

    def key_values(self, rows: list[tuple[str, str]], label_width: float = 150) -> None:
        pdf = self.pdf
        for label, value in rows:
            y = pdf.get_y()
            pdf.set_font("DejaVu", "B", 9.5)
            pdf.multi_cell(label_width, 14, label, new_x="RIGHT", new_y="TOP", align="L")
            pdf.set_font("DejaVu", size=9.5)
            pdf.multi_cell(0, 14, value, new_x="LMARGIN", new_y="NEXT", align="L")
            pdf.set_y(max(pdf.get_y(), y + 14) + 2)

    # -------------------------------------------------------------------------- parts
    def cover(self, title: str, rows: list[tuple[str, str]], status: str) -> Drawn:
        drawn = self._begin()
        self.pdf.ln(80)
        self.heading(title, 24)
        self.pdf.ln(10)
        self.key_values(rows)
        self.pdf.ln(16)
        self.pdf.set_font("DejaVu", "B", 14)
        self.pdf.set_text_color(*((46, 125, 50) if status == "COMPLETE" else (198, 40, 40)))
        self.pdf.multi_cell(0, 20, f"Completeness: {status}", new_x="LMARGIN", new_y="NEXT", align="L")
        self.pdf.set_text_color(0, 0, 0)
        return self._end(drawn)

    def table(self, title: str, intro: str, headers: tuple[str, ...], widths: tuple[float, ...],
              rows: list[Row], orientation: str = "P", size: float = 8.5) -> Drawn:
        """A titled table over as many pages as needed; cells with a link key become links."""
        pdf = self.pdf
        drawn = self._begin(orientation)
        self.heading(title)
        if intro:
            pdf.set_font("DejaVu", size=9)
            pdf.multi_cell(0, 12, intro, new_x="LMARGIN", new_y="NEXT", align="L")
            pdf.ln(6)
        scale = (pdf.w - 2 * MARGIN) / sum(widths)
        cols = [w * scale for w in widths]
        line = size * 1.35

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
            lines = max(len(pdf.multi_cell(w, line, t, dry_run=True, output="LINES") or [""])  # type: ignore[arg-type]
                        for t, w in zip(row.cells, cols, strict=True))
            height = lines * line + 3
            if pdf.get_y() + height > pdf.h - MARGIN:
                pdf.add_page(orientation=orientation)
                header()
                pdf.set_font("DejaVu", style, size)
            top, x = pdf.get_y(), pdf.l_margin
            keys = row.links or ("",) * len(row.cells)
            for text, width, key in zip(row.cells, cols, keys, strict=True):
                pdf.set_text_color(*((21, 101, 192) if key else (0, 0, 0)))
                pdf.set_xy(x, top + 1.5)
                pdf.multi_cell(width, line, text, align="L")
                if key:
                    drawn.links.append(LinkSpot(pdf.page_no() - 1 - drawn.first,
                                                (x, pdf.h - top - height, x + width, pdf.h - top), key))
                x += width
            pdf.set_text_color(0, 0, 0)
            pdf.set_draw_color(200, 200, 200)
            pdf.line(pdf.l_margin, top + height, pdf.w - pdf.r_margin, top + height)
            pdf.set_xy(pdf.l_margin, top + height)
        return self._end(drawn)

    def separator(self, title: str, subtitle: str, lines: list[str]) -> Drawn:
        drawn = self._begin()
        pdf = self.pdf
        pdf.ln(200)
        self.heading(title, 22)
        pdf.set_font("DejaVu", size=11)
        pdf.multi_cell(0, 15, subtitle, new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.ln(8)
        pdf.set_font("DejaVu", size=9.5)
        for line in lines:
            pdf.multi_cell(0, 13, line, new_x="LMARGIN", new_y="NEXT", align="L")
        return self._end(drawn)

    def placeholder(self, title: str, reason: str) -> Drawn:
        drawn = self._begin()
        pdf = self.pdf
        pdf.ln(200)
        pdf.set_font("DejaVu", "B", 20)
        pdf.set_text_color(198, 40, 40)
        pdf.multi_cell(0, 26, "MISSING FROM THIS BUNDLE", new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.set_text_color(0, 0, 0)
        pdf.set_font("DejaVu", "B", 12)
        pdf.multi_cell(0, 16, title, new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.ln(6)
        pdf.set_font("DejaVu", size=10.5)
        pdf.multi_cell(0, 14, reason, new_x="LMARGIN", new_y="NEXT", align="L")
        return self._end(drawn)

    def image(self, path: Path, title: str) -> Drawn:
        """An image as a page: fitted within the margins, landscape for wide images."""
        from PIL import Image

        with Image.open(path) as image:
            image.load()
            width, height = image.size
        drawn = self._begin("L" if width > height else "P")
        pdf = self.pdf
        pdf.set_font("DejaVu", size=8)
        pdf.cell(0, 12, title, new_x="LMARGIN", new_y="NEXT")
        box_w, box_h = pdf.w - 2 * MARGIN, pdf.h - 2 * MARGIN - 16
        scale = min(box_w / width, box_h / height)
        w, h = width * scale, height * scale
        pdf.image(str(path), x=(pdf.w - w) / 2, y=MARGIN + 16, w=w, h=h)
        return self._end(drawn)

    def label(self, text: str, size: float) -> tuple[Drawn, float, float]:
        """``text`` alone on a page its own size: the static part of every stamp."""
        pdf = self.pdf
        pdf.set_font("DejaVu", size=size)
        width, height = pdf.get_string_width(text) + 2, size * 1.4
        drawn = Drawn(pdf.page_no())
        self._parts.append(drawn)
        pdf.set_auto_page_break(False)
        pdf.add_page(format=(width, height), orientation="P")
        margin, pdf.c_margin = pdf.c_margin, 0
        pdf.set_xy(1, 0)
        pdf.cell(width - 2, height, text)
        pdf.c_margin = margin
        pdf.set_auto_page_break(True, MARGIN)
        return self._end(drawn), width, height
