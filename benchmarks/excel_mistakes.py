"""Ordinary Excel mistakes a new user makes, each applied to a copy of the example workbook, and
what `isms-review validate` says about it.

    .venv/bin/python benchmarks/excel_mistakes.py [--markdown FILE]

Each mistake is one openpyxl mutation of examples/acme/review.xlsx (or review-final.xlsx). The
table lists, per mistake, the findings for the workbook (the example's own warnings for
management are left out), or the one-line refusal. `expect` says what should happen:
"caught" (an error or warning for the workbook, or a refusal), "read" (understood as meant,
nothing to fix) or "read, with a warning" (understood, with a warning to type it the standard
way). tests/test_excel_mistakes.py checks each expectation.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

ROOT = Path(__file__).resolve().parents[1]
GOOD = ROOT / "examples" / "acme" / "review.xlsx"
FINAL = ROOT / "examples" / "acme" / "review-final.xlsx"
sys.path.insert(0, str(ROOT))

from pipeline.errors import UserError  # noqa: E402
from pipeline.workbook.validate import validate_workbook  # noqa: E402


@dataclass(frozen=True)
class Mistake:
    what: str
    change: Callable[[Workbook], None]
    expect: str = "caught"  # or "read"
    source: Path = GOOD


def _set(sheet: str, ref: str, value: Any, fmt: str | None = None) -> Callable[[Workbook], None]:
    def change(wb: Workbook) -> None:
        wb[sheet][ref] = value
        if fmt:
            wb[sheet][ref].number_format = fmt
    return change


def _append(sheet: str, values: dict[int, Any]) -> Callable[[Workbook], None]:
    def change(wb: Workbook) -> None:
        ws = wb[sheet]
        row = ws.max_row + 1
        for column, value in values.items():
            ws.cell(row=row, column=column, value=value)
    return change


def _all(*changes: Callable[[Workbook], None]) -> Callable[[Workbook], None]:
    def change(wb: Workbook) -> None:
        for c in changes:
            c(wb)
    return change


def _rename(old: str, new: str) -> Callable[[Workbook], None]:
    def change(wb: Workbook) -> None:
        wb[old].title = new
    return change


def _total_row(wb: Workbook) -> None:
    ws = wb["d3 Audits"]
    row = ws.max_row + 1
    ws.cell(row=row, column=1, value="Total")
    for column in "FGHI":
        ws[f"{column}{row}"] = f"=SUBTOTAL(109,{column}5:{column}{row - 1})"


def _clear_rows(sheet: str) -> Callable[[Workbook], None]:
    def change(wb: Workbook) -> None:
        ws = wb[sheet]
        ws.delete_rows(5, ws.max_row)
    return change


def _move_first_column_to_end(wb: Workbook) -> None:
    ws = wb["g Improvements"]
    ws.move_range(f"A4:A{ws.max_row}", cols=8)


def _hide(sheet: str) -> Callable[[Workbook], None]:
    def change(wb: Workbook) -> None:
        wb[sheet].sheet_state = "hidden"
    return change


def _fractions(wb: Workbook) -> None:
    ws = wb["d2 Metrics"]
    for row in range(11, 17):  # M-02, unit %
        ws[f"G{row}"] = ws[f"G{row}"].value / 100
        ws[f"G{row}"].number_format = "0%"


D = dt.datetime
MISTAKES: list[Mistake] = [
    Mistake("Types 78 % into a metric's Value cell (Excel stores 0.78)", _set("d2 Metrics", "G16", 0.78, "0%")),
    Mistake("Types a whole % metric as percentages (0.88 … 0.78)", _fractions),
    Mistake("Types the target as 95 % (Excel stores 0.95)", _all(*(_set("d2 Metrics", f"E{r}", 0.95) for r in range(11, 17)))),
    Mistake("Types 420 for an MTTR of 4.2 hours (lost decimal point)", _set("d2 Metrics", "G7", 420)),
    Mistake("Progress % typed as 1, meaning 1 %", _set("d4 Objectives", "F9", 1)),
    Mistake("Types a due date with the digits swapped: 2062", _set("a Previous actions", "E5", D(2062, 3, 31))),
    Mistake("Types a date as text, day first: 25/03/2026", _set("f Risks", "M14", "25/03/2026"), "read, with a warning"),
    Mistake("Types an ambiguous date as text: 03/04/2026", _set("f Risks", "M14", "03/04/2026")),
    Mistake("Types a date with dots: 13.11.2026", _set("b Context changes", "F5", "13.11.2026"), "read, with a warning"),
    Mistake("Writes words in a date column: 'sometime last year'", _set("f Risks", "M14", "sometime last year")),
    Mistake("Types a period as 'Oct 2026'", _set("d2 Metrics", "F10", "Oct 2026"), "read"),
    Mistake("Excel turned the period 2026-10 into the date 1 Oct 2026", _set("d2 Metrics", "F10", D(2026, 10, 1), "yyyy-mm-dd"), "read"),
    Mistake("Types a period that does not exist: 2026-Q5", _set("d2 Metrics", "F10", "2026-Q5")),
    Mistake("Gives two metric rows the same period", _set("d2 Metrics", "F10", "2026-09")),
    Mistake("Adds a metric with one month only", _append("d2 Metrics", {1: "M-09", 2: "Supplier reviews", 3: "%", 4: "Higher", 5: 90, 6: "2026-10", 7: 60, 9: "Priya Natarajan"})),
    Mistake("Copies a row and keeps its Risk ID (duplicate)", _set("f Risks", "A6", "R-001")),
    Mistake("Misspells a list value: 'In Progres'", _set("a Previous actions", "F5", "In Progres")),
    Mistake("Types a list value in lower case: 'in progress'", _set("a Previous actions", "F6", "in progress"), "read"),
    Mistake("Types 'Y' for Yes", _set("f Risks", "L5", "Y"), "read"),
    Mistake("Types 'maybe' in a Yes/No column", _set("f Risks", "L5", "maybe")),
    Mistake("Names two owners: 'Liam Walsh / Grace Kim'", _set("f Risks", "C5", "Liam Walsh / Grace Kim")),
    Mistake("Leaves a required cell empty (risk owner)", _set("f Risks", "C14", None)),
    Mistake("Types a note under the table", _append("d3 Audits", {1: "Note: the IA-2026-04 report is due in December"})),
    Mistake("Switches on Excel's Total Row", _total_row),
    Mistake("Merges four cells of a column (one auditor for four audits)", lambda wb: wb["d3 Audits"].merge_cells("E5:E8")),
    Mistake("Inserts 22 rows of notes above the headings", lambda wb: wb["d3 Audits"].insert_rows(1, 22)),
    Mistake("Deletes the heading row", lambda wb: wb["d3 Audits"].delete_rows(4, 1)),
    Mistake("Renames a sheet: 'f Risks' → 'Risk register 2026'", _rename("f Risks", "Risk register 2026")),
    Mistake("Leaves a trailing space in a sheet name: 'f Risks '", _rename("f Risks", "f Risks "), "read"),
    Mistake("Hides a sheet", _hide("e Feedback")),
    Mistake("Deletes a mandatory sheet (c Interested parties)", lambda wb: wb.remove(wb["c Interested parties"])),
    Mistake("Adds a sheet of their own: 'My notes'", lambda wb: wb.create_sheet("My notes")),
    Mistake("Adds a column of their own: 'Internal notes'", _set("e Feedback", "J4", "Internal notes")),
    Mistake("Misspells a heading: 'Ownr'", _set("f Risks", "C4", "Ownr")),
    Mistake("Deletes a required column (Auditor)", lambda wb: wb["d3 Audits"].delete_cols(5)),
    Mistake("Moves a column to the end of the table", _move_first_column_to_end, "read"),
    Mistake("Types a formula that openpyxl-like tools save without a value", _set("d3 Audits", "F5", "=1+1")),
    Mistake("Types words in a number column: 'about five'", _set("d2 Metrics", "G5", "about five")),
    Mistake("Types N/A in a number column", _set("d2 Metrics", "G5", "N/A")),
    Mistake("Types the unit with the number: '4 h'", _set("d2 Metrics", "G5", "4 h")),
    Mistake("Scores a likelihood 7 on a 1-5 scale", _set("f Risks", "D5", 7)),
    Mistake("Types the meeting time as '10am'", _set("Review", "B12", "10am"), "read"),
    Mistake("Types the meeting time as '10.30'", _set("Review", "B12", "10.30"), "read"),
    Mistake("Types the time zone as 'BST'", _set("Review", "B13", "BST")),
    Mistake("Types the time zone as 'GMT+1'", _set("Review", "B13", "GMT+1")),
    Mistake("Types the time zone as 'London'", _set("Review", "B13", "London")),
    Mistake("Types the time zone in lower case: 'europe/london'", _set("Review", "B13", "europe/london"), "read"),
    Mistake("Leaves the Review ID empty", _set("Review", "B7", None)),
    Mistake("Puts the data cut-off after the meeting", _set("Review", "B10", D(2026, 12, 20))),
    Mistake("Dates a nonconformity after the cut-off", _set("d1 Nonconformities", "E5", D(2026, 11, 20))),
    Mistake("Sets Status Done but forgets the completion date", _set("a Previous actions", "G5", None)),
    Mistake("Marks nobody as top management", _all(*(_set("Attendees", f"D{r}", "No") for r in range(5, 14)))),
    Mistake("Empties a mandatory input without saying why", _clear_rows("e Feedback")),
    Mistake("Writes a reason for 'nothing to report' but keeps rows", _set("e Feedback", "B3", "No feedback this period")),
    Mistake("Gives an evidence path from their PC: C:\\Users\\pn\\report.pdf", _set("Evidence", "C5", "C:\\Users\\pn\\report.pdf")),
    Mistake("Types an evidence input ref in capitals: 'D2'", _set("Evidence", "D10", "D2"), "read"),
    Mistake("Pastes text with a hidden control character", _set("b Context changes", "D5", "NIS2 transposed_x000B_into law")),
    Mistake("Pastes a 6,000-character description", _set("f Risks", "B5", "x" * 6_000)),
    Mistake("Records 'Noted the report' as a decision", _set("Decisions", "D6", "Noted the risk report."), source=FINAL),
    Mistake("Leaves a decision without owner in the final workbook", _set("Decisions", "E5", None), source=FINAL),
    Mistake("Types a year-1 date in the Review sheet", _set("Review", "B8", "0001-01-01")),
]


@dataclass
class Outcome:
    mistake: Mistake
    refused: str | None  # the one-line refusal, if the file was not read
    said: list[tuple[str, str, str, str, str]]  # (severity, code, cell, message, category)

    @property
    def fixes(self) -> list[tuple[str, str, str, str, str]]:
        return [s for s in self.said if s[4] == "fix-workbook"]

    @property
    def as_expected(self) -> bool:
        if self.mistake.expect == "caught":
            return self.refused is not None or bool(self.fixes)
        warned_only = all(sev == "warning" for sev, *_ in self.fixes)
        if self.mistake.expect == "read, with a warning":
            return self.refused is None and bool(self.fixes) and warned_only
        return self.refused is None and not self.fixes


def _key(f: Any) -> tuple[str, int | None, str | None]:
    return f.code, f.row, f.column  # not the sheet: a renamed sheet moves every cell name


def _baseline(source: Path) -> set[tuple[str, int | None, str | None]]:
    return {_key(f) for f in validate_workbook(source).report.findings}


def run(mistake: Mistake, folder: Path) -> Outcome:
    wb = load_workbook(mistake.source)
    mistake.change(wb)
    path = folder / "mutated.xlsx"
    wb.save(path)
    try:
        report = validate_workbook(path).report
    except UserError as exc:
        return Outcome(mistake, str(exc).replace(str(path), "review.xlsx"), [])
    known = _baseline(mistake.source)
    said = [(f.severity, f.code, f.cell, f.message, f.category) for f in report.findings
            if _key(f) not in known]
    return Outcome(mistake, None, said)


def run_all() -> list[Outcome]:
    with tempfile.TemporaryDirectory() as tmp:
        return [run(m, Path(tmp)) for m in MISTAKES]


def markdown(outcomes: list[Outcome]) -> str:
    lines = ["| # | Mistake | Expected | What validate said |", "|---|---|---|---|"]
    for i, o in enumerate(outcomes, start=1):
        if o.refused:
            said = f"refused: {o.refused}"
        elif o.said:
            said = "<br>".join(f"{sev} `{code}` at {cell}: {msg}" for sev, code, cell, msg, _ in o.said)
        else:
            said = "nothing to fix (read as meant)"
        lines.append(f"| {i} | {o.mistake.what} | {o.mistake.expect} | {said.replace('|', '/')} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = parser.parse_args()
    outcomes = run_all()
    table = markdown(outcomes)
    print(table)
    if args.markdown:
        args.markdown.write_text(table + "\n", "utf-8")
    wrong = [o for o in outcomes if not o.as_expected]
    caught = sum(1 for o in outcomes if o.refused or o.fixes)
    print(f"\n{len(outcomes)} mistakes; {caught} with a finding for the workbook or a refusal; "
          f"{len(wrong)} not as expected: {[o.mistake.what for o in wrong]}", file=sys.stderr)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
