"""The document context model: everything a Word template can use, built from the validated
workbook and its analysis. Pure data (no I/O). Every field carries help text, from which
docs/templates.md is generated, so the guide and the model cannot drift apart.

Cell text is data: strings here are cleaned of XML-illegal characters and are escaped by the
renderer, never evaluated as template code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..analysis.analyse import Analysis, DecisionRequest
from ..workbook.coerce import CONTROL_CHARS
from ..workbook.model import Record, WorkbookData
from ..workbook.rules import is_not_a_decision

AGENDA_WEIGHTS = {"a": 10, "b": 5, "c": 5, "d1": 8, "d2": 10, "d3": 7, "d4": 5, "e": 5,
                  "f": 10, "g": 5}
OPENING, DECISIONS_SLOT, CLOSING = 5, 10, 5
TITLES = {
    "a": "Status of actions from previous management reviews",
    "b": "Changes in external and internal issues",
    "c": "Changes in needs and expectations of interested parties",
    "d1": "Nonconformities and corrective actions",
    "d2": "Monitoring and measurement results",
    "d3": "Audit results",
    "d4": "Fulfilment of information security objectives",
    "e": "Feedback from interested parties",
    "f": "Risk assessment and risk treatment plan",
    "g": "Opportunities for continual improvement",
}


def h(text: str, example: str = "") -> Any:
    """Field metadata: help text (and an example) for the template authoring guide."""
    return field(metadata={"help": text, "example": example})


def clean(value: object) -> str:
    """Cell text as safe document text: XML-illegal characters removed, never None."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.date):
        return short_date(value)
    return CONTROL_CHARS.sub("", str(value))


def long_date(day: dt.date | None) -> str:
    """For prose: 3 December 2026."""
    return f"{day.day} {day:%B %Y}" if day else ""


def short_date(day: dt.date | None) -> str:
    """For tables: 3 Dec 2026."""
    return f"{day.day} {day:%b %Y}" if day else ""


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


# ------------------------------------------------------------------------------ building


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "n/a"
    text = f"{value:,.1f}".rstrip("0").rstrip(".") if not float(value).is_integer() else f"{value:,.0f}"
    return f"{text} {unit}".strip() if unit and unit != "count" else text


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _owner_of(records: list[Record], fallback: str) -> str:
    counts: dict[str, int] = {}
    for r in records:
        owner = r["Owner"]
        if owner:
            counts[str(owner)] = counts.get(str(owner), 0) + 1
    return max(sorted(counts), key=lambda k: counts[k]) if counts else fallback


def _clock(start: dt.time, minutes: int) -> str:
    moment = dt.datetime.combine(dt.date(2000, 1, 1), start) + dt.timedelta(minutes=minutes)
    return moment.strftime("%H:%M")


def build_context(data: WorkbookData, analysis: Analysis, *, final: bool = False,
                  total_minutes: int = 90, generated_on: dt.date | None = None,
                  pre_read_due: dt.date | None = None) -> ReviewContext:
    from .sections import appendix, kpis, sections

    review = data.review
    evidence = _evidence_by_input(data)
    decisions, noted = _decisions(data)
    owner = clean(review.get("Document owner"))
    agenda = _agenda(data, analysis, evidence, decisions, noted, total_minutes, owner)
    start = review.get("Meeting time") or dt.time(10, 0)
    meeting_date = review.get("Meeting date")
    people = data.tables["Attendees"].records
    return ReviewContext(
        doc=DocControl(
            organisation=clean(review.get("Organisation")), review_id=clean(review.get("Review ID")),
            isms_scope=clean(review.get("ISMS scope")),
            classification=clean(review.get("Classification")), version=clean(review.get("Version")),
            owner=owner, chair=clean(review.get("Chair")),
            period=f"{long_date(analysis.period_start)} to {long_date(analysis.period_end)}",
            cutoff=long_date(analysis.cutoff), generated_on=long_date(generated_on or analysis.cutoff),
            workbook_sha256=data.sha256, stage="final" if final else "pre-read",
            approval=(f"Approved by {clean(review.get('Approved by'))} on "
                      f"{long_date(review.get('Approved on'))}" if final and review.get("Approved on")
                      else "Final, awaiting approval" if final else "Draft for the meeting"),
        ),
        meeting=Meeting(
            date=f"{meeting_date:%A} {long_date(meeting_date)}" if meeting_date else "",
            start=start.strftime("%H:%M"), end=_clock(start, total_minutes),
            timezone=clean(review.get("Time zone")), location=clean(review.get("Location")),
            minutes=total_minutes, next_review=long_date(review.get("Next review date")),
            pre_read_due=long_date(pre_read_due),
        ),
        attendees=[Person(clean(p["Name"]), clean(p["Role"]), clean(p["Email"]),
                          "Yes" if p["Top management"] else "No", clean(p["Attendance"]))
                   for p in people],
        top_management_present=[clean(p["Name"]) for p in people
                                if p["Top management"] and p["Attendance"] == "Present"],
        agenda=agenda, kpis=kpis(analysis),
        decisions_requested=[ask(data, d) for d in analysis.decisions_requested],
        sections=sections(data, analysis), appendix=appendix(data),
        pre_read_documents=[f"Agenda — {clean(review.get('Review ID'))}",
                            f"Pre-read pack — {clean(review.get('Review ID'))}",
                            *sorted({e for items in evidence.values() for e in items})],
        decisions=decisions, information_noted=noted,
        approved_by=clean(review.get("Approved by")) if final else "",
        approved_on=long_date(review.get("Approved on")) if final else "",
        final=final, changes=_changes(data, analysis),
    )


def _changes(data: WorkbookData, analysis: Analysis) -> Changes | None:
    ch = analysis.changes
    if ch is None:
        return None
    status = {clean(r["Action ID"]): clean(r["Status"]) for r in data.tables["a Previous actions"].records}
    actions = [f"{i} (decided at {ch.previous_review_id}): {status.get(i, 'missing')}"
               for i in ch.carried_decisions]
    actions += [f"{i} (open at {ch.previous_review_id}): {status.get(i, 'missing')}"
                for i in ch.carried_actions]
    risks = [f"New: {', '.join(ch.risks_new)}"] if ch.risks_new else []
    risks += [f"Removed: {', '.join(ch.risks_removed)}"] if ch.risks_removed else []
    risks += [f"{c.id}: {c.before_level} ({c.before_score}) → {c.after_level} ({c.after_score})"
              for c in ch.risks_changed]
    metrics = [f"{m.id} {m.field}: {clean(m.before)} → {clean(m.after)}" for m in ch.metrics_changed]
    return Changes(ch.previous_review_id, actions, list(ch.missing), risks, metrics)


def ask(data: WorkbookData, request: DecisionRequest) -> Ask:
    return Ask(request.input_ref, data.contract.input_sheet(request.input_ref).clause,
               clean(request.source_id), request.kind, clean(request.request))


def _evidence_by_input(data: WorkbookData) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for rec in data.tables["Evidence"].records:
        for ref in rec["Input ref"] or ():
            out.setdefault(ref, []).append(f"{clean(rec['Evidence ID'])} {clean(rec['Title'])}")
    return out


def _decisions(data: WorkbookData) -> tuple[list[DecisionLine], list[str]]:
    lines, noted = [], []
    for rec in data.tables["Decisions"].records:
        text = clean(rec["Decision"])
        if is_not_a_decision(text):
            noted.append(f"{clean(rec['Decision ID'])}: {text}")
            continue
        lines.append(DecisionLine(clean(rec["Decision ID"]), ", ".join(rec["Input ref"] or ()),
                                  clean(rec["Type"]), text, clean(rec["Owner"]),
                                  long_date(rec["Due date"]), clean(rec["Priority"]),
                                  clean(rec["Closure evidence"])))
    return lines, noted


def _agenda(data: WorkbookData, analysis: Analysis, evidence: dict[str, list[str]],
            decisions: list[DecisionLine], noted: list[str], total: int,
            owner: str) -> list[AgendaItem]:
    start = data.review.get("Meeting time") or dt.time(10, 0)
    scale = max(total - OPENING - DECISIONS_SLOT - CLOSING, 10) / sum(AGENDA_WEIGHTS.values())
    slots = {ref: max(2, round(w * scale)) for ref, w in AGENDA_WEIGHTS.items()}
    chair = clean(data.review.get("Chair"))
    items: list[AgendaItem] = []
    clock = 0

    def add(ref: str, clause: str, title: str, presenter: str, minutes: int,
            ev: list[str] | None = None, dec: list[DecisionLine] | None = None,
            nt: list[str] | None = None) -> None:
        nonlocal clock
        items.append(AgendaItem(len(items) + 1, ref, clause, title, presenter,
                                _clock(start, clock), _clock(start, clock + minutes), minutes,
                                ev or [], dec or [], nt or []))
        clock += minutes

    add("", "9.3", "Opening, attendance and approval of the previous minutes", chair, OPENING)
    for sheet in data.contract.input_sheets:
        ref = sheet.input_ref or ""
        table = data.tables[sheet.name]
        add(ref, sheet.clause, TITLES.get(ref, sheet.title), _owner_of(table.records, owner),
            slots[ref], evidence.get(ref, []),
            [d for d in decisions if ref in d.inputs.split(", ")],
            [n for n in noted if _refs_of(data, n).__contains__(ref)])
    add("", "9.3.3", "Decisions, actions and resource needs", chair, DECISIONS_SLOT)
    add("", "9.3", "Any other business and date of the next review", chair, CLOSING)
    return items


def _refs_of(data: WorkbookData, noted_line: str) -> tuple[str, ...]:
    decision_id = noted_line.split(":", 1)[0]
    for rec in data.tables["Decisions"].records:
        if clean(rec["Decision ID"]) == decision_id:
            return tuple(rec["Input ref"] or ())
    return ()
