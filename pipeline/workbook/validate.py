"""The validate stage: read the workbook once, parse it against the contract, run every rule."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .contract import Contract, load_contract
from .evidence import evidence_files
from .findings import Finding, Report
from .model import WorkbookData
from .parse import parse_workbook
from .reader import read_workbook
from .rules import ALL_RULES

if TYPE_CHECKING:
    from ..loop.compare import ReviewChanges


@dataclass
class Validation:
    report: Report
    data: WorkbookData
    changes: ReviewChanges | None = None  # set when validated against a previous review


def sort_findings(findings: list[Finding], contract: Contract) -> None:
    """Workbook fixes before management matters; errors first; then by sheet, row and cell."""
    order = {s.name: i for i, s in enumerate(contract.sheets)}
    findings.sort(key=lambda f: (f.category != "fix-workbook", f.severity != "error",
                                 order.get(f.sheet, len(order)), f.row or 0, f.cell, f.code))


def read_data(path: Path, contract: Contract | None = None) -> WorkbookData:
    """The typed content of a workbook, without running the rules (e.g. a previous review)."""
    data, _ = parse_workbook(read_workbook(path), contract or load_contract())
    return data


def validate_workbook(
    path: Path, evidence: Path | None = None, contract: Contract | None = None,
    previous: Path | None = None,
) -> Validation:
    """Validate ``path`` (and, with ``previous``, check it against the previous review).
    Raises :class:`~pipeline.errors.UserError` only when a file cannot be read at all; every
    problem with its content is a finding in the report."""
    from ..loop.compare import compare_reviews

    contract = contract or load_contract()
    raw = read_workbook(path)
    data, findings = parse_workbook(raw, contract)
    for rule in ALL_RULES:
        findings.extend(rule(data))
    findings.extend(evidence_files(data, evidence))
    changes = None
    if previous is not None:
        cross, changes = compare_reviews(read_data(previous, contract), data)
        findings.extend(cross)
    sort_findings(findings, contract)
    report = Report(path=str(path), findings=findings)
    return Validation(report=report, data=data, changes=changes)
