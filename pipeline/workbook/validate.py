"""The validate stage: read the workbook once, parse it against the contract, run every rule."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .contract import Contract, load_contract
from .evidence import evidence_files
from .findings import Finding, Report
from .model import WorkbookData
from .parse import parse_workbook
from .reader import read_workbook
from .rules import ALL_RULES


@dataclass
class Validation:
    report: Report
    data: WorkbookData


def _sort_key(f: Finding) -> tuple[int, int, int, str]:
    return (0 if f.severity == "error" else 1, 0, f.row or 0, f.code)


def validate_workbook(
    path: Path, evidence: Path | None = None, contract: Contract | None = None
) -> Validation:
    """Validate ``path``. Raises :class:`~pipeline.errors.UserError` only when the file
    cannot be read at all; every problem with its content is a finding in the report."""
    contract = contract or load_contract()
    raw = read_workbook(path)
    data, findings = parse_workbook(raw, contract)
    for rule in ALL_RULES:
        findings.extend(rule(data))
    findings.extend(evidence_files(data, evidence))
    order = {s.name: i for i, s in enumerate(contract.sheets)}
    findings.sort(key=lambda f: (order.get(f.sheet, len(order)), f.row or 0, f.cell, f.code))
    report = Report(path=str(path), findings=findings)
    return Validation(report=report, data=data)
