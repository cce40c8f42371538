"""Bounded work: look at a workbook's XML before the fast reader builds anything from it.

python-calamine builds each sheet as a dense grid from A1 to the last used cell, and makes one
Python string per text cell. A single value at XFD1048576 asks it for 17 billion cells, which
aborts the process (the Rust allocator calls abort(); no exception can catch it); one
32,767-character shared string referenced by 99,000 cells becomes 3 GB of Python strings. Both
are decided here, from the XML, before calamine sees the sheet — each limit breached is one
:class:`WorkbookFileError` naming the sheet, the cell and the limit.

The common case costs one pass over each sheet's XML: every cell reference must be a plain
``A1``..``Z99999``. Anything else (wide sheets, cells without a reference, namespace prefixes)
is measured exactly, which is slower but only happens for unusual files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .filecheck import WorkbookFileError

MAX_SHEETS = 200  # sheets in one workbook (a review workbook has 15)
MAX_ROWS = 100_000  # rows in use on one sheet; far above any real review register
MAX_CELLS = 10_000_000  # cells in a sheet's used area (rows × columns), what calamine allocates
MAX_TOTAL_TEXT = 50_000_000  # characters of text across the workbook, shared strings expanded
LONG_TEXT_CHARS = 5_000  # one long-text cell (about a page and a half)
TEXT_CHARS = 500  # one cell of any other column

_UPPER_DIGITS = bytes(
    ord("A") if 65 <= b <= 90 else ord("0") if 48 <= b <= 57 else b for b in range(256)
)
# on the translated XML (letters → A, digits → 0): a cell whose reference is anything but a plain
# A1..Z99999 reference written first. (Rows need no check: the reader places a cell by its own
# reference, and uses a row's number only for cells without one, which this pattern catches.)
_ODD_CELL = re.compile(rb'<c(?! r="A0{1,5}")[\s>/]')
_TAG = re.compile(rb"<(?:[\w.-]+:)?(row|c)(\s[^>]*?)?(/?)>")
_R_ATTR = re.compile(rb'(?:^|\s)r\s*=\s*["\']([A-Za-z]*)([0-9]*)["\']')
_SHARED_CELL = re.compile(rb"<(?:[\w.-]+:)?c\s([^>]*?\bt\s*=\s*[\"']s[\"'][^>]*)>\s*"
                          rb"<(?:[\w.-]+:)?v>\s*([0-9]+)\s*<")
_INLINE_TEXT = re.compile(rb"<(?:[\w.-]+:)?t(?:\s[^>]*)?>([^<]*)<")
_SI = re.compile(rb"<(?:[\w.-]+:)?si[\s>/]")
_MARKUP = re.compile(rb"<[^>]*>")
_ENTITY = re.compile(rb"&[#\w]+;")


@dataclass
class TextBudget:
    """Characters of text the sheets will expand to, counted as each sheet is checked."""

    shared: list[int] = field(default_factory=list)  # characters of each shared string
    longest_shared: int = 0
    used: int = 0


def letters_to_index(letters: bytes) -> int:
    index = 0
    for ch in letters.upper():
        index = index * 26 + (ch - 64)
    return index - 1


def _ref(row: int, col: int) -> str:
    from .findings import column_letter

    return f"{column_letter(col)}{row + 1}"


def check_sheet_count(path: Path, count: int) -> None:
    if count > MAX_SHEETS:
        raise WorkbookFileError(
            f"{path}: the workbook has {count:,} sheets, more than the limit of {MAX_SHEETS}; "
            "delete the sheets the review does not need, save, and run again."
        )


def shared_string_lengths(sst: bytes) -> TextBudget:
    """Characters of each shared string (markup and entities counted as one character)."""
    parts = _SI.split(sst)[1:]
    lengths = [len(p) for p in parts]  # an upper bound: tags and entities count extra
    budget = TextBudget(shared=lengths, longest_shared=max(lengths, default=0))
    if budget.longest_shared > 200:
        for i, part in enumerate(parts):
            if lengths[i] > 200:
                text = _ENTITY.sub(b"&", _MARKUP.sub(b"", part))
                lengths[i] = len(text.decode("utf-8", "replace"))
        budget.longest_shared = max(lengths, default=0)
    return budget


def check_sheet_xml(path: Path, name: str, xml: bytes, budget: TextBudget) -> None:
    """Raise :class:`WorkbookFileError` when reading this sheet would exceed a limit."""
    plain = b"<sheetData" in xml[:65536] or b"<sheetData" in xml
    if not plain or _ODD_CELL.search(xml.translate(_UPPER_DIGITS)):
        _check_extent(path, name, xml)
    # else: every cell lies within A1:Z99999, so at most 2.6 million cells and < MAX_ROWS rows
    _check_text(path, name, xml, budget)


def _check_extent(path: Path, name: str, xml: bytes) -> None:
    """Measure the used area exactly (the reader's way: a cell or row without a reference
    follows the previous one) and refuse it at the first cell that makes it too large, so
    that even a hostile sheet costs one pass at most."""
    row, col = -1, -1
    max_row = max_col = -1
    for m in _TAG.finditer(xml):
        kind, attrs, closed = m.group(1), m.group(2) or b"", m.group(3)
        ref = _R_ATTR.search(attrs)
        if kind == b"row":
            row = int(ref.group(2)) - 1 if ref and ref.group(2) else row + 1
            col = -1
            continue
        if ref and ref.group(1):
            col = letters_to_index(ref.group(1))
            if ref.group(2):
                row = int(ref.group(2)) - 1
        else:
            col += 1
        if closed or (row <= max_row and col <= max_col):
            continue  # an empty, formatted cell (the reader skips it), or inside the area
        max_row, max_col = max(max_row, row), max(max_col, col)
        if max_row + 1 > MAX_ROWS:
            raise WorkbookFileError(
                f"{path}: sheet '{name}' has more than {MAX_ROWS:,} rows in use (there is a "
                f"value in {_ref(row, col)}); delete the unused rows below your data (select "
                "them, right-click > Delete) or split the register, and run again."
            )
        if (max_row + 1) * (max_col + 1) > MAX_CELLS:
            cell = _ref(row, col)
            raise WorkbookFileError(
                f"{path}: sheet '{name}' has a value in {cell}, which makes its used area "
                f"{max_row + 1:,} rows × {max_col + 1:,} columns, more than the limit of "
                f"{MAX_CELLS:,} cells; delete what is in {cell} and any other far-away cells "
                "(Ctrl+End in Excel jumps to the last used cell), save, and run again."
            )


def _check_text(path: Path, name: str, xml: bytes, budget: TextBudget) -> None:
    """Count the text this sheet expands to; refuse the workbook past MAX_TOTAL_TEXT."""
    inline = len(xml)  # inline text is at most the XML itself
    if budget.used + inline > MAX_TOTAL_TEXT:
        inline = sum(len(t) for t in _INLINE_TEXT.findall(xml))
    budget.used += inline
    if budget.longest_shared:
        bound = (xml.count(b't="s"') + xml.count(b"t='s'")) * budget.longest_shared
        if budget.used + bound > MAX_TOTAL_TEXT:
            bound = _shared_text(path, name, xml, budget)
        budget.used += bound
    if budget.used > MAX_TOTAL_TEXT:
        raise _too_much_text(path, name, None)


def _shared_text(path: Path, name: str, xml: bytes, budget: TextBudget) -> int:
    """Exactly how many characters the shared strings of this sheet expand to."""
    total = 0
    lengths = budget.shared
    for m in _SHARED_CELL.finditer(xml):
        index = int(m.group(2))
        total += lengths[index] if index < len(lengths) else 0
        if budget.used + total > MAX_TOTAL_TEXT:
            ref = _R_ATTR.search(b" " + m.group(1))
            cell = (ref.group(1) + ref.group(2)).decode("ascii") if ref else None
            raise _too_much_text(path, name, cell)
    return total


def _too_much_text(path: Path, name: str, cell: str | None) -> WorkbookFileError:
    where = f"'{name}'!{cell}" if cell else f"sheet '{name}'"
    return WorkbookFileError(
        f"{path}: the cells hold more than {MAX_TOTAL_TEXT:,} characters of text in all (the "
        f"limit), passed at {where}; a long text is probably repeated in many cells: clear the "
        "cells that repeat it, save, and run again."
    )


def text_limit(column_type: str) -> int:
    """The most characters one cell of a column of this type may hold."""
    return LONG_TEXT_CHARS if column_type == "long_text" else TEXT_CHARS
