"""Checks across rows and sheets: unique IDs, references, dates against the cut-off, mandatory
inputs, top management, decisions that decide nothing. Each check yields findings."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator

from .costs import read_options
from .findings import Finding, finding
from .model import Record, Table, WorkbookData
from .periods import Period
from .plausibility import PLAUSIBILITY_RULES
from .risk_rules import RISK_RULES
from .signals import (
    action_escalate,
    action_overdue_days,
    major_nc_open,
    residual_score,
    risk_untreated,
)

_NOT_A_DECISION = re.compile(
    r"^\s*(?:the\s+)?(?:\w+\s+){0,6}?(?:was\s+|were\s+|has been\s+)?"
    r"(?:noted|discussed|reviewed|considered|acknowledged|presented|for information|no action)"
    r"\b|continue(?:s|d)?\s+(?:as\s+is|as\s+before|(?:with\s+)?(?:the\s+)?current)|"
    r"^\s*(?:status quo|no change|none)\s*\.?\s*$",
    re.I,
)


def is_not_a_decision(text: str) -> bool:
    """True when a 'decision' only notes, discusses or continues as is."""
    return bool(_NOT_A_DECISION.search(text))


def _at(table: Table, record: Record, column: str, code: str, message: str,
        value: object = "") -> Finding:
    col = table.column_index(column)
    return finding(code, message, table.actual_name or table.sheet.name, record.row, col,
                   value=value, column=column)


def unique_ids(data: WorkbookData) -> Iterator[Finding]:
    for table in data.tables.values():
        id_col = table.sheet.id_column
        if id_col is None or id_col.name not in table.columns:
            continue
        first: dict[str, int] = {}
        name = id_col.name  # declared: the hot loops below read rec.values directly
        for rec in table.records:
            key = rec.values.get(name)
            if key is None:
                continue
            folded = str(key).casefold()
            if folded in first:
                yield _at(table, rec, id_col.name, "duplicate-id",
                          f"The {id_col.name} '{key}' is already used in row {first[folded]}; "
                          "give each row its own ID.", key)
            else:
                first[folded] = rec.row


def metric_periods(data: WorkbookData) -> Iterator[Finding]:
    table = data.tables.get("d2 Metrics")
    if table is None or not {"Metric ID", "Period"} <= table.columns.keys():
        return
    seen: dict[tuple[str, str], int] = {}
    lengths: dict[str, tuple[str, int]] = {}
    for rec in table.records:
        metric, period = rec.values.get("Metric ID"), rec.values.get("Period")
        if metric is None or not isinstance(period, Period):
            continue
        key = (str(metric).casefold(), period.label)
        if key in seen:
            yield _at(table, rec, "Period", "duplicate-period",
                      f"Metric '{metric}' already has a row for {period.label} (row "
                      f"{seen[key]}); keep one value per period.", period.label)
        else:
            seen[key] = rec.row
        first = lengths.setdefault(str(metric).casefold(), (period.granularity, rec.row))
        if first[0] != period.granularity:
            yield _at(table, rec, "Period", "mixed-periods",
                      f"Metric '{metric}' mixes a {period.granularity} with a {first[0]} (row "
                      f"{first[1]}); report one metric over periods of the same length.",
                      period.label)


def references(data: WorkbookData) -> Iterator[Finding]:
    for table in data.tables.values():
        for col in table.sheet.columns:
            if col.type != "ref" or col.name not in table.columns:
                continue
            target_sheet, target_col = col.ref_target
            target = data.tables.get(target_sheet)
            if target is None or not target.present or target_col not in target.columns:
                continue
            known = {str(v).casefold() for r in target.records
                     if (v := r.values.get(target_col))}
            for rec in table.records:
                value = rec.values.get(col.name)
                if value is not None and str(value).casefold() not in known:
                    yield _at(table, rec, col.name, "dangling-reference",
                              f"{col.name} '{value}' does not exist on the sheet "
                              f"'{target_sheet}'; use one of its {target_col}s or leave blank.",
                              value)


def review_dates(data: WorkbookData) -> Iterator[Finding]:
    r = data.review
    order = [
        ("Period start", "Period end", "the period must start before it ends"),
        ("Period start", "Data cut-off", "the data cut-off cannot be before the period starts"),
        ("Data cut-off", "Meeting date", "the data cut-off cannot be after the meeting"),
        ("Meeting date", "Next review date", "the next review must come after this meeting"),
        ("Meeting date", "Approved on", "the minutes cannot be approved before the meeting"),
    ]
    for early, late, why in order:
        a, b = r.get(early), r.get(late)
        if isinstance(a, dt.date) and isinstance(b, dt.date) and b < a:
            row = data.review_rows.get(late)
            yield finding("review-dates", f"'{late}' ({b.isoformat()}) is before '{early}' "
                          f"({a.isoformat()}): {why}.", "Review", row, 1 if row else None,
                          value=b.isoformat(), column=late)


def after_cutoff(data: WorkbookData) -> Iterator[Finding]:
    cutoff = data.cutoff
    if cutoff is None:
        return
    for table in data.tables.values():
        dated = [c.name for c in table.sheet.columns
                 if c.not_after_cutoff and c.name in table.columns]
        has_period = "Period" in table.columns
        for rec in table.records:
            get = rec.values.get
            for name in dated:
                value = get(name)
                if isinstance(value, dt.date) and value > cutoff:
                    yield _at(table, rec, name, "after-cutoff",
                              f"'{name}' {value.isoformat()} is after the data cut-off "
                              f"({cutoff.isoformat()}): correct the date, or move the cut-off "
                              "on the Review sheet.", value.isoformat())
            period = get("Period") if has_period else None
            if isinstance(period, Period) and period.start > cutoff:
                yield _at(table, rec, "Period", "after-cutoff",
                          f"The period {period.label} starts after the data cut-off "
                          f"({cutoff.isoformat()}); remove it or move the cut-off.", period.label)


def mandatory_inputs(data: WorkbookData) -> Iterator[Finding]:
    label = data.contract.nothing_to_report_label
    for sheet in data.contract.input_sheets:
        table = data.tables[sheet.name]
        if not table.present or not table.columns:
            continue
        name = table.actual_name
        if not table.records and not table.nothing_to_report:
            yield finding("no-rows-no-statement", f"{sheet.clause} is a mandatory input but the "
                          f"sheet has no rows. Add the rows, or write why there is nothing to "
                          f"report next to '{label}' above the table.", name,
                          max(table.header_row - 1, 1), 1)
        elif table.records and table.nothing_to_report:
            yield finding("statement-and-rows", f"The sheet has rows but also says '"
                          f"{table.nothing_to_report}' under '{label}'; clear one of them.",
                          name, max(table.header_row - 1, 1), 1, value=table.nothing_to_report)


def top_management(data: WorkbookData) -> Iterator[Finding]:
    table = data.tables.get("Attendees")
    if table is None or not table.present or "Top management" not in table.columns:
        return
    top = [r for r in table.records if r["Top management"] is True]
    name = table.actual_name
    if not top:
        yield finding("no-top-management", "No attendee is marked 'Yes' under Top management. "
                      "Clause 9.3 requires top management to review the ISMS: invite at least "
                      "one executive and mark them Yes.", name, table.header_row,
                      table.column_index("Top management"))
        return
    recorded = [r for r in table.records if r["Attendance"] in ("Present", "Apologies", "Absent")]
    if recorded and not any(r["Attendance"] == "Present" for r in top):
        yield finding("top-management-absent", "Attendance is recorded but no member of top "
                      "management was Present; auditors treat such a review as not held by "
                      "top management.", name, table.header_row, table.column_index("Attendance"))


# Outcomes that leave nothing to do: such a row needs no owner or due date.
NOTHING_TO_DO = ("Rejected", "Noted", "Superseded", "Deferred")


def decisions(data: WorkbookData) -> Iterator[Finding]:
    table = data.tables.get("Decisions")
    if table is None or not table.present:
        return
    for rec in table.records:
        settled = rec["Outcome"] in NOTHING_TO_DO
        missing = [c for c in ("Owner", "Due date") if rec[c] is None]
        if missing and not settled:
            lacks = " and no ".join(m.lower() for m in missing)
            yield _at(table, rec, missing[0], "decision-incomplete",
                      f"Decision '{rec['Decision ID']}' has no {lacks}; "
                      "every decision needs one accountable owner and a due date.")
        text = rec["Decision"]
        if isinstance(text, str) and is_not_a_decision(text) and rec["Outcome"] != "Noted":
            yield _at(table, rec, "Decision", "not-a-decision",
                      f"'{text[:60]}' records information, not a decision. State what will be "
                      "done, or move it to the minutes as information noted.", text)


def consistency(data: WorkbookData) -> Iterator[Finding]:
    checks: list[tuple[str, str, str, str]] = [
        ("a Previous actions", "Done", "Completed on", "Status"),
        ("d1 Nonconformities", "Closed", "Closed on", "Status"),
    ]
    for sheet, done, date_col, status_col in checks:
        table = data.tables.get(sheet)
        if table is None or not {date_col, status_col} <= table.columns.keys():
            continue
        for rec in table.records:
            status, date = rec[status_col], rec[date_col]
            if status == done and date is None:
                yield _at(table, rec, date_col, "inconsistent-row",
                          f"Status is {done} but '{date_col}' is empty; add the date.")
            elif status not in (done, "Cancelled", None) and date is not None:
                yield _at(table, rec, status_col, "inconsistent-row",
                          f"'{date_col}' is filled but Status is {status}; set the status to "
                          f"{done} or clear the date.", status)


def attention(data: WorkbookData) -> Iterator[Finding]:
    """Warnings on content the review must discuss (not errors: the data is right)."""
    cutoff = data.cutoff
    actions = data.tables.get("a Previous actions")
    if actions is not None and {"Status", "Due date"} <= actions.columns.keys():
        for rec in actions.records:
            days = action_overdue_days(rec, cutoff) if cutoff else None
            if days is not None:
                yield _at(actions, rec, "Due date", "action-overdue",
                          f"Action '{rec['Action ID']}' is {rec['Status']} and {days} day(s) "
                          "overdue at the cut-off: the review should re-plan or escalate it.",
                          rec["Due date"].isoformat())
            if "Carry-forward count" in actions.columns and action_escalate(rec):
                yield _at(actions, rec, "Carry-forward count", "action-escalate",
                          f"Action '{rec['Action ID']}' has been carried forward "
                          f"{rec['Carry-forward count']} times: escalate it to top management.",
                          rec["Carry-forward count"])
    risks = data.tables.get("f Risks")
    needed = {"Residual likelihood", "Residual impact", "Appetite", "Treatment status"}
    if risks is not None and needed <= risks.columns.keys():
        for rec in risks.records:
            if risk_untreated(rec):
                yield _at(risks, rec, "Treatment status", "risk-untreated",
                          f"Risk '{rec['Risk ID']}' scores {residual_score(rec)} against an "
                          f"appetite of {rec['Appetite']} and its treatment is "
                          f"'{rec['Treatment status']}': management must treat or accept it.",
                          rec["Treatment status"])
    ncs = data.tables.get("d1 Nonconformities")
    if ncs is not None and {"Severity", "Status"} <= ncs.columns.keys():
        for rec in ncs.records:
            if major_nc_open(rec):
                yield _at(ncs, rec, "Status", "major-nc-open",
                          f"Major nonconformity '{rec['NC ID']}' is still {rec['Status']}.",
                          rec["Status"])


OPTIONS = "Options"


def option_costs(data: WorkbookData) -> Iterator[Finding]:
    """Each option's cost must read as an amount in the review's currency: one that does not
    ("14.500", "40 hrs", "12000 USD" in a EUR review) is shown as 'cost not stated' in the
    pre-read, and said here, at its cell, with what to type."""
    currency = str(data.review.get("Currency") or "").upper() if "Currency" in data.review.declared else ""
    for table in data.tables.values():
        if OPTIONS not in table.columns:
            continue
        for rec in table.records:
            text = rec.values.get(OPTIONS)
            if not text:
                continue
            for option in read_options(text, currency):
                if option.problem:
                    yield _at(table, rec, OPTIONS, "option-cost-unclear",
                              f"The option '{option.label}': {option.problem}. Until then the "
                              "pre-read shows its cost as not stated.", option.label)


ALL_RULES: tuple[Callable[[WorkbookData], Iterator[Finding]], ...] = (
    unique_ids,
    metric_periods,
    references,
    review_dates,
    after_cutoff,
    mandatory_inputs,
    top_management,
    decisions,
    consistency,
    attention,
    option_costs,
    *PLAUSIBILITY_RULES,
    *RISK_RULES,
)
