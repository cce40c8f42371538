"""The rules that only the final minutes need: what `build --stage final` refuses, checked by
`validate --stage final` too, so both report the same findings with the same codes."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from .findings import Finding, finding
from .model import WorkbookData
from .rules import is_not_a_decision


def _findings(data: WorkbookData) -> Iterator[Finding]:
    decisions = data.tables["Decisions"]
    for rec in decisions.records:
        if is_not_a_decision(str(rec["Decision"] or "")):
            continue  # recorded as information noted
        for column in ("Owner", "Due date"):
            if rec[column] is None:
                yield finding("decision-incomplete", f"Decision '{rec['Decision ID']}' has no "
                              f"{column.lower()}: final minutes need one owner and a due date "
                              "for every decision.", decisions.actual_name or "Decisions",
                              rec.row, decisions.column_index(column), column=column)
    people = data.tables["Attendees"]
    if not any(p["Top management"] and p["Attendance"] == "Present" for p in people.records):
        yield finding("top-management-absent", "No member of top management is recorded as "
                      "Present: final minutes of a review without top management cannot be "
                      "issued.", people.actual_name or "Attendees", people.header_row,
                      people.column_index("Attendance"))


def final_findings(data: WorkbookData) -> list[Finding]:
    """Why final minutes cannot be issued (these codes are warnings before the meeting and
    errors for the final stage), and a warning when they would record no decision at all."""
    out = [dataclasses.replace(f, severity="error") for f in _findings(data)]
    decisions = data.tables["Decisions"]
    if not any(not is_not_a_decision(str(r["Decision"] or "")) for r in decisions.records):
        out.append(finding("no-decisions", "The final minutes would record no decision: a "
                           "review that decides nothing draws an audit finding (9.3.3). Record "
                           "the decisions taken, or why none was needed, on the Decisions sheet.",
                           decisions.actual_name or "Decisions", decisions.header_row or None))
    return out


def for_stage(findings: list[Finding], final: list[Finding]) -> list[Finding]:
    """The report of the final stage: the final-stage findings replace the same warnings."""
    promoted = {(f.code, f.cell) for f in final}
    return [f for f in findings if (f.code, f.cell) not in promoted] + final
