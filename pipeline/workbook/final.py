"""The rules that only the final minutes need: what `build --stage final` refuses, checked by
`validate --stage final` too, so both report the same findings with the same codes.

Dates are judged against the run's clock (``SOURCE_DATE_EPOCH`` when set), so final minutes
cannot be dated before the meeting they record nor approved on a day still to come."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator

from ..files import source_date
from .coerce import suggest
from .findings import Finding, finding
from .inputs import input_specs
from .model import WorkbookData
from .outcomes import (
    DEFERRED,
    OVERALL,
    RESULTS_SHEET,
    Requested,
    conclusions,
    key,
    known_ids,
    present,
    presenter,
    request_outcomes,
    responds_to,
)
from .rules import NOTHING_TO_DO, is_not_a_decision

ANSWERS = "Approved, Rejected, Deferred, Risk accepted, Superseded or Noted"


def _decisions(data: WorkbookData) -> Iterator[Finding]:
    decisions = data.tables["Decisions"]
    sheet = decisions.actual_name or "Decisions"
    for rec in decisions.records:
        if is_not_a_decision(str(rec["Decision"] or "")) or rec["Outcome"] in NOTHING_TO_DO:
            if rec["Outcome"] == DEFERRED and rec["Deferred to"] is None:
                col = decisions.column_index("Deferred to")
                yield finding("decision-incomplete", f"Decision '{rec['Decision ID']}' is "
                              "Deferred with no date: type the date it must be decided by in "
                              f"'Deferred to' (e.g. the next review date).", sheet, rec.row, col,
                              column="Deferred to")
            continue  # recorded as information noted, or nothing to do
        for column in ("Owner", "Due date"):
            if rec[column] is None:
                yield finding("decision-incomplete", f"Decision '{rec['Decision ID']}' has no "
                              f"{column.lower()}: final minutes need one owner and a due date "
                              "for every decision.", sheet, rec.row,
                              decisions.column_index(column), column=column)


def _attendance(data: WorkbookData) -> Iterator[Finding]:
    people = data.tables["Attendees"]
    if not any(p["Top management"] and p["Attendance"] == "Present" for p in people.records):
        yield finding("top-management-absent", "No member of top management is recorded as "
                      "Present: final minutes of a review without top management cannot be "
                      "issued.", people.actual_name or "Attendees", people.header_row,
                      people.column_index("Attendance"))


def _conclusions(data: WorkbookData) -> Iterator[Finding]:
    table = data.tables[RESULTS_SHEET]
    if not table.present:
        return  # 'missing-sheet' says what to do
    sheet = table.actual_name or RESULTS_SHEET
    rows = conclusions(data)
    decided = {ref for rec in data.tables["Decisions"].records for ref in rec["Input ref"] or ()}
    next_row = max([table.header_row, *(r.row for r in table.records)]) + 1
    ref_col = table.column_index("Input ref")
    for spec in input_specs(data.contract):
        row = rows.get(spec.ref)
        if (row is None or not row["Conclusion"]) and spec.ref not in decided:
            yield finding("conclusion-missing", f"Input {spec.ref} ({spec.title}) has neither a "
                          f"conclusion nor a decision: on '{sheet}' type '{spec.ref}' in "
                          f"'Input ref' (e.g. row {next_row}) and what the review concluded in "
                          "'Conclusion'.", sheet, row.row if row else next_row, ref_col,
                          value=spec.ref, column="Input ref")
    overall = rows.get(OVERALL)
    if overall is None or not overall["Conclusion"]:
        yield finding("conclusion-missing", "No overall conclusion: on 'Conclusions' type "
                      f"'{OVERALL}' in 'Input ref' (e.g. row {next_row}), the conclusion, and "
                      "Yes, Partly or No in 'Suitable, adequate and effective' (clause 9.3.1).",
                      sheet, overall.row if overall else next_row, ref_col, value=OVERALL,
                      column="Input ref")
    elif overall["Suitable, adequate and effective"] is None:
        yield finding("conclusion-missing", "The overall conclusion does not say whether the "
                      "ISMS is still suitable, adequate and effective: type Yes, Partly or No.",
                      sheet, overall.row, table.column_index("Suitable, adequate and effective"),
                      column="Suitable, adequate and effective")


def _chronology(data: WorkbookData, today: dt.date) -> Iterator[Finding]:
    meeting, approved = data.review.get("Meeting date"), data.review.get("Approved on")
    if isinstance(meeting, dt.date) and today < meeting:
        row = data.review_rows.get("Meeting date")
        yield finding("final-before-meeting", f"The meeting is on {meeting.isoformat()} but the "
                      f"final minutes would be dated {today.isoformat()}: build the final minutes "
                      "after the meeting (or correct 'Meeting date').", "Review", row,
                      1 if row else None, value=meeting.isoformat(), column="Meeting date")
    if isinstance(approved, dt.date) and approved > today:
        row = data.review_rows.get("Approved on")
        yield finding("approval-in-future", f"'Approved on' is {approved.isoformat()}, after "
                      f"today ({today.isoformat()}): type the date the chair actually approved "
                      "the minutes, or leave it blank until then.", "Review", row,
                      1 if row else None, value=approved.isoformat(), column="Approved on")


def _presenters(data: WorkbookData) -> Iterator[Finding]:
    table = data.tables[RESULTS_SHEET]
    if not table.present:
        return
    sheet = table.actual_name or RESULTS_SHEET
    here = present(data)
    rows = conclusions(data)
    for spec in input_specs(data.contract):
        name = presenter(data, spec.ref, final=True)
        if not name or key(name) in here:
            continue
        row = rows.get(spec.ref)
        where = (f"'Presented by' of its row {row.row}" if row else
                 f"'Presented by' of a row with Input ref '{spec.ref}'")
        yield finding("presenter-absent", f"{name} would be named as presenter of input "
                      f"{spec.ref} ({spec.title}) but is not recorded Present on Attendees: type "
                      f"who actually presented in {where}.", sheet,
                      row.row if row else table.header_row,
                      table.column_index("Presented by"), value=name, column="Presented by")


def _findings(data: WorkbookData, today: dt.date) -> Iterator[Finding]:
    yield from _decisions(data)
    yield from _attendance(data)
    yield from _conclusions(data)
    yield from _chronology(data, today)
    yield from _presenters(data)


def final_findings(data: WorkbookData, today: dt.date | None = None) -> list[Finding]:
    """Why final minutes cannot be issued (these codes are warnings before the meeting and
    errors for the final stage), and a warning when they would record no decision at all."""
    today = today or source_date().date()
    out = [dataclasses.replace(f, severity="error") for f in _findings(data, today)]
    decisions = data.tables["Decisions"]
    if not any(not is_not_a_decision(str(r["Decision"] or "")) for r in decisions.records):
        out.append(finding("no-decisions", "The final minutes would record no decision: a "
                           "review that decides nothing draws an audit finding (9.3.3). Record "
                           "the decisions taken, or why none was needed, on the Decisions sheet.",
                           decisions.actual_name or "Decisions", decisions.header_row or None))
    return out


def unanswered_requests(data: WorkbookData, requests: Iterable[Requested]) -> list[Finding]:
    """Final stage: every decision requested in the pre-read needs a decision responding to it."""
    table = data.tables["Decisions"]
    sheet = table.actual_name or "Decisions"
    next_row = max([table.header_row, *(r.row for r in table.records)]) + 1
    out = []
    for item in request_outcomes(data, requests):
        if item.answered:
            continue
        out.append(finding(
            "request-unanswered", f"The pre-read asked for a decision on {item.source_id} "
            f"(input {item.input_ref}: {item.request}) and no decision responds to it: add a "
            f"Decisions row (e.g. row {next_row}) with '{item.source_id}' in 'Responds to' and "
            f"its Outcome ({ANSWERS}).", sheet, next_row, table.column_index("Responds to"),
            value=item.source_id, column="Responds to"))
    return out


def unknown_responses(data: WorkbookData) -> Iterator[Finding]:
    """Every stage: an ID in 'Responds to' must be an ID on one of the input sheets."""
    table = data.tables["Decisions"]
    ids = known_ids(data)
    if ids is None:  # one cause, one finding: the unreadable register is already reported
        return
    for rec in table.records:
        for ref in responds_to(rec):
            if key(ref) in ids:
                continue
            close = suggest(ref, list(ids.values()))
            hint = f" Did you mean '{close}'?" if close else ""
            yield finding("dangling-reference", f"'Responds to' names '{ref}', which is not an "
                          f"ID on any input sheet.{hint} Type the ID of the action, risk, "
                          "nonconformity or proposal the decision answers.",
                          table.actual_name or "Decisions", rec.row,
                          table.column_index("Responds to"), value=ref, column="Responds to")


def previous_minutes(data: WorkbookData) -> Iterator[Finding]:
    """Warning: each review that input a's actions come from should have its minutes on the
    Evidence sheet (the auditor's first question: are the minutes of the last review kept?)."""
    actions = data.tables[input_specs(data.contract)[0].sheet_name]
    sources = sorted({str(r["Source review"]) for r in actions.records
                      if "Source review" in r.declared and r["Source review"]})
    evidence = data.tables["Evidence"]
    titles = [key(r["Title"]) for r in evidence.records
              if {"a", "9.3"} & set(r["Input ref"] or ()) and "minutes" in key(r["Title"] or "")]
    for review in sources:
        if any(key(review) in t for t in titles):
            continue
        yield finding("previous-minutes-missing", f"Input a lists actions from {review} but the "
                      f"Evidence sheet has no minutes of {review}: add a row with Input ref 'a', "
                      f"a Title such as 'Minutes of the management review {review}' and its file.",
                      evidence.actual_name or "Evidence", evidence.header_row or None,
                      1 if evidence.header_row else None, value=review, column="Title")


def for_stage(findings: list[Finding], final: list[Finding]) -> list[Finding]:
    """The report of the final stage: the final-stage findings replace the same warnings."""
    promoted = {(f.code, f.cell) for f in final}
    return [f for f in findings if (f.code, f.cell) not in promoted] + final
