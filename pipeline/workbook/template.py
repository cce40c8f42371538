"""Write the review workbook from the contract: the blank template and filled examples alike.

Every register becomes an Excel table with styled, frozen headings, a comment carrying the help
text on each heading, and the clause reference above it. Mistakes are stopped in Excel, before
the validator ever sees them:

- cell formats per column type: Text for IDs, periods and text (so ``007`` and ``2026-10``
  stay as typed), dates as dates, times as times, long text wrapped;
- data validation: lists for enums and Yes/No, an Owner list fed from the Attendees sheet, the
  Metric IDs of d2 for d4, a time-zone list, checks on dates, times and numbers, and a
  ``COUNTIF`` rule that refuses an ID already used in the table;
- "Required for the final minutes" on the columns the final minutes cannot do without;
- a numbered "how to fill this workbook" box on the Instructions sheet.

The output is byte-for-byte reproducible.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import tomllib
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
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
TIME_FORMAT = "hh:mm"
TEXT_FORMAT = "@"  # Excel's Text: keeps 007, 2026-10 and 1/2 as typed
NUMBER_FORMATS = {"date": DATE_FORMAT, "time": TIME_FORMAT, "percentage": "0%", "integer": "0"}
TEXT_TYPES = frozenset({"id", "ref", "text", "long_text", "person", "period", "enum",
                        "enum_list", "timezone"})
ATTENDEE_NAMES = "AttendeeNames"  # the defined name the Owner lists read
TIME_ZONE_NAMES = "TimeZones"
TIME_ZONE_COLUMN = 9  # column I of the Instructions sheet holds the time-zone list
BOX_FILL = PatternFill("solid", fgColor="E2EFDA")
FINAL_FILL = PatternFill("solid", fgColor="FCE4D6")
COMMON_TIME_ZONES = (
    "UTC", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Brussels",
    "Europe/Amsterdam", "Europe/Luxembourg", "Europe/Berlin", "Europe/Zurich", "Europe/Vienna",
    "Europe/Madrid", "Europe/Rome", "Europe/Copenhagen", "Europe/Oslo", "Europe/Stockholm",
    "Europe/Warsaw", "Europe/Prague", "Europe/Budapest", "Europe/Helsinki", "Europe/Athens",
    "Europe/Bucharest", "Europe/Kyiv", "Europe/Istanbul", "Europe/Moscow", "Asia/Dubai",
    "Asia/Karachi", "Asia/Kolkata", "Asia/Bangkok", "Asia/Singapore", "Asia/Hong_Kong",
    "Asia/Shanghai", "Asia/Tokyo", "Asia/Seoul", "Australia/Perth", "Australia/Sydney",
    "Pacific/Auckland", "Africa/Lagos", "Africa/Johannesburg", "Africa/Nairobi",
    "America/Sao_Paulo", "America/New_York", "America/Toronto", "America/Chicago",
    "America/Denver", "America/Phoenix", "America/Los_Angeles", "America/Mexico_City",
    "Pacific/Honolulu",
)

Rows = Sequence[Mapping[str, Any]]


@cache
def final_required() -> frozenset[tuple[str, str]]:
    """(sheet, column) pairs the final minutes cannot do without (``final_required`` in the
    contract), labelled so in the template even where the pre-read does not need them."""
    text = resources.files("pipeline.workbook").joinpath("contract.toml").read_text("utf-8")
    return frozenset((sheet["name"], col["name"]) for sheet in tomllib.loads(text)["sheet"]
                     for col in sheet.get("column", ()) if col.get("final_required"))


def requirement(sheet: Sheet, col: Column) -> str:
    if col.required:
        return "Required"
    if (sheet.name, col.name) in final_required():
        return "Required for the final minutes"
    return "Optional"


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
    _defined_names(wb, contract)
    for sheet in contract.sheets:
        ws = wb.create_sheet(sheet.name)
        _print_setup(ws)
        if sheet.kind == "instructions":
            _instructions(ws, contract)
        elif sheet.kind == "fields":
            _fields(ws, sheet, contract, review or {})
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


HOW_TO = (
    "Save a copy of this workbook for the review (one workbook per review). Keep the sheet "
    "names and the column headings as they are; your own extra columns are ignored.",
    "Fill the Review sheet: the yellow cells in column B. Dates as dates (2026-12-11), the time "
    "as 10:00, the time zone from the list.",
    "List everyone invited on Attendees first: the Owner lists on the other sheets come from it.",
    "Fill the input sheets a to g, Evidence and (after the meeting) Decisions. Type in the first "
    "empty row under a table and the table grows; hover over a heading for what it needs; pick "
    "from the dropdowns. Excel refuses an ID already used in the same table.",
    "Type figures in the metric's unit: 78 for 78 % (not 0.78 or a Percentage cell). If an "
    "input has nothing to report, write why next to '{label}' above its table.",
    "Check your work: isms-review validate review.xlsx --annotate checked.xlsx — then open "
    "checked.xlsx: its first sheet lists every problem with a link to its cell.",
    "After the meeting: Attendance, Decisions (one owner and a due date each: required for the "
    "final minutes), then Approved by and Approved on.",
    "To see a filled-in review: isms-review example acme-example, then open "
    "acme-example/review.xlsx.",
)


def _instructions(ws: Worksheet, contract: Contract) -> None:
    ws["A1"] = contract.title
    ws["A1"].font = TITLE_FONT
    ws["A2"] = (f"This workbook holds every input to the management review required by "
                f"{contract.standard}.")
    ws["A3"] = "How to fill this workbook"
    ws["A3"].font = Font(bold=True, size=12, color="375623")
    row = 3
    box = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
    for number, step in enumerate(HOW_TO, start=1):
        row += 1
        ws.cell(row=row, column=1, value=f"{number}.").font = LABEL_FONT
        text = ws.cell(row=row, column=2, value=step.format(label=contract.nothing_to_report_label))
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=7)
        text.alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[row].height = 30
    for r in range(3, row + 1):
        for c in range(1, 8):
            cell = ws.cell(row=r, column=c)
            cell.fill = BOX_FILL
            cell.border = box
    row += 2
    header = row
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
            ws.cell(row=row, column=6, value=requirement(sheet, col).replace("Required", "Yes")
                    .replace("Optional", "No"))
            ws.cell(row=row, column=7, value=col.help)
    zones = ws.cell(row=1, column=TIME_ZONE_COLUMN, value="Time zones offered on the Review sheet")
    zones.font = LABEL_FONT
    for i, zone in enumerate(COMMON_TIME_ZONES, start=2):
        ws.cell(row=i, column=TIME_ZONE_COLUMN, value=zone)
    for letter, width in zip("ABCDEFGHI", (22, 12, 50, 28, 30, 12, 80, 4, 30), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = f"A{header + 1}"


def _defined_names(wb: Workbook, contract: Contract) -> None:
    """Ranges the lists read: attendee names, every column a ref points to, the time zones."""
    header, last = contract.header_row + 1, contract.header_row + VALIDATED_ROWS
    attendees = contract.sheet("Attendees")
    column = get_column_letter(attendees.columns.index(attendees.column("Name")) + 1)
    names = {ATTENDEE_NAMES: f"{_quoted(attendees.name)}!${column}${header}:${column}${last}",
             TIME_ZONE_NAMES: f"{_quoted(contract.sheets[0].name)}!$"
                              f"{get_column_letter(TIME_ZONE_COLUMN)}$2:$"
                              f"{get_column_letter(TIME_ZONE_COLUMN)}$"
                              f"{len(COMMON_TIME_ZONES) + 1}"}
    for sheet in contract.sheets:
        for col in sheet.columns:
            if col.type == "ref":
                target_sheet, target_col = col.ref_target
                target = contract.sheet(target_sheet)
                letter = get_column_letter(target.columns.index(target.column(target_col)) + 1)
                names[_list_name(col)] = (f"{_quoted(target.name)}!${letter}${header}:"
                                          f"${letter}${last}")
    for name, ref in names.items():
        wb.defined_names[name] = DefinedName(name, attr_text=ref)


def _list_name(col: Column) -> str:
    return "List" + re.sub(r"[^A-Za-z0-9]", "", col.ref or col.name)


def _quoted(sheet: str) -> str:
    return sheet if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", sheet) else (
        "'" + sheet.replace("'", "''") + "'")


# ------------------------------------------------------------------------ the Review sheet


def _fields(ws: Worksheet, sheet: Sheet, contract: Contract, values: Mapping[str, Any]) -> None:
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
        value_cell = literal(ws.cell(row=i, column=2, value=_cell_value(col, values.get(col.name))))
        value_cell.fill = INPUT_FILL
        value_cell.border = Border(top=THIN, bottom=THIN, left=THIN, right=THIN)
        value_cell.alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
        _format(value_cell, col)
        lines = -(-len(str(value_cell.value or "")) // 56)
        if lines > 1:
            ws.row_dimensions[i].height = 15 * min(lines, 8)
        need = requirement(sheet, col)
        note = ws.cell(row=i, column=3, value=f"{need}. {col.help}")
        if need.endswith("final minutes"):
            note.fill = FINAL_FILL
        dv = _validation(sheet, col, f"B{i}", f"B{i}")
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
        reason = literal(ws.cell(row=header - 1, column=2, value=statement))
        reason.fill = INPUT_FILL
        reason.border = Border(top=THIN, bottom=THIN, left=THIN, right=THIN)
    for c, col in enumerate(sheet.columns, start=1):
        cell = ws.cell(row=header, column=c, value=col.name)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        note = f"{requirement(sheet, col)} · {col.type_label}\n{col.help}"
        cell.comment = Comment(note, "isms-review", width=300, height=120)
        _column_style(ws, c, col)
    for r, values in enumerate(rows, start=header + 1):
        lines = 1
        for c, col in enumerate(sheet.columns, start=1):
            value = _cell_value(col, values.get(col.name))
            cell = literal(ws.cell(row=r, column=c, value=value))
            _format(cell, col)
            cell.border = Border(bottom=THIN)
            cell.alignment = Alignment(wrap_text=isinstance(value, str), vertical="top")
            if isinstance(value, str):
                lines = max(lines, -(-len(value) // max(int(_width(col, c)) - 2, 1)))
        if lines > 1:  # neither Excel nor Calc sizes wrapped rows written by openpyxl
            ws.row_dimensions[r].height = 15 * min(lines, 8)
    if not rows:  # the table's first, empty row carries the formats Excel copies to new rows
        for c, col in enumerate(sheet.columns, start=1):
            _format(ws.cell(row=header + 1, column=c), col)
    last_row = header + max(len(rows), 1)
    last_col = get_column_letter(len(sheet.columns))
    table = Table(displayName=sheet.table or sheet.name.replace(" ", ""),
                  ref=f"A{header}:{last_col}{last_row}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    first, last = header + 1, header + VALIDATED_ROWS
    for c, col in enumerate(sheet.columns, start=1):
        letter = get_column_letter(c)
        dv = _validation(sheet, col, f"{letter}{first}", f"{letter}{last}")
        if dv is not None:
            ws.add_data_validation(dv)
            dv.add(f"{letter}{first}:{letter}{last}")
    ws.freeze_panes = f"A{header + 1}"
    ws.print_title_rows = f"{header}:{header}"


def _width(col: Column, position: int) -> float:
    width = max(WIDTHS.get(col.type, 16), min(len(col.name) + 4, 30))
    return max(width, 27) if position == 1 else width  # column A also holds the reason label


def literal(cell: Any) -> Any:
    """Keep text as text: openpyxl makes a string that starts with "=" a formula, and "#N/A"
    an error value; what a user typed as text must come back as that text, never a live
    formula (a HYPERLINK to anywhere) in a workbook this tool writes."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def _cell_value(col: Column, value: Any) -> Any:
    if isinstance(value, Period):
        return value.label
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    return value


def number_format(col: Column) -> str | None:
    """The cell format a column type needs so that Excel keeps what is typed."""
    if col.type in TEXT_TYPES:
        return TEXT_FORMAT
    return NUMBER_FORMATS.get(col.type)


def _format(cell: Any, col: Column) -> None:
    fmt = number_format(col)
    if fmt is not None:
        cell.number_format = fmt


def _column_style(ws: Worksheet, c: int, col: Column) -> None:
    """The width, format and wrapping of the whole column: cells typed below the table keep
    them too."""
    dim = ws.column_dimensions[get_column_letter(c)]
    dim.width = _width(col, c)
    fmt = number_format(col)
    if fmt is not None:
        dim.number_format = fmt
    if col.type == "long_text":
        dim.alignment = Alignment(wrap_text=True, vertical="top")


_NUMBER_LIMIT = 1_000_000_000_000


def _validation(sheet: Sheet, col: Column, first: str, last: str) -> DataValidation | None:
    """The data validation for a column whose cells run from ``first`` to ``last``."""
    prompt = col.help[:250]
    title = col.name[:32]
    common: dict[str, Any] = {"showInputMessage": True, "promptTitle": title, "prompt": prompt,
                              "showErrorMessage": True, "errorTitle": title, "allow_blank": True}
    if col.type in ("enum", "yes_no"):
        values = col.values if col.type == "enum" else ("Yes", "No")
        return DataValidation(type="list", formula1='"' + ",".join(values) + '"',
                              error=f"Choose one of: {', '.join(values)}", **common)
    if col.type == "date":
        return DataValidation(type="date", operator="between", formula1="DATE(1990,1,1)",
                              formula2="DATE(2100,12,31)",
                              error="Type a date, e.g. 2026-11-30.", **common)
    if col.type == "time":
        return DataValidation(type="time", operator="between", formula1="0",
                              formula2="0.999988425925926",
                              error="Type a time on the 24-hour clock, e.g. 10:00.", **common)
    if col.type == "integer":
        low = int(col.min) if col.min is not None else -1_000_000_000
        high = int(col.max) if col.max is not None else 1_000_000_000
        return DataValidation(type="whole", operator="between", formula1=str(low),
                              formula2=str(high),
                              error=f"Type a whole number from {low} to {high}.", **common)
    if col.type == "number":
        low_n = col.min if col.min is not None else -_NUMBER_LIMIT
        high_n = col.max if col.max is not None else _NUMBER_LIMIT
        return DataValidation(type="decimal", operator="between", formula1=f"{low_n:g}",
                              formula2=f"{high_n:g}",
                              error="Type a number only (e.g. 95 or 3.5): no units, no % sign, "
                              "no words." + (f" At least {col.min:g}." if col.min is not None
                                             else ""), **common)
    if col.type == "percentage":
        return DataValidation(type="decimal", operator="between", formula1="0", formula2="1",
                              error="Type a percentage, e.g. 75%.", **common)
    if col.type == "person" and sheet.name != "Attendees":
        return DataValidation(type="list", formula1=f"={ATTENDEE_NAMES}", errorStyle="warning",
                              error="This name is not on the Attendees sheet. Yes keeps it (an "
                              "owner need not attend); No lets you pick from the list.", **common)
    if col.type == "ref":
        return DataValidation(type="list", formula1=f"={_list_name(col)}",
                              error=f"Choose one of the {col.type_label}s, or leave it blank.",
                              **common)
    if col.type == "timezone":
        return DataValidation(type="list", formula1=f"={TIME_ZONE_NAMES}", errorStyle="warning",
                              error="Not one of the listed zones. Yes keeps it if it is an IANA "
                              "name such as Europe/London; No lets you pick from the list.",
                              **common)
    if col.type == "id" and sheet.kind == "table":
        return DataValidation(type="custom", formula1=_count_once(first, last),
                              error="This ID is already used in this table: give each row its "
                              "own ID.", **common)
    if col.type == "period" and sheet.row_key:
        key = [c for c in sheet.row_key if c != col.name]
        formula = _count_once(first, last, [(_column_of(sheet, k, first), _column_of(sheet, k, last))
                                             for k in key])
        return DataValidation(type="custom", formula1=formula,
                              error=f"This {' and '.join(key)} already has a row for this "
                              "period: keep one value per period.", **common)
    common["showErrorMessage"] = False
    return DataValidation(**common)


def _absolute(ref: str) -> str:
    m = re.match(r"([A-Z]+)([0-9]+)$", ref)
    assert m is not None
    return f"${m.group(1)}${m.group(2)}"


def _column_of(sheet: Sheet, name: str, like: str) -> str:
    """``like`` (e.g. F5) moved to the column of ``name`` on the same row."""
    letter = get_column_letter([c.name for c in sheet.columns].index(name) + 1)
    return letter + re.sub(r"^[A-Z]+", "", like)


def _count_once(first: str, last: str, also: list[tuple[str, str]] | None = None) -> str:
    """A custom-validation formula true when the cell's value (with ``also``'s columns on the
    same row) appears once in the column: COUNTIF, or COUNTIFS for a composite key."""
    if not also:
        return f"COUNTIF({_absolute(first)}:{_absolute(last)},{first})<=1"
    parts = [f"{_absolute(first)}:{_absolute(last)},{first}"]
    parts += [f"{_absolute(a)}:{_absolute(b)},{a}" for a, b in also]
    return f"COUNTIFS({','.join(parts)})<=1"
