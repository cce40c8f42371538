"""The one validation gate every command passes: read and validate the workbook for a stage
and, with a previous review, check that nothing vanished between them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..analysis import analyse
from ..errors import UserError
from ..loop.compare import ReviewChanges, compare_reviews
from ..workbook.final import unanswered_requests
from ..workbook.findings import Report
from ..workbook.model import WorkbookData
from ..workbook.validate import Stage, read_data, sort_findings, validate_workbook


class Refused(UserError):
    """The workbook is not fit for this stage; ``report`` lists why."""

    def __init__(self, message: str, report: Report) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class Checked:
    report: Report
    data: WorkbookData
    changes: ReviewChanges | None = None  # set when checked against a previous review


def check_workbook(workbook: Path, evidence: Path | None = None, previous: Path | None = None,
                   stage: Stage = "pre-read") -> Checked:
    """Every finding for ``workbook`` at ``stage``; never raises for problems in its content."""
    validation = validate_workbook(workbook, evidence, stage=stage)
    report, data = validation.report, validation.data
    if stage == "final":
        asks = analyse(data).decisions_requested
        report.findings = sort_findings([*report.findings, *unanswered_requests(data, asks)],
                                        data.contract)
    changes = None
    if previous is not None:
        cross, changes = compare_reviews(read_data(previous, data.contract), data)
        report.findings = sort_findings([*report.findings, *cross], data.contract)
    return Checked(report, data, changes)


def gate(workbook: Path, evidence: Path | None = None, previous: Path | None = None,
         stage: Stage = "pre-read", what: str = "build") -> Checked:
    """``check_workbook``, refusing with the report when it has errors."""
    checked = check_workbook(workbook, evidence, previous, stage)
    if not checked.report.ok:
        verb = "final minutes refused" if stage == "final" else "the workbook has errors"
        raise Refused(f"{workbook}: {verb}; fix the findings above and {what} again.",
                      checked.report)
    return checked
