"""Text the documents cannot show: characters that no installed font has (emoji, a script no
font covers) print as empty boxes in the Word documents, their PDFs and the charts. Each cell
holding such characters gets a warning naming them, so a box in the pre-read is never a surprise.

Coverage is what fontconfig (which LibreOffice uses to find a font for each character) lists
for all installed fonts (:mod:`pipeline.fontcover`); without fontconfig nothing is claimed
either way."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from ..fontcover import installed_coverage, missing_characters
from ..workbook.findings import Finding, finding
from ..workbook.model import WorkbookData

MAX_CELLS = 20  # cells named one by one; the rest are counted in one more warning


def unshowable_text(data: WorkbookData, coverage: frozenset[int] | None = None) -> list[Finding]:
    """A warning for each cell (up to :data:`MAX_CELLS`) whose text has characters no installed
    font can show, naming them."""
    coverage = installed_coverage() if coverage is None else coverage
    if coverage is None:
        return []
    found: list[Finding] = []
    extra = 0
    for sheet, row, col, name, text in _cells(data):
        missing = missing_characters(text, coverage)
        if not missing:
            continue
        if len(found) >= MAX_CELLS:
            extra += 1
            continue
        found.append(finding(
            "text-unshowable", f"'{name}' has {''.join(missing[:12])} ({_names(missing)}), which "
            "no installed font can show: the documents and charts print an empty box for each. "
            "Write the text without them, or install a font that has them (make setup installs "
            "Noto and Symbola).", sheet, row, col, value="".join(missing[:40]), column=name))
    if extra:
        found.append(finding("text-unshowable", f"{extra} more cell(s) have characters no installed "
                             "font can show (the first are listed above).", found[0].sheet))
    return found


def _names(chars: list[str]) -> str:
    named = [unicodedata.name(ch, f"U+{ord(ch):04X}").title() for ch in chars[:3]]
    return ", ".join(named) + (" …" if len(chars) > 3 else "")


def _cells(data: WorkbookData) -> Iterator[tuple[str, int | None, int | None, str, str]]:
    """(sheet, 1-based row, 0-based column, column or field name, text) of every text value."""
    review = data.review
    for name, value in review.fields.items():
        if isinstance(value, str):
            yield "Review", data.review_rows.get(name), None, name, value  # the row: its
            # value's column differs between layouts
    for table in data.tables.values():
        if not table.present:
            continue
        sheet = table.actual_name or table.sheet.name
        for record in table.records:
            for name, value in record.values.items():
                if isinstance(value, str) and not value.isascii():
                    yield sheet, record.row, table.columns.get(name), name, value

