"""Bounds that fit the document: how long rendering a template may take, how many pages a
document may have, and how long LibreOffice may take to convert it.

A pack that normally renders in seconds must not be given minutes, and a document that would
run to thousands of pages (a 32,767-character cell in every column) is refused before
LibreOffice starts, naming the document and the limit. The constants were measured on the
example and on generated reviews of 100 to 1,600 risks (benchmarks/render_limits.py), with
room for a slow, busy machine.
"""

from __future__ import annotations

import dataclasses
import io
import math
import zipfile
from pathlib import Path
from typing import Any

from defusedxml import ElementTree

from ..errors import UserError

# rendering: measured 0.9 s CPU + 0.02 s per 1,000 characters of context, per template
RENDER_FLOOR = 3.0  # CPU seconds any template may take
RENDER_PER_KCHAR = 0.1  # CPU seconds more per 1,000 characters of review data
# pages: A4, 2 cm margins, 11 pt: about 90 characters a line, 46 lines a page
CHARS_PER_LINE = 90
LINES_PER_PAGE = 46
TWIPS_PER_CHAR = 105  # 10 pt table text: about 5.25 pt a character
EMU_PER_LINE = 914400 * 0.2  # an image 1 inch high takes 5 lines
PAGE_BUDGET = 600  # pages in one generated document
# LibreOffice: measured 2 s to start + 0.16 s a page
CONVERT_FLOOR = 30.0  # seconds for one batch
CONVERT_PER_PAGE = 1.0  # seconds more per estimated page

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"


class DocumentTooLarge(UserError):
    """A generated document is over the page budget."""


def context_size(value: Any) -> int:
    """Characters of text in the render context (list items count one each)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list | tuple):
        return len(value) + sum(context_size(v) for v in value)
    if isinstance(value, dict):
        return sum(context_size(v) for v in value.values())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(context_size(getattr(value, f.name)) for f in dataclasses.fields(value))
    return 1


def render_budget(ctx: Any) -> float:
    """CPU seconds one template may take to render with this context."""
    return RENDER_FLOOR + RENDER_PER_KCHAR * context_size(ctx) / 1000


@dataclasses.dataclass(frozen=True)
class PageEstimate:
    pages: int
    paragraphs: int
    rows: int
    characters: int
    longest: int  # characters in the longest paragraph


def _text_length(paragraph: Any) -> int:
    return sum(len(t.text or "") for t in paragraph.iter(f"{W}t"))


def _cell_chars(cell: Any, share: float) -> float:
    """Characters a line of this cell holds: from its width (twips) when set, else a share."""
    width = cell.find(f"{W}tcPr/{W}tcW")
    if width is not None and width.get(f"{W}type") == "dxa":
        try:
            return max(int(width.get(f"{W}w", "0")) / TWIPS_PER_CHAR - 1, 4.0)
        except ValueError:
            pass
    return share


def _lines(paragraph: Any, width: float) -> float:
    return max(1.0, math.ceil(_text_length(paragraph) / max(width, 4.0)))


def estimate_pages(docx: bytes) -> PageEstimate:
    """Pages the document will have, from its paragraphs, table rows (a row is as tall as its
    fullest cell, cells sharing the line width), images and page breaks."""
    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        xml = zf.read("word/document.xml")
    body = ElementTree.fromstring(xml).find(f"{W}body")
    lines = 0.0
    paragraphs = rows = characters = longest = 0
    for block in body if body is not None else []:
        if block.tag == f"{W}p":
            lines += _lines(block, CHARS_PER_LINE)
        elif block.tag == f"{W}tbl":
            for row in block.iter(f"{W}tr"):
                cells = row.findall(f"{W}tc")
                share = CHARS_PER_LINE / max(len(cells), 1)
                tallest = max((sum(_lines(p, _cell_chars(cell, share)) for p in cell.iter(f"{W}p"))
                               for cell in cells), default=1.0)
                lines += tallest + 0.3  # cell padding
                rows += 1
    for paragraph in body.iter(f"{W}p") if body is not None else []:
        n = _text_length(paragraph)
        paragraphs, characters, longest = paragraphs + 1, characters + n, max(longest, n)
    for extent in body.iter(f"{WP}extent") if body is not None else []:
        lines += int(extent.get("cy", "0")) / EMU_PER_LINE
    breaks = sum(1 for b in body.iter(f"{W}br") if b.get(f"{W}type") == "page") if body is not None else 0
    pages = math.ceil(lines / LINES_PER_PAGE) + breaks
    return PageEstimate(max(pages, 1), paragraphs, rows, characters, longest)


def check_page_budget(docx: Path, template: str, budget: int | None = None) -> PageEstimate:
    """The estimate, or :class:`DocumentTooLarge` naming the document, the template and the
    budget (raised before LibreOffice is asked to lay out thousands of pages)."""
    budget = PAGE_BUDGET if budget is None else budget
    estimate = estimate_pages(docx.read_bytes())
    if estimate.pages > budget:
        raise DocumentTooLarge(
            f"{docx.name} (from template {template}): would be about {estimate.pages:,} pages, "
            f"more than the budget of {budget:,} pages for one document ({estimate.rows:,} table "
            f"rows, {estimate.characters:,} characters, the longest paragraph {estimate.longest:,} "
            "characters); shorten the longest cells in the workbook or move detail into evidence "
            "files, then build again.")
    return estimate


def conversion_limit(pages: int) -> float:
    """Seconds LibreOffice may take to convert a batch of ``pages`` estimated pages."""
    return CONVERT_FLOOR + CONVERT_PER_PAGE * pages
