"""Validation findings are values: a stable code, a severity, a place and a message."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]
# What a finding asks for: a correction of the workbook, or a discussion by management (the
# data is right, the situation is not). Shown as separate sections everywhere.
Category = Literal["fix-workbook", "management-attention"]
CATEGORY_TITLES: dict[str, str] = {
    "fix-workbook": "Fix the workbook",
    "management-attention": "For management attention",
}

# Every finding code, its severity and what it means. Codes are stable: tools rely on them.
CODES: dict[str, tuple[Severity, str]] = {
    "unreadable-file": ("error", "The file is not a readable .xlsx workbook."),
    "missing-sheet": ("error", "A sheet the contract requires is missing or misspelt."),
    "unknown-sheet": ("warning", "A sheet the contract does not know; it is ignored."),
    "missing-column": ("error", "A required column is missing or misspelt."),
    "unknown-column": ("warning", "A column the contract does not know; it is ignored."),
    "duplicate-column": ("error", "The same column heading appears twice."),
    "missing-field": ("error", "A field of the Review sheet is missing."),
    "required-empty": ("error", "A required cell is empty."),
    "wrong-type": ("error", "A value is not of the column's type (e.g. text in a date column)."),
    "ambiguous-date": ("error", "A date typed as text could be read day-first or month-first."),
    "date-as-text": ("warning", "A date typed as text in a non-ISO format; read as shown."),
    "out-of-range": ("error", "A number is outside the allowed range."),
    "not-in-list": ("error", "A value is not one of the allowed values."),
    "duplicate-id": ("error", "The same ID is used on two rows."),
    "duplicate-period": ("error", "A metric has two rows for the same period."),
    "bad-period": ("error", "A period is not in a recognised form (2026-10, 2026-Q3, 2026-H2, 2026)."),
    "mixed-periods": ("warning", "A metric mixes period lengths (e.g. months and quarters)."),
    "dangling-reference": ("error", "A reference points to an ID that does not exist."),
    "formula-no-value": ("error", "A formula cell has no saved result."),
    "option-cost-unclear": ("warning", "An option's cost is not an amount in the review's currency."),
    "formula-error": ("error", "A formula cell shows an error (#REF!, #DIV/0!, #N/A …), not a value."),
    "merged-cells": ("error", "Cells are merged inside a table."),
    "after-cutoff": ("warning", "An event is dated after the data cut-off."),
    "review-dates": ("error", "The review dates are in an impossible order."),
    "inconsistent-row": ("warning", "A row's values contradict each other."),
    "no-rows-no-statement": ("error", "A mandatory input has no rows and no 'Nothing to report' reason."),
    "statement-and-rows": ("warning", "A sheet has rows and also a 'Nothing to report' statement."),
    "no-top-management": ("error", "No attendee is marked as top management."),
    "top-management-absent": ("warning", "Attendance is recorded but no top management was present."),
    "several-owners": ("warning", "An owner cell names more than one person."),
    "decision-incomplete": ("warning", "A decision has no owner or no due date."),
    "conclusion-missing": ("error", "Final stage: an input (or overall) has no conclusion and no decision."),
    "request-unanswered": ("error", "Final stage: a request of the pre-read has no decision answering it."),
    "final-before-meeting": ("error", "Final stage: the final minutes would be dated before the meeting."),
    "approval-in-future": ("error", "Final stage: the minutes' approval date is after the run's date."),
    "presenter-absent": ("error", "Final stage: the presenter named for an item is not recorded Present."),
    "previous-minutes-missing": ("warning", "A source review of input a has no minutes among the evidence."),
    "not-a-decision": ("warning", "A decision only notes or discusses; it decides nothing."),
    "action-overdue": ("warning", "An open action is past its due date at the data cut-off."),
    "action-escalate": ("warning", "An action has been carried forward two or more times."),
    "risk-untreated": ("warning", "A risk is above appetite with no accepted or running treatment."),
    "major-nc-open": ("warning", "A major nonconformity is still open."),
    "carried-missing": ("error", "A previous decision or open action is missing from 'a Previous actions'."),
    "carry-count-stale": ("warning", "A re-carried action's carry-forward count did not go up."),
    "risk-removed": ("warning", "A risk on the previous register is gone without a record."),
    "metric-changed": ("warning", "A metric's definition or target changed since the previous review."),
    "control-characters": ("warning", "A cell holds invisible control characters; they are removed."),
    "conversion-failed": ("error", "LibreOffice could not convert a document to PDF."),
    "template-problem": ("error", "A Word template cannot be rendered (broken tag, unknown variable)."),
    "template-ignored": ("warning", "A file in the template folder that build will not use."),
    "schedule-invalid": ("error", "The schedule file has a problem."),
    "command-failed": ("error", "The command could not run (a file or the environment is at fault)."),
    "usage-error": ("error", "The command line is wrong: an unknown option, a missing argument or "
                    "a file that does not exist."),
    "evidence-unusable": ("error", "An evidence file cannot be put into the bundle."),
    "evidence-check": ("warning", "An evidence file is in the bundle, with something to check "
                       "(content removed, no text layer, outside references)."),
    "no-decisions": ("warning", "The final minutes record no decision at all."),
    "evidence-missing": ("error", "An evidence file is not in the evidence folder."),
    "evidence-absolute": ("error", "An evidence path is absolute; it must be relative."),
    "evidence-outside": ("error", "An evidence path leads outside the evidence folder."),
    "evidence-not-file": ("error", "An evidence path names a folder, not a file."),
    # plausibility: values a person typed that the program can read but probably are not meant
    "implausible-value": ("error", "A number is about 100 times off its metric's other values, "
                          "target or unit (e.g. 78 % typed where the column holds 78)."),
    "ambiguous-percentage": ("warning", "A Progress % of 1 could mean 1 % or 100 %; read as 100 %."),
    "date-far-from-period": ("warning", "A date lies decades away from the review period (a typo?)."),
    "single-period": ("warning", "A metric has a value for one period only: no trend can be shown."),
    # one finding per root cause
    "note-in-table": ("error", "A row of a table holds a note, not data; it is not read."),
    "total-row": ("warning", "A row of a table is a total row; it is not read."),
    "no-heading-row": ("error", "No row of a sheet holds the column headings."),
    "heading-row-moved": ("warning", "A sheet's headings are far below the top; the rows above are ignored."),
    "sheet-renamed": ("warning", "A sheet was found by its headings under another name."),
    "text-unshowable": ("warning", "Text has characters (emoji, a script) that no installed font "
                        "can show: the documents print empty boxes for them."),
    "hidden-rows": ("warning", "Rows of a register are hidden but are read as part of the review."),
    "hidden-sheet": ("warning", "A hidden sheet has the name of a review sheet; the choice made is stated."),
    "timezone-mapped": ("warning", "A time-zone abbreviation or offset was read as the zone named."),
    # bounded work and dates the program can handle
    "cell-too-long": ("error", "A cell holds more text than the limit for its column."),
    "date-out-of-range": ("error", "A date is outside the supported years 1900 to 9998."),
    "risk-residual-above-inherent": ("warning", "A risk's residual score is above its inherent score."),
    "risk-duplicate-description": ("warning", "Two risks have the same description."),
    "risk-appetite-mixed": ("warning", "Risk appetite differs between risks with no 'Risk appetite "
                            "rule' stated."),
    "related-id-unknown": ("warning", "'Related IDs' names an ID that is on no sheet."),
    "nc-overdue": ("warning", "An open nonconformity is past its due date at the data cut-off."),
}

# Codes about the content a review must discuss; every other code asks for a workbook fix.
MANAGEMENT_CODES: frozenset[str] = frozenset({
    "action-overdue", "action-escalate", "risk-untreated", "major-nc-open",
    "top-management-absent", "metric-changed", "risk-removed", "nc-overdue",
})


def category_of(code: str) -> Category:
    return "management-attention" if code in MANAGEMENT_CODES else "fix-workbook"


def column_letter(index: int) -> str:
    """0-based column index to Excel letters (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


_PLAIN_SHEET = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def cell_ref(sheet: str, row: int | None = None, col: int | None = None) -> str:
    """The location as Excel shows it: ``'f Risks'!E14`` (row 1-based, col 0-based)."""
    quoted = sheet if _PLAIN_SHEET.match(sheet) else "'" + sheet.replace("'", "''") + "'"
    if row is None:
        return quoted
    if col is None:
        return f"{quoted}!{row}:{row}"
    return f"{quoted}!{column_letter(col)}{row}"


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    sheet: str
    cell: str
    value: str
    message: str
    row: int | None = None
    column: str | None = None
    category: Category = "fix-workbook"  # management codes are always "management-attention"

    def __post_init__(self) -> None:
        if self.code in MANAGEMENT_CODES:
            object.__setattr__(self, "category", "management-attention")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def finding(
    code: str,
    message: str,
    sheet: str = "",
    row: int | None = None,
    col: int | None = None,
    *,
    value: object = "",
    column: str | None = None,
) -> Finding:
    """Build a finding, taking its severity from :data:`CODES`."""
    severity, _ = CODES[code]
    shown = "" if value is None else str(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return Finding(
        code=code,
        severity=severity,
        sheet=sheet,
        cell=cell_ref(sheet, row, col) if sheet else "",
        value=shown,
        message=message,
        row=row,
        column=column,
        category=category_of(code),
    )


@dataclass
class Report:
    """All findings for one workbook; ``ok`` when there is no error."""

    path: str
    findings: list[Finding] = field(default_factory=list)

    def extend(self, items: Iterable[Finding]) -> None:
        self.findings.extend(items)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    def in_category(self, category: Category) -> list[Finding]:
        return [f for f in self.findings if f.category == category]

    def by_sheet(self) -> dict[str, dict[str, int]]:
        """Errors and warnings per sheet, in the order the findings are listed."""
        counts: dict[str, dict[str, int]] = {}
        for f in self.findings:
            entry = counts.setdefault(f.sheet or "(workbook)", {"errors": 0, "warnings": 0})
            entry["errors" if f.severity == "error" else "warnings"] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "command": "validate",
            "workbook": self.path,
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "by_sheet": self.by_sheet(),
            "findings": [f.to_dict() for f in self.findings],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
