"""Build the document context (see :mod:`pipeline.documents.model`) from the validated workbook
and its analysis: document control, the meeting, the agenda from the input registry, the
pre-read sections, and the final minutes' decisions. Pure data, no I/O."""

from __future__ import annotations

import datetime as dt

from ..analysis.analyse import Analysis
from ..analysis.cards import decision_cards
from ..formatting import clock, long_date, period_range, weekday_date
from ..status import document_status
from ..workbook.inputs import input_specs
from ..workbook.model import WorkbookData
from ..workbook.outcomes import OVERALL, is_action, presenter
from ..workbook.rules import is_not_a_decision
from .front import cards, overview
from .model import (
    AgendaItem,
    Changes,
    DecisionLine,
    DocControl,
    Meeting,
    Person,
    RequestLine,
    ReviewContext,
    clean,
)
from .results import conclusion_of, request_lines
from .sections import appendix, ask, kpis, sections

OPENING, DECISIONS_SLOT, CLOSING = 5, 10, 5
GENERAL = "9.3"  # Input ref of decisions that are not one input (previous minutes, next review)


# ------------------------------------------------------------------------------ building


def _clock(start: dt.time, minutes: int) -> str:
    moment = dt.datetime.combine(dt.date(2000, 1, 1), start) + dt.timedelta(minutes=minutes)
    return moment.strftime("%H:%M")


def build_context(data: WorkbookData, analysis: Analysis, *, final: bool = False,
                  total_minutes: int = 90, generated_on: dt.date | None = None,
                  pre_read_due: dt.date | None = None) -> ReviewContext:
    review = data.review
    evidence = _evidence_by_input(data)
    decisions, noted = _decisions(data)
    requests = request_lines(data, analysis.decisions_requested, final)
    agenda = _agenda(data, analysis, evidence, decisions, noted, total_minutes, final, requests)
    start = review.meeting_time or dt.time(10, 0)
    meeting_date = review.meeting_date
    people = data.tables["Attendees"].records
    headline = kpis(analysis)
    found = decision_cards(data, analysis)
    return ReviewContext(
        doc=DocControl(
            organisation=clean(review.get("Organisation")), review_id=clean(review.get("Review ID")),
            isms_scope=clean(review.get("ISMS scope")),
            classification=clean(review.get("Classification")), version=clean(review.get("Version")),
            owner=clean(review.get("Document owner")), chair=clean(review.get("Chair")),
            period=period_range(analysis.period_start, analysis.period_end),
            cutoff=long_date(analysis.cutoff), generated_on=long_date(generated_on or analysis.cutoff),
            workbook_sha256=data.sha256, stage="final" if final else "pre-read",
            approval=(f"Approved by {clean(review.get('Approved by'))} on "
                      f"{long_date(review.get('Approved on'))}" if final and review.get("Approved on")
                      else "Final, awaiting approval" if final else "Draft for the meeting"),
            **document_status(data, final),
        ),
        meeting=Meeting(
            date=weekday_date(meeting_date),
            start=clock(start), end=_clock(start, total_minutes),
            timezone=clean(review.get("Time zone")), location=clean(review.get("Location")),
            minutes=total_minutes, next_review=long_date(review.get("Next review date")),
            pre_read_due=long_date(pre_read_due),
        ),
        attendees=[Person(clean(p["Name"]), clean(p["Role"]), clean(p["Email"]),
                          "Yes" if p["Top management"] else "No", clean(p["Attendance"]))
                   for p in people],
        top_management_present=[clean(p["Name"]) for p in people
                                if p["Top management"] and p["Attendance"] == "Present"],
        agenda=agenda, kpis=headline, overview=overview(data, analysis, headline, found),
        cards=cards(found, analysis),
        decisions_requested=[ask(data, d) for d in analysis.decisions_requested],
        sections=sections(data, analysis), appendix=appendix(data, analysis),
        pre_read_documents=[f"Agenda — {clean(review.get('Review ID'))}",
                            f"Pre-read pack — {clean(review.get('Review ID'))}",
                            *sorted({e for items in evidence.values() for e in items})],
        decisions=decisions, actions=[d for d in decisions if d.action], information_noted=noted,
        approved_by=clean(review.get("Approved by")) if final else "",
        approved_on=long_date(review.get("Approved on")) if final else "",
        final=final, changes=_changes(data, analysis),
        overall=conclusion_of(data, OVERALL) if final else conclusion_of(data, ""),
        request_outcomes=requests,
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
                                  clean(rec["Closure evidence"]), clean(rec["Responds to"]),
                                  clean(rec["Outcome"]), long_date(rec["Deferred to"]),
                                  is_action(rec)))
    return lines, noted


def _agenda(data: WorkbookData, analysis: Analysis, evidence: dict[str, list[str]],
            decisions: list[DecisionLine], noted: list[str], total: int,
            final: bool, requests: list[RequestLine]) -> list[AgendaItem]:
    start = data.review.meeting_time or dt.time(10, 0)
    specs = input_specs(data.contract)
    scale = (max(total - OPENING - DECISIONS_SLOT - CLOSING, 10)
             / max(sum(spec.agenda_weight for spec in specs), 1))
    slots = {spec.ref: max(2, round(spec.agenda_weight * scale)) for spec in specs}
    chair = clean(data.review.get("Chair"))
    items: list[AgendaItem] = []
    clock = 0

    def add(ref: str, clause: str, title: str, by: str, minutes: int, key: str = "") -> None:
        nonlocal clock
        items.append(AgendaItem(len(items) + 1, ref, clause, title, by,
                                _clock(start, clock), _clock(start, clock + minutes), minutes,
                                evidence.get(key, []) if ref else [],
                                [d for d in decisions if key in d.inputs.split(", ")],
                                [n for n in noted if key in _refs_of(data, n)],
                                conclusion_of(data, key if final else ""),
                                [r for r in requests if r.input_ref == key] if ref else []))
        clock += minutes

    add("", "9.3", "Opening, attendance and approval of the previous minutes", chair, OPENING,
        GENERAL)
    for spec in specs:
        ref = spec.ref
        add(ref, spec.clause, spec.title, presenter(data, ref, final=final), slots[ref], ref)
    add("", "9.3.3", "Decisions, actions and resource needs", chair, DECISIONS_SLOT)
    add("", "9.3", "Any other business and date of the next review", chair, CLOSING)
    return items


def _refs_of(data: WorkbookData, noted_line: str) -> tuple[str, ...]:
    decision_id = noted_line.split(":", 1)[0]
    for rec in data.tables["Decisions"].records:
        if clean(rec["Decision ID"]) == decision_id:
            return tuple(rec["Input ref"] or ())
    return ()
