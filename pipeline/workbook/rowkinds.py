"""Rows inside a table that are not data: a note typed under the last row, or Excel's Total Row.

Each would otherwise give one "required" error per empty cell; here it gives one finding for the
row, which is then not read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .coerce import clean_text, is_blank
from .contract import Column, Sheet
from .findings import Finding, finding

_TOTAL = re.compile(r"^\s*(?:grand\s+)?(?:sub)?totals?\b|^\s*(?:sum|average|mean|count)\s*:?\s*$",
                    re.I)
_NOTE_MARK = re.compile(r"^\s*(?:notes?\b|nb\b|n\.b\.|\*|source\s*:|comments?\s*:|remarks?\b|"
                        r"please\b|see\b|tbc\b|to be confirmed|figures?\b|data\b|as (?:of|at)\b)",
                        re.I)


def not_a_data_row(
    name: str, r: int, cells: Sequence[tuple[Column, int, Any]],
    formulas: set[tuple[int, int]], sheet: Sheet,
) -> Finding | None:
    """One finding when row ``r`` (0-based) is a note or a total, else None."""
    filled = [(col, c, v) for col, c, v in cells if not is_blank(v) or (r, c) in formulas]
    if not filled:
        return None
    texts = [(col, c, v) for col, c, v in filled if isinstance(v, str) and (r, c) not in formulas]
    label = next((v for _, _, v in texts if _TOTAL.match(v)), None)
    if label is not None and all(
        v is label or (r, c) in formulas or isinstance(v, int | float) for _, c, v in filled
    ):
        return finding("total-row", f"Row {r + 1} is a total row ('{clean_text(label)}'), not an "
                       f"entry of '{sheet.name}'; it was not read. Turn off Table Design > Total Row, "
                       "or put the totals below the table with a blank row between.", name,
                       r + 1, filled[0][1], value=clean_text(label))
    if len(filled) == 1 and texts:
        col, c, text = texts[0]
        words = len(text.split())
        if _NOTE_MARK.match(text) or words >= 4 or (col.type != "long_text" and words >= 3):
            missing = ", ".join(x.name for x, _, _ in cells if x.required and x is not col)
            return finding("note-in-table", f"Row {r + 1} looks like a note, not an "
                           f"entry of '{sheet.name}': move it out of the table (below it, after a "
                           "blank row, or above the headings); it was not read. If it is a new "
                           f"entry, fill in {missing}.", name, r + 1, c,
                           value=clean_text(text), column=col.name)
    return None
