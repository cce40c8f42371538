"""Every validator check: the good example plus one mutation, asserting code, cell and exit."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl.workbook.workbook import Workbook

from .conftest import EVIDENCE, FINAL, GOOD, findings, the_finding, validate_json

Mutate = Callable[..., Path]


def test_good_example_is_valid_and_lists_the_deliberate_warnings() -> None:
    code, report = validate_json(GOOD, "--evidence", str(EVIDENCE))
    assert code == 0
    assert report["ok"] is True and report["errors"] == 0
    the_finding(report, "action-overdue", "'a Previous actions'!E10")  # ACT-2026-01
    the_finding(report, "action-escalate", "'a Previous actions'!H6")  # ACT-2025-08, twice
    the_finding(report, "risk-untreated", "'f Risks'!J7")  # R-007, 16 > 8, not started
    the_finding(report, "major-nc-open", "'d1 Nonconformities'!J6")  # NC-2026-02
    assert {f["severity"] for f in report["findings"]} == {"warning"}


def test_final_example_flags_the_decision_that_only_notes() -> None:
    code, report = validate_json(FINAL, "--evidence", str(EVIDENCE))
    assert code == 0
    the_finding(report, "not-a-decision", "Decisions!D8")
    the_finding(report, "decision-incomplete", "Decisions!E8")


# ---------------------------------------------------------------- sheets and columns


def test_misspelt_sheet_is_missing_with_suggestion(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        ws = wb["f Risks"]
        ws.title = "f Risk register"
        ws.delete_rows(1, 4)  # no headings left to recognise it by

    code, report = validate_json(mutate(fn))
    assert code == 1
    hit = the_finding(report, "missing-sheet", "'f Risks'")
    assert "f Risk register" in hit["message"] and hit["severity"] == "error"


def test_a_workbook_with_none_of_our_sheets_is_one_finding(tmp_path: Path) -> None:
    """Not a review workbook at all (a blank file, another report): one error saying so and
    how to start, not one 'missing-sheet' per sheet of the contract."""
    other = Workbook()
    other.active.title = "Sheet1"
    other.active["A1"] = "Quarterly sales"
    path = tmp_path / "sales.xlsx"
    other.save(path)
    code, report = validate_json(path)
    assert code == 1 and [f["code"] for f in report["findings"]] == ["missing-sheet"], report
    assert "not a management-review workbook" in report["findings"][0]["message"]
    assert "new-workbook" in report["findings"][0]["message"]


@pytest.mark.parametrize("lose", ["sheet", "ID column"])
def test_an_unreadable_register_is_one_finding_not_a_cascade_of_references(
        mutate: Mutate, lose: str) -> None:
    # Decisions respond to: with the risk register (or its ID
    # column) gone, those references cannot be judged, and are not reported as dangling
    def fn(wb: Workbook) -> None:
        if lose == "sheet":
            del wb["f Risks"]
        else:
            wb["f Risks"]["A4"] = None

    code, report = validate_json(mutate(fn, source=FINAL), "--stage", "final")
    assert code == 1
    assert findings(report, "missing-sheet" if lose == "sheet" else "missing-column")
    assert not findings(report, "dangling-reference")
    assert not findings(report, "related-id-unknown")
    # the same reference to a risk that is not there is reported once the register reads
    def typo(wb: Workbook) -> None:
        wb["Decisions"]["I5"] = "OFI-02, R-9999"  # the first decision's "Responds to"

    code, report = validate_json(mutate(typo, source=FINAL), "--stage", "final")
    assert [f["value"] for f in findings(report, "dangling-reference")] == ["R-9999"]


def test_sheet_name_ignores_case_and_spaces(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["f Risks"].title = "F  RISKS"

    code, report = validate_json(mutate(fn))
    assert code == 0
    assert not findings(report, "missing-sheet")


def test_unknown_sheet_is_a_warning(mutate: Mutate) -> None:
    code, report = validate_json(mutate(lambda wb: wb.create_sheet("Scratch notes")))
    assert code == 0
    the_finding(report, "unknown-sheet", "'Scratch notes'")


def test_misspelt_required_column_suggests_the_name(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["f Risks"]["C4"] = "Ownr"

    code, report = validate_json(mutate(fn))
    assert code == 1
    hit = the_finding(report, "missing-column", "'f Risks'!C4")
    assert "rename it to 'Owner'" in hit["message"]


def test_missing_required_column(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["d3 Audits"].delete_cols(5)  # Auditor

    code, report = validate_json(mutate(fn))
    assert code == 1
    hit = [f for f in findings(report, "missing-column") if f["column"] == "Auditor"]
    assert hit and hit[0]["sheet"] == "d3 Audits"


def test_unknown_column_is_a_warning(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["e Feedback"]["J4"] = "Internal notes"

    code, report = validate_json(mutate(fn))
    assert code == 0
    the_finding(report, "unknown-column", "'e Feedback'!J4")


def test_columns_in_another_order_and_header_in_row_one(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(GOOD)
    ws = wb["g Improvements"]
    ws.delete_rows(1, 3)  # headings now in row 1
    ws.move_range("A1:A6", cols=9)  # Opportunity ID moved to the far right
    out = tmp_path / "moved.xlsx"
    wb.save(out)
    code, report = validate_json(out)
    assert code == 0, [f for f in report["findings"] if f["severity"] == "error"]


# ---------------------------------------------------------------------- cell values


def test_empty_required_cell(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["f Risks"]["C14"] = None

    code, report = validate_json(mutate(fn))
    assert code == 1
    hit = the_finding(report, "required-empty", "'f Risks'!C14")
    assert hit["column"] == "Owner"


def test_empty_required_review_field(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["Review"]["B7"] = None  # Review ID

    code, report = validate_json(mutate(fn))
    assert code == 1
    the_finding(report, "required-empty", "Review!B7")


def test_text_in_date_column(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["f Risks"]["M14"] = "sometime last year"

    code, report = validate_json(mutate(fn))
    assert code == 1
    hit = the_finding(report, "wrong-type", "'f Risks'!M14")
    assert hit["value"] == "sometime last year" and "YYYY-MM-DD" in hit["message"]


def test_text_in_number_column(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["d2 Metrics"]["G5"] = "about five"

    code, report = validate_json(mutate(fn))
    assert code == 1
    the_finding(report, "wrong-type", "'d2 Metrics'!G5")


def test_iso_date_typed_as_text_is_accepted(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["f Risks"]["M14"] = "2026-03-01"

    code, report = validate_json(mutate(fn))
    assert code == 0
    assert not [f for f in report["findings"] if f["cell"] == "'f Risks'!M14"]


def test_ambiguous_day_month_text_is_flagged(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["f Risks"]["M14"] = "03/04/2026"

    code, report = validate_json(mutate(fn))
    assert code == 1
    hit = the_finding(report, "ambiguous-date", "'f Risks'!M14")
    assert "03 April 2026" in hit["message"] and "04 March 2026" in hit["message"]


def test_unambiguous_day_first_text_date_warns(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["f Risks"]["M14"] = "25/03/2026"

    code, report = validate_json(mutate(fn))
    assert code == 0
    assert "2026-03-25" in the_finding(report, "date-as-text", "'f Risks'!M14")["message"]


def test_integer_out_of_range(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["f Risks"]["D5"] = 7  # likelihood 1-5

    code, report = validate_json(mutate(fn))
    assert code == 1
    the_finding(report, "out-of-range", "'f Risks'!D5")


def test_value_outside_enum_suggests(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["d1 Nonconformities"]["C5"] = "Majr"

    code, report = validate_json(mutate(fn))
    assert code == 1
    hit = the_finding(report, "not-in-list", "'d1 Nonconformities'!C5")
    assert "Did you mean 'Major'?" in hit["message"]


def test_enum_ignores_case_and_surrounding_spaces(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["a Previous actions"]["F5"] = "  in PROGRESS "

    code, report = validate_json(mutate(fn))
    assert code == 0
    assert not findings(report, "not-in-list")


def test_duplicate_ids(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["f Risks"]["A6"] = "R-001"

    code, report = validate_json(mutate(fn))
    assert code == 1
    hit = the_finding(report, "duplicate-id", "'f Risks'!A6")
    assert "row 5" in hit["message"]


def test_dangling_decision_input_ref(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["Decisions"]["B5"] = "f, h"

    code, report = validate_json(mutate(fn, source=FINAL))
    assert code == 1
    the_finding(report, "dangling-reference", "Decisions!B5")


def test_dangling_evidence_input_ref(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["Evidence"]["D5"] = "z"

    code, report = validate_json(mutate(fn))
    assert code == 1
    the_finding(report, "dangling-reference", "Evidence!D5")


def test_dangling_objective_metric(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["d4 Objectives"]["C5"] = "M-99"

    code, report = validate_json(mutate(fn))
    assert code == 1
    the_finding(report, "dangling-reference", "'d4 Objectives'!C5")


def test_formula_without_cached_value(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["f Risks"]["H5"] = "=F5*G5"  # openpyxl saves no result

    code, report = validate_json(mutate(fn))
    assert code == 1
    the_finding(report, "formula-no-value", "'f Risks'!H5")


def test_merged_cells_inside_a_table(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["e Feedback"].merge_cells("F6:H6")

    code, report = validate_json(mutate(fn))
    assert code == 1
    assert the_finding(report, "merged-cells", "'e Feedback'!F6")["value"] == "F6:H6"


def test_data_dated_after_cutoff(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["e Feedback"]["B5"] = dt.datetime(2026, 11, 14)  # cut-off 2026-11-13

    code, report = validate_json(mutate(fn))
    assert code == 0
    the_finding(report, "after-cutoff", "'e Feedback'!B5")


def test_date_exactly_on_cutoff_is_fine(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["e Feedback"]["B5"] = dt.datetime(2026, 11, 13)

    _, report = validate_json(mutate(fn))
    assert not findings(report, "after-cutoff")


def test_unparseable_period(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["d2 Metrics"]["F6"] = "last month"

    code, report = validate_json(mutate(fn))
    assert code == 1
    the_finding(report, "bad-period", "'d2 Metrics'!F6")


def test_duplicate_period_per_metric(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["d2 Metrics"]["F6"] = "2026-05"  # M-01 already has 2026-05 in row 5

    code, report = validate_json(mutate(fn))
    assert code == 1
    the_finding(report, "duplicate-period", "'d2 Metrics'!F6")


def test_period_typed_as_a_date_is_its_month(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["d2 Metrics"]["F6"] = dt.datetime(2026, 6, 1)  # Excel turned 2026-06 into a date

    code, report = validate_json(mutate(fn))
    assert code == 0
    assert not findings(report, "bad-period")


def _empty_register(wb: Workbook, sheet: str) -> None:
    ws = wb[sheet]
    for row in ws.iter_rows(min_row=5):
        for cell in row:
            cell.value = None


def test_mandatory_input_without_rows_or_statement(mutate: Mutate) -> None:
    code, report = validate_json(mutate(lambda wb: _empty_register(wb, "c Interested parties")))
    assert code == 1
    the_finding(report, "no-rows-no-statement", "'c Interested parties'!B3")


def test_mandatory_input_with_nothing_to_report_statement(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        _empty_register(wb, "c Interested parties")
        wb["c Interested parties"]["B3"] = "No changes: parties and needs re-confirmed 2026-11-01."

    code, report = validate_json(mutate(fn))
    assert code == 0
    assert not findings(report, "no-rows-no-statement")


def test_no_top_management_among_attendees(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        for row in range(5, 14):
            wb["Attendees"][f"D{row}"] = "No"

    code, report = validate_json(mutate(fn))
    assert code == 1
    the_finding(report, "no-top-management", "Attendees!D4")


def test_top_management_ticked_with_x_is_one_error_per_cell(mutate: Mutate) -> None:
    """'x' typed for Yes: each cell is an error; the sheet-wide top-management findings, which
    only repeat them, are not added (pre-read and final)."""
    def fn(wb: Workbook) -> None:
        for row in range(5, 9):  # the four executives
            wb["Attendees"][f"D{row}"] = "x"

    for stage in ("pre-read", "final"):
        code, report = validate_json(mutate(fn, source=FINAL), "--stage", stage)
        errors = [(f["code"], f["cell"]) for f in report["findings"] if f["severity"] == "error"]
        assert code == 1 and errors == [("not-in-list", f"Attendees!D{row}") for row in range(5, 9)], errors


def test_top_management_absent_when_attendance_recorded(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        for row in range(5, 9):  # the four executives
            wb["Attendees"][f"E{row}"] = "Apologies"

    code, report = validate_json(mutate(fn, source=FINAL))
    assert code == 0
    the_finding(report, "top-management-absent", "Attendees!E4")


def test_decision_without_owner_or_due_date(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["Decisions"]["F5"] = None

    _, report = validate_json(mutate(fn, source=FINAL))
    hit = the_finding(report, "decision-incomplete", "Decisions!F5")
    assert "no due date" in hit["message"] and hit["severity"] == "warning"


@pytest.mark.parametrize("text", ["Noted.", "Security was discussed", "Continue as is",
                                  "The board reviewed the metrics"])
def test_decision_that_only_notes(mutate: Mutate, text: str) -> None:
    def fn(wb: Workbook) -> None:
        wb["Decisions"]["D5"] = text

    code, report = validate_json(mutate(fn, source=FINAL))
    assert code == 0
    the_finding(report, "not-a-decision", "Decisions!D5")


def test_several_owners_warns(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["f Risks"]["C5"] = "Daniel Reyes / Liam Walsh"

    _, report = validate_json(mutate(fn))
    the_finding(report, "several-owners", "'f Risks'!C5")


def test_status_done_without_completion_date(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["a Previous actions"]["G5"] = None  # ACT-2025-07 is Done

    _, report = validate_json(mutate(fn))
    the_finding(report, "inconsistent-row", "'a Previous actions'!G5")


def test_review_dates_out_of_order(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["Review"]["B11"] = dt.datetime(2026, 11, 1)  # meeting before the cut-off

    code, report = validate_json(mutate(fn))
    assert code == 1
    the_finding(report, "review-dates", "Review!B11")


def test_blank_rows_inside_a_table_are_skipped(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["f Risks"].insert_rows(8, amount=3)

    code, report = validate_json(mutate(fn))
    assert code == 0
    assert not findings(report, "required-empty")


# ------------------------------------------------------------------------- evidence


def test_evidence_file_missing(mutate: Mutate, evidence_copy: Path) -> None:
    (evidence_copy / "f" / "risk-register.pdf").unlink()
    code, report = validate_json(GOOD, "--evidence", str(evidence_copy))
    assert code == 1
    the_finding(report, "evidence-missing", "Evidence!C15")


def test_evidence_absolute_path(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["Evidence"]["C5"] = "C:\\Users\\priya\\tracker.pdf"

    code, report = validate_json(mutate(fn), "--evidence", str(EVIDENCE))
    assert code == 1
    the_finding(report, "evidence-absolute", "Evidence!C5")


def test_evidence_absolute_posix_path_without_folder(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["Evidence"]["C5"] = "/etc/passwd"

    code, report = validate_json(mutate(fn))
    assert code == 1
    the_finding(report, "evidence-absolute", "Evidence!C5")


def test_evidence_dotdot_leaves_folder(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["Evidence"]["C5"] = "a/../../review.xlsx"

    code, report = validate_json(mutate(fn), "--evidence", str(EVIDENCE))
    assert code == 1
    the_finding(report, "evidence-outside", "Evidence!C5")


def test_evidence_symlink_out_of_folder(mutate: Mutate, evidence_copy: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"%PDF-1.4 secret")
    link = evidence_copy / "a" / "action-tracker-2026-11.pdf"
    link.unlink()
    os.symlink(secret, link)
    code, report = validate_json(GOOD, "--evidence", str(evidence_copy))
    assert code == 1
    the_finding(report, "evidence-outside", "Evidence!C5")


def test_among_thousands_of_ids_a_typo_still_gets_its_suggestion() -> None:
    """A large register is narrowed to IDs a typo could have made (same leading letters, length
    within one) before difflib compares them: the typo finds its ID, an unrelated name none."""
    from pipeline.workbook.coerce import suggest

    ids = [f"R-{i:05d}" for i in range(20_000)] + [f"ACT-{i:04d}" for i in range(8_000)]
    assert (suggest("R-0O123", ids) or "").endswith("123")  # O for 0: R-00123 or as close
    assert suggest("ACT-7999 ", ids) == "ACT-7999"
    assert suggest("act-12345", ids) is not None  # one character too many
    assert suggest("Risk register", ids) is None
    assert suggest("In Progres", ["Open", "In progress", "Done"]) == "In progress"  # few choices: as before


def test_a_formula_showing_an_error_is_an_error_at_its_cell_never_a_blank(mutate: Mutate) -> None:
    # Excel saves a failing formula's error (#REF!, #DIV/0!, #N/A) as the cell's value; the
    # reader sees a blank, so an optional column silently lost its value (progress, a cost, a
    # carry-forward count) and a required one said "is required" while Excel shows #DIV/0!
    cells = {("d4 Objectives", "F5"): "#REF!", ("g Improvements", "F7"): "#DIV/0!",
             ("a Previous actions", "H6"): "#N/A", ("Review", "B11"): "#DIV/0!"}

    def fn(wb: Workbook) -> None:
        for (sheet, cell), error in cells.items():
            wb[sheet][cell] = error  # openpyxl writes it as an error value (t="e"), as Excel does

    path = mutate(fn)
    import zipfile

    with zipfile.ZipFile(path) as zf:
        assert any(b't="e"' in zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/"))
    code, report = validate_json(path)
    assert code == 1
    for (sheet, cell), error in cells.items():
        where = f"'{sheet}'!{cell}" if " " in sheet else f"{sheet}!{cell}"
        hit = the_finding(report, "formula-error", where)
        assert error in hit["message"] and hit["severity"] == "error", hit
    assert not [f for f in findings(report, "required-empty") if f["cell"] == "Review!B11"]


def test_hidden_rows_of_a_register_are_read_and_said(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        for row in (11, 12, 13, 14):
            wb["d2 Metrics"].row_dimensions[row].hidden = True
        wb["f Risks"].row_dimensions[5].hidden = True

    _, report = validate_json(mutate(fn))
    metrics = the_finding(report, "hidden-rows", "'d2 Metrics'!A11")
    assert metrics["value"] == "11–14" and metrics["severity"] == "warning"
    assert the_finding(report, "hidden-rows", "'f Risks'!A5")["value"] == "5"
    _, good = validate_json(GOOD)
    assert not findings(good, "hidden-rows")


def test_a_review_sheet_laid_out_as_a_form_is_read_from_beside_its_merged_labels(
        mutate: Mutate) -> None:
    # labels merged over A:B, values in C (a form layout): the value follows the merge
    def fn(wb: Workbook) -> None:
        ws = wb["Review"]
        for row in range(1, ws.max_row + 1):
            label, value = ws.cell(row=row, column=1), ws.cell(row=row, column=2)
            if label.value and value.value is not None and row > 4:
                ws.cell(row=row, column=3).value = value.value
                value.value = None
                ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)

    code, report = validate_json(mutate(fn))
    assert not findings(report, "required-empty"), [f["cell"] for f in findings(report, "required-empty")]
    assert code == 0, [(f["code"], f["cell"]) for f in report["findings"] if f["severity"] == "error"]


def test_an_unreadable_due_date_is_one_finding_not_also_a_missing_one(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["Decisions"]["F5"] = "03/04/2027"  # 3 April or 4 March?

    code, report = validate_json(mutate(fn, source=FINAL), "--stage", "final")
    assert code == 1
    the_finding(report, "ambiguous-date", "Decisions!F5")
    assert not [f for f in findings(report, "decision-incomplete") if f["cell"] == "Decisions!F5"]
