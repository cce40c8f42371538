"""One cause, one finding: each mistake below once gave a dozen findings; now exactly one, errors
first, a count per sheet, and the two categories kept apart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl.workbook.workbook import Workbook

from .conftest import GOOD, findings, run_cli, validate_json

Mutate = Callable[..., Path]
DELIBERATE = 10  # the example's warnings for management (overdue actions, untreated risks…)
# the example's two deliberate slips in its risk register (R-007 scored higher after controls,
# R-119 repeating R-107): warnings to fix in the workbook that every mutation below inherits
SLIPS = {("risk-residual-above-inherent", "F7"), ("risk-duplicate-description", "B35")}


def _fixes(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The workbook fixes a mutation caused: the example's own deliberate slips left out."""
    return [f for f in report["findings"]
            if f["category"] == "fix-workbook" and (f["code"], f["cell"].split("!")[-1]) not in SLIPS]


def _one_fix(report: dict[str, Any], code: str, cell: str) -> dict[str, Any]:
    fixes = _fixes(report)
    assert [(f["code"], f["cell"]) for f in fixes] == [(code, cell)], fixes
    return fixes[0]


def _append(ws: Any, values: dict[int, object]) -> int:
    row = ws.max_row + 1
    for column, value in values.items():
        ws.cell(row=row, column=column, value=value)
    return row


def test_a_note_under_the_table_is_one_error(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        _append(wb["d3 Audits"], {1: "Note: the IA-2026-04 report is due in December"})

    code, report = validate_json(mutate(fn))
    assert code == 1
    hit = _one_fix(report, "note-in-table", "'d3 Audits'!A11")
    assert "Row 11 looks like a note" in hit["message"] and "move it out of the table" in hit["message"]
    assert not findings(report, "required-empty")


def test_a_note_in_a_merged_row_is_still_one_finding(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        ws = wb["d3 Audits"]
        row = _append(ws, {1: "Figures as reported by the audit team on 13 November"})
        ws.merge_cells(f"A{row}:K{row}")

    code, report = validate_json(mutate(fn))
    assert code == 1
    _one_fix(report, "note-in-table", "'d3 Audits'!A11")


def test_excels_total_row_is_one_warning(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        ws = wb["d3 Audits"]
        row = ws.max_row + 1
        ws.cell(row=row, column=1, value="Total")
        for column in "FGHI":  # Majors … OFIs, written as Excel's Total Row writes them
            ws[f"{column}{row}"] = f"=SUBTOTAL(109,{column}5:{column}{row - 1})"

    code, report = validate_json(mutate(fn))
    assert code == 0
    hit = _one_fix(report, "total-row", "'d3 Audits'!A11")
    assert hit["severity"] == "warning" and "Total Row" in hit["message"]
    assert not findings(report, "formula-no-value")


def test_a_half_filled_row_still_names_each_empty_cell(mutate: Mutate) -> None:
    """Not a note: a new row with only its ID keeps one finding per required cell."""
    def fn(wb: Workbook) -> None:
        _append(wb["d3 Audits"], {1: "IA-2026-05"})

    code, report = validate_json(mutate(fn))
    assert code == 1
    assert {f["code"] for f in _fixes(report)} == {"required-empty"}
    assert len(_fixes(report)) == 9  # Type, Scope, Date, Auditor, Majors … Status


def test_a_merge_and_its_covered_cells_are_one_error(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["d3 Audits"].merge_cells("E5:E8")  # one auditor for four audits

    code, report = validate_json(mutate(fn))
    assert code == 1
    hit = _one_fix(report, "merged-cells", "'d3 Audits'!E5")
    assert hit["value"] == "E5:E8"


def test_headings_pushed_down_are_one_warning_and_still_read(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["d3 Audits"].insert_rows(1, 22)  # headings now in row 26

    code, report = validate_json(mutate(fn))
    assert code == 0
    hit = _one_fix(report, "heading-row-moved", "'d3 Audits'!A26")
    assert "rows 1 to 25 are ignored" in hit["message"]


def test_a_sheet_without_headings_is_one_error(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["d3 Audits"].delete_rows(1, 4)

    code, report = validate_json(mutate(fn))
    assert code == 1
    hit = _one_fix(report, "no-heading-row", "'d3 Audits'")
    assert "Audit ID" in hit["message"] and "row 4" in hit["message"]
    assert not findings(report, "missing-column")


def test_a_renamed_sheet_is_found_by_its_headings(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["f Risks"].title = "Risk register 2026"

    code, report = validate_json(mutate(fn))
    assert code == 0
    hit = _one_fix(report, "sheet-renamed", "'Risk register 2026'")
    assert "rename it to 'f Risks'" in hit["message"]
    assert findings(report, "risk-untreated")  # its rows were read


def test_a_renamed_review_sheet_is_found_by_its_labels(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["Review"].title = "Meeting details"

    code, report = validate_json(mutate(fn))
    assert code == 0
    _one_fix(report, "sheet-renamed", "'Meeting details'")


def test_a_very_hidden_copy_with_the_exact_name_loses_to_the_visible_sheet(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        visible = wb["f Risks"]
        visible.title = "f Risks "  # a trailing space, as a user's rename leaves it
        hidden = wb.copy_worksheet(visible)
        hidden.title = "f Risks"
        hidden.sheet_state = "veryHidden"
        hidden["D5"] = "not a number"  # would be an error if this copy were read

    code, report = validate_json(mutate(fn))
    assert code == 0
    hit = _one_fix(report, "hidden-sheet", "'f Risks'")
    assert "very hidden" in hit["message"] and "the visible sheet 'f Risks ' was read" in hit["message"]


def test_a_hidden_sheet_is_read_when_it_is_the_only_one_and_says_so(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["f Risks"].sheet_state = "hidden"

    code, report = validate_json(mutate(fn))
    assert code == 0
    hit = _one_fix(report, "hidden-sheet", "'f Risks'")
    assert "it was read" in hit["message"] and "Unhide" in hit["message"]


def test_errors_come_first_and_categories_are_apart(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["f Risks"]["D5"] = "high"  # error
        wb["e Feedback"]["J4"] = "Internal notes"  # warning (unknown column)

    code, report = validate_json(mutate(fn))
    assert code == 1
    order = [(f["category"], f["severity"]) for f in report["findings"]]
    assert order[0] == ("fix-workbook", "error")
    assert order == sorted(order, key=lambda cs: (cs[0] != "fix-workbook", cs[1] != "error"))
    management = [f for f in report["findings"] if f["category"] == "management-attention"]
    assert len(management) == DELIBERATE
    assert {f["code"] for f in management} == {"action-overdue", "action-escalate", "nc-overdue",
                                               "risk-untreated", "major-nc-open"}
    assert report["by_sheet"]["f Risks"] == {"errors": 1, "warnings": 6}  # 4 untreated, 2 slips


def test_terminal_report_has_two_sections_and_a_count_per_sheet(mutate: Mutate) -> None:
    path = mutate(lambda wb: wb["f Risks"].__setitem__("D5", "high"))
    code, out, _ = run_cli("validate", str(path))
    assert code == 1
    lines = out.splitlines()
    fix = lines.index("== Fix the workbook: 1 error(s), 2 warning(s) ==")
    manage = lines.index(f"== For management attention: 0 error(s), {DELIBERATE} warning(s) ==")
    assert fix < manage
    assert "wrong-type" in lines[fix + 1]
    assert lines[-2].startswith("Per sheet: f Risks: 1 error(s), 6 warning(s)")
    assert lines[-1].startswith("NOT OK: 1 error(s)")


@pytest.mark.parametrize("code", ["note-in-table", "total-row", "no-heading-row", "heading-row-moved",
                                  "sheet-renamed", "hidden-sheet", "merged-cells"])
def test_every_root_cause_code_is_for_the_workbook(code: str) -> None:
    from pipeline.workbook.findings import CODES, category_of

    assert code in CODES and category_of(code) == "fix-workbook"


def test_the_good_example_has_no_workbook_fixes_but_its_deliberate_slips() -> None:
    code, report = validate_json(GOOD)
    fixes = {(f["code"], f["cell"].split("!")[-1]) for f in report["findings"]
             if f["category"] == "fix-workbook"}
    assert code == 0 and fixes == SLIPS
