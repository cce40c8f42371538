"""The bundle's own pages, drawn with fpdf2 in embedded Unicode fonts (DejaVu Sans for Latin,
Greek and Cyrillic; WenQuanYi Micro Hei for CJK and Symbola for emoji as fallbacks when some
text needs them), so names in most scripts are real, extractable text (what no font has is
named in a warning: :func:`unshowable`).

All generated pages of one layout pass are drawn on one :class:`Canvas` (loading fonts is the
expensive part) and cut into parts afterwards. Pages that need links (index, coverage matrix,
manifest) record where each linked cell was drawn; links are added after the merge, when the
final page numbers are known.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from fpdf import FPDF

from ..fontcover import font_chars, missing_characters

# DejaVu Sans ships inside matplotlib (a dependency); find it without importing matplotlib
_MPL = importlib.util.find_spec("matplotlib")
DEJAVU = (Path(next(iter(_MPL.submodule_search_locations or ["."]))) if _MPL else Path(".")) / \
    "mpl-data" / "fonts" / "ttf"
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
    sub: str = ""  # a second, full-width line (tables drawn with sub=True)


@cache
def _dejavu_chars() -> frozenset[int]:
    return font_chars(DEJAVU / "DejaVuSans.ttf")


@cache
def cjk_font() -> Path | None:
    return next((p for p in CJK_CANDIDATES if p.is_file()), None)


def uncovered(texts: list[str]) -> list[str]:
    """Characters DejaVu Sans cannot show (so the CJK fallback font is needed)."""
    covered = _dejavu_chars()
    return sorted({ch for text in texts for ch in text if ord(ch) > 126 and ord(ch) not in covered})


# emoji and symbols in one colour (make setup installs it): the second fallback font
SYMBOLS = Path("/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf")


def fallback_fonts() -> list[tuple[str, Path]]:
    """The fallback fonts installed, in the order fpdf tries them."""
    found = [("CJK", cjk_font()), ("Symbols", SYMBOLS if SYMBOLS.is_file() else None)]
    return [(name, path) for name, path in found if path is not None]


@cache
def _fallback_chars() -> frozenset[int]:
    return frozenset().union(*(font_chars(path) for _, path in fallback_fonts()))


def unshowable(chars: list[str]) -> list[str]:
    """Of ``chars`` (from :func:`uncovered`), those the fallback fonts cannot show either: they
    print as empty boxes (emoji, scripts such as Devanagari that no installed font covers)."""
    return missing_characters("".join(chars), _fallback_chars()) if chars else []


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
        fonts = fallback_fonts() if fallback else []
        for name, path in fonts:  # costs about a second to load: only when some text needs it
            pdf.add_font(name, "", path)
        if fonts:
            pdf.set_fallback_fonts([name for name, _ in fonts])
        pdf.set_font("DejaVu", size=10)
        self.pdf = pdf
        self._parts: list[Drawn] = []

    # -------------------------------------------------------------------- bookkeeping
    def _begin(self, orientation: str = "P") -> Drawn:
        drawn = Drawn(self.pdf.page_no())
        self.pdf.add_page(orientation=orientation)
        self._parts.append(drawn)
        return drawn

    def _end(self, drawn: Drawn) -> Drawn:
        drawn.pages = self.pdf.page_no() - drawn.first
        return drawn

    def save(self, path: Path) -> Path:
        """Write every page drawn so far to ``path`` (the merge copies the parts' pages from it)."""
        path.write_bytes(bytes(self.pdf.output()))
        return path

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

    # Tables have rows of fixed height (one line of cells, plus an optional full-width second
    # line), so how many pages a table takes is arithmetic: the layout passes count pages with
    # table_pages() and only the final pass draws.
    def _table_geometry(self, intro: str, orientation: str, size: float,
                        sub: bool) -> tuple[float, float, float, float]:
        """(first page start y, later pages start y, row height, page bottom)."""
        width, height = (A4[1], A4[0]) if orientation == "L" else A4
        line = size * 1.35
        header = line + 4
        intro_lines = self._count_lines(intro, width - 2 * MARGIN, 9) if intro else 0
        first = MARGIN + 18 * 1.3 + 4 + (intro_lines * 12 + 6 if intro else 0) + header
        return first, MARGIN + header, line * (2 if sub else 1) + 3, height - MARGIN

    def _count_lines(self, text: str, width: float, size: float) -> int:
        """Lines ``text`` takes when wrapped at word boundaries within ``width`` (as multi_cell
        does), measured without drawing."""
        pdf = self.pdf
        pdf.set_font("DejaVu", size=size)
        space = pdf.get_string_width(" ")
        lines, used = 1, 0.0
        for word in text.split():
            w = pdf.get_string_width(word)
            if used and used + space + w > width - 2 * pdf.c_margin:
                lines, used = lines + 1, w
            else:
                used += (space if used else 0) + w
        return lines

    def table_pages(self, intro: str, rows: int, orientation: str = "P", size: float = 8.5,
                    sub: bool = False) -> int:
        first, later, row, bottom = self._table_geometry(intro, orientation, size, sub)
        on_first = max(int((bottom - first) // row), 1)
        if rows <= on_first:
            return 1
        per_page = max(int((bottom - later) // row), 1)
        return 1 + -(-(rows - on_first) // per_page)

    def _write(self, x: float, top: float, baseline: float, width: float, height: float,
               text: str) -> None:
        """One line of text: the fast text() when DejaVu has every glyph, else cell(), which
        falls back to the CJK font glyph by glyph."""
        if text.isascii() or not uncovered([text]):
            self.pdf.text(x + 2.0, baseline, text)
        else:
            self.pdf.set_xy(x, top)
            self.pdf.cell(width, height, text)

    def _fit(self, text: str, width: float, size: float) -> str:
        """``text`` cut with an ellipsis to fit ``width`` (cheap when it clearly fits)."""
        if len(text) * size * 0.62 < width:
            return text
        pdf = self.pdf
        if pdf.get_string_width(text) <= width:
            return text
        while text and pdf.get_string_width(text + "…") > width:
            text = text[: max(len(text) - max(len(text) // 8, 1), 0)]
        return text + "…"

    def table(self, title: str, intro: str, headers: tuple[str, ...], widths: tuple[float, ...],
              rows: list[Row], orientation: str = "P", size: float = 8.5, sub: bool = False) -> Drawn:
        """A titled table over as many pages as needed; cells with a link key become links.
        With ``sub``, each row's ``sub`` text is a second, full-width line."""
        pdf = self.pdf
        drawn = self._begin(orientation)
        pdf.set_font("DejaVu", "B", 18)
        pdf.set_text_color(*NAVY)
        pdf.cell(0, 18 * 1.3, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.ln(4)
        first, later, height, bottom = self._table_geometry(intro, orientation, size, sub)
        if intro:
            pdf.set_font("DejaVu", size=9)
            pdf.multi_cell(0, 12, intro, new_x="LMARGIN", new_y="NEXT", align="L")
            pdf.ln(6)
        scale = (pdf.w - 2 * MARGIN) / sum(widths)
        cols = [w * scale for w in widths]
        line = size * 1.35
        pad = 2.0

        def header() -> None:
            pdf.set_font("DejaVu", "B", size)
            pdf.set_fill_color(*NAVY)
            pdf.set_text_color(255, 255, 255)
            for text, width in zip(headers, cols, strict=True):
                pdf.cell(width, line + 4, self._fit(text, width - 2 * pad, size), fill=True)
            pdf.ln(line + 4)
            pdf.set_text_color(0, 0, 0)

        header()
        pdf.set_y(first)
        for row in rows:
            if pdf.get_y() + height > bottom + 0.01:
                pdf.add_page(orientation=orientation)
                header()
                pdf.set_y(later)
            top, x = pdf.get_y(), pdf.l_margin
            pdf.set_font("DejaVu", "B" if row.bold else "", size)
            keys = row.links or ("",) * len(row.cells)
            baseline = top + 1.5 + line / 2 + size * 0.35
            for text, width, key in zip(row.cells, cols, keys, strict=True):
                pdf.set_text_color(*((21, 101, 192) if key else (0, 0, 0)))
                if text:
                    self._write(x, top + 1.5, baseline, width, line, self._fit(text, width - 2 * pad, size))
                if key:
                    drawn.links.append(LinkSpot(pdf.page_no() - 1 - drawn.first,
                                                (x, pdf.h - top - height, x + width, pdf.h - top), key))
                x += width
            pdf.set_text_color(0, 0, 0)
            if sub:
                pdf.set_font("DejaVu", size=size - 1)
                self._write(pdf.l_margin, top + 1.5 + line, baseline + line, pdf.w - 2 * MARGIN, line,
                            self._fit(row.sub, pdf.w - 2 * MARGIN - 2 * pad, size - 1))
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
        y = pdf.get_y() + 10
        for line in lines:
            if y > pdf.h - MARGIN:
                pdf.add_page()
                y = MARGIN + 10
            fitted = self._fit(line, pdf.w - 2 * MARGIN, 9.5)
            self._write(MARGIN - 2, y - 9.5, y, pdf.w - 2 * MARGIN, 13, fitted)
            y += 13
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
