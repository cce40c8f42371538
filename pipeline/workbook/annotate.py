"""Write a copy of the workbook with each finding's cell highlighted and commented.

The user's workbook is never touched: openpyxl round-trips lose features, so we only ever
write the copy, and only through an atomic rename.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

from ..errors import UserError
from ..files import atomic_write_bytes
from .findings import Finding, Report

ERROR_FILL = PatternFill("solid", fgColor="F8CBAD")
WARNING_FILL = PatternFill("solid", fgColor="FFE699")
_CELL = re.compile(r"!([A-Z]{1,3})([0-9]+)$")
REPORT_SHEET = "Validation findings"


def annotate(source: Path, report: Report, out: Path) -> int:
    """Write the annotated copy to ``out``; return how many cells were marked."""
    if out.resolve() == source.resolve():
        raise UserError(f"{out}: --annotate must name a new file, not the workbook itself "
                        "(the original is never changed).")
    if out.suffix.lower() not in (".xlsx", ".xlsm"):
        raise UserError(f"{out}: the annotated copy must end in .xlsx.")
    try:
        wb = load_workbook(source, keep_links=False)
    except Exception as exc:
        raise UserError(f"{source}: cannot be re-opened to annotate it ({exc}).") from None
    by_cell: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in report.findings:
        match = _CELL.search(f.cell)
        if match and f.sheet in wb.sheetnames:
            by_cell[(f.sheet, match.group(1) + match.group(2))].append(f)
    for (sheet, ref), items in by_cell.items():
        cell = wb[sheet][ref]
        worst = "error" if any(i.severity == "error" for i in items) else "warning"
        cell.fill = ERROR_FILL if worst == "error" else WARNING_FILL
        text = "\n".join(f"{i.severity.upper()} {i.code}: {i.message}" for i in items)
        cell.comment = Comment(text[:30000], "isms-review validate", width=400, height=160)
    if REPORT_SHEET in wb.sheetnames:
        del wb[REPORT_SHEET]
    ws = wb.create_sheet(REPORT_SHEET, 0)
    ws.append(["Severity", "Code", "Cell", "Value", "What to do"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for f in report.findings:
        ws.append([f.severity, f.code, f.cell, f.value, f.message])
    for letter, width in zip("ABCDE", (10, 22, 28, 24, 110), strict=True):
        ws.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    wb.save(buffer)
    atomic_write_bytes(out, buffer.getvalue())
    return len(by_cell)
