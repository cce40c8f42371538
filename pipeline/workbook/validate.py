"""The validate stage: read the workbook once, parse it against the contract, run every rule."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..heap import collector_paused
from .contract import Contract, load_contract
from .evidence import evidence_files
from .final import final_findings, for_stage, previous_minutes, unknown_responses
from .findings import Finding, Report
from .model import WorkbookData
from .parse import parse_workbook
from .reader import read_workbook
from .rules import ALL_RULES

Stage = Literal["pre-read", "final"]
STAGES: tuple[Stage, ...] = ("pre-read", "final")


@dataclass
class Validation:
    report: Report
    data: WorkbookData


def sort_findings(findings: list[Finding], contract: Contract) -> list[Finding]:
    """Workbook fixes before management matters; errors first; then by sheet, row and cell."""
    order = {s.name: i for i, s in enumerate(contract.sheets)}
    return sorted(findings, key=lambda f: (f.category != "fix-workbook", f.severity != "error",
                                           order.get(f.sheet, len(order)), f.row or 0, f.cell,
                                           f.code))


def read_data(path: Path, contract: Contract | None = None) -> WorkbookData:
    """The typed content of a workbook, without running the rules (e.g. a previous review)."""
    with collector_paused():
        data, _ = parse_workbook(read_workbook(path), contract or load_contract())
    return data


# "this value is missing" findings that a finding about the same cell already explains: the
# cell holds a value that cannot be read (an ambiguous date, a failing formula, a wrong type)
_MISSING = frozenset({"decision-incomplete", "required-empty"})


# sheet-wide findings that follow from one column's values: when some of that column's cells
# cannot be read ('x' typed for Yes), the sheet-wide finding only repeats those cells' errors
# (fixing them may clear it, or it comes back with the values the user meant)
_FOLLOWS_FROM = {"no-top-management": "Top management", "top-management-absent": "Top management"}


def one_per_cause(findings: list[Finding]) -> list[Finding]:
    """One finding per cause: a value reported missing where the same cell is already reported
    as unreadable says the same thing twice, and contradicts what the user sees in the cell;
    a sheet-wide finding drawn from a column with unreadable cells repeats them."""
    unreadable = {(f.sheet, f.cell) for f in findings if f.cell and f.code not in _MISSING}
    columns = {(f.sheet, f.column) for f in findings
               if f.severity == "error" and f.column and f.code not in _MISSING}
    return [f for f in findings if not (f.code in _MISSING and (f.sheet, f.cell) in unreadable)
            and (f.sheet, _FOLLOWS_FROM.get(f.code)) not in columns]


def validate_workbook(
    path: Path, evidence: Path | None = None, contract: Contract | None = None,
    stage: Stage = "pre-read",
) -> Validation:
    """Validate ``path`` for ``stage``. The final stage adds the rules of
    :mod:`pipeline.workbook.final` as errors.
    Raises :class:`~pipeline.errors.UserError` only when a file cannot be read at all; every
    problem with its content is a finding in the report."""
    contract = contract or load_contract()
    with collector_paused():  # a burst of small objects (see pipeline.heap)
        raw = read_workbook(path)
        data, findings = parse_workbook(raw, contract)
        for rule in ALL_RULES:
            findings.extend(rule(data))
        findings.extend(evidence_files(data, evidence))
        findings.extend(unknown_responses(data))
        findings.extend(previous_minutes(data))
        if stage == "final":
            findings = for_stage(findings, final_findings(data))
        report = Report(path=str(path), findings=sort_findings(one_per_cause(findings), contract))
    return Validation(report=report, data=data)
