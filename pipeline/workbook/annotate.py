"""Write a copy of the workbook with each finding's cell highlighted and commented, and a first
sheet listing every finding — a copy that can be sent on its own and printed.

The user's workbook is never touched: openpyxl round-trips lose features, so we only ever
write the copy, and only through an atomic rename. A finding on a merged cell is marked on the
merge's top-left cell (the only one that can hold a value or a comment); the help comment of a
heading is kept, with the finding added below it.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from ..errors import UserError
from ..files import atomic_write_bytes
from .findings import CATEGORY_TITLES, Finding, Report, cell_ref
from .template import literal

ERROR_FILL = PatternFill("solid", fgColor="F8CBAD")
WARNING_FILL = PatternFill("solid", fgColor="FFE699")
SECTION_FILL = PatternFill("solid", fgColor="D9E1F2")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
_CELL = re.compile(r"!\$?([A-Z]{1,3})\$?([0-9]+)$")
REPORT_SHEET = "Validation findings"
COLUMNS = ("Category", "Severity", "Code", "Cell", "Value", "What to do")
WIDTHS = (24, 10, 22, 30, 26, 100)
AUTHOR = "isms-review validate"


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
    if REPORT_SHEET in wb.sheetnames:
        del wb[REPORT_SHEET]
    marked = _mark_cells(wb, report)
    _findings_sheet(wb, report)
    buffer = io.BytesIO()
    try:
        wb.save(buffer)
    except Exception as exc:
        raise UserError(f"{out}: the annotated copy could not be written ({exc}); the report "
                        "above is complete without it.") from None
    atomic_write_bytes(out, buffer.getvalue())
    return marked


def _target(wb: Workbook, f: Finding) -> tuple[Worksheet, str] | None:
    """The sheet and cell a finding is shown on (a merge's top-left cell for a merged cell)."""
    match = _CELL.search(f.cell)
    if not match or f.sheet not in wb.sheetnames:
        return None
    ws = wb[f.sheet]
    ref = match.group(1) + match.group(2)
    for merged in ws.merged_cells.ranges:
        if ref in merged:
            return ws, merged.start_cell.coordinate
    return ws, ref


def _mark_cells(wb: Workbook, report: Report) -> int:
    by_cell: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in report.findings:
        target = _target(wb, f)
        if target is not None:
            by_cell[(target[0].title, target[1])].append(f)
    for (sheet, ref), items in by_cell.items():
        cell = wb[sheet][ref]
        worst = "error" if any(i.severity == "error" for i in items) else "warning"
        cell.fill = ERROR_FILL if worst == "error" else WARNING_FILL
        text = "\n".join(f"{i.severity.upper()} {i.code}: {i.message}" for i in items)
        text += f"\n(All findings: sheet '{REPORT_SHEET}'.)"
        help_text = cell.comment.text if cell.comment is not None else ""
        if help_text and AUTHOR not in (cell.comment.author or ""):
            text = f"{help_text}\n\n{text}"
        lines = text.count("\n") + 1 + len(text) // 60
        cell.comment = Comment(_clean(text)[:30000], AUTHOR, width=420,
                               height=min(max(120, 16 * lines), 600))
    return len(by_cell)


def _clean(text: object) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", "" if text is None else str(text))


def _findings_sheet(wb: Workbook, report: Report) -> None:
    ws = wb.create_sheet(REPORT_SHEET, 0)
    wb.active = 0
    for sheet in wb.worksheets[1:]:
        sheet.sheet_view.tabSelected = False
    ws["A1"] = f"Validation findings for {Path(report.path).name}"
    ws["A1"].font = Font(bold=True, size=14, color="1F3864")
    verdict = ("no errors: the workbook can be built" if report.ok else
               "the errors must be fixed before the documents can be built")
    ws["A2"] = (f"{len(report.errors)} error(s), {len(report.warnings)} warning(s): {verdict}. "
                "Click a cell reference to go to the cell; every marked cell has a comment.")
    row = _legend(ws, report, 4)
    header = row + 1
    for c, name in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=header, column=c, value=name)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
    row = header
    for category, title in CATEGORY_TITLES.items():
        items = [f for f in report.findings if f.category == category]
        if not items:
            continue
        row += 1
        errors = sum(1 for f in items if f.severity == "error")
        section = ws.cell(row=row, column=1, value=title)
        section.font = Font(bold=True)
        ws.cell(row=row, column=6, value=f"{errors} error(s), {len(items) - errors} warning(s)")
        for c in range(1, len(COLUMNS) + 1):
            ws.cell(row=row, column=c).fill = SECTION_FILL
        for f in sorted(items, key=lambda f: f.severity != "error"):  # stable: errors first
            row += 1
            _finding_row(ws, wb, row, title, f)
    for c, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[chr(64 + c)].width = width
    last = max(row, header + 1)
    ws.auto_filter.ref = f"A{header}:F{last}"
    ws.freeze_panes = f"A{header + 1}"
    _print_setup(ws, header, report)


def _legend(ws: Worksheet, report: Report, row: int) -> int:
    """Colour key, what the two sections mean, and a count per sheet; returns the last row."""
    lines: list[tuple[str, PatternFill | None, str]] = [
        ("error", ERROR_FILL, "Must be fixed before the documents can be built."),
        ("warning", WARNING_FILL, "Check it: the documents can still be built."),
        (CATEGORY_TITLES["fix-workbook"], None, "A problem with what was typed: correct the "
         "workbook and validate again."),
        (CATEGORY_TITLES["management-attention"], None, "The data is right; the situation needs "
         "discussing or a decision at the review."),
    ]
    ws.cell(row=row, column=1, value="Legend").font = Font(bold=True)
    for label, fill, meaning in lines:
        row += 1
        key = ws.cell(row=row, column=1, value=label)
        if fill is not None:
            key.fill = fill
        ws.cell(row=row, column=2, value=meaning)
    counts = report.by_sheet()
    if counts:
        row += 1
        ws.cell(row=row, column=1, value="Per sheet").font = Font(bold=True)
        ws.cell(row=row, column=2, value="; ".join(
            f"{sheet}: {n['errors']} error(s), {n['warnings']} warning(s)"
            for sheet, n in counts.items()))
    return row + 1


def _finding_row(ws: Worksheet, wb: Workbook, row: int, title: str, f: Finding) -> None:
    values: list[Any] = [title, f.severity, f.code, f.cell or "(whole workbook)", f.value,
                         f.message]
    for c, value in enumerate(values, start=1):
        cell = literal(ws.cell(row=row, column=c, value=_clean(value)))
        cell.alignment = Alignment(vertical="top", wrap_text=c in (5, 6))
    ws.cell(row=row, column=2).fill = ERROR_FILL if f.severity == "error" else WARNING_FILL
    target = _target(wb, f)
    location = (cell_ref(target[0].title) + "!" + target[1]) if target else (
        cell_ref(f.sheet) + "!A1" if f.sheet in wb.sheetnames else None)
    if location is not None:
        link = ws.cell(row=row, column=4)
        link.hyperlink = Hyperlink(ref=link.coordinate, location=location,
                                   tooltip="Go to the cell")
        link.font = Font(color="0563C1", underline="single")


def _print_setup(ws: Worksheet, header: int, report: Report) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True  # type: ignore[union-attr]
    ws.print_title_rows = f"{header}:{header}"
    ws.print_options.gridLines = True
    name = _clean(Path(report.path).name).replace("&", "&&")  # & starts a header code
    header_footer = ws.HeaderFooter
    header_footer.oddHeader.center.text = f"Validation findings — {name}"  # type: ignore[union-attr]
    header_footer.oddFooter.center.text = "Page &P of &N"  # type: ignore[union-attr]
