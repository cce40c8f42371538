"""The document context model: everything a Word template can use. Pure data. Every field
carries help text, from which docs/templates.md is generated, so the guide and the model cannot
drift apart.

Cell text is data: strings here are cleaned of XML-illegal characters and are escaped by the
renderer, never evaluated as template code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..formatting import short_date, value
from ..workbook.coerce import CONTROL_CHARS


def h(text: str, example: str = "") -> Any:
    """Field metadata: help text (and an example) for the template authoring guide."""
    return field(metadata={"help": text, "example": example})


def clean(value: object) -> str:
    """Cell text as safe document text: XML-illegal characters removed, never None."""
    if value is None:
        return ""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return short_date(value)
    text = value if isinstance(value, str) else _text(value)
    return CONTROL_CHARS.sub("", text)


def _text(item: object) -> str:
    return value(item)


@dataclass
class DocControl:
    organisation: str = h("Organisation name.", "Acme Logistics Ltd")
    review_id: str = h("The review's ID, used in headers and file names.", "MR-2026-H2")
    isms_scope: str = h("ISMS scope statement.")
    classification: str = h("Classification printed on every page.", "Internal")
    version: str = h("Version of the pack.", "1.0")
    owner: str = h("Document owner.", "Priya Natarajan")
    chair: str = h("Chair of the review.", "Helen Carter")
    period: str = h("The period reviewed, in words.", "1 May 2026 to 31 October 2026")
    cutoff: str = h("The data cut-off date, in words.", "13 November 2026")
    generated_on: str = h("Generation date (from SOURCE_DATE_EPOCH when set).", "13 November 2026")
    workbook_sha256: str = h("SHA-256 of the source workbook.")
    stage: str = h("'pre-read' before the meeting, 'final' after it.", "pre-read")
    approval: str = h("Approval status in words.", "Draft for the meeting")
    status: str = h("Document-control status: 'circulated' (pre-read), 'draft' or 'record' "
                    "(final minutes before and after approval).", "circulated")
    status_line: str = h("What this copy is, printed in the footer: the status and version from "
                         "the issue register.", "PRE-READ v1.0 — for the meeting of 11 December 2026")
    retention: str = h("How long the records are kept, and until when.",
                       "3 years from the meeting (until 11 December 2029)")


@dataclass
class Meeting:
    date: str = h("Meeting date in words.", "Friday 11 December 2026")
    start: str = h("Start time.", "10:00")
    end: str = h("End time from the agenda timings.", "11:30")
    timezone: str = h("Time zone.", "Europe/London")
    location: str = h("Room or call details.")
    minutes: int = h("Planned length in minutes.", "90")
    next_review: str = h("Next review date in words (blank if not set).", "10 June 2027")
    pre_read_due: str = h("Date the pre-read is due with attendees.", "4 December 2026")


@dataclass
class Person:
    name: str = h("Full name.")
    role: str = h("Role.")
    email: str = h("Email address.")
    top_management: str = h("'Yes' or 'No'.")
    attendance: str = h("Invited, Present, Apologies or Absent.")


@dataclass
class TableData:
    headers: list[str] = h("Column headings.")
    rows: list[list[str]] = h("Rows of cell text.")
    doc: Any = h("The table ready to place with {{p section.table.doc }} (styled 'ISMS Table').")


@dataclass
class Chart:
    name: str = h("File stem of the chart.", "metric_M-02")
    caption: str = h("Caption under the chart.")
    png: bytes = h("PNG bytes (internal; place the chart with image).")
    image: Any = h("The chart ready to place with {{ chart.image }} (16 cm wide).")


@dataclass
class Kpi:
    label: str = h("What is measured.", "Previous actions done on time")
    value: str = h("The figure, formatted.", "56 %")
    status: str = h("met, near, missed or info.", "missed")
    badge: Any = h("Status word in its colour, placed with {{r kpi.badge }}.")
    basis: str = h("Period and cut-off the figure refers to.")


@dataclass
class Ask:
    input_ref: str = h("Input the request comes from.", "f")
    clause: str = h("Its clause.", "9.3.2 f)")
    source_id: str = h("ID of the action, risk or proposal.", "R-007")
    kind: str = h("Kind of request.", "Risk acceptance")
    request: str = h("What management is asked to decide.")


@dataclass
class DecisionLine:
    id: str = h("Decision ID.", "DEC-2026-H2-01")
    inputs: str = h("Input references, comma-separated.", "f, g")
    type: str = h("Improvement, ISMS change, Resource, Risk acceptance or Other.")
    decision: str = h("The decision text.")
    owner: str = h("One accountable owner.")
    due: str = h("Due date in words.")
    priority: str = h("High, Medium or Low.")
    closure_evidence: str = h("What will prove closure.")


@dataclass
class Section:
    ref: str = h("Input reference.", "d2")
    clause: str = h("Clause reference.", "9.3.2 d) 2)")
    title: str = h("Title of the input.", "Monitoring and measurement results")
    coverage: str = h("content, nothing-to-report or missing.", "content")
    nothing_to_report: str = h("The stated reason when there is nothing to report.")
    period: str = h("Period the figures cover, with the cut-off.")
    headline: str = h("One-paragraph analysis: where we are, which way, what matters.")
    table: TableData = h("The section's summary table.")
    charts: list[Chart] = h("Charts for this section (may be empty).")
    limitations: list[str] = h("Data-honesty notes (may be empty).")
    asks: list[Ask] = h("Decisions requested from this input.")


@dataclass
class AgendaItem:
    number: int = h("Item number.", "2")
    ref: str = h("Input reference, or '' for opening/closing items.", "a")
    clause: str = h("Clause reference.", "9.3.2 a)")
    title: str = h("Item title.")
    presenter: str = h("Who presents it.")
    start: str = h("Start time.", "10:05")
    end: str = h("End time.", "10:15")
    minutes: int = h("Minutes allotted.", "10")
    evidence: list[str] = h("Evidence documents for this item ('EV-01 Title').")
    decisions: list[DecisionLine] = h("Final minutes: decisions taken under this item.")
    noted: list[str] = h("Final minutes: information noted under this item.")


@dataclass
class Appendix:
    title: str = h("Register name with clause.")
    table: TableData = h("The register extract.")


@dataclass
class Changes:
    previous_review: str = h("Review ID of the previous review.", "MR-2026-H2")
    actions: list[str] = h("Its decisions and open actions and where they stand now.")
    missing: list[str] = h("Decisions or actions that vanished (should be empty).")
    risks: list[str] = h("Risks new, removed or changed in level since then.")
    metrics: list[str] = h("Metric definitions or targets changed since then.")


@dataclass
class ReviewContext:
    doc: DocControl = h("Document control.")
    meeting: Meeting = h("Meeting logistics.")
    attendees: list[Person] = h("Everyone invited, in workbook order.")
    top_management_present: list[str] = h("Names of top management marked Present.")
    agenda: list[AgendaItem] = h("Agenda items in order, with timings.")
    kpis: list[Kpi] = h("Headline KPIs for the executive summary.")
    decisions_requested: list[Ask] = h("All decisions requested of management.")
    sections: list[Section] = h("One section per input a, b, c, d1, d2, d3, d4, e, f, g.")
    appendix: list[Appendix] = h("Register extracts for the pre-read appendix.")
    pre_read_documents: list[str] = h("Documents sent with the pre-read.")
    decisions: list[DecisionLine] = h("Final minutes: every decision (the action log).")
    information_noted: list[str] = h("Final minutes: items recorded as information, not decisions.")
    approved_by: str = h("Who approved the final minutes (blank before).")
    approved_on: str = h("When (blank before).")
    final: bool = h("True for the final minutes, False for the pre-meeting form.")
    changes: Changes | None = h("Changes since the last review (None unless built with --previous).")
