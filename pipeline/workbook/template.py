"""Write the review workbook from the contract: the blank template and filled examples alike.

Every register becomes an Excel table with styled, frozen headings, a comment carrying the help
text on each heading, dropdowns for lists and Yes/No, date and number validation, and the
clause reference above it. The output is byte-for-byte reproducible.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from ..files import atomic_write_bytes, reproducible_zip
from .contract import Column, Contract, Sheet, load_contract
from .periods import Period

VALIDATED_ROWS = 2000  # dropdowns and checks reach this far below the headings
TITLE_FONT = Font(bold=True, size=14, color="1F3864")
HELP_FONT = Font(italic=True, color="595959")
LABEL_FONT = Font(bold=True)
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
FIELD_FILL = PatternFill("solid", fgColor="D9E1F2")
THIN = Side(style="thin", color="A6A6A6")
WIDTHS = {"long_text": 48, "text": 22, "person": 20, "date": 12, "enum": 16, "id": 14,
          "integer": 11, "number": 11, "percentage": 11, "yes_no": 10, "period": 11,
          "ref": 12, "enum_list": 14, "time": 10, "timezone": 18}
DATE_FORMAT = "yyyy-mm-dd"

Rows = Sequence[Mapping[str, Any]]


def build_workbook(
    contract: Contract | None = None,
    review: Mapping[str, Any] | None = None,
    rows: Mapping[str, Rows] | None = None,
    statements: Mapping[str, str] | None = None,
) -> Workbook:
    """The workbook for ``contract``, optionally filled with review fields and register rows."""
    contract = contract or load_contract()
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for sheet in contract.sheets:
        ws = wb.create_sheet(sheet.name)
        _print_setup(ws)
        if sheet.kind == "instructions":
            _instructions(ws, contract)
        elif sheet.kind == "fields":
            _fields(ws, sheet, review or {})
        else:
            _register(ws, sheet, contract, (rows or {}).get(sheet.name, ()),
                      (statements or {}).get(sheet.name))
    return wb


def workbook_bytes(wb: Workbook, when: dt.datetime | None = None) -> bytes:
    """Serialise ``wb`` reproducibly: fixed document dates and zip timestamps."""
    stamp = when or dt.datetime(2026, 1, 1)
    wb.properties.creator = "isms-review"
    wb.properties.created = stamp
    buffer = io.BytesIO()
    wb.save(buffer)
    return reproducible_zip(buffer.getvalue(), stamp)


def write_workbook(path: Path, wb: Workbook, when: dt.datetime | None = None) -> None:
    atomic_write_bytes(path, workbook_bytes(wb, when))


def _print_setup(ws: Worksheet) -> None:
    """Print each sheet landscape, one page wide, headings repeated on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True  # type: ignore[union-attr]


# ---------------------------------------------------------------------------- instructions


def _instructions(ws: Worksheet, contract: Contract) -> None:
    ws["A1"] = contract.title
    ws["A1"].font = TITLE_FONT
    lines = [
        f"This workbook holds every input to the management review required by {contract.standard}.",
        "Fill one workbook per review. Keep the sheet names and the column headings as they are;",
        "you may add your own columns (they are ignored) and reorder columns.",
        "Each register is an Excel table: type in the first empty row below it and the table grows.",
        "Hover over a heading to read what the column needs. Yellow cells are for you to fill.",
        f"A mandatory input with nothing to report needs a reason next to "
        f"'{contract.nothing_to_report_label}' above its table.",
        "Dates as dates (YYYY-MM-DD). Check the workbook with:  isms-review validate WORKBOOK",
    ]
    for i, line in enumerate(lines, start=2):
        ws.cell(row=i, column=1, value=line)
    row = len(lines) + 3
    for c, heading in enumerate(("Sheet", "Clause", "What it holds", "Column", "Type",
                                 "Required", "What to enter"), start=1):
        cell = ws.cell(row=row, column=c, value=heading)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
    for sheet in contract.data_sheets:
        row += 1
        ws.cell(row=row, column=1, value=sheet.name).font = LABEL_FONT
        ws.cell(row=row, column=2, value=sheet.clause)
        ws.cell(row=row, column=3, value=f"{sheet.title}. {sheet.help}".strip())
        for col in sheet.columns:
            row += 1
            ws.cell(row=row, column=4, value=col.name)
            ws.cell(row=row, column=5, value=col.type_label)
            ws.cell(row=row, column=6, value="Yes" if col.required else "No")
            ws.cell(row=row, column=7, value=col.help)
    for letter, width in zip("ABCDEFG", (22, 12, 50, 28, 30, 10, 80), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A10"


# ------------------------------------------------------------------------ the Review sheet


def _fields(ws: Worksheet, sheet: Sheet, values: Mapping[str, Any]) -> None:
    _heading(ws, sheet)
    header = 4
    for c, text in enumerate(("Field", "Value", "What to enter"), start=1):
        cell = ws.cell(row=header, column=c, value=text)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
    for i, col in enumerate(sheet.columns, start=header + 1):
        label = ws.cell(row=i, column=1, value=col.name)
        label.font = LABEL_FONT
        label.fill = FIELD_FILL
        value_cell = ws.cell(row=i, column=2, value=_cell_value(col, values.get(col.name)))
        value_cell.fill = INPUT_FILL
        value_cell.border = Border(top=THIN, bottom=THIN, left=THIN, right=THIN)
        value_cell.alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
        _format(value_cell, col)
        lines = -(-len(str(value_cell.value or "")) // 56)
        if lines > 1:
            ws.row_dimensions[i].height = 15 * min(lines, 8)
        ws.cell(row=i, column=3, value=("Required. " if col.required else "Optional. ") + col.help)
        dv = _validation(col)
        if dv is not None:
            ws.add_data_validation(dv)
            dv.add(f"B{i}")
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 60
    ws.column_dimensions["C"].width = 90
    ws.freeze_panes = f"A{header + 1}"


# ------------------------------------------------------------------------------ registers


def _heading(ws: Worksheet, sheet: Sheet) -> None:
    ws["A1"] = sheet.heading
    ws["A1"].font = TITLE_FONT
    ws["A2"] = sheet.help
    ws["A2"].font = HELP_FONT


def _register(
    ws: Worksheet, sheet: Sheet, contract: Contract, rows: Rows, statement: str | None
) -> None:
    _heading(ws, sheet)
    header = contract.header_row
    if sheet.nothing_to_report:
        ws.cell(row=header - 1, column=1, value=contract.nothing_to_report_label).font = LABEL_FONT
        reason = ws.cell(row=header - 1, column=2, value=statement)
        reason.fill = INPUT_FILL
        reason.border = Border(top=THIN, bottom=THIN, left=THIN, right=THIN)
    for c, col in enumerate(sheet.columns, start=1):
        cell = ws.cell(row=header, column=c, value=col.name)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        note = f"{'Required' if col.required else 'Optional'} · {col.type_label}\n{col.help}"
        cell.comment = Comment(note, "isms-review", width=300, height=120)
        ws.column_dimensions[get_column_letter(c)].width = _width(col, c)
    for r, values in enumerate(rows, start=header + 1):
        lines = 1
        for c, col in enumerate(sheet.columns, start=1):
            value = _cell_value(col, values.get(col.name))
            cell = ws.cell(row=r, column=c, value=value)
            _format(cell, col)
            cell.border = Border(bottom=THIN)
            cell.alignment = Alignment(wrap_text=isinstance(value, str), vertical="top")
            if isinstance(value, str):
                lines = max(lines, -(-len(value) // max(int(_width(col, c)) - 2, 1)))
        if lines > 1:  # neither Excel nor Calc sizes wrapped rows written by openpyxl
            ws.row_dimensions[r].height = 15 * min(lines, 8)
    last_row = header + max(len(rows), 1)
    last_col = get_column_letter(len(sheet.columns))
    table = Table(displayName=sheet.table or sheet.name.replace(" ", ""),
                  ref=f"A{header}:{last_col}{last_row}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    first, last = header + 1, header + VALIDATED_ROWS
    for c, col in enumerate(sheet.columns, start=1):
        dv = _validation(col)
        if dv is not None:
            ws.add_data_validation(dv)
            letter = get_column_letter(c)
            dv.add(f"{letter}{first}:{letter}{last}")
    ws.freeze_panes = f"A{header + 1}"
    ws.print_title_rows = f"{header}:{header}"


def _width(col: Column, position: int) -> float:
    width = max(WIDTHS.get(col.type, 16), min(len(col.name) + 4, 30))
    return max(width, 27) if position == 1 else width  # column A also holds the reason label


def _cell_value(col: Column, value: Any) -> Any:
    if isinstance(value, Period):
        return value.label
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    if col.type == "time" and isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return value


def _format(cell: Any, col: Column) -> None:
    if col.type == "date":
        cell.number_format = DATE_FORMAT
    elif col.type == "percentage":
        cell.number_format = "0%"
    elif col.type in ("id", "ref", "text", "person", "period", "time"):
        cell.number_format = "@"  # text: keeps 007 and 2026-10 as typed


def _validation(col: Column) -> DataValidation | None:
    prompt = col.help[:250]
    title = col.name[:32]
    common: dict[str, Any] = {"showInputMessage": True, "promptTitle": title, "prompt": prompt,
                              "showErrorMessage": True, "errorTitle": title}
    if col.type in ("enum", "yes_no"):
        values = col.values if col.type == "enum" else ("Yes", "No")
        return DataValidation(type="list", formula1='"' + ",".join(values) + '"',
                              allow_blank=True, error=f"Choose one of: {', '.join(values)}",
                              **common)
    if col.type == "date":
        return DataValidation(type="date", operator="between", formula1="DATE(1990,1,1)",
                              formula2="DATE(2100,12,31)", allow_blank=True,
                              error="Type a date, e.g. 2026-11-30.", **common)
    if col.type == "integer":
        low = int(col.min) if col.min is not None else -1_000_000_000
        high = int(col.max) if col.max is not None else 1_000_000_000
        return DataValidation(type="whole", operator="between", formula1=str(low),
                              formula2=str(high), allow_blank=True,
                              error=f"Type a whole number from {low} to {high}.", **common)
    if col.type == "percentage":
        return DataValidation(type="decimal", operator="between", formula1="0", formula2="1",
                              allow_blank=True, error="Type a percentage, e.g. 75%.", **common)
    common["showErrorMessage"] = False
    return DataValidation(allow_blank=True, **common)
