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
    date: str = h("Meeting date in words.", "Thursday 26 November 2026")
    start: str = h("Start time.", "10:00")
    end: str = h("End time from the agenda timings.", "11:30")
    timezone: str = h("Time zone.", "Europe/London")
    location: str = h("Room or call details.")
    minutes: int = h("Planned length in minutes.", "90")
    next_review: str = h("Next review date in words (blank if not set).", "10 June 2027")
    pre_read_due: str = h("Date the pre-read is due with attendees.", "19 November 2026")


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
    definition: str = h("Exactly what is counted.")
    note: str = h("Why a metric with a similar name shows another value (blank when none).")


@dataclass
class Ask:
    input_ref: str = h("Input the request comes from.", "f")
    clause: str = h("Its clause.", "9.3.2 f)")
    source_id: str = h("ID of the action, risk or proposal.", "R-007")
    kind: str = h("Kind of request.", "Risk acceptance")
    request: str = h("What management is asked to decide.")


@dataclass
class CardOption:
    label: str = h("The option.", "Fund immutable backup storage now")
    cost: str = h("Its cost in the review's currency, or 'cost not stated'.", "£12,000")
    recommended: bool = h("True for the recommended option.")
    mark: str = h("'Recommended' for the recommended option, else blank.")


@dataclass
class Card:
    number: int = h("Card number, in page order.", "1")
    title: str = h("The theme: lead item's ID and name.", "OFI-02 Immutable, tested backups")
    asks: list[str] = h("What management is asked, one line per request.")
    options: list[CardOption] = h("The options, 'Do nothing' included.")
    recommendation: str = h("The recommendation (or a statement that the workbook gives none).")
    cost: str = h("Cost of the recommended option, with currency (blank when none).", "£12,000")
    consequence: str = h("What happens if management does not decide.")
    consequence_short: str = h("The first consequence stated, for the page-1 table.")
    decide_by: str = h("Date a decision is needed, in words.", "11 December 2026")
    linked: list[str] = h("Linked items, 'ID name'.")
    linked_text: str = h("The linked items on one line.")
    urgent: bool = h("True when the theme holds a major nonconformity past its due date.")


@dataclass
class Overview:
    verdict: str = h("Is the ISMS effective, by the stated rule.", "Effective with exceptions")
    verdict_rule: str = h("The rule behind the verdict.")
    concerns: list[str] = h("Headline figures that miss, with their values.")
    working: list[str] = h("Headline figures that meet, with their values.")
    urgent: list[str] = h("Major nonconformities past due, with days overdue and age.")
    decisions: str = h("How many decisions, and the total cost of the recommendations.")
    total_cost: str = h("Total cost of the recommended options, with currency.", "£105,000")
    isms_scope: str = h("The ISMS scope statement from the Review sheet.")
    appetite_rule: str = h("How risk appetite is set (Review sheet), or a note that none is stated.")


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
    responds_to: str = h("IDs of the requests it answers, comma-separated.", "OFI-02")
    outcome: str = h("Approved, Rejected, Deferred, Risk accepted, Superseded, Noted (or blank).",
                     "Approved")
    deferred_to: str = h("When deferred: the date it must be decided by, in words.")
    action: bool = h("True when it is something to do (it goes in the action log and becomes an "
                     "action of the next review); False when rejected, deferred or noted.", "True")


@dataclass
class Conclusion:
    conclusion: str = h("What the review concluded (blank when none was recorded).")
    change_needed: str = h("Change needed to the ISMS (blank for none).")
    dissent: str = h("Dissent or uncertainty recorded (blank for none).")
    suitable: str = h("Overall row only: Yes, Partly or No (suitable, adequate and effective).",
                      "Partly")


@dataclass
class RequestLine:
    input_ref: str = h("Input the request came from.", "f")
    clause: str = h("Its clause.", "9.3.2 f)")
    source_id: str = h("ID of the action, risk, nonconformity or proposal.", "R-007")
    request: str = h("What management was asked to decide.")
    outcome: str = h("Final minutes: the outcome, or 'No decision recorded'.", "Approved")
    decisions: str = h("Final minutes: the decisions responding to it, comma-separated.",
                       "DEC-2026-H2-03")
    deferred_to: str = h("When deferred: the date it must be decided by, in words.")


@dataclass
class Appendix:
    title: str = h("Register name with clause.")
    table: TableData = h("The register extract.")
    note: str = h("Which columns are shown and why, or where the full register is.")


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
    significance: str = h("High, Medium or Low, by the rule in significance_rule.", "High")
    significance_rule: str = h("How the significance was computed from the data.")
    recommendations: list[str] = h("Recommended actions, one per item that needs one.")
    trends: list[Appendix] = h("Further titled tables (e.g. audit findings per period by grade).")


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
    conclusion: Conclusion = h("The item's conclusion (final minutes; blank fields before).")
    requests: list[RequestLine] = h("Decisions requested under this item, with their outcome.")


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
    overview: Overview = h("Page 1: is the ISMS effective, what to decide, what it costs.")
    cards: list[Card] = h("Decision cards, one per theme, urgent ones first.")
    decisions_requested: list[Ask] = h("All decisions requested of management.")
    sections: list[Section] = h("One section per input a, b, c, d1, d2, d3, d4, e, f, g.")
    appendix: list[Appendix] = h("Register extracts for the pre-read appendix.")
    pre_read_documents: list[str] = h("Documents sent with the pre-read.")
    decisions: list[DecisionLine] = h("Final minutes: every decision, with its outcome.")
    actions: list[DecisionLine] = h("Final minutes: the decisions that are actions (the action log).")
    information_noted: list[str] = h("Final minutes: items recorded as information, not decisions.")
    approved_by: str = h("Who approved the final minutes (blank before).")
    approved_on: str = h("When (blank before).")
    final: bool = h("True for the final minutes, False for the pre-meeting form.")
    overall: Conclusion = h("The overall conclusion: suitable, adequate and effective (9.3.1).")
    request_outcomes: list[RequestLine] = h("Every decision requested, with its outcome.")
    changes: Changes | None = h("Changes since the last review (None unless built with --previous).")
